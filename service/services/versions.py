"""Template and workflow versions for the admin: list them, upload new ones, make an older one
current again, download any, and see which routes run on a workflow version.

A template version is the SHA-256 of its .docx; the current one of a kind is the most recently
deployed or re-activated (`deployed_at`, as `documents.deploy_templates` has it). A workflow version
is the hash of its BPMN files; the current one is the latest of `activated_at`/`deployed_at`
(see `deployments.current_spec`). Making a version current is an event of the system chain; issued
documents and running routes keep the version they were made with."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from service.db.models import DocTemplate, Document, Event, Route, User, WorkflowSpec
from service.documents import archive
from service.documents.contract import TEMPLATE_FILES, TEMPLATE_TITLES
from service.documents.render import FIXED_ZIP_TIME
from service.domain.access import Actor, require_admin
from service.domain.errors import BadRequestBody, FieldProblem, FormRejected, NotFound, TemplateRejected
from service.domain.route_rules import STAGE_TITLES
from service.domain.states import EventKind
from service.services import deployments, documents
from service.services.context import ServiceContext
from service.services.events import append_event

ROUTES_PER_PAGE = 50
_TICK = timedelta(microseconds=1)
MAX_BPMN_FILES = 20


def _names(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    return dict(session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all()) if ids else {}


def _first_deployed(session, kind: EventKind, key: str) -> dict[str, tuple]:
    """When and by whom each version was first deployed (from the system chain): hash → (at, actor id)."""
    out: dict[str, tuple] = {}
    for at, actor_id, data in session.execute(sa.select(Event.at, Event.actor_id, Event.data).where(
            Event.route_id.is_(None), Event.kind == kind).order_by(Event.seq)):
        out.setdefault((data or {}).get(key, ""), (at, actor_id))
    return out


# ---- templates ---------------------------------------------------------------------------------
def templates(ctx: ServiceContext, actor: Actor) -> list[dict[str, Any]]:
    """Every kind with its versions, newest first: hash, file, deployed when/by whom, how many document
    versions were rendered with it, which one is current."""
    require_admin(actor)
    with ctx.uow() as uow:
        s = uow.session
        rows = s.execute(sa.select(DocTemplate.id, DocTemplate.kind, DocTemplate.name, DocTemplate.sha256,
                                   DocTemplate.deployed_at, DocTemplate.deployed_by_id)
                         .order_by(DocTemplate.deployed_at.desc(), DocTemplate.id.desc())).all()
        used = dict(s.execute(sa.select(Document.template_id, sa.func.count()).group_by(Document.template_id)).all())
        first = _first_deployed(s, EventKind.TEMPLATE_DEPLOYED, "sha256")
        names = _names(s, [r.deployed_by_id for r in rows] + [a for _, a in first.values()])
    out = []
    for kind, title in TEMPLATE_TITLES.items():
        versions = []
        for r in (r for r in rows if r.kind == kind):
            at, by = first.get(r.sha256, (r.deployed_at, r.deployed_by_id))
            versions.append({"id": r.id, "sha256": r.sha256, "name": r.name, "deployed_at": at.isoformat(),
                             "deployed_by": names.get(by), "current_since": r.deployed_at.isoformat(),
                             "documents": used.get(r.id, 0), "current": not versions})
        out.append({"kind": kind, "title": title, "file": TEMPLATE_FILES[kind], "versions": versions})
    return out


def upload_template(ctx: ServiceContext, actor: Actor, kind: str, data: bytes) -> dict[str, Any]:
    """A new version of one kind (validated; the refusal names the tag, part and line)."""
    return documents.upload_template(ctx, actor, kind, data)


def _template_or_404(session, template_id: int) -> DocTemplate:
    row = session.get(DocTemplate, template_id)
    if row is None or row.kind not in TEMPLATE_FILES:
        raise NotFound("Версия шаблона не найдена")
    return row


def activate_template(ctx: ServiceContext, actor: Actor, template_id: int) -> dict[str, Any]:
    """Make a deployed version the current one of its kind again (new documents use it; issued ones
    keep theirs)."""
    require_admin(actor)
    with ctx.uow() as uow:
        s = uow.session
        row = _template_or_404(s, template_id)
        current = s.scalar(sa.select(DocTemplate).where(DocTemplate.kind == row.kind)
                           .order_by(DocTemplate.deployed_at.desc(), DocTemplate.id.desc()).limit(1))
        changed = current.id != row.id
        if changed:
            now = ctx.clock()
            row.deployed_at = max(now, current.deployed_at + _TICK)  # strictly the latest, whatever the clock says
            append_event(s, route_id=None, at=now, kind=EventKind.TEMPLATE_ACTIVATED, actor_id=actor.user_id,
                         data={"kind": row.kind, "name": row.name, "sha256": row.sha256,
                               "previous_sha256": current.sha256})
            uow.commit()
        return {"id": row.id, "kind": row.kind, "sha256": row.sha256, "changed": changed}


def template_file(ctx: ServiceContext, actor: Actor, template_id: int) -> tuple[bytes, str]:
    """A version's .docx and a download name carrying its short hash."""
    require_admin(actor)
    with ctx.uow() as uow:
        row = _template_or_404(uow.session, template_id)
        stem = row.name.removesuffix(".docx")
        return row.data, f"{stem}-{row.sha256[:12]}.docx"


# ---- workflows ---------------------------------------------------------------------------------
def workflows(ctx: ServiceContext, actor: Actor) -> list[dict[str, Any]]:
    """Every workflow version, newest first, with the routes running on it per status."""
    require_admin(actor)
    with ctx.uow() as uow:
        s = uow.session
        specs = s.scalars(sa.select(WorkflowSpec).order_by(WorkflowSpec.id.desc())).all()
        current_id = deployments.current_spec(s).id if specs else None
        counts: dict[int, dict[str, int]] = {}
        for spec_id, status, n in s.execute(sa.select(Route.spec_id, Route.status, sa.func.count())
                                            .group_by(Route.spec_id, Route.status)):
            counts.setdefault(spec_id, {})[status] = n
        files = {spec_id: sorted(f) for spec_id, f in s.execute(sa.select(WorkflowSpec.id, WorkflowSpec.files))}
        names = _names(s, [w.deployed_by_id for w in specs])
        return [{"id": w.id, "hash": w.content_hash, "deployed_at": w.deployed_at.isoformat(),
                 "deployed_by": names.get(w.deployed_by_id),
                 "activated_at": w.activated_at.isoformat() if w.activated_at else None,
                 "current": w.id == current_id, "files": files.get(w.id, []),
                 "routes": counts.get(w.id, {}), "routes_total": sum(counts.get(w.id, {}).values())}
                for w in specs]


def _spec_or_404(session, spec_id: int) -> WorkflowSpec:
    spec = session.get(WorkflowSpec, spec_id)
    if spec is None:
        raise NotFound("Версия схемы процесса не найдена")
    return spec


def _activate(ctx: ServiceContext, s, actor: Actor, spec: WorkflowSpec) -> bool:
    current = deployments.current_spec(s)
    if current.id == spec.id:
        return False
    now = ctx.clock()
    spec.activated_at = max(now, (current.activated_at or current.deployed_at) + _TICK)
    append_event(s, route_id=None, at=now, kind=EventKind.WORKFLOW_ACTIVATED, actor_id=actor.user_id,
                 data={"hash": spec.content_hash, "previous_hash": current.content_hash})
    return True


def activate_workflow(ctx: ServiceContext, actor: Actor, spec_id: int) -> dict[str, Any]:
    """Make a deployed version the one new routes start on (running routes stay on theirs)."""
    require_admin(actor)
    with ctx.uow() as uow:
        spec = _spec_or_404(uow.session, spec_id)
        changed = _activate(ctx, uow.session, actor, spec)
        uow.commit()
        return {"id": spec.id, "hash": spec.content_hash, "changed": changed}


def _unzipped(name: str, data: bytes) -> dict[str, bytes]:
    """The files of an uploaded .zip (as the download gives it), within the archive limits."""
    label = f"Архив {name}"
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise FormRejected([FieldProblem("/file", f"{label} не является архивом .zip")])
    try:
        with archive.open_archive(data, label) as zf:
            return {info.filename.rsplit("/", 1)[-1]: archive.read_member(zf, info, label)
                    for info in zf.infolist() if not info.is_dir()}
    except TemplateRejected as exc:
        raise FormRejected([FieldProblem("/file", exc.message)]) from exc


def upload_workflow(ctx: ServiceContext, actor: Actor, files: dict[str, bytes], zipped: bytes | None = None
                    ) -> dict[str, Any]:
    """Deploy uploaded BPMN files (or a .zip of them, as a file or as `zipped`, the API's raw body)
    as a version, validated by the engine, and make it current; the same files again are the same
    version."""
    require_admin(actor)
    if not files and zipped is not None:
        if not zipped:
            raise BadRequestBody("Приложите файлы .bpmn (поле file формы) или архив .zip с ними (тело запроса)")
        files = {"workflow.zip": zipped}
    if len(files) == 1 and next(iter(files)).lower().endswith(".zip"):
        files = _unzipped(*next(iter(files.items())))
    if not files:
        raise FormRejected([FieldProblem("/file", "Выберите один или несколько файлов .bpmn")])
    if len(files) > MAX_BPMN_FILES:
        raise FormRejected([FieldProblem("/file", f"Не больше {MAX_BPMN_FILES} файлов за раз")])
    bad = sorted(name for name in files if not name.lower().endswith(".bpmn") or "/" in name or "\\" in name)
    if bad:
        raise FormRejected([FieldProblem("/file", "Ожидаются файлы .bpmn: " + ", ".join(bad))])
    spec_hash, created = deployments.deploy(ctx, files, actor.user_id)
    with ctx.uow() as uow:
        spec = uow.session.scalar(sa.select(WorkflowSpec).where(WorkflowSpec.content_hash == spec_hash))
        changed = _activate(ctx, uow.session, actor, spec)
        uow.commit()
        return {"id": spec.id, "hash": spec_hash, "created": created, "changed": created or changed}


def workflow_zip(ctx: ServiceContext, actor: Actor, spec_id: int) -> tuple[bytes, str]:
    """A version's BPMN files as a .zip (the same bytes each time)."""
    require_admin(actor)
    with ctx.uow() as uow:
        spec = _spec_or_404(uow.session, spec_id)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(spec.files):
                zf.writestr(zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME), spec.files[name].encode("utf-8"))
        return out.getvalue(), f"workflow-{spec.content_hash[:12]}.zip"


def workflow_routes(ctx: ServiceContext, actor: Actor, spec_id: int, page: int = 1) -> dict[str, Any]:
    """The routes running on a version, newest first, a page at a time."""
    require_admin(actor)
    with ctx.uow() as uow:
        s = uow.session
        spec = _spec_or_404(s, spec_id)
        total = s.scalar(sa.select(sa.func.count()).select_from(Route).where(Route.spec_id == spec_id))
        pages = max(1, -(-total // ROUTES_PER_PAGE))
        page = min(max(page, 1), pages)
        rows = s.scalars(sa.select(Route).where(Route.spec_id == spec_id).order_by(Route.id.desc())
                         .limit(ROUTES_PER_PAGE).offset((page - 1) * ROUTES_PER_PAGE)).all()
        names = _names(s, [r.teacher_id for r in rows])
        return {"spec": {"id": spec.id, "hash": spec.content_hash, "deployed_at": spec.deployed_at.isoformat()},
                "items": [{"id": r.id, "title": r.title, "teacher": names.get(r.teacher_id, ""), "status": r.status,
                           "stage": r.stage, "stage_title": STAGE_TITLES.get(r.stage, r.stage),
                           "updated_at": r.updated_at.isoformat()} for r in rows],
                "total": total, "page": page, "pages": pages}
