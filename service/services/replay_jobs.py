"""Replays off the request: a replay with documents of a long route takes minutes, so the request
only asks for it and the background worker runs it (service/jobs.py), writing its progress as it
goes. The result is kept by the route's chain head (table replay_results): asking again for the
same head is answered at once, and a new event — a new head — makes the kept one stale by itself.

Job bookkeeping uses the wall clock (`job_rows.now`), not `ctx.clock`: it is operations, not history."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from service.db.models import ReplayResult, Route
from service.domain.access import Actor, require_auditor
from service.domain.errors import ConcurrentUpdate, NotFound, ServiceError
from service.domain.states import JobState
from service.services import audit_replay, job_rows
from service.services.context import ServiceContext

log = logging.getLogger("iom.jobs")

LOST_AFTER = timedelta(minutes=5)  # a queued or running job silent this long was lost (worker killed): run again
PROGRESS_EVERY_S = 0.5  # progress rows written at most this often
ROUTE_CHANGED = "Маршрут изменился во время повтора; запросите повтор ещё раз"



def _view(job: ReplayResult, head: str | None, with_result: bool = True) -> dict[str, Any]:
    """A job as the API and the page show it; `head` is the route's chain head now."""
    out = {"id": job.id, "route_id": job.route_id, "documents": job.documents, "chain_head": job.chain_head,
           "current": job.chain_head == head, "state": job.state, "done": job.done, "total": job.total,
           "percent": 100 if job.state == JobState.DONE else (100 * job.done // job.total if job.total else 0),
           "requested_at": job_rows.iso(job.requested_at), "started_at": job_rows.iso(job.started_at),
           "finished_at": job_rows.iso(job.finished_at), "error": job.error}
    if with_result and job.state == JobState.DONE:
        out["result"] = job.result
    return out


def _lost(job: ReplayResult, now: datetime) -> bool:
    seen = job.heartbeat_at or job.started_at or job.requested_at
    return job.state in (JobState.QUEUED, JobState.RUNNING) and now - seen > LOST_AFTER


def _route_head(s, route_id: int) -> str:
    route = s.get(Route, route_id)
    if route is None:
        raise NotFound("Маршрут не найден")
    return route.chain_head or ""


def _claim(ctx: ServiceContext, actor: Actor, route_id: int, documents: bool, again: bool) -> tuple[int, bool]:
    """The job for the route's current head (made if missing, reset if lost, failed or `again`);
    True when the caller must hand it to the worker."""
    now = job_rows.now()
    with ctx.uow() as uow:
        s = uow.session
        head = _route_head(s, route_id)
        job = s.scalar(sa.select(ReplayResult).where(ReplayResult.route_id == route_id,
                                                     ReplayResult.chain_head == head,
                                                     ReplayResult.documents == documents))
        if job is None:
            s.execute(sa.delete(ReplayResult).where(ReplayResult.route_id == route_id,
                                                    ReplayResult.documents == documents))  # older heads
            job = ReplayResult(route_id=route_id, chain_head=head, documents=documents, state=JobState.QUEUED,
                               requested_by_id=actor.user_id or None, requested_at=now)
            s.add(job)
            uow.commit()
            return job.id, True
        rerun = job.state == JobState.FAILED or _lost(job, now) or (again and job.state == JobState.DONE)
        if not rerun:
            return job.id, False
        reset = s.execute(sa.update(ReplayResult).where(ReplayResult.id == job.id, ReplayResult.state == job.state,
                                                         ReplayResult.requested_at == job.requested_at)
                          .values(state=JobState.QUEUED, done=0, total=0, result=None, error=None, requested_at=now,
                                  requested_by_id=actor.user_id or None, started_at=None, heartbeat_at=None,
                                  finished_at=None))
        uow.commit()
        return job.id, reset.rowcount == 1  # 0: another request reset it a moment ago and handed it over


def request_replay(ctx: ServiceContext, actor: Actor, route_id: int, *, documents: bool,
                   again: bool = False) -> dict[str, Any]:
    """The replay of the route as it is now: the kept result, or the job that will give it (handed
    to the worker if nobody did). `again` runs a finished one anew (a check is only as fresh as its
    run: the stored rows may have been changed since without a new event)."""
    require_auditor(actor)
    try:
        job_id, start = _claim(ctx, actor, route_id, documents, again)
    except ConcurrentUpdate:  # another request made the row first: theirs is ours
        job_id, start = _claim(ctx, actor, route_id, documents, False)
    if start:
        ctx.jobs.replay(job_id)
    return job_view(ctx, actor, route_id, job_id)


def job_view(ctx: ServiceContext, actor: Actor, route_id: int, job_id: int) -> dict[str, Any]:
    """A replay job of the route: its state and progress, and its result once done."""
    require_auditor(actor)
    with ctx.uow() as uow:
        s = uow.session
        job = s.get(ReplayResult, job_id)
        if job is None or job.route_id != route_id:
            raise NotFound("Такого повтора нет (маршрут получил новые события, и повтор пора запросить снова)")
        return _view(job, _route_head(s, route_id))


def latest(ctx: ServiceContext, actor: Actor, route_id: int, documents: bool = True) -> dict[str, Any] | None:
    """The kept replay of the route (of any head: `current` says whether it is of the head now), or None."""
    require_auditor(actor)
    with ctx.uow() as uow:
        s = uow.session
        job = s.scalar(sa.select(ReplayResult).where(ReplayResult.route_id == route_id,
                                                     ReplayResult.documents == documents)
                       .order_by(ReplayResult.requested_at.desc()).limit(1))
        return None if job is None else _view(job, _route_head(s, route_id))


class _Progress:
    """Writes a running job's progress (and so its heartbeat), at most every PROGRESS_EVERY_S."""

    def __init__(self, ctx: ServiceContext, job_id: int, echo=None):
        self.ctx, self.job_id, self.echo, self._last = ctx, job_id, echo, 0.0

    def __call__(self, done: int, total: int) -> None:
        if self.echo is not None:
            self.echo(done, total)
        if time.monotonic() - self._last < PROGRESS_EVERY_S and done < total:
            return
        self._last = time.monotonic()
        with self.ctx.uow() as uow:
            uow.session.execute(sa.update(ReplayResult).where(ReplayResult.id == self.job_id)
                                .values(done=done, total=total, heartbeat_at=job_rows.now()))
            uow.commit()


def _finish(ctx: ServiceContext, job_id: int, **values: Any) -> None:
    with ctx.uow() as uow:
        uow.session.execute(sa.update(ReplayResult)
                            .where(ReplayResult.id == job_id, ReplayResult.state == JobState.RUNNING)
                            .values(finished_at=job_rows.now(), **values))
        uow.commit()


def run(ctx: ServiceContext, job_id: int, echo=None) -> bool:
    """Run a queued job (the worker's task; the CLI runs it in place with `echo(done, total)`);
    False if it was not queued (another worker took it, or it is gone)."""
    with ctx.uow() as uow:
        s = uow.session
        job = job_rows.take_queued(s, ReplayResult, job_id)
        uow.commit()
        if job is None:
            return False
        route_id, head, documents = job.route_id, job.chain_head, job.documents
    try:
        result = audit_replay.replay_route(ctx, route_id, documents=documents, progress=_Progress(ctx, job_id, echo))
        with ctx.uow() as uow:
            changed = _route_head(uow.session, route_id) != head
    except ServiceError as exc:
        _finish(ctx, job_id, state=JobState.FAILED, error=exc.message)
        return True
    except Exception as exc:  # the job must end (failed, shown) whatever broke; the cause goes to the log
        log.exception("replay job %s of route %s failed", job_id, route_id)
        _finish(ctx, job_id, state=JobState.FAILED, error=f"Внутренняя ошибка повтора: {exc.__class__.__name__}")
        return True
    if changed:
        _finish(ctx, job_id, state=JobState.FAILED, error=ROUTE_CHANGED)
    else:
        _finish(ctx, job_id, state=JobState.DONE, result=result)
    return True


def replay_here(ctx: ServiceContext, actor: Actor, route_id: int, *, documents: bool, echo,
                wait_s: float = 0.5) -> dict[str, Any]:
    """Replay the route now in this process (the CLI), telling `echo(done, total)` as it goes; a
    replay of the same head already running in the worker is followed instead of run twice. The
    result is kept as the worker's would be. Returns the finished job."""
    require_auditor(actor)
    try:
        job_id, _ = _claim(ctx, actor, route_id, documents, True)
    except ConcurrentUpdate:
        job_id, _ = _claim(ctx, actor, route_id, documents, False)
    while True:
        job = job_view(ctx, actor, route_id, job_id)
        if job["state"] in (JobState.DONE, JobState.FAILED):
            return job
        if job["state"] == JobState.QUEUED:
            run(ctx, job_id, echo)  # the worker's queued message then finds it taken and does nothing
            continue
        echo(job["done"], job["total"])
        time.sleep(wait_s)
