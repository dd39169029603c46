"""The BPMN diagram of a route with its position: now (for anyone who may see the route) or as
it stood after an event of its history (for auditors)."""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import quoteattr

import sqlalchemy as sa

from service.db.models import Event, Route, Task, WorkflowSpec
from service.domain.access import ROLE_TITLES, Actor, require_auditor, require_view_route
from service.domain.errors import NotFound
from service.domain.states import EventKind, TaskState
from service.services.context import ServiceContext
from service.services.routes import facts

_LANE_NAME = re.compile(r'(<(?:bpmn:)?lane\b[^>]*?\bname=)"([^"]*)"')


def russian_lanes(xml: str) -> str:
    """Lanes are named by role in the BPMN (`teacher`, `cnppm_head`): shown with the role's Russian
    title. Only what is drawn changes; the stored workflow version (and its hash) does not."""
    def title(m: re.Match) -> str:
        role = m.group(2)
        if role not in ROLE_TITLES:
            return m.group(0)
        return m.group(1) + quoteattr(ROLE_TITLES[role][:1].upper() + ROLE_TITLES[role][1:])
    return _LANE_NAME.sub(title, xml)


def _route_and_xml(session, route_id: int) -> tuple[Route, str]:
    """The route and the BPMN text of the version it runs on (lanes titled in Russian)."""
    route = session.get(Route, route_id)
    if route is None:
        raise NotFound("Маршрут не найден")
    files = session.get(WorkflowSpec, route.spec_id).files
    return route, russian_lanes(next(iter(files.values())))


def route_diagram(ctx: ServiceContext, actor: Actor, route_id: int) -> dict[str, Any]:
    """The BPMN the route runs on, with the tasks waiting now and those already done."""
    with ctx.uow() as uow:
        s = uow.session
        route, xml = _route_and_xml(s, route_id)
        require_view_route(actor, facts(route))
        tasks = s.execute(sa.select(Task.name, Task.state).where(Task.route_id == route_id)).all()
    return {"xml": xml, "current": sorted({n for n, st in tasks if st == TaskState.READY}),
            "done": sorted({n for n, st in tasks if st == TaskState.COMPLETED})}


def position(events: list[dict[str, Any]], upto: int) -> tuple[dict[str, str], set[str]]:
    """From the recorded events alone: the tasks open after event `upto` (id → name) and the
    names of the tasks completed up to it."""
    open_tasks: dict[str, str] = {}
    done: set[str] = set()
    for e in events:
        if e["seq"] > upto:
            break
        data = e["data"] or {}
        if e["kind"] == EventKind.ADMIN_CANCELLED:
            open_tasks.clear()
            continue
        if e["kind"] == EventKind.TASK_COMPLETED:
            open_tasks.pop(e["task_id"], None)
            done.add(e["task_name"])
        if e["kind"] in MOVES:
            for task_id in data.get("cancelled", []):
                open_tasks.pop(task_id, None)
        if e["kind"] in (EventKind.ROUTE_CREATED, *MOVES):
            open_tasks.update({t["id"]: t["name"] for t in data.get("opened", [])})
    return open_tasks, done


MOVES = (EventKind.TASK_COMPLETED, EventKind.ROUTE_MIGRATED, EventKind.ROUTE_MIGRATION_REVERTED)


def version_in_force(events: list[dict[str, Any]], upto: int) -> str | None:
    """The workflow version (content hash) the route ran on after event `upto`: the first event's,
    then each migration's target (a revert's target is the version it returned to)."""
    spec = None
    for e in events:
        if e["seq"] > upto:
            break
        data = e["data"] or {}
        if e["kind"] == EventKind.ROUTE_CREATED:
            spec = data.get("spec")
        elif e["kind"] in (EventKind.ROUTE_MIGRATED, EventKind.ROUTE_MIGRATION_REVERTED):
            spec = data.get("to") or spec
    return spec


def diagram_as_of(ctx: ServiceContext, actor: Actor, route_id: int, seq: int | None) -> dict[str, Any]:
    """The BPMN the route ran on, with the tasks open after event `seq` (the last one when None,
    clamped to the history) and those done by then."""
    require_auditor(actor)
    with ctx.uow() as uow:
        s = uow.session
        route, xml = _route_and_xml(s, route_id)
        rows = s.execute(sa.select(Event.seq, Event.kind, Event.task_id, Event.task_name, Event.data)
                         .where(Event.route_id == route_id).order_by(Event.seq)).all()
        events = [{"seq": r.seq, "kind": r.kind, "task_id": r.task_id, "task_name": r.task_name, "data": r.data}
                  for r in rows]
        last = events[-1]["seq"] if events else 0
        upto = last if seq is None else min(max(seq, 1), last)
        spec_hash = version_in_force(events, upto)
        then = s.scalar(sa.select(WorkflowSpec).where(WorkflowSpec.content_hash == spec_hash)) if spec_hash else None
        if then is not None and then.id != route.spec_id:  # a migration since: the version in force then
            xml = russian_lanes(next(iter(then.files.values())))
    open_tasks, done = position(events, upto)
    return {"xml": xml, "current": sorted(set(open_tasks.values())), "done": sorted(done),
            "version": spec_hash}
