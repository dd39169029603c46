"""The region's organisation (admin): centres (ЦНППМ) under the region, schools (ОО) under a centre.
Units are never deleted (routes, people and documents refer to them): they are renamed, deactivated
and reactivated, each change an event of the system chain with its actor and old/new values.
A deactivated unit, or one under a deactivated centre, receives no new people and no new routes:
`require_open_unit` is the check every such write calls."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from service.contracts import parse
from service.contracts.org import UnitCreateRequest, UnitRenameRequest
from service.db.models import OrgUnit, RoleGrant, Route, User
from service.domain.access import ROLE_TITLES, Actor, require_admin
from service.domain.errors import FieldProblem, FormRejected, NotFound
from service.domain.states import EventKind, RouteStatus
from service.services import school_names
from service.services.context import ServiceContext
from service.services.events import append_event

PARENT_KIND = {"centre": "region", "school": "centre"}
KIND_TITLES = {"region": "регион", "centre": "ЦНППМ", "school": "ОО"}


# ---- the check other services call -------------------------------------------------------------
def unit_accepts_new(session, unit_id: int | None) -> bool:
    """Whether the unit and every unit above it are active (so it may receive people and routes)."""
    seen = 0
    while unit_id is not None and seen < 10:
        unit = session.get(OrgUnit, unit_id)
        if unit is None or not unit.is_active:
            return False
        unit_id, seen = unit.parent_id, seen + 1
    return True


def require_open_unit(session, unit_id: int | None, pointer: str = "/org_unit_id") -> None:
    """Refuse (422 at `pointer`) a new person, role or route in a deactivated unit."""
    if unit_id is not None and not unit_accepts_new(session, unit_id):
        raise FormRejected([FieldProblem(pointer, "Организация отключена: новые люди и маршруты в ней не принимаются")])


# ---- reading -----------------------------------------------------------------------------------
def members(session, unit_ids: set[int] | None = None) -> dict[int, set[int]]:
    """unit id → the people tied to it: it is their place of work, or they hold a role in it."""
    out: dict[int, set[int]] = defaultdict(set)
    users = sa.select(User.org_unit_id, User.id).where(User.org_unit_id.is_not(None))
    grants = sa.select(RoleGrant.org_unit_id, RoleGrant.user_id).where(RoleGrant.org_unit_id.is_not(None))
    if unit_ids is not None:
        users = users.where(User.org_unit_id.in_(unit_ids))
        grants = grants.where(RoleGrant.org_unit_id.in_(unit_ids))
    for unit_id, user_id in [*session.execute(users), *session.execute(grants)]:
        out[unit_id].add(user_id)
    return out


def _active_routes(session) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    active = Route.status == RouteStatus.ACTIVE
    for column in (Route.school_id, Route.centre_id):
        for unit_id, n in session.execute(sa.select(column, sa.func.count()).where(active).group_by(column)):
            counts[unit_id] += n
    return counts


def _rows(session, units: list[OrgUnit], people: dict[int, set[int]], routes: dict[int, int]) -> list[dict]:
    by_id = {u.id: u for u in session.scalars(sa.select(OrgUnit))}

    def accepts(unit: OrgUnit) -> bool:
        while unit is not None:
            if not unit.is_active:
                return False
            unit = by_id.get(unit.parent_id) if unit.parent_id else None
        return True

    return [{"id": u.id, "kind": u.kind, "name": u.name, "parent_id": u.parent_id, "is_active": u.is_active,
             "accepts_new": accepts(u), "people": len(people.get(u.id, ())), "active_routes": routes.get(u.id, 0)}
            for u in units]


def _tree_order(units: list[OrgUnit]) -> list[OrgUnit]:
    """Regions, each followed by its centres, each followed by its schools; by name within a level."""
    children: dict[int | None, list[OrgUnit]] = defaultdict(list)
    for unit in sorted(units, key=lambda u: (u.name.casefold(), u.id)):
        children[unit.parent_id].append(unit)
    out: list[OrgUnit] = []

    def walk(parent_id: int | None) -> None:
        for unit in children.get(parent_id, []):
            out.append(unit)
            walk(unit.id)

    walk(None)
    return out


def list_units(ctx: ServiceContext, actor: Actor) -> list[dict[str, Any]]:
    """Every unit in tree order, with the count of its people and of its routes in progress."""
    require_admin(actor)
    with ctx.uow() as uow:
        s = uow.session
        units = _tree_order(list(s.scalars(sa.select(OrgUnit))))
        return _rows(s, units, members(s), _active_routes(s))


def unit_page(ctx: ServiceContext, actor: Actor, unit_id: int) -> dict[str, Any]:
    """A unit, the units under it, and its people with their roles in it."""
    require_admin(actor)
    with ctx.uow() as uow:
        s = uow.session
        unit = _unit(s, unit_id)
        children = list(s.scalars(sa.select(OrgUnit).where(OrgUnit.parent_id == unit.id)
                                  .order_by(OrgUnit.name, OrgUnit.id)))
        shown = {unit.id, *(c.id for c in children)}
        people, routes = members(s, shown), _active_routes(s)
        ids = people.get(unit.id, set())
        users = s.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.full_name, User.id)).all()
        roles: dict[int, list[str]] = defaultdict(list)
        for user_id, role in s.execute(sa.select(RoleGrant.user_id, RoleGrant.role)
                                       .where(RoleGrant.org_unit_id == unit.id).order_by(RoleGrant.role)):
            roles[user_id].append(role)
        return {
            "unit": _rows(s, [unit], people, routes)[0],
            "children": _rows(s, children, people, routes),
            "people": [{"id": u.id, "name": u.full_name, "login": u.login, "position": u.position,
                        "is_active": u.is_active,
                        "roles": [{"role": r, "title": ROLE_TITLES.get(r, r)} for r in roles.get(u.id, [])]}
                       for u in users],
        }


def _unit(session, unit_id: int) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound("Организация не найдена")
    return unit


# ---- changes -----------------------------------------------------------------------------------
def create_unit(ctx: ServiceContext, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    """A centre under a region, or a school under a centre (both active)."""
    require_admin(actor)
    asked = parse(UnitCreateRequest, body)
    name = asked.name.strip()
    with ctx.uow() as uow:
        s = uow.session
        parent = s.get(OrgUnit, asked.parent_id)
        wanted = PARENT_KIND[asked.kind]
        if parent is None or parent.kind != wanted:
            what = "регион" if wanted == "region" else "ЦНППМ"
            raise FormRejected([FieldProblem("/parent_id", f"Вышестоящей организацией должен быть {what}")])
        require_open_unit(s, parent.id, "/parent_id")
        _name_free(s, parent.id, name, None)
        unit = OrgUnit(kind=asked.kind, name=name, parent_id=parent.id, is_active=True)
        s.add(unit)
        s.flush()
        append_event(s, route_id=None, at=ctx.clock(), kind=EventKind.ORG_UNIT_CREATED, actor_id=actor.user_id,
                     data={"unit_id": unit.id, "kind": unit.kind, "name": name, "parent_id": parent.id})
        uow.commit()
        school_names.forget(ctx)
        return _rows(s, [unit], {}, {})[0]


def _name_free(session, parent_id: int | None, name: str, unit_id: int | None) -> None:
    """Two units under one parent may not share a name (people pick them from lists)."""
    siblings = session.scalars(sa.select(OrgUnit.name).where(OrgUnit.parent_id == parent_id,
                                                             OrgUnit.id != (unit_id or 0)))
    if name.casefold() in {other.casefold() for other in siblings}:  # SQLite's lower() folds ASCII only
        raise FormRejected([FieldProblem("/name", "Организация с таким названием здесь уже есть")])


def rename_unit(ctx: ServiceContext, actor: Actor, unit_id: int, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor)
    name = parse(UnitRenameRequest, body).name.strip()
    with ctx.uow() as uow:
        s = uow.session
        unit = _unit(s, unit_id)
        if unit.name != name:
            _name_free(s, unit.parent_id, name, unit.id)
            old, unit.name = unit.name, name
            append_event(s, route_id=None, at=ctx.clock(), kind=EventKind.ORG_UNIT_RENAMED, actor_id=actor.user_id,
                         data={"unit_id": unit.id, "old": {"name": old}, "new": {"name": name}})
            uow.commit()
            school_names.forget(ctx)
        return _rows(s, [unit], members(s, {unit.id}), _active_routes(s))[0]


def set_unit_active(ctx: ServiceContext, actor: Actor, unit_id: int, active: bool) -> dict[str, Any]:
    """Deactivate or reactivate a unit; its people, routes and history stay as they are."""
    require_admin(actor)
    with ctx.uow() as uow:
        s = uow.session
        unit = _unit(s, unit_id)
        if unit.kind == "region":
            raise FormRejected([FieldProblem("", "Регион не отключается")])
        if unit.is_active != active:
            unit.is_active = active
            kind = EventKind.ORG_UNIT_REACTIVATED if active else EventKind.ORG_UNIT_DEACTIVATED
            append_event(s, route_id=None, at=ctx.clock(), kind=kind, actor_id=actor.user_id,
                         data={"unit_id": unit.id, "name": unit.name,
                               "old": {"is_active": not active}, "new": {"is_active": active}})
            uow.commit()
        return _rows(s, [unit], members(s, {unit.id}), _active_routes(s))[0]
