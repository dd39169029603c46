"""What the auditor's page of a route shows: the route, its events, verification, replay, and the
route as it stood after one event (open tasks with their titles and assignees, card, documents)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.db.models import Task, User
from service.domain.access import Actor, require_auditor
from service.services import audit, audit_replay, replay_jobs, views
from service.services.context import ServiceContext


def _open_tasks(ctx: ServiceContext, state: dict[str, Any]) -> list[dict[str, Any]]:
    """The open tasks as of the state, with their titles and assignees' names."""
    tasks = state.get("open_tasks", [])
    if not tasks:
        return []
    with ctx.uow() as uow:
        s = uow.session
        titles = dict(s.execute(sa.select(Task.id, Task.title)
                                .where(Task.id.in_([t["task_id"] for t in tasks]))).all())
        names = dict(s.execute(sa.select(User.id, User.full_name)
                               .where(User.id.in_([t["assignee_id"] for t in tasks]))).all())
    return [{**t, "title": titles.get(t["task_id"], t["name"]), "assignee": names.get(t["assignee_id"], "—")}
            for t in tasks]


def audit_page(ctx: ServiceContext, actor: Actor, route_id: int, seq: int | None) -> dict[str, Any]:
    """Everything the page needs; `seq` is the event asked for (clamped to the history; the last
    one when None)."""
    require_auditor(actor)
    route = views.route_view(ctx, actor, route_id)
    events = views.route_events(ctx, actor, route_id)
    last = events[-1]["seq"]
    seq = last if seq is None else min(max(seq, 1), last)
    replayed = audit_replay.replay(ctx, actor, route_id)
    report = audit.verify_route(ctx, actor, route_id)  # reads and hashes the stored bytes, once
    as_of = audit_replay.as_of(ctx, actor, route_id, seq, replayed,  # the last event: no second replay
                               hashed=report.content_sha256)
    state = as_of.get("state") or {}
    return {"route": route, "events": events, "seq": seq, "last": last, "report": report.as_dict(),
            "replayed": replayed, "as_of": as_of, "state": state,
            "replay_job": replay_jobs.latest(ctx, actor, route_id, documents=True),
            "open_tasks": _open_tasks(ctx, state), "documents": state.get("documents", [])}
