"""Admin interventions from the route page: what the admin's block offers (waiting tasks with the
people who could take each, the card's fields), and the page's confirmed calls of
service.services.admin (reassign, cancel, correct the card), each needing a reason."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.db.models import OrgUnit, RoleGrant, Route, Task, User
from service.domain.access import ROLE_TITLES, Actor, require_admin
from service.domain.errors import FieldProblem, FormRejected, NotFound
from service.domain.states import RouteStatus, TaskState
from service.forms import pointers
from service.services import admin
from service.services.context import ServiceContext

MAX_POINTERS = 400


def _units_of(session, task: Task) -> list[int]:
    """The route's school, its centre and the centre's region: where a role for this task is held."""
    region = session.scalar(sa.select(OrgUnit.parent_id).where(OrgUnit.id == task.centre_id))
    return [u for u in (task.school_id, task.centre_id, region) if u]


def _candidates(session, task: Task) -> list[dict[str, Any]]:
    """Active people holding the task's role in the route's units (the current assignee excluded)."""
    units = _units_of(session, task)
    rows = session.execute(
        sa.select(User.id, User.full_name).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == task.role, User.is_active, User.id != task.assignee_id,
               sa.or_(RoleGrant.org_unit_id.in_(units), RoleGrant.org_unit_id.is_(None)))
        .distinct().order_by(User.full_name, User.id)).all()
    return [{"id": i, "full_name": name} for i, name in rows]


def reassign_candidates(ctx: ServiceContext, actor: Actor, task_id: str) -> list[dict[str, Any]]:
    """Who a waiting task could be given to."""
    require_admin(actor)
    with ctx.uow() as uow:
        task = uow.session.get(Task, task_id)
        if task is None:
            raise NotFound("Задача не найдена")
        return _candidates(uow.session, task)


def _scalar_pointers(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return [prefix] if prefix else []
    out: list[str] = []
    for key, value in items:
        out += _scalar_pointers(value, f"{prefix}/{pointers.escape(str(key))}")
    return out


def panel(ctx: ServiceContext, actor: Actor, route_id: int) -> dict[str, Any] | None:
    """What the route page's admin block shows; None for anyone but an admin."""
    if not actor.is_admin:
        return None
    with ctx.uow() as uow:
        s = uow.session
        route = s.get(Route, route_id)
        if route is None:
            return None
        tasks = s.scalars(sa.select(Task).where(Task.route_id == route_id, Task.state == TaskState.READY)
                          .order_by(Task.created_at, Task.id)).all()
        names = dict(s.execute(sa.select(User.id, User.full_name)
                               .where(User.id.in_([t.assignee_id for t in tasks]))).all()) if tasks else {}
        return {
            "route_id": route.id, "active": route.status == RouteStatus.ACTIVE,
            "tasks": [{"id": t.id, "title": t.title, "role": ROLE_TITLES.get(t.role, t.role),
                       "assignee": names.get(t.assignee_id, ""), "candidates": _candidates(s, t)} for t in tasks],
            "pointers": _scalar_pointers(route.card)[:MAX_POINTERS],
        }


MAX_REASON = 2000  # what the route's history keeps of a reason (service.services.admin)


def _confirmed(confirmed: bool, reason: Any) -> None:
    """The page's explicit confirmation, and a reason that fits whole in the history."""
    problems = []
    if isinstance(reason, str) and len(reason.strip()) > MAX_REASON:
        problems.append(FieldProblem("/reason", f"Причина — не длиннее {MAX_REASON} символов"))
    if not confirmed:
        problems.append(FieldProblem("/confirm", "Подтвердите действие: отметьте «Подтверждаю»"))
    if problems:
        raise FormRejected(problems)


def reassign(ctx: ServiceContext, actor: Actor, route_id: int, task_id: str, assignee_id: Any, reason: Any,
             confirmed: bool) -> dict[str, Any]:
    """Give one of the route's waiting tasks to another person (confirmed, with a reason)."""
    require_admin(actor)
    _confirmed(confirmed, reason)
    with ctx.uow() as uow:
        task = uow.session.get(Task, task_id)
        if task is None or task.route_id != route_id:
            raise FormRejected([FieldProblem("/task_id", "Выберите задачу этого маршрута")])
        if not any(c["id"] == assignee_id for c in _candidates(uow.session, task)):
            raise FormRejected([FieldProblem("/assignee_id", "Выберите исполнителя из списка: активного "
                                                             "пользователя с ролью этой задачи")])
        title = task.title
    done = admin.reassign_task(ctx, actor, task_id, assignee_id, reason)
    with ctx.uow() as uow:
        done["assignee"] = uow.session.get(User, done["assignee_id"]).full_name
    return {**done, "task_title": title}


def cancel(ctx: ServiceContext, actor: Actor, route_id: int, reason: Any, confirmed: bool) -> dict[str, Any]:
    """Cancel the route (confirmed, with a reason)."""
    require_admin(actor)
    _confirmed(confirmed, reason)
    return admin.cancel_route(ctx, actor, route_id, reason)


_YES, _NO = {"да", "true", "1", "yes"}, {"нет", "false", "0", "no"}


def _typed_like(old: Any, text: str) -> Any:
    """A value typed into the page's text field, as the type of the value it replaces."""
    if isinstance(old, bool):
        if text.strip().lower() not in _YES | _NO:
            raise FormRejected([FieldProblem("/value", "Это поле — да/нет: введите «да» или «нет»")])
        return text.strip().lower() in _YES
    if isinstance(old, int | float):
        try:
            number = int(text.strip()) if isinstance(old, int) else float(text.strip().replace(",", "."))
        except ValueError:
            raise FormRejected([FieldProblem("/value", "Это поле — число: введите число")]) from None
        return number
    return text


def edit_card(ctx: ServiceContext, actor: Actor, route_id: int, pointer: Any, value: str, reason: Any,
              confirmed: bool) -> dict[str, Any]:
    """Correct one value of the card from the page's text field (confirmed, with a reason); numbers
    and yes/no values keep their type."""
    require_admin(actor)
    _confirmed(confirmed, reason)
    with ctx.uow() as uow:
        route = uow.session.get(Route, route_id)
        if route is None:
            raise NotFound("Маршрут не найден")
        node: Any = route.card
        try:
            for part in pointers.split(pointer) if isinstance(pointer, str) else []:
                node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            node = None  # admin.edit_card names the missing field
    return admin.edit_card(ctx, actor, route_id, pointer, _typed_like(node, value), reason)
