"""Admin interventions: reassign a task, cancel a route, correct the card. Each needs a reason and
is an event of the route's chain, so the replay and the audit see it. The arguments are checked
against the API's request models (service/contracts/requests.py), whoever calls."""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa

from service.contracts import parse
from service.contracts.requests import CancelRequest, CardEditRequest, ReassignRequest
from service.db.models import Route, RouteState, Task, User
from service.domain.access import Actor, require_admin
from service.domain.errors import FieldProblem, FormRejected, NotFound, TaskAlreadyDone
from service.domain.states import EventKind, RouteStatus, TaskState
from service.forms import pointers
from service.services import timers
from service.services.context import ServiceContext
from service.services.events import append_event
from service.services.routes import load_task


def _reason(reason: str) -> str:
    return reason.strip()[:2000]


def _lock_route(s, route_id: int) -> None:
    """The route's write lock: bump its state version, so a concurrent completion conflicts."""
    s.execute(sa.update(RouteState).where(RouteState.route_id == route_id).values(version=RouteState.version + 1))


def reassign_task(ctx: ServiceContext, actor: Actor, task_id: str, assignee_id: Any, reason: Any) -> dict[str, Any]:
    """Give a waiting task to another active person."""
    require_admin(actor)
    asked = parse(ReassignRequest, {"assignee_id": assignee_id, "reason": reason})
    why = _reason(asked.reason)
    with ctx.uow() as uow:
        s = uow.session
        task, _ = load_task(s, task_id)
        if task.state != TaskState.READY:
            raise TaskAlreadyDone("Задача уже не ожидает выполнения")
        person = s.get(User, asked.assignee_id)
        if person is None or not person.is_active:
            raise FormRejected([FieldProblem("/assignee_id", "Пользователь не найден или отключён")])
        _lock_route(s, task.route_id)
        previous, task.assignee_id = task.assignee_id, person.id
        append_event(s, route_id=task.route_id, at=ctx.clock(), kind=EventKind.ADMIN_REASSIGNED, actor_id=actor.user_id,
                     task_id=task.id, task_name=task.name,
                     data={"from": previous, "to": person.id, "reason": why})
        uow.commit()
        return {"task_id": task.id, "assignee_id": person.id}


def cancel_route(ctx: ServiceContext, actor: Actor, route_id: int, reason: Any) -> dict[str, Any]:
    """Stop a route: its waiting tasks are withdrawn; the history stays."""
    require_admin(actor)
    why = _reason(parse(CancelRequest, {"reason": reason}).reason)
    with ctx.uow() as uow:
        s = uow.session
        route = s.get(Route, route_id)
        if route is None:
            raise NotFound("Маршрут не найден")
        if route.status != RouteStatus.ACTIVE:
            raise TaskAlreadyDone("Маршрут уже не в работе")
        _lock_route(s, route_id)
        now = ctx.clock()
        open_tasks = s.scalars(sa.select(Task).where(Task.route_id == route_id, Task.state == TaskState.READY)).all()
        for task in open_tasks:
            task.state, task.completed_at = TaskState.CANCELLED, now
        route.status = route.stage = RouteStatus.CANCELLED
        route.updated_at = now
        timers.arm(s, route, [])  # a cancelled route reminds nobody
        append_event(s, route_id=route_id, at=now, kind=EventKind.ADMIN_CANCELLED, actor_id=actor.user_id,
                     data={"reason": why, "cancelled": [t.id for t in open_tasks]})
        uow.commit()
        return {"route_id": route_id, "status": RouteStatus.CANCELLED}


def _pointer_parts(pointer: Any) -> list[str]:
    if not isinstance(pointer, str) or not pointer.startswith("/") or pointer == "/":
        raise FormRejected([FieldProblem("/pointer", "Укажите поле карты указателем JSON, например /info/full_name")])
    return pointers.split(pointer)


def set_in_card(card: dict[str, Any], pointer: str, value: Any) -> Any:
    """Replace the existing value at `pointer` in `card` (in place); returns the old value."""
    node: Any = card
    parts = _pointer_parts(pointer)
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    key = int(last) if isinstance(node, list) else last
    old = node[key]
    if isinstance(old, dict | list):
        raise ValueError("only a single value may be replaced")
    node[key] = value
    return old


def edit_card(ctx: ServiceContext, actor: Actor, route_id: int, pointer: Any, value: Any, reason: Any) -> dict:
    """Correct one existing value of the route card (e.g. a misspelt name)."""
    require_admin(actor)
    asked = parse(CardEditRequest, {"pointer": pointer, "value": value, "reason": reason})
    why, pointer, value = _reason(asked.reason), asked.pointer, asked.value
    with ctx.uow() as uow:
        s = uow.session
        route = s.get(Route, route_id)
        if route is None:
            raise NotFound("Маршрут не найден")
        card = copy.deepcopy(route.card)
        try:
            old = set_in_card(card, pointer, value)
        except (KeyError, IndexError, ValueError, TypeError):
            raise FormRejected([FieldProblem("/pointer", f"В карте нет поля {pointer}")]) from None
        _lock_route(s, route_id)
        route.card = card
        append_event(s, route_id=route_id, at=ctx.clock(), kind=EventKind.ADMIN_CARD_EDITED, actor_id=actor.user_id,
                     data={"pointer": pointer, "old": old, "new": value, "reason": why})
        uow.commit()
        return {"route_id": route_id, "pointer": pointer, "old": old, "new": value}
