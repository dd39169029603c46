"""Opening several routes at once (a CNPPM head, or an admin): one order (распорядительный акт)
assigns the tutors to all the teachers, and every route carries that order, listing them all.
All or nothing: one refused teacher opens no route and writes no order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from service.db.models import Document, OrgUnit, Route, RouteOrder, User
from service.domain.access import Actor, require_create_route
from service.domain.errors import FieldProblem, FormRejected, NotFound
from service.domain.states import RouteStatus
from service.services import pickers, routes
from service.services.assignment import head_of
from service.services.context import ServiceContext

MAX_TEACHERS = 50
MAX_YEARS = 5  # a mentee's route may plan 4–5 years (DOMAIN.md)
# An order's number. A route opened alone numbers its order "<route id>-ИОМ" (service/documents/context.py);
# the slash keeps the two sequences from ever printing the same number on two different orders.
ORDER_NUMBER = "{id}/ИОМ"


@dataclass(frozen=True)
class Assignment:
    teacher_id: int
    tutor_id: int


@dataclass(frozen=True)
class Batch:
    assignments: list[Assignment]
    methodist_id: int
    start: date
    end: date


def open_batch(ctx: ServiceContext, actor: Actor, batch: Batch) -> dict[str, Any]:
    """Open a route for every teacher of the batch with its tutor and the methodist, under one order."""
    require_create_route(actor, None)  # before any lookup: outsiders learn nothing about people
    problems = _shape(batch)
    with ctx.uow() as uow:
        s = uow.session
        teachers, tutors, centre_id, found = _people(s, pickers.reach_of(actor), batch)
        problems += found
        if problems:
            raise FormRejected(problems)
        now = ctx.clock()
        order = RouteOrder(number="", centre_id=centre_id, created_at=now, created_by_id=actor.user_id)
        s.add(order)
        s.flush()
        order.number = ORDER_NUMBER.format(id=order.id)
        assignments = [{"teacher": teachers[a.teacher_id].full_name, "school": teachers[a.teacher_id].unit,
                        "tutor": tutors[a.tutor_id].full_name, "teacher_id": a.teacher_id, "tutor_id": a.tutor_id}
                       for a in batch.assignments]
        recorded = {"id": order.id, "number": order.number,
                    "date": now.astimezone(ZoneInfo(ctx.timezone)).date().isoformat(), "assignments": assignments}
        period = {"start": batch.start.isoformat(), "end": batch.end.isoformat()}
        route_ids = [routes.open_route(ctx, s, actor, routes.NewRoute(a.teacher_id, a.tutor_id, batch.methodist_id,
                                                                      period=period, order=recorded))
                     for a in batch.assignments]
        document_id = s.scalar(sa.select(Document.id).where(Document.route_id == route_ids[0],
                                                            Document.kind == "prikaz_tutor"))
        uow.commit()
        return {"order": {**recorded, "created_at": now.isoformat(), "document_id": document_id,
                          "assignments": [{k: a[k] for k in ("teacher", "school", "tutor")} for a in assignments]},
                "routes": [{"id": rid, "title": f"ИОМ: {a['teacher']}", "teacher": a["teacher"], "tutor": a["tutor"]}
                           for rid, a in zip(route_ids, assignments, strict=True)]}


def _shape(batch: Batch) -> list[FieldProblem]:
    """What is wrong with the batch before looking anyone up: size, repeats, the period."""
    problems = []
    if not 1 <= len(batch.assignments) <= MAX_TEACHERS:
        problems.append(FieldProblem("/teachers", f"Укажите от 1 до {MAX_TEACHERS} педагогов"))
    seen: set[int] = set()
    for i, a in enumerate(batch.assignments):
        if a.teacher_id in seen:
            problems.append(FieldProblem(f"/teachers/{i}/teacher_id", "Педагог указан дважды"))
        seen.add(a.teacher_id)
    if batch.end < batch.start:
        problems.append(FieldProblem("/period/end", "Окончание раньше начала"))
    elif batch.end.year - batch.start.year > MAX_YEARS or (batch.end.year - batch.start.year == MAX_YEARS and
                                                           (batch.end.month, batch.end.day) >
                                                           (batch.start.month, batch.start.day)):
        problems.append(FieldProblem("/period/end", f"Маршрут планируется не больше чем на {MAX_YEARS} лет"))
    return problems


def _people(s, reach: pickers.Reach, batch: Batch) -> tuple[dict, dict, int | None, list[FieldProblem]]:
    """The teachers and tutors of the batch as the pickers would offer them, the order's centre,
    and what is wrong: anyone out of reach is "not found", whatever the reason."""
    problems: list[FieldProblem] = []
    teachers = pickers.reachable(s, reach, "teachers", [a.teacher_id for a in batch.assignments])
    for i, a in enumerate(batch.assignments):
        if a.teacher_id not in teachers:
            problems.append(FieldProblem(f"/teachers/{i}/teacher_id",
                                         "Педагог не найден: нет такого активного педагога в школах вашего ЦНППМ"))
    centres = {t.centre_id for t in teachers.values()}
    if len(centres) > 1:
        problems.append(FieldProblem("/teachers", "Один распорядительный акт — для педагогов школ одного ЦНППМ"))
        return teachers, {}, None, problems
    centre_id = next(iter(centres), None)
    if centre_id is None:
        return teachers, {}, None, problems
    here = pickers.Reach(frozenset({centre_id}))
    tutors = pickers.reachable(s, here, "tutors", [a.tutor_id for a in batch.assignments])
    for i, a in enumerate(batch.assignments):
        if a.tutor_id not in tutors:
            problems.append(FieldProblem(f"/teachers/{i}/tutor_id", "Тьютор не найден среди активных тьюторов ЦНППМ"))
    if not pickers.reachable(s, here, "methodists", [batch.methodist_id]):
        problems.append(FieldProblem("/methodist_id", "Методист не найден среди активных методистов ЦНППМ и региона"))
    if head_of(s, "cnppm_head", centre_id) is None:
        problems.append(FieldProblem("/teachers", "В ЦНППМ не назначен руководитель"))
    busy = set(s.scalars(sa.select(Route.teacher_id).where(Route.teacher_id.in_(list(teachers)),
                                                           Route.status == RouteStatus.ACTIVE)))
    for i, a in enumerate(batch.assignments):
        teacher = teachers.get(a.teacher_id)
        if teacher is None:
            continue
        if a.teacher_id in busy:
            problems.append(FieldProblem(f"/teachers/{i}/teacher_id",
                                         f"У педагога {teacher.full_name} уже есть маршрут в работе"))
        elif head_of(s, "school_head", teacher.school_id) is None:
            problems.append(FieldProblem(f"/teachers/{i}/teacher_id",
                                         f"В школе педагога {teacher.full_name} не назначен руководитель"))
    return teachers, tutors, centre_id, problems


def order_view(ctx: ServiceContext, actor: Actor, order_id: int) -> dict[str, Any]:
    """An order with the routes opened by it (its centre's CNPPM head, or an admin)."""
    with ctx.uow() as uow:
        s = uow.session
        order = s.get(RouteOrder, order_id)
        if order is None:
            raise NotFound("Распорядительный акт не найден")
        require_create_route(actor, order.centre_id)
        rows = s.scalars(sa.select(Route).where(Route.order_id == order.id).order_by(Route.id)).all()
        names = dict(s.execute(sa.select(User.id, User.full_name).where(
            User.id.in_({r.teacher_id for r in rows} | {r.tutor_id for r in rows}))).all())
        document_id = s.scalar(sa.select(Document.id).where(Document.route_id == rows[0].id,
                                                            Document.kind == "prikaz_tutor")) if rows else None
        return {"id": order.id, "number": order.number, "created_at": order.created_at.isoformat(),
                "centre": s.get(OrgUnit, order.centre_id).name, "document_id": document_id,
                "routes": [{"id": r.id, "title": r.title, "teacher": names.get(r.teacher_id, ""),
                            "tutor": names.get(r.tutor_id, ""), "stage": r.stage} for r in rows]}
