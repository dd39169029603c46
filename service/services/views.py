"""Read models: what the API and pages show. Plain dicts of JSON values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from service.db.models import Document, Event, OrgUnit, Route, RouteState, Task, User
from service.domain.access import Actor, may_audit, require_view_route
from service.domain.errors import NotAllowed, NotFound
from service.domain.route_rules import STAGE_TITLES, is_return
from service.services import audit, delegated, documents, timers
from service.services.calendar import calendar_for
from service.services.context import ServiceContext
from service.services.deployments import loaded_spec
from service.services.routes import facts, load_task
from service.tasks.card import PLAN_SECTIONS


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _names(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all())


def _task_row(task: Task, names: dict[int, str], now: datetime, waited) -> dict[str, Any]:
    """`waited(created_at, now)`: "waiting N days" in working days (service/services/calendar.py)."""
    return {
        "id": task.id, "route_id": task.route_id, "name": task.name, "title": task.title, "form": task.form,
        "role": task.role, "stage": task.stage, "state": task.state,
        "assignee": {"id": task.assignee_id, "name": names.get(task.assignee_id)},
        "created_at": _iso(task.created_at), "due_at": _iso(task.due_at),
        "waiting_days": waited(task.created_at, now) if task.state == "ready" else None,
        "completed_at": _iso(task.completed_at),
        "completed_by": ({"id": task.completed_by_id, "name": names.get(task.completed_by_id)}
                         if task.completed_by_id else None),
    }


def _waited(ctx: ServiceContext, session):
    """Working days a thing created at `since` has waited by `now`, in the region's calendar."""
    calendar = calendar_for(session)
    return lambda since, now: calendar.working_days_between(since, now, ctx.timezone)


def _route_ref(route_id: int, title: str, stage: str, teacher_id: int,
               names: dict[int, str]) -> dict[str, Any]:
    teacher = {"id": teacher_id, "name": names.get(teacher_id)}
    return {"id": route_id, "title": title, "stage": stage, "teacher": teacher}


def visible_route(session, actor: Actor, route_id: int, *, card: bool = False) -> Route:
    """The route if the actor may see it; `card`: its card read in the same query."""
    route = session.get(Route, route_id, options=[undefer(Route.card)] if card else None)
    if route is None:
        raise NotFound("Маршрут не найден")
    require_view_route(actor, facts(route))
    return route


def route_view(ctx: ServiceContext, actor: Actor, route_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        return route_view_of(ctx, s, visible_route(s, actor, route_id, card=True))


def route_page(ctx: ServiceContext, actor: Actor, route_id: int) -> dict[str, Any]:
    """What the route's page shows: `route_view`, `route_events` and `route_documents`, with the
    route read once, in one session."""
    with ctx.uow() as uow:
        s = uow.session
        route = visible_route(s, actor, route_id, card=True)
        return {"route": route_view_of(ctx, s, route),
                "events": events_shown(s, audit.route_events(s, route.id), devices=may_audit(actor)),
                "documents": _documents_of(s, route)}


def route_header(s, route: Route) -> dict[str, Any]:
    """What a page about one route says of it in its heading (the audit page): title, stage, teacher."""
    return {"id": route.id, "title": route.title, "status": route.status, "stage": route.stage,
            "stage_title": STAGE_TITLES.get(route.stage, route.stage),
            "teacher": {"id": route.teacher_id, "name": _names(s, [route.teacher_id]).get(route.teacher_id)}}


def route_view_of(ctx: ServiceContext, s, route: Route) -> dict[str, Any]:
    """`route_view` of a route the caller loaded (and may see), in the caller's session."""
    tasks = s.scalars(sa.select(Task).where(Task.route_id == route.id, Task.state == "ready")
                      .order_by(Task.created_at, Task.name)).all()
    names = _names(s, [route.teacher_id, route.tutor_id, route.methodist_id, *(t.assignee_id for t in tasks)])
    units = dict(s.execute(sa.select(OrgUnit.id, OrgUnit.name)
                           .where(OrgUnit.id.in_([route.school_id, route.centre_id]))).all())
    next_id = s.scalar(sa.select(Route.id).where(Route.previous_route_id == route.id))
    now, waited = ctx.clock(), _waited(ctx, s)
    state = s.execute(sa.select(RouteState.data, RouteState.version)  # not the engine state: unused here
                      .where(RouteState.route_id == route.id)).first()
    titles = {t.id: t.title for t in tasks}
    return {
        "id": route.id, "title": route.title, "status": route.status, "stage": route.stage,
        "stage_title": STAGE_TITLES.get(route.stage, route.stage),
        "teacher": {"id": route.teacher_id, "name": names.get(route.teacher_id)},
        "tutor": {"id": route.tutor_id, "name": names.get(route.tutor_id)},
        "methodist": {"id": route.methodist_id, "name": names.get(route.methodist_id)},
        "school": {"id": route.school_id, "name": units.get(route.school_id)},
        "centre": {"id": route.centre_id, "name": units.get(route.centre_id)},
        "card": route.card, "data": state.data if state else {},
        "open_tasks": [_task_row(t, names, now, waited) for t in tasks],
        "waiting_for": sorted({names.get(t.assignee_id) for t in tasks}),
        "previous_route_id": route.previous_route_id, "next_route_id": next_id,
        "created_at": _iso(route.created_at), "started_on": _iso(route.started_on),
        "ended_on": _iso(route.ended_on), "version": state.version if state else None,
        "timers": [{"name": t.name, "title": t.title, "kind": t.kind, "task_id": t.task_id,
                    "task_name": t.task_name, "task_title": titles.get(t.task_id, t.task_name),
                    "fire_at": _iso(t.fire_at)} for t in timers.armed(s, route.id)],
    }


# Event data that identifies a signer's device (document_signed, signature_rejected): only
# auditors and admins see it; everyone else who may view the route sees who did what and when.
DEVICE_KEYS = frozenset({"ip", "user_agent"})


def _event_data(data: Any, devices: bool) -> Any:
    if devices or not isinstance(data, dict) or not DEVICE_KEYS & data.keys():
        return data
    return {k: v for k, v in data.items() if k not in DEVICE_KEYS}


def route_events(ctx: ServiceContext, actor: Actor, route_id: int) -> list[dict[str, Any]]:
    """The route's history, oldest first; device details only for auditors and admins."""
    with ctx.uow() as uow:
        s = uow.session
        route = visible_route(s, actor, route_id)
        return events_shown(s, audit.route_events(s, route.id), devices=may_audit(actor))


def events_shown(s, events: list[Event], *, devices: bool) -> list[dict[str, Any]]:
    """`route_events` of events the caller loaded, with the names of who acted."""
    names = _names(s, [e.actor_id for e in events] + [e.on_behalf_of_id for e in events])
    return [{
        "seq": e.seq, "at": _iso(e.at), "kind": e.kind, "task_id": e.task_id, "task_name": e.task_name,
        "actor": {"id": e.actor_id, "name": names.get(e.actor_id)} if e.actor_id else None,
        "on_behalf_of": ({"id": e.on_behalf_of_id, "name": names.get(e.on_behalf_of_id)}
                         if e.on_behalf_of_id else None),
        "data": _event_data(e.data, devices),
    } for e in events]


INBOX_LIMIT = 50  # tasks at once from the API by default
INBOX_PAGE = 20  # tasks on a page of /inbox: one screen, as the queue and the route list
INBOX_MAX_LIMIT = 200  # the most the API gives at once


def my_tasks(ctx: ServiceContext, actor: Actor, *, sort: str = "oldest",
             documents: bool = False) -> list[dict[str, Any]]:
    """All the actor's waiting tasks (see `inbox`; for callers that need the whole list)."""
    return inbox(ctx, actor, sort=sort, documents=documents, limit=None)["tasks"]


def inbox(ctx: ServiceContext, actor: Actor, *, sort: str = "oldest", documents: bool = False, page: int = 1,
          limit: int | None = INBOX_LIMIT) -> dict[str, Any]:
    """A page of the actor's waiting tasks with the route they belong to: oldest first, or
    (`sort="due"`) by due date, those without one last; the tasks others delegated to the actor
    come on the first page. `documents`: each row also says what it signs ("document":
    "Подпись: Карта ИОМ, версия 2", or None) and by how many days it is overdue ("overdue_days").
    "total" and "overdue" count the actor's own tasks and the delegated ones (index-only counts of
    the actor's tasks: ix_tasks_assignee_queue, ix_tasks_assignee_due); a page costs its rows."""
    from service.services.queues import overdue_days, queue_order
    from service.services.signing_labels import signing_labels

    page = max(page, 1)
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock()
        mine = [Task.assignee_id == actor.user_id, Task.state == "ready"]
        query = (sa.select(Task, Route.title, Route.teacher_id, Route.stage, Route.spec_id, User.full_name)
                 .join(Route, Route.id == Task.route_id).join(User, User.id == Route.teacher_id).where(*mine)
                 .order_by(*queue_order("due" if sort == "due" else "oldest")))
        if limit is not None:
            query = query.limit(limit + 1).offset((page - 1) * limit)
        rows = s.execute(query).all()
        has_more = limit is not None and len(rows) > limit
        rows = rows[:limit] if limit is not None else rows
        total, late, delegating = s.execute(sa.select(
            sa.select(sa.func.count()).select_from(Task).where(*mine).scalar_subquery(),
            sa.select(sa.func.count()).select_from(Task).where(*mine, Task.due_at < now).scalar_subquery(),
            delegated.in_force_count(ctx, actor.user_id, now))).one()
        names = {actor.user_id: actor.full_name, **{r.teacher_id: r.full_name for r in rows}}
        labels = signing_labels(ctx, s, [(r[0], r.spec_id) for r in rows]) if documents else {}
        calendar = calendar_for(s)
        waited = _waited(ctx, s)
        out = []
        for task, title, teacher_id, stage, _, _ in rows:
            item = _task_row(task, names, now, waited)
            item["route"] = _route_ref(task.route_id, title, stage, teacher_id, names)
            if documents:
                item["document"] = labels.get(task.id)
                item["overdue_days"] = overdue_days(task.due_at, now, calendar, ctx.timezone)
            out.append(item)
        # others' tasks delegated to the actor: a few more queries, for delegates only
        extra = _delegated_rows(ctx, s, actor, now, waited, calendar, documents) if delegating else []
        tasks = _merged(out, extra, sort) if extra and page == 1 else out
        late += sum(1 for t in extra if t["due_at"] is not None and datetime.fromisoformat(t["due_at"]) < now)
        return {"tasks": tasks, "page": page, "limit": limit, "has_more": has_more,
                "total": total + len(extra), "overdue": late}


def _delegated_rows(ctx: ServiceContext, s, actor: Actor, now, waited, calendar, documents: bool) -> list[dict]:
    """The tasks others delegated to the actor that are in force today, marked «за <ФИО>»."""
    from service.services.queues import overdue_days
    from service.services.signing_labels import signing_labels

    found = delegated.tasks_for(ctx, s, actor.user_id)
    if not found:
        return []
    names = _names(s, [*(t.assignee_id for t, _, _ in found), *(r.teacher_id for _, r, _ in found)])
    labels = signing_labels(ctx, s, [(t, r.spec_id) for t, r, _ in found]) if documents else {}
    out = []
    for task, route, d in found:
        item = _task_row(task, names, now, waited)
        item["route"] = _route_ref(route.id, route.title, route.stage, route.teacher_id, names)
        item["delegated_for"] = _delegated_for(ctx, d, names.get(task.assignee_id))
        if documents:
            item["document"] = labels.get(task.id)
            item["overdue_days"] = overdue_days(task.due_at, now, calendar, ctx.timezone)
        out.append(item)
    return out


def _delegated_for(ctx: ServiceContext, d, name: str | None) -> dict[str, Any]:
    return {"person": {"id": d.delegator_id, "name": name},
            "delegation": {"id": d.id, "granted_on": delegated.granted_on(ctx, d)}}


def _merged(own: list[dict], extra: list[dict], sort: str) -> list[dict]:
    """One list in the inbox's order (service/services/queues.py queue_order)."""
    if sort == "due":
        return sorted(own + extra, key=lambda t: (t["due_at"] is None, t["due_at"] or "", t["created_at"], t["id"]))
    return sorted(own + extra, key=lambda t: (t["created_at"], t["id"]))


def _remarks(s, task: Task) -> list[dict[str, Any]]:
    """The remarks this task must address: the return (a review or signature sent back) whose
    completion opened this very task. Later tasks of the route, and a task opened otherwise,
    show none: the remarks were addressed when the returned work was done again."""
    events = s.scalars(sa.select(Event).where(Event.route_id == task.route_id, Event.kind == "task_completed")
                       .order_by(Event.seq)).all()
    opener = next((e for e in reversed(events) if isinstance(e.data.get("opened"), list)
                   and any(isinstance(o, dict) and o.get("id") == task.id for o in e.data["opened"])), None)
    if opener is None or not isinstance(opener.data.get("submission"), dict) \
            or not is_return(opener.data["submission"]):
        return []
    names = _names(s, [opener.actor_id])
    return [{"by": names.get(opener.actor_id), "role": opener.data.get("role"), "task": opener.data.get("title"),
             "at": _iso(opener.at), "comment": opener.data["submission"].get("comment", "")}]


def task_view(ctx: ServiceContext, actor: Actor, task_id: str) -> dict[str, Any]:
    """One task with its form schema, what to prefill, the card and the remarks to address."""
    with ctx.uow() as uow:
        s = uow.session
        task, route = load_task(s, task_id)
        delegation = delegated.covering(ctx, s, actor.user_id, task, route) if task.state == "ready" else None
        if task.assignee_id != actor.user_id and not actor.is_admin and delegation is None:
            try:
                require_view_route(actor, facts(route))
            except NotAllowed:
                raise NotAllowed("Задача назначена другому участнику") from None
        names = _names(s, [task.assignee_id, task.completed_by_id, route.teacher_id])
        view = _task_row(task, names, ctx.clock(), _waited(ctx, s))
        view["route"] = _route_ref(route.id, route.title, route.stage, route.teacher_id, names)
        view["schema"] = ctx.forms.schema(task.form)
        view["card"] = route.card
        view["remarks"] = _remarks(s, task) if task.state == "ready" else []
        view["prefill"] = _prefill(ctx, s, task, route) if task.state == "ready" else None
        view["can_complete"] = task.state == "ready" and (task.assignee_id == actor.user_id or actor.is_admin
                                                          or delegation is not None)
        view["signs"] = _signing(ctx, s, task, route)
        if delegation is not None:
            view["delegated_for"] = _delegated_for(ctx, delegation, names.get(task.assignee_id))
        return view


def _signing(ctx: ServiceContext, s, task: Task, route: Route) -> dict[str, Any] | None:
    """For a signing task: the action and the document version to look at before signing."""
    spec = ctx.engine.human_tasks(loaded_spec(ctx, s, route.spec_id))[task.name]
    if not spec.signs:
        return None
    doc = documents.pending_document(s, route.id, spec.signs) if task.state == "ready" else None
    return {"kind": spec.signs, "action": spec.action,
            "document": documents.describe(s, doc, check_bytes=False) if doc is not None else None}


def route_documents(ctx: ServiceContext, actor: Actor, route_id: int) -> list[dict[str, Any]]:
    """Every version of every document of the route, oldest first, with the recorded hashes (three
    queries whatever the number of documents; the stored bytes are re-hashed by verification:
    /api/routes/<id>/verify, not on every view)."""
    with ctx.uow() as uow:
        s = uow.session
        return _documents_of(s, visible_route(s, actor, route_id))


def _documents_of(s, route: Route) -> list[dict[str, Any]]:
    docs = s.scalars(sa.select(Document).where(Document.route_id == route.id)
                     .order_by(Document.created_at, Document.id)).all()
    return documents.describe_all(s, list(docs))


def document_file(ctx: ServiceContext, actor: Actor, document_id: int, which: str) -> tuple[bytes, str]:
    """The bytes of a document version (`content` or `issued`) and a file name."""
    with ctx.uow() as uow:
        s = uow.session
        doc = s.get(Document, document_id)
        if doc is None:
            raise NotFound("Документ не найден")
        visible_route(s, actor, doc.route_id)
        data = doc.content if which == "content" else doc.issued
        if data is None:
            raise NotFound("Документ ещё не выпущен")
        suffix = "" if which == "issued" else "-na-podpis"
        return data, f"{doc.kind}-{doc.route_id}-v{doc.version}{suffix}.docx"


def _prefill(ctx: ServiceContext, s, task: Task, route: Route) -> dict[str, Any] | None:
    """Draft: the plan sections of the card. Others: the task's own earlier submission when the
    BPMN keeps it for revision (a refused correction), else nothing."""
    if task.form == "draft":
        from service.services.profiles import card_info  # the teacher's sheet as it is now

        plan = {k: route.card[k] for k in PLAN_SECTIONS if k in route.card}
        info = card_info(s, route.teacher_id)
        if info is not None:
            plan["info"] = info
        return ctx.forms.fit("draft", plan) if plan else None
    state = s.get(RouteState, route.id)
    spec_hash = loaded_spec(ctx, s, route.spec_id)
    data = ctx.engine.task_data(spec_hash, state.state, task.engine_task_id)
    return data.get(task.name)


def route_summary(ctx: ServiceContext, actor: Actor, route_id: int) -> dict[str, Any]:
    view = route_view(ctx, actor, route_id)
    return {"id": view["id"], "title": view["title"], "teacher": view["teacher"]["name"], "stage": view["stage"],
            "stage_title": view["stage_title"], "status": view["status"]}
