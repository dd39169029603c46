"""Batch migration: every active route of a version (at one stage) moved to another version by
the background worker, each route in its own transaction (services/route_migration.py). A route
that cannot move — blocked by a task with no place in the new version, or being completed at that
moment (409) — is reported with the reason and left as it was; the others move. Progress and the
report are kept in `migration_batches` for the page's progress bar, the API and the CLI.

Job bookkeeping uses the wall clock: it is operations, not history (the events use ctx.clock)."""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa

from service.contracts import parse
from service.contracts.requests import MigrationBatchRequest
from service.db.models import MigrationBatch, WorkflowSpec
from service.domain.access import Actor, require_admin
from service.domain.errors import NotFound, RouteNotMigratable, ServiceError
from service.domain.states import JobState
from service.services import job_rows, route_migration
from service.services.context import ServiceContext

log = logging.getLogger("iom.jobs")
PROGRESS_EVERY_S = 0.5



def _view(batch: MigrationBatch, hashes: dict[int, str], with_report: bool = True) -> dict[str, Any]:
    out = {"id": batch.id, "from": {"id": batch.from_spec_id, "hash": hashes.get(batch.from_spec_id)},
           "to": {"id": batch.to_spec_id, "hash": hashes.get(batch.to_spec_id)}, "stage": batch.stage,
           "mapping": batch.mapping, "reason": batch.reason, "state": batch.state, "done": batch.done,
           "total": batch.total, "migrated": batch.migrated, "failed": batch.failed,
           "percent": 100 if batch.state == JobState.DONE else (100 * batch.done // batch.total if batch.total else 0),
           "requested_at": job_rows.iso(batch.requested_at), "started_at": job_rows.iso(batch.started_at),
           "finished_at": job_rows.iso(batch.finished_at), "error": batch.error}
    if with_report:
        out["report"] = batch.report or []
    return out


def _hashes(s, *ids: int) -> dict[int, str]:
    return dict(s.execute(sa.select(WorkflowSpec.id, WorkflowSpec.content_hash).where(WorkflowSpec.id.in_(ids))).all())


def request_batch(ctx: ServiceContext, actor: Actor, body: Any) -> dict[str, Any]:
    """Queue the migration of a version's active routes; the worker runs it (`run`)."""
    require_admin(actor)
    asked = parse(MigrationBatchRequest, body)
    batch_id = _create(ctx, actor, asked)
    ctx.jobs.migrate_batch(batch_id)
    return batch_view(ctx, actor, batch_id)


def _create(ctx: ServiceContext, actor: Actor, asked: MigrationBatchRequest) -> int:
    with ctx.uow() as uow:
        s = uow.session
        for spec_id in (asked.from_spec_id, asked.to_spec_id):
            if s.get(WorkflowSpec, spec_id) is None:
                raise NotFound(f"Версии схемы № {spec_id} нет")
        if asked.from_spec_id == asked.to_spec_id:
            raise RouteNotMigratable("Выберите другую версию: маршруты уже на этой")
        batch = MigrationBatch(from_spec_id=asked.from_spec_id, to_spec_id=asked.to_spec_id, stage=asked.stage,
                               mapping=dict(asked.mapping), reason=asked.reason.strip()[:2000], state=JobState.QUEUED,
                               requested_by_id=actor.user_id or None, requested_at=job_rows.now(), report=[])
        s.add(batch)
        uow.commit()
        return batch.id


def batch_view(ctx: ServiceContext, actor: Actor, batch_id: int) -> dict[str, Any]:
    require_admin(actor)
    with ctx.uow() as uow:
        s = uow.session
        batch = s.get(MigrationBatch, batch_id)
        if batch is None:
            raise NotFound("Такого пакетного перевода нет")
        return _view(batch, _hashes(s, batch.from_spec_id, batch.to_spec_id))


def recent(ctx: ServiceContext, actor: Actor, limit: int = 20) -> list[dict[str, Any]]:
    """The latest batches, newest first, without their reports."""
    require_admin(actor)
    with ctx.uow() as uow:
        s = uow.session
        rows = s.scalars(sa.select(MigrationBatch).order_by(MigrationBatch.id.desc()).limit(limit)).all()
        hashes = _hashes(s, *{r.from_spec_id for r in rows}, *{r.to_spec_id for r in rows}) if rows else {}
        return [_view(r, hashes, with_report=False) for r in rows]


def _write(ctx: ServiceContext, batch_id: int, **values: Any) -> None:
    with ctx.uow() as uow:
        uow.session.execute(sa.update(MigrationBatch).where(MigrationBatch.id == batch_id).values(**values))
        uow.commit()


def run(ctx: ServiceContext, batch_id: int, echo=None) -> bool:
    """Run a queued batch (the worker's task; the CLI runs it in place with `echo(done, total)`);
    False if it was not queued (another worker took it)."""
    with ctx.uow() as uow:
        s = uow.session
        batch = job_rows.take_queued(s, MigrationBatch, batch_id)
        uow.commit()
        if batch is None:
            return False
        ids = route_migration.routes_on(s, batch.from_spec_id, batch.stage)
        actor_id, to_spec_id, reason = batch.requested_by_id, batch.to_spec_id, batch.reason
        mapping = dict(batch.mapping)
    report: list[dict[str, Any]] = []
    migrated = failed = 0
    last = 0.0
    _write(ctx, batch_id, total=len(ids))
    try:
        for n, route_id in enumerate(ids, start=1):
            try:
                route_migration.apply_migration(ctx, actor_id, route_id, to_spec_id, mapping, reason, batch_id)
                report.append({"route_id": route_id, "ok": True, "reason": None})
                migrated += 1
            except ServiceError as exc:  # blocked, changed meanwhile (409), finished since: reported, not written
                report.append({"route_id": route_id, "ok": False, "reason": exc.message})
                failed += 1
            if echo is not None:
                echo(n, len(ids))
            if time.monotonic() - last >= PROGRESS_EVERY_S or n == len(ids):
                last = time.monotonic()
                _write(ctx, batch_id, done=n, migrated=migrated, failed=failed, heartbeat_at=job_rows.now())
    except Exception as exc:  # the batch must end (failed, shown) whatever broke; the cause goes to the log
        log.exception("migration batch %s failed", batch_id)
        _write(ctx, batch_id, state=JobState.FAILED, report=report, migrated=migrated, failed=failed,
               error=f"Внутренняя ошибка перевода: {exc.__class__.__name__}", finished_at=job_rows.now())
        return True
    _write(ctx, batch_id, state=JobState.DONE, report=report, done=len(ids), migrated=migrated, failed=failed,
           finished_at=job_rows.now())
    return True


def run_here(ctx: ServiceContext, actor: Actor, body: Any, echo) -> dict[str, Any]:
    """The CLI: create the batch and run it in this process, telling `echo(done, total)`."""
    require_admin(actor)
    batch_id = _create(ctx, actor, parse(MigrationBatchRequest, body))
    run(ctx, batch_id, echo)
    return batch_view(ctx, actor, batch_id)
