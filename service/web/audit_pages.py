"""The auditor's page of a route: verification, replay, and the route step by step as it stood
after each event (open tasks, card, documents with their signatures, position on the diagram)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify, render_template, request

from service.db.models import Route, Task, User, WorkflowSpec
from service.documents.context import ACTIONS
from service.documents.contract import KINDS
from service.domain.access import ROLE_TITLES
from service.domain.errors import NotFound
from service.services import audit, audit_replay, views
from service.web.blueprint import bp, ctx, login_required, me
from service.web.route_page import EVENT_TITLES

DOCUMENT_STATES = {"awaiting_signatures": "на подписи", "issued": "выпущен", "superseded": "заменён"}


def _selected(events: list[dict[str, Any]]) -> int:
    """The event asked for (`?as_of=N`), within the route's events; the last one by default."""
    last = events[-1]["seq"]
    wanted = request.args.get("as_of", type=int)
    return last if wanted is None else min(max(wanted, 1), last)


def _position(events: list[dict[str, Any]], upto: int) -> tuple[dict[str, str], set[str]]:
    """From the recorded events alone: the tasks open after event `upto` (id → name) and the
    names of the tasks completed up to it."""
    open_tasks: dict[str, str] = {}
    done: set[str] = set()
    for e in events:
        if e["seq"] > upto:
            break
        data = e["data"] or {}
        if e["kind"] == "admin_cancelled":
            open_tasks.clear()
            continue
        if e["kind"] == "task_completed":
            open_tasks.pop(e["task_id"], None)
            done.add(e["task_name"])
            for task_id in data.get("cancelled", []):
                open_tasks.pop(task_id, None)
        if e["kind"] in ("route_created", "task_completed"):
            open_tasks.update({t["id"]: t["name"] for t in data.get("opened", [])})
    return open_tasks, done


def _what(e: dict[str, Any]) -> str:
    """One line for an event: what happened, on which task or document."""
    data = e["data"] or {}
    text = EVENT_TITLES.get(e["kind"], e["kind"])
    if data.get("title"):
        text += f": {data['title']}"
    elif e["kind"].startswith("document_") or e["kind"] == "signature_rejected":
        kind = KINDS.get(data.get("kind", ""), "")
        if kind:
            text += f": {kind}" + (f", версия {data['version']}" if data.get("version") else "")
    elif e["kind"] == "admin_reassigned" and e["task_name"]:
        text += f": {e['task_name']}"
    submission = data.get("submission") or {}
    if isinstance(submission, dict) and submission.get("decision") == "return":
        text += f" — возвращено: {submission.get('comment', '')}"
    if e["kind"].startswith("admin_") and data.get("reason"):
        text += f" — причина: {data['reason']}"
    return text


def _open_tasks(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The open tasks as of the state, with their titles and assignees' names."""
    tasks = state.get("open_tasks", [])
    if not tasks:
        return []
    with ctx().uow() as uow:
        s = uow.session
        titles = dict(s.execute(sa.select(Task.id, Task.title)
                                .where(Task.id.in_([t["task_id"] for t in tasks]))).all())
        names = dict(s.execute(sa.select(User.id, User.full_name)
                               .where(User.id.in_([t["assignee_id"] for t in tasks]))).all())
    return [{**t, "title": titles.get(t["task_id"], t["name"]), "assignee": names.get(t["assignee_id"], "—")}
            for t in tasks]


@bp.get("/routes/<int:route_id>/audit")
@login_required
def route_audit(route_id: int):
    """Verification, replay and the route as of one event (an auditor's or an admin's page)."""
    audit.require_auditor(me())
    view = views.route_view(ctx(), me(), route_id)
    events = views.route_events(ctx(), me(), route_id)
    seq = _selected(events)
    as_of = audit_replay.as_of(ctx(), route_id, seq)
    state = as_of.get("state") or {}
    for e in events:
        e["what"] = _what(e)
    return render_template(
        "web/audit.html", route=view, events=events, seq=seq, last=events[-1]["seq"],
        report=audit.verify_route(ctx(), route_id).as_dict(), replayed=audit_replay.replay(ctx(), route_id),
        as_of=as_of, state=state, open_tasks=_open_tasks(state), documents=state.get("documents", []),
        document_states=DOCUMENT_STATES, action_titles=ACTIONS, role_titles=ROLE_TITLES, active="routes")


@bp.get("/routes/<int:route_id>/audit/diagram.json")
@login_required
def audit_diagram(route_id: int):
    """The BPMN the route ran on, with the tasks open after event `?as_of=N` and those done by then."""
    audit.require_auditor(me())
    events = views.route_events(ctx(), me(), route_id)
    open_tasks, done = _position(events, _selected(events))
    with ctx().uow() as uow:
        route = uow.session.get(Route, route_id)
        if route is None:
            raise NotFound("Маршрут не найден")
        files = uow.session.get(WorkflowSpec, route.spec_id).files
    current = set(open_tasks.values())
    return jsonify({"xml": next(iter(files.values())), "current": sorted(current),
                    "done": sorted(done)})
