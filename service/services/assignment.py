"""Who a ready task goes to, and keeping the task table in step with the engine."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from service.db.models import RoleGrant, Route, Task, User
from service.domain.errors import StepFailed
from service.domain.route_rules import due_at
from service.domain.states import TaskState
from service.engine.adapter import ReadyTask
from service.services.calendar import calendar_for

HEAD_ROLES = {"cnppm_head": "centre_id", "school_head": "school_id"}


def head_of(session, role: str, unit_id: int) -> int | None:
    """The person holding `role` for the org unit (the lowest id if several)."""
    return session.scalar(
        sa.select(RoleGrant.user_id).join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == role, RoleGrant.org_unit_id == unit_id, User.is_active)
        .order_by(RoleGrant.user_id).limit(1))


def assignee_for(session, route: Route, role: str) -> int:
    if role in ("teacher", "tutor", "methodist"):
        return getattr(route, f"{role}_id")
    if role in HEAD_ROLES:
        user_id = head_of(session, role, getattr(route, HEAD_ROLES[role]))
        if user_id is None:
            raise StepFailed(f"Для маршрута не назначен исполнитель роли {role}")
        return user_id
    raise StepFailed(f"Неизвестная роль задачи: {role}")


def sync_tasks(session, route: Route, ready: list[ReadyTask], now: datetime,
               completed: Task | None = None, zone: str = "Europe/Moscow") -> tuple[list[Task], list[Task]]:
    """Open a row for every newly ready engine task; cancel rows the engine no longer waits on.

    Due dates count working days of the region's calendar in `zone` (its local days).
    Returns (opened, cancelled). A loop round that reuses an engine task id gets a new row:
    a page opened for an earlier round can never complete the current one.
    """
    open_rows = session.scalars(sa.select(Task).where(Task.route_id == route.id, Task.state == TaskState.READY)).all()
    by_engine_id = {row.engine_task_id: row for row in open_rows if row is not completed}
    ready_ids = {t.engine_id for t in ready}
    cancelled = [row for eid, row in by_engine_id.items() if eid not in ready_ids]
    for row in cancelled:
        row.state = TaskState.CANCELLED
        row.completed_at = now
    opened = []
    calendar = calendar_for(session) if ready else None
    for t in ready:
        if t.engine_id in by_engine_id:
            continue
        row = Task(id=str(uuid.uuid4()), route_id=route.id, engine_task_id=t.engine_id, name=t.name, title=t.title,
                   form=t.form, role=t.role, stage=t.stage, assignee_id=assignee_for(session, route, t.role),
                   school_id=route.school_id, centre_id=route.centre_id, state=TaskState.READY, created_at=now,
                   due_at=due_at(t.form, now, calendar, zone))
        session.add(row)
        opened.append(row)
    return opened, cancelled
