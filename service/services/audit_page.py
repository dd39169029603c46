"""What the auditor's page of a route shows: the route, its events, verification, replay, and the
route as it stood after one event (open tasks with their titles and assignees, card, documents)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.db.models import Task, User
from service.domain.access import Actor, require_auditor
from service.services import audit, audit_replay, replay_jobs, views
from service.services.context import ServiceContext


def _open_tasks(s, state: dict[str, Any]) -> list[dict[str, Any]]:
    """The open tasks as of the state, with their titles and assignees' names."""
    tasks = state.get("open_tasks", [])
    if not tasks:
        return []
    titles = dict(s.execute(sa.select(Task.id, Task.title).where(Task.id.in_([t["task_id"] for t in tasks]))).all())
    names = dict(s.execute(sa.select(User.id, User.full_name)
                           .where(User.id.in_([t["assignee_id"] for t in tasks]))).all())
    return [{**t, "title": titles.get(t["task_id"], t["name"]), "assignee": names.get(t["assignee_id"], "—")}
            for t in tasks]


def audit_page(ctx: ServiceContext, actor: Actor, route_id: int, seq: int | None) -> dict[str, Any]:
    """Everything the page needs; `seq` is the event asked for (clamped to the history; the last
    one when None). One session: the route and its events are read once, for the history shown,
    the replay, the verification and the view as of the event."""
    require_auditor(actor)
    with ctx.uow() as uow:
        s = uow.session
        route = views.visible_route(s, actor, route_id, card=True)
        events = audit.route_events(s, route_id)
        shown = views.events_shown(s, events, devices=True)
        last = events[-1].seq
        seq = last if seq is None else min(max(seq, 1), last)
        chain = audit.chain_report(route, events)  # hashed once, for the replay and the verification
        replayed = audit_replay.replay_loaded(ctx, s, route, events, chain=chain)
        report = audit.check_loaded(s, route, events, chain=chain)  # reads and hashes the stored bytes, once
        as_of = audit_replay.as_of_loaded(ctx, s, route, events, seq, replayed,  # the last event: no second replay
                                          chain=chain, verified=report)
        state = as_of.get("state") or {}
        page = {"route": views.route_header(s, route), "events": shown, "seq": seq, "last": last,
                "report": report.as_dict(), "replayed": replayed, "as_of": as_of, "state": state,
                "open_tasks": _open_tasks(s, state), "documents": state.get("documents", [])}
    page["replay_job"] = replay_jobs.latest(ctx, actor, route_id, documents=True)
    return page
