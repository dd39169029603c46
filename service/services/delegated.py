"""Tasks a person may complete for someone else by delegation (поручение): the lookups the inbox,
the task page, the menu count and the completion check share. The rules are in
service/domain/delegation.py; here they meet the database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from service.db.models import Delegation, Route, Task, User
from service.domain.access import RouteFacts
from service.domain.delegation import Grant, task_kind
from service.domain.states import TaskState
from service.services.context import ServiceContext
from service.services.deployments import loaded_spec


def region_today(ctx: ServiceContext, now: datetime | None = None) -> date:
    """Today in the region's zone: delegations run over region dates, both ends included."""
    return (now or ctx.clock()).astimezone(ZoneInfo(ctx.timezone)).date()


def as_grant(d: Delegation) -> Grant:
    return Grant(d.id, d.delegator_id, d.delegate_id, d.role, d.unit_id, tuple(d.kinds or ()), d.starts_on,
                 d.ends_on, d.revoked_at is not None)


def in_force(delegate_id: int, today: date) -> list:
    """The WHERE of the delegations to `delegate_id` in force today (ix_delegations_delegate)."""
    return [Delegation.delegate_id == delegate_id, Delegation.ends_on >= today, Delegation.starts_on <= today,
            Delegation.revoked_at.is_(None)]


def in_force_count(ctx: ServiceContext, delegate_id: int, now: datetime | None = None):
    """A scalar subquery: how many delegations to `delegate_id` are in force today (for a page's
    one query of counts; ix_delegations_delegate)."""
    return sa.select(sa.func.count()).select_from(Delegation).where(
        *in_force(delegate_id, region_today(ctx, now))).scalar_subquery()


def active_for(session, delegate_id: int, today: date) -> list[Delegation]:
    """Delegations to `delegate_id` in force today."""
    return list(session.scalars(sa.select(Delegation).where(*in_force(delegate_id, today)).order_by(Delegation.id)))


def _kind(ctx: ServiceContext, session, spec_id: int, task_name: str, cache: dict) -> str:
    if spec_id not in cache:
        cache[spec_id] = ctx.engine.human_tasks(loaded_spec(ctx, session, spec_id))
    spec = cache[spec_id].get(task_name)
    return task_kind(spec.action if spec is not None else "")


def _covering(ctx, session, grants: list[Delegation], task: Task, route: Route, today: date,
              cache: dict) -> Delegation | None:
    candidates = [d for d in grants if d.delegator_id == task.assignee_id and d.role == task.role]
    if not candidates:
        return None
    kind = _kind(ctx, session, route.spec_id, task.name, cache)
    return next((d for d in candidates if as_grant(d).covers(
        assignee_id=task.assignee_id, role=task.role, kind=kind, school_id=task.school_id, centre_id=task.centre_id,
        route=RouteFacts(route.teacher_id, route.tutor_id, route.methodist_id, route.school_id,
                         route.centre_id), day=today)), None)


def covering(ctx: ServiceContext, session, delegate_id: int, task: Task, route: Route) -> Delegation | None:
    """The delegation that lets `delegate_id` complete this task today, or None."""
    if task.assignee_id == delegate_id:
        return None
    grants = active_for(session, delegate_id, region_today(ctx))
    return _covering(ctx, session, grants, task, route, region_today(ctx), {}) if grants else None


def tasks_for(ctx: ServiceContext, session, delegate_id: int) -> list[tuple[Task, Route, Delegation]]:
    """The ready tasks the delegate may complete today for others, oldest first."""
    today = region_today(ctx)
    grants = active_for(session, delegate_id, today)
    if not grants:
        return []
    rows = session.execute(sa.select(Task, Route).join(Route, Route.id == Task.route_id).where(
        Task.state == TaskState.READY, Task.assignee_id.in_({d.delegator_id for d in grants}),
        Task.assignee_id != delegate_id).order_by(Task.created_at, Task.id)).all()
    cache: dict = {}
    out = []
    for task, route in rows:
        found = _covering(ctx, session, grants, task, route, today, cache)
        if found is not None:
            out.append((task, route, found))
    return out


def granted_on(ctx: ServiceContext, d: Delegation) -> str:
    """The delegation's date (the region's date it was given), ISO."""
    return region_today(ctx, d.created_at).isoformat()


def record(ctx: ServiceContext, session, d: Delegation) -> dict[str, Any]:
    """What a completion or a signature by the delegate records: {id, granted_on, by}."""
    return {"id": d.id, "granted_on": granted_on(ctx, d), "by": session.get(User, d.delegator_id).full_name}


def notify_delegates(ctx: ServiceContext, session, event, route: Route, opened: list[Task]) -> None:
    """Tasks that became ready are told (kind task_ready) also to whoever may complete them today by
    delegation; once per person and event, never to the person who caused the event."""
    from service.db.models import Notification
    from service.services.notifications import notify

    today = region_today(ctx, event.at)
    told = set(session.scalars(sa.select(Notification.user_id).where(Notification.event_id == event.id,
                                                                      Notification.kind == "task_ready")))
    cache: dict = {}
    for task in opened:
        grants = list(session.scalars(sa.select(Delegation).where(
            Delegation.delegator_id == task.assignee_id, Delegation.role == task.role, Delegation.starts_on <= today,
            Delegation.ends_on >= today, Delegation.revoked_at.is_(None)).order_by(Delegation.id)))
        for d in grants:
            if d.delegate_id in told or d.delegate_id == event.actor_id:
                continue
            if _covering(ctx, session, [d], task, route, today, cache) is None:
                continue
            told.add(d.delegate_id)
            who = session.get(User, d.delegator_id).full_name
            notify(session, event=event, user_id=d.delegate_id, kind="task_ready", route_id=route.id,
                   title=f"Новая задача за {who}: «{task.title}»",
                   body=f"Маршрут «{route.title}». Вы можете выполнить её за {who} по поручению от "
                        f"{granted_on(ctx, d)[8:10]}.{granted_on(ctx, d)[5:7]}.{granted_on(ctx, d)[0:4]}.",
                   link=f"/tasks/{task.id}")
