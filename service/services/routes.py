"""Use cases that change a route: open it, complete one of its tasks."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from service import tasks as service_tasks
from service.db.models import OrgUnit, RoleGrant, Route, RouteState, Task, TeacherProfile, User
from service.documents.context import FORMAT_LOCAL, ru_datetime
from service.domain.access import Actor, RouteFacts, completion_mode, may_view_route, require_create_route
from service.domain.errors import ConcurrentUpdate, FieldProblem, FormRejected, NotFound, TaskAlreadyDone
from service.domain.route_rules import finished_status
from service.domain.states import EventKind, RouteStatus, TaskState
from service.services import delegated, documents, org, timers
from service.services.assignment import head_of, sync_tasks
from service.services.context import NO_CLIENT, Client, ServiceContext
from service.services.deployments import current_spec, ensure_loaded, loaded_spec
from service.services.events import append_event
from service.tasks import DocumentRequest
from service.tasks.checks import check_submission


@dataclass(frozen=True)
class NewRoute:
    teacher_id: int
    tutor_id: int
    methodist_id: int
    title: str = ""
    period: dict[str, str] | None = None  # {start, end}: prefilled into the card
    order: dict[str, Any] | None = None  # the batch's order: {id, number, date, assignments}


def _person(session, user_id: int, role: str, label: str) -> User:
    user = session.get(User, user_id)
    has_role = session.scalar(sa.select(RoleGrant.id).where(RoleGrant.user_id == user_id, RoleGrant.role == role))
    if user is None or not user.is_active or not has_role:
        raise FormRejected([FieldProblem(f"/{role}_id", f"{label} не найден или не имеет этой роли")])
    return user


def _initial_card(teacher: User, profile: TeacherProfile, school: OrgUnit) -> dict[str, Any]:
    info = copy.deepcopy(profile.info)
    info.update({"full_name": teacher.full_name, "school": school.name,
                 "position": info.get("position") or teacher.position})
    return {"info": info, "revision": 0}


def create_route(ctx: ServiceContext, actor: Actor, new: NewRoute, previous: Route | None = None) -> int:
    """Open a route for a teacher with a tutor and a methodist; the tutor gets the draft."""
    with ctx.uow() as uow:
        route_id = open_route(ctx, uow.session, actor, new, previous)
        uow.commit()
        return route_id


def open_route(ctx: ServiceContext, session, actor: Actor, new: NewRoute, previous: Route | None = None) -> int:
    if previous is None:
        require_create_route(actor, None)  # before any lookup: outsiders learn nothing about people
    teacher = _person(session, new.teacher_id, "teacher", "Педагог")
    _person(session, new.tutor_id, "tutor", "Тьютор")
    _person(session, new.methodist_id, "methodist", "Методист")
    profile = session.get(TeacherProfile, teacher.id)
    if profile is None:
        raise FormRejected([FieldProblem("/teacher_id", "У педагога нет информационной справки (школы)")])
    school = session.get(OrgUnit, profile.school_id)
    centre_id = school.parent_id
    if previous is None:
        require_create_route(actor, centre_id)
        org.require_open_unit(session, school.id, "/teacher_id")  # a deactivated school or centre takes none
    for role, unit in (("school_head", school.id), ("cnppm_head", centre_id)):
        if head_of(session, role, unit) is None:
            raise FormRejected([FieldProblem("/teacher_id", f"У организации педагога не назначен {role}")])
    spec = current_spec(session)  # a prolongation is a new route: it starts on the current version
    spec_hash = ensure_loaded(ctx, spec)
    now = ctx.clock()
    card = _initial_card(teacher, profile, school)
    if previous is not None:
        card["prolongs_route"] = previous.id
    if new.period:
        card["period"] = dict(new.period)
    behaviour = service_tasks.CURRENT_BEHAVIOUR  # the handler versions this route runs with, to its end
    snap = ctx.engine.start(spec_hash, card, now.date(), timers.clock_for(ctx, session, now), behaviour=behaviour)
    title = new.title.strip() or f"ИОМ: {teacher.full_name}"
    route = Route(teacher_id=teacher.id, tutor_id=new.tutor_id, methodist_id=new.methodist_id, school_id=school.id,
                  centre_id=centre_id, spec_id=spec.id, previous_route_id=previous.id if previous else None,
                  title=title[:300], status=RouteStatus.ACTIVE, stage=snap.ready[0].stage, card=snap.card or card,
                  created_at=now, created_by_id=actor.user_id, updated_at=now,
                  order_id=new.order["id"] if new.order else None, behaviour=behaviour)
    session.add(route)
    session.flush()
    session.add(RouteState(route_id=route.id, state=snap.state, data=snap.data))
    opened, _ = sync_tasks(session, route, snap.ready, now, zone=ctx.timezone)
    timers.arm(session, route, snap.timers)
    created = append_event(session, route_id=route.id, at=now, kind=EventKind.ROUTE_CREATED, actor_id=actor.user_id,
                           data={"spec": spec_hash, "behaviour": behaviour, "teacher_id": teacher.id,
                                 "tutor_id": new.tutor_id, "methodist_id": new.methodist_id,
                                 "previous_route_id": route.previous_route_id,
                                 "card": route.card, "opened": recorded_opened(opened),
                                 **({"order": new.order} if new.order else {})})
    delegated.notify_delegates(ctx, session, created, route, opened)
    # The CNPPM head's order assigning the tutor to the teacher comes with the route; a batch's
    # order lists every teacher opened with it.
    extra = {"order": new.order} if new.order else {}
    documents.apply_requests(ctx, session, route, [DocumentRequest("issue", "prikaz_tutor", extra)], actor.user_id,
                             now)
    return route.id


def recorded_opened(tasks: list[Task]) -> list[dict[str, Any]]:
    """Recorded with the event that opened them: a replay checks completions against these."""
    return [{"id": t.id, "name": t.name, "assignee_id": t.assignee_id} for t in tasks]


def facts(route: Route) -> RouteFacts:
    return RouteFacts(route.teacher_id, route.tutor_id, route.methodist_id, route.school_id, route.centre_id)


def _already_done(session, task: Task, timezone: str) -> TaskAlreadyDone:
    if task.state == TaskState.COMPLETED:
        who = session.get(User, task.completed_by_id)
        when = ru_datetime(task.completed_at, FORMAT_LOCAL, timezone) if task.completed_at else "?"
        return TaskAlreadyDone(f"Задача уже выполнена: {who.full_name if who else '?'}, {when}")
    return TaskAlreadyDone("Задача снята: маршрут ушёл дальше (например, другой участник вернул документ)")


def complete_task(ctx: ServiceContext, actor: Actor, task_id: str, submission: Any, signature: Any = None,
                  client: Client = NO_CLIENT) -> dict[str, Any]:
    """Validate and apply one task's submission; exactly one of two racing requests wins, the
    other learns who completed the task. On a signing task an affirmative decision needs
    `signature` = {password, document_sha256}: the signer's password and the hash of what they saw."""
    try:
        return _complete_task(ctx, actor, task_id, submission, signature, client)
    except ConcurrentUpdate:
        with ctx.uow() as uow:
            task = uow.session.get(Task, task_id)
            if task is not None and task.state != TaskState.READY:
                raise _already_done(uow.session, task, ctx.timezone) from None
        raise


def load_task(session, task_id: str) -> tuple[Task, Route]:
    """A task and its route, or NotFound."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("Задача не найдена")
    return task, session.get(Route, task.route_id)


def _complete_task(ctx: ServiceContext, actor: Actor, task_id: str, submission: Any, signature: Any,
                   client: Client) -> dict[str, Any]:
    with ctx.uow() as uow:
        session = uow.session
        task, route = load_task(session, task_id)
        delegation = delegated.covering(ctx, session, actor.user_id, task, route)
        insider = delegation is not None or may_view_route(actor, facts(route))
        assignee = session.get(User, task.assignee_id).full_name if insider else "другой участник"
        mode = completion_mode(actor, task.assignee_id, assignee, delegated=delegation is not None)
        by_delegation = delegated.record(ctx, session, delegation) if delegation is not None else None
        if task.state != TaskState.READY:
            raise _already_done(session, task, ctx.timezone)
        _validate(ctx, task.form, submission, lambda: route.card)
        spec_hash = loaded_spec(ctx, session, route.spec_id)
        spec = ctx.engine.human_tasks(spec_hash)[task.name]
        signed_doc = None
        if documents.signature_needed(spec.signs, submission):
            signed_doc = documents.check_signature(ctx, session, actor, task, spec.signs, mode, signature, client)
        state = session.get(RouteState, route.id)
        now = ctx.clock()
        waiting = timers.ready_tasks(session, route.id)
        snap = ctx.engine.complete(spec_hash, state.state, task.engine_task_id, submission, now.date(),
                                   lambda: copy.deepcopy(route.card), timers.clock_for(ctx, session, now),
                                   behaviour=route.behaviour)
        state.state, state.data = snap.state, snap.data
        task.state, task.completed_at, task.completed_by_id = TaskState.COMPLETED, now, actor.user_id
        timers.record_fired(session, route, snap.fired, now, waiting)  # they were due before this completion
        if snap.card is not None:
            route.card = snap.card
        if signed_doc is not None:
            documents.add_signature(session, signed_doc, actor, task, task.role, spec.action, now, client,
                                    by_delegation)
        opened, cancelled = sync_tasks(session, route, snap.ready, now, completed=task, zone=ctx.timezone)
        _advance_route(route, snap, now)
        completed = append_event(
            session, route_id=route.id, at=now, kind=EventKind.TASK_COMPLETED, actor_id=actor.user_id,
            on_behalf_of_id=task.assignee_id if mode in ("on_behalf", "delegated") else None,
            task_id=task.id, task_name=task.name,
            data={"title": task.title, "form": task.form, "role": task.role, "stage": task.stage,
                  "submission": submission, "opened": recorded_opened(opened),
                  "cancelled": [t.id for t in cancelled], "card_revision": snap.data.get("card_revision"),
                  **({"delegation": by_delegation} if by_delegation else {})})
        delegated.notify_delegates(ctx, session, completed, route, opened)
        documents.apply_requests(ctx, session, route, snap.documents, actor.user_id, now)
        next_route_id = _finish(ctx, session, actor, route, now) if snap.finished else None
        timers.arm(session, route, snap.timers)
        uow.commit()
        return {"task_id": task.id, "route_id": route.id, "stage": route.stage, "status": route.status,
                "opened": [t.id for t in opened], "next_route_id": next_route_id}


def _validate(ctx: ServiceContext, form: str, submission: Any, card: Callable[[], dict[str, Any]]) -> None:
    """Schema first; then the business checks, which read the card only for forms that have them."""
    problems = [FieldProblem(e.pointer, e.message) for e in ctx.forms.validate(form, submission)]
    if not problems:
        problems = check_submission(form, submission, card)
    if problems:
        raise FormRejected(problems)


def _advance_route(route: Route, snap, now) -> None:
    route.updated_at = now
    if snap.ready:
        route.stage = snap.ready[0].stage
    if snap.card is not None and snap.card.get("started_on") and route.started_on is None:
        route.started_on = now.date()


def _finish(ctx: ServiceContext, session, actor: Actor, route: Route, now) -> int | None:
    route.status = route.stage = finished_status(route.card)
    route.ended_on = now.date()
    append_event(session, route_id=route.id, at=now, kind=EventKind(f"route_{route.status}"), actor_id=actor.user_id,
                 data={"result": route.status})
    if route.status != RouteStatus.PROLONGED:
        return None
    new = NewRoute(route.teacher_id, route.tutor_id, route.methodist_id, f"{route.title} (продление)")
    next_id = open_route(ctx, session, actor, new, previous=route)
    append_event(session, route_id=route.id, at=now, kind=EventKind.ROUTE_PROLONGED_AS, actor_id=actor.user_id,
                 data={"next_route_id": next_id})
    return next_id
