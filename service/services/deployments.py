"""Deploying BPMN files as versioned specs and loading a route's spec into the engine."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from service.config import workflows_dir
from service.db.models import WorkflowSpec
from service.domain.errors import NotFound, WorkflowRejected
from service.domain.states import EventKind
from service.services.context import ServiceContext
from service.services.events import append_event

WORKFLOWS_DIR = workflows_dir()  # the packaged copies when installed; IOM_WORKFLOWS_DIR overrides


def read_workflow_files(directory: Path = WORKFLOWS_DIR) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in sorted(directory.glob("*.bpmn"))}
    if not files:
        raise WorkflowRejected([f"в {directory} нет файлов .bpmn"])
    return files


def deploy(ctx: ServiceContext, files: dict[str, bytes], actor_id: int | None = None) -> tuple[str, bool]:
    """Validate and store the files; returns (content hash, whether this version is new)."""
    try:
        texts = {name: data.decode("utf-8") for name, data in files.items()}
    except UnicodeDecodeError:
        raise WorkflowRejected(["файлы BPMN должны быть в кодировке UTF-8"]) from None
    spec_hash = ctx.engine.deploy(files)
    with ctx.uow() as uow:
        if uow.session.scalar(sa.select(WorkflowSpec.id).where(WorkflowSpec.content_hash == spec_hash)):
            return spec_hash, False
        now = ctx.clock()
        uow.session.add(WorkflowSpec(content_hash=spec_hash, process_id="iom_route", files=texts,
                                     deployed_at=now, deployed_by_id=actor_id))
        append_event(uow.session, route_id=None, at=now, actor_id=actor_id, kind=EventKind.WORKFLOW_DEPLOYED,
                     data={"hash": spec_hash, "files": sorted(texts)})
        uow.commit()
    return spec_hash, True


def current_spec(session) -> WorkflowSpec:
    """The version new routes start on: the latest deployed, or the one an admin made current since."""
    spec = session.scalar(sa.select(WorkflowSpec).order_by(
        sa.func.coalesce(WorkflowSpec.activated_at, WorkflowSpec.deployed_at).desc(), WorkflowSpec.id.desc()).limit(1))
    if spec is None:
        raise NotFound("Схема процесса не развёрнута: выполните `flask --app service deploy`")
    return spec


def loaded_spec(ctx: ServiceContext, session, spec_id: int) -> str:
    """`ensure_loaded` by the spec's id: a spec row never changes, so its hash is read once a process."""
    spec_hash = ctx.spec_hashes.get(spec_id)
    if spec_hash is None or not ctx.engine.is_loaded(spec_hash):
        spec_hash = ensure_loaded(ctx, session.get(WorkflowSpec, spec_id))
        ctx.spec_hashes[spec_id] = spec_hash
    return spec_hash


def ensure_loaded(ctx: ServiceContext, spec: WorkflowSpec) -> str:
    """Make sure the engine has the spec a route runs on (after a restart, an older version)."""
    if not ctx.engine.is_loaded(spec.content_hash):
        loaded = ctx.engine.deploy({name: text.encode("utf-8") for name, text in spec.files.items()})
        if loaded != spec.content_hash:
            raise WorkflowRejected([f"содержимое версии {spec.content_hash[:12]} не совпадает с её хешем"])
    return spec.content_hash
