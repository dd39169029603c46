"""Queues and lists for the pages: what waits for me, which routes I may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from service.db.models import Document, OrgUnit, Route, Task, User
from service.domain.access import Actor
from service.domain.route_rules import STAGE_TITLES
from service.domain.states import DocumentState, TaskState
from service.services.context import ServiceContext

PER_PAGE = 20
BULK_FORMS = {"review"}  # agreement and approval can be given for several routes at once


@dataclass(frozen=True)
class QueueFilter:
    stage: str | None = None
    school_id: int | None = None
    tutor_id: int | None = None
    min_days: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    newest_first: bool = False
    page: int = 1


def _mine(actor: Actor):
    """Tasks assigned to the actor, and, for a deputy head, those waiting for their school's head."""
    deputy_schools = [u for r, u in actor.grants if r == "deputy_head" and u is not None]
    clause = Task.assignee_id == actor.user_id
    if deputy_schools:
        clause = sa.or_(clause, sa.and_(Task.role == "school_head", Task.school_id.in_(deputy_schools)))
    return clause


def queue(ctx: ServiceContext, actor: Actor, f: QueueFilter) -> dict[str, Any]:
    now = ctx.clock()
    with ctx.uow() as uow:
        s = uow.session
        base = [Task.state == TaskState.READY, _mine(actor)]
        if f.school_id:
            base.append(Task.school_id == f.school_id)
        if f.tutor_id:
            base.append(Route.tutor_id == f.tutor_id)
        if f.min_days:
            base.append(Task.created_at <= now - timedelta(days=f.min_days))
        if f.date_from:
            base.append(Task.created_at >= datetime.combine(f.date_from, time.min, tzinfo=now.tzinfo))
        if f.date_to:
            base.append(Task.created_at < datetime.combine(f.date_to + timedelta(days=1), time.min, tzinfo=now.tzinfo))
        joined = sa.select(Task.stage, sa.func.count()).join(Route, Route.id == Task.route_id).where(*base)
        counts = dict(s.execute(joined.group_by(Task.stage)).all())
        where = base + ([Task.stage == f.stage] if f.stage else [])
        total = s.scalar(sa.select(sa.func.count()).select_from(Task).join(Route, Route.id == Task.route_id)
                         .where(*where))
        order = Task.created_at.desc() if f.newest_first else Task.created_at.asc()
        rows = s.execute(sa.select(Task, Route).join(Route, Route.id == Task.route_id).where(*where)
                         .order_by(order, Task.id).limit(PER_PAGE).offset((max(f.page, 1) - 1) * PER_PAGE)).all()
        ids = {r.teacher_id for _, r in rows} | {r.tutor_id for _, r in rows} | {t.assignee_id for t, _ in rows}
        names = dict(s.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all()) if ids else {}
        schools = dict(s.execute(sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.kind == "school")
                                 .order_by(OrgUnit.name)).all())
        tutors = s.execute(sa.select(User.id, User.full_name).join(Route, Route.tutor_id == User.id)
                           .distinct().order_by(User.full_name)).all()
        items = []
        for task, route in rows:
            pending = None
            if task.form in BULK_FORMS and task.assignee_id == actor.user_id:
                pending = s.scalar(sa.select(Document.content_sha256).where(
                    Document.route_id == route.id, Document.kind == "karta",
                    Document.state == DocumentState.AWAITING_SIGNATURES))
            items.append({
                "task_id": task.id, "task_title": task.title, "form": task.form, "stage": task.stage,
                "stage_title": STAGE_TITLES.get(task.stage, task.stage), "route_id": route.id,
                "route_title": route.title, "teacher": names.get(route.teacher_id), "tutor": names.get(route.tutor_id),
                "school": schools.get(route.school_id), "assignee": names.get(task.assignee_id),
                "mine": task.assignee_id == actor.user_id, "created_at": task.created_at,
                "waiting_days": (now - task.created_at).days,
                "overdue": task.due_at is not None and task.due_at < now, "bulk_sha256": pending,
            })
        return {"items": items, "total": total, "counts": counts, "page": max(f.page, 1),
                "pages": max(1, -(-total // PER_PAGE)), "schools": list(schools.items()), "tutors": tutors,
                "stage_titles": STAGE_TITLES}


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
    """Routes the actor may see, newest first, filterable."""
    with ctx.uow() as uow:
        s = uow.session
        where = [_visible(actor)]
        if status:
            where.append(Route.status == status)
        if stage:
            where.append(Route.stage == stage)
        if school_id:
            where.append(Route.school_id == school_id)
        if text:
            teacher_ids = sa.select(User.id).where(User.full_name.ilike(f"%{text}%"))
            where.append(sa.or_(Route.title.ilike(f"%{text}%"), Route.teacher_id.in_(teacher_ids)))
        total = s.scalar(sa.select(sa.func.count()).select_from(Route).where(*where))
        routes = s.scalars(sa.select(Route).where(*where).order_by(Route.updated_at.desc(), Route.id.desc())
                           .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)).all()
        ids = {r.teacher_id for r in routes} | {r.tutor_id for r in routes}
        names = dict(s.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all()) if ids else {}
        schools = dict(s.execute(sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.kind == "school")
                                 .order_by(OrgUnit.name)).all())
        items = [{"id": r.id, "title": r.title, "status": r.status, "stage": r.stage,
                  "stage_title": STAGE_TITLES.get(r.stage, r.stage), "teacher": names.get(r.teacher_id),
                  "tutor": names.get(r.tutor_id), "school": schools.get(r.school_id), "updated_at": r.updated_at}
                 for r in routes]
        return {"items": items, "total": total, "page": max(page, 1), "pages": max(1, -(-total // PER_PAGE)),
                "schools": list(schools.items()), "stage_titles": STAGE_TITLES}
