"""Queues and lists for the pages: what waits for me, which routes I may see, what I completed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.sql.util import find_tables

from service.db.models import Document, Event, Route, Task, User
from service.domain.access import Actor
from service.domain.route_rules import STAGE_TITLES
from service.domain.states import DocumentState, EventKind, TaskState
from service.services import route_search, school_names
from service.services.calendar import calendar_for
from service.services.context import ServiceContext

PER_PAGE = 20
BULK_FORMS = {"review"}  # agreement and approval can be given for several routes at once
SORTS = ("oldest", "newest", "due")  # waiting longest first (default), newest first, nearest due date first


@dataclass(frozen=True)
class QueueFilter:
    stage: str | None = None
    school_id: int | None = None
    tutor_id: int | None = None
    min_days: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "oldest"
    overdue: bool = False
    page: int = 1


def mine(actor: Actor, state: str | None = None):
    """Tasks assigned to the actor, and, for a deputy head, those waiting for their school's head;
    `state` goes into each branch of the OR, so that each is served by its own index
    (ix_tasks_assignee_queue, ix_tasks_school_queue) rather than one scan of every task in the state."""
    deputy_schools = [u for r, u in actor.grants if r == "deputy_head" and u is not None]
    in_state = [Task.state == state] if state else []
    clause = sa.and_(Task.assignee_id == actor.user_id, *in_state)
    if deputy_schools:
        clause = sa.or_(clause, sa.and_(Task.school_id.in_(deputy_schools), *in_state, Task.role == "school_head"))
    return clause


def queue_conditions(actor: Actor, f: QueueFilter, now: datetime, calendar=None, zone: str = "Europe/Moscow") -> list:
    """The WHERE of the actor's queue under the filter, without the stage and the overdue flag
    (the page counts per stage and overdue over these). With the region's `calendar`, "waiting at
    least N days" counts working days (service/domain/calendar.py), else calendar days."""
    base = [mine(actor, TaskState.READY)]
    if f.school_id:
        base.append(Task.school_id == f.school_id)
    if f.tutor_id:
        base.append(Route.tutor_id == f.tutor_id)
    if f.min_days and calendar is not None:
        base.append(Task.created_at < calendar.waiting_cutoff(now, f.min_days, zone))
    elif f.min_days:
        base.append(Task.created_at <= now - timedelta(days=f.min_days))
    if f.date_from:
        base.append(Task.created_at >= datetime.combine(f.date_from, time.min, tzinfo=now.tzinfo))
    if f.date_to:
        base.append(Task.created_at < datetime.combine(f.date_to + timedelta(days=1), time.min, tzinfo=now.tzinfo))
    return base


def narrowed(base: list, f: QueueFilter, now: datetime) -> list:
    """The base conditions plus the stage and the overdue-only flag."""
    return (base + ([Task.stage == f.stage] if f.stage else [])
            + ([Task.due_at.is_not(None), Task.due_at < now] if f.overdue else []))


def queue_order(sort: str) -> tuple:
    """ORDER BY of a queue: by waiting time (oldest or newest first) or by due date (none last)."""
    if sort == "newest":
        return (Task.created_at.desc(), Task.id)
    if sort == "due":
        # NULLS LAST, not a CASE: PostgreSQL then reads the order from the (assignee, state, due_at) index
        return (Task.due_at.asc().nulls_last(), Task.created_at.asc(), Task.id)
    return (Task.created_at.asc(), Task.id)


def overdue_days(due_at: datetime | None, now: datetime, calendar=None, zone: str = "Europe/Moscow") -> int | None:
    """Days past the due date, at least 1 once it has passed; None when not overdue. With the
    region's `calendar`: working days after the due date's day up to today, else whole days."""
    if due_at is None or due_at >= now:
        return None
    if calendar is not None:
        return max(1, calendar.working_days_between(due_at, now, zone))
    return max(1, (now - due_at).days)


def _pending_karta(s, route_ids: set[int]) -> dict[int, str]:
    """route id → SHA-256 of the Карта ИОМ awaiting signatures (what a bulk signature signs)."""
    if not route_ids:
        return {}
    return dict(s.execute(sa.select(Document.route_id, Document.content_sha256).where(
        Document.route_id.in_(route_ids), Document.kind == "karta",
        Document.state == DocumentState.AWAITING_SIGNATURES)).all())


REACH_KEPT_S = 60.0  # the longest a process shows a queue's filter lists without reading them again


def _reach(ctx: ServiceContext, s, actor: Actor) -> tuple[list[tuple[int, str]], set[int]]:
    """The tutors (id, name by name) and schools of the routes in my queue: the filters list only
    these — no one outside my reach, and not a region's thousand schools. Reading them joins every
    task of the queue to its route (1,600 for a centre head: ~8 ms), so a process keeps them while
    the queue stays the same (its size and newest task, read from the queue's index) and for a
    minute at most."""
    queue_now = tuple(s.execute(sa.select(sa.func.count(), sa.func.max(Task.created_at))
                                .where(mine(actor, TaskState.READY))).one())
    key, now = (actor.user_id, actor.grants), monotonic()
    kept = ctx.queue_reach.get(key)
    if kept is not None and kept[0] == queue_now and now < kept[1]:
        return kept[2]
    reach = s.execute(sa.select(Route.tutor_id, Route.school_id).join(Task, Task.route_id == Route.id)
                      .where(mine(actor, TaskState.READY)).distinct()).all()
    tutor_ids = {t for t, _ in reach if t is not None}
    tutors = sorted(s.execute(sa.select(User.id, User.full_name).where(User.id.in_(tutor_ids))).all(),
                    key=lambda t: (t[1], t[0])) if tutor_ids else []
    found = (tutors, {school for _, school in reach})
    if len(ctx.queue_reach) >= 1000:
        ctx.queue_reach.clear()
    ctx.queue_reach[key] = (queue_now, now + REACH_KEPT_S, found)
    return found


def queue(ctx: ServiceContext, actor: Actor, f: QueueFilter) -> dict[str, Any]:
    now = ctx.clock()
    with ctx.uow() as uow:
        s = uow.session
        calendar = calendar_for(s)
        base = queue_conditions(actor, f, now, calendar, ctx.timezone)
        # one pass over the queue gives the count per stage, the overdue ones, and the filtered total
        late = sa.and_(Task.due_at.is_not(None), Task.due_at < now)
        counting = sa.select(Task.stage, sa.func.count(), sa.func.count().filter(late))
        if any(Route.__table__ in find_tables(c, check_columns=True) for c in base):  # else the tasks alone
            counting = counting.join(Route, Route.id == Task.route_id)
        per_stage = {stage: (n, n_late) for stage, n, n_late in s.execute(counting.where(*base).group_by(Task.stage))}
        counts = {stage: n for stage, (n, _) in per_stage.items()}
        chosen = [v for stage, v in per_stage.items() if not f.stage or stage == f.stage]
        overdue_total = sum(n_late for _, n_late in chosen)
        total = overdue_total if f.overdue else sum(n for n, _ in chosen)
        where = narrowed(base, f, now)
        teacher, tutor, assignee = aliased(User), aliased(User), aliased(User)
        rows = s.execute(sa.select(Task, Route, teacher.full_name, tutor.full_name, assignee.full_name)
                         .join(Route, Route.id == Task.route_id)
                         .outerjoin(teacher, teacher.id == Route.teacher_id)
                         .outerjoin(tutor, tutor.id == Route.tutor_id)
                         .outerjoin(assignee, assignee.id == Task.assignee_id).where(*where)
                         .order_by(*queue_order(f.sort)).limit(PER_PAGE)
                         .offset((max(f.page, 1) - 1) * PER_PAGE)).all()
        tutors, reach_schools = _reach(ctx, s, actor)
        region_schools = school_names.school_names(ctx, s, covering={r.school_id for _, r, *_ in rows})
        schools = dict(region_schools)
        bulk = {t.route_id for t, *_ in rows if t.form in BULK_FORMS and t.assignee_id == actor.user_id}
        pending = _pending_karta(s, bulk)
        items = []
        for task, route, teacher_name, tutor_name, assignee_name in rows:
            late = overdue_days(task.due_at, now, calendar, ctx.timezone)
            items.append({
                "task_id": task.id, "task_title": task.title, "form": task.form, "stage": task.stage,
                "stage_title": STAGE_TITLES.get(task.stage, task.stage), "route_id": route.id,
                "route_title": route.title, "teacher": teacher_name, "tutor": tutor_name,
                "school": schools.get(route.school_id), "assignee": assignee_name,
                "mine": task.assignee_id == actor.user_id, "created_at": task.created_at, "due_at": task.due_at,
                "waiting_days": calendar.working_days_between(task.created_at, now, ctx.timezone),
                "overdue": late is not None, "overdue_days": late,
                "bulk_sha256": pending.get(route.id) if route.id in bulk else None,
            })
        return {"items": items, "total": total, "counts": counts, "overdue": overdue_total, "page": max(f.page, 1),
                "pages": max(1, -(-total // PER_PAGE)),
                "schools": [(i, name) for i, name in region_schools if i in reach_schools], "tutors": tutors,
                "stage_titles": STAGE_TITLES}


def _decision_titles(ctx: ServiceContext, form: str) -> dict[str, str]:
    """decision value → its Russian title, from the form's JSON Schema (x-enum-titles)."""
    try:
        prop = ctx.forms.schema(form).get("properties", {}).get("decision", {})
    except LookupError:  # a form no longer shipped: show the task title only
        return {}
    return dict(zip(prop.get("enum", []), prop.get("x-enum-titles", []), strict=False))


def completed_by_me(ctx: ServiceContext, actor: Actor, page: int = 1) -> dict[str, Any]:
    """The tasks the actor completed, newest first, with the decision they took where the form has one."""
    page = max(page, 1)
    with ctx.uow() as uow:
        s = uow.session
        where = [Task.completed_by_id == actor.user_id, Task.state == TaskState.COMPLETED]
        total = s.scalar(sa.select(sa.func.count()).select_from(Task).where(*where))
        rows = s.execute(sa.select(Task, Route.title, Route.teacher_id).join(Route, Route.id == Task.route_id)
                         .where(*where).order_by(Task.completed_at.desc(), Task.id)
                         .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
        task_ids = [t.id for t, _, _ in rows]
        route_ids = {t.route_id for t, _, _ in rows}  # by route: uq_events_route_seq (no index on task_id)
        events = s.execute(sa.select(Event.task_id, Event.data).where(
            Event.route_id.in_(route_ids), Event.task_id.in_(task_ids),
            Event.kind == EventKind.TASK_COMPLETED)).all() if task_ids else []
        decisions = {tid: data.get("submission", {}).get("decision") for tid, data in events
                     if isinstance(data, dict) and isinstance(data.get("submission"), dict)}
        teachers = {tid for _, _, tid in rows}
        names = dict(s.execute(sa.select(User.id, User.full_name).where(User.id.in_(teachers))).all()) \
            if teachers else {}
        titles: dict[str, dict[str, str]] = {}
        items = []
        for task, route_title, teacher_id in rows:
            if task.form not in titles:
                titles[task.form] = _decision_titles(ctx, task.form)
            decision = decisions.get(task.id)
            items.append({"task_id": task.id, "task_title": task.title, "route_id": task.route_id,
                          "route_title": route_title, "teacher": names.get(teacher_id),
                          "stage_title": STAGE_TITLES.get(task.stage, task.stage), "completed_at": task.completed_at,
                          "decision": titles[task.form].get(decision) if decision else None,
                          "returned": decision == "return"})
        return {"items": items, "total": total, "page": page, "pages": max(1, -(-total // PER_PAGE))}


def _visible(actor: Actor):
    if actor.is_admin or actor.has("auditor"):
        return sa.true()
    clauses = [Route.teacher_id == actor.user_id, Route.tutor_id == actor.user_id,
               Route.methodist_id == actor.user_id]
    for role, unit in actor.grants:
        if role == "cnppm_head":
            clauses.append(Route.centre_id == unit)
        if role in ("school_head", "deputy_head"):
            clauses.append(Route.school_id == unit)
    return sa.or_(*clauses)


def list_routes(ctx: ServiceContext, actor: Actor, *, status: str | None = None, stage: str | None = None,
                school_id: int | None = None, text: str | None = None, page: int = 1) -> dict[str, Any]:
    """Routes the actor may see, the latest updated first, filterable; a page of PER_PAGE without
    counting every match (one row more says whether there is a next page): the cost is the page's,
    not the region's (ix_routes_updated; the text through route_search's index)."""
    page = max(page, 1)
    with ctx.uow() as uow:
        s = uow.session
        where = [_visible(actor)]
        if status:
            where.append(Route.status == status)
        if stage:
            where.append(Route.stage == stage)
        if school_id:
            where.append(Route.school_id == school_id)
        short = bool(text) and not route_search.searchable(text)
        if text and not short:
            where.append(Route.id.in_(route_search.matching_ids(s, text)))
        found = s.scalars(sa.select(Route).where(*where).order_by(Route.updated_at.desc(), Route.id.desc())
                          .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
        routes, has_more = found[:PER_PAGE], len(found) > PER_PAGE
        ids = {r.teacher_id for r in routes} | {r.tutor_id for r in routes}
        names = dict(s.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all()) if ids else {}
        choices = school_names.school_names(ctx, s, covering={r.school_id for r in routes})
        schools = dict(choices)
        items = [{"id": r.id, "title": r.title, "status": r.status, "stage": r.stage,
                  "stage_title": STAGE_TITLES.get(r.stage, r.stage), "teacher": names.get(r.teacher_id),
                  "tutor": names.get(r.tutor_id), "school": schools.get(r.school_id), "updated_at": r.updated_at}
                 for r in routes]
        return {"items": items, "page": page, "has_more": has_more, "shown_from": (page - 1) * PER_PAGE + 1,
                "short_query": short, "min_query": route_search.MIN_LENGTH,
                "schools": choices, "stage_titles": STAGE_TITLES}
