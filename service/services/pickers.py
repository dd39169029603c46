"""People search for the pickers of the pages: teachers, tutors and methodists a person may
assign, found by a part of the name, within the caller's reach only.

A CNPPM head reaches the teachers of their centre's schools, the tutors of their centre and the
methodists granted at their centre or at the region above it; an admin reaches everyone; anyone
else is refused before any lookup. Only active people in active units are offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from service.db.models import OrgUnit, RoleGrant, TeacherProfile, User
from service.domain.access import Actor, centres_headed
from service.domain.errors import FieldProblem, FormRejected, NotAllowed
from service.services.context import ServiceContext

LIMIT = 20
MIN_QUERY, MAX_QUERY = 2, 100
KINDS = ("teachers", "tutors", "methodists")


@dataclass(frozen=True)
class Reach:
    """The centres whose people the caller may pick; None: every centre (an admin)."""

    centres: frozenset[int] | None

    def allows(self, centre_id: int | None) -> bool:
        return self.centres is None or centre_id in self.centres


def reach_of(actor: Actor, centre: int | None = None) -> Reach:
    """The caller's reach, narrowed to `centre` when given (outside the reach: nobody, not an error,
    so that a centre id tells nothing either)."""
    if actor.is_admin:
        return Reach(None if centre is None else frozenset({centre}))
    headed = centres_headed(actor)
    if not headed:
        raise NotAllowed("Подбор участников доступен руководителю ЦНППМ и администратору")
    return Reach(frozenset(headed if centre is None else headed & {centre}))


def search(ctx: ServiceContext, actor: Actor, kind: str, q: str, centre: int | None = None) -> list[dict[str, Any]]:
    """Up to LIMIT active people of `kind` whose name contains `q` (any case), in the caller's reach."""
    reach = reach_of(actor, centre)  # before any lookup: outsiders learn nothing about people
    text = _query_text(q)
    if reach.centres is not None and not reach.centres:
        return []
    with ctx.uow() as uow:
        s = uow.session
        query = QUERIES[kind](s, reach).where(User.is_active.is_(True)).order_by(User.full_name, User.id)
        if s.get_bind().dialect.name == "postgresql":
            rows = s.execute(query.where(sa.func.lower(User.full_name).contains(text, autoescape=True))
                             .limit(LIMIT)).all()
        else:  # SQLite's lower() and LIKE fold ASCII only: Cyrillic names are matched here
            rows = [r for r in s.execute(query) if text in r.full_name.casefold()][:LIMIT]
        return [{"id": r.id, "full_name": r.full_name, "unit": r.unit, "position": r.position or ""} for r in rows]


def _query_text(q: str) -> str:
    text = " ".join(q.split()).casefold()
    if not MIN_QUERY <= len(text) <= MAX_QUERY:
        raise FormRejected([FieldProblem("?q", f"Введите от {MIN_QUERY} до {MAX_QUERY} символов имени")])
    return text


def _columns(unit):
    return (User.id, User.full_name, User.position, unit.name.label("unit"))


def _teachers(s, reach: Reach):
    school, centre = aliased(OrgUnit), aliased(OrgUnit)
    query = (sa.select(*_columns(school), school.id.label("school_id"), centre.id.label("centre_id"))
             .join(TeacherProfile, TeacherProfile.user_id == User.id)
             .join(school, school.id == TeacherProfile.school_id).join(centre, centre.id == school.parent_id)
             .where(school.is_active.is_(True), centre.is_active.is_(True),
                    sa.exists().where(RoleGrant.user_id == User.id, RoleGrant.role == "teacher")))
    return query if reach.centres is None else query.where(centre.id.in_(reach.centres))


def _tutors(s, reach: Reach):
    unit = aliased(OrgUnit)
    query = (sa.select(*_columns(unit)).join(RoleGrant, RoleGrant.user_id == User.id)
             .join(unit, unit.id == RoleGrant.org_unit_id)
             .where(RoleGrant.role == "tutor", unit.is_active.is_(True)))
    return query if reach.centres is None else query.where(unit.id.in_(reach.centres))


def _methodists(s, reach: Reach):
    """Methodists granted at a reachable centre or at the region above it."""
    unit = aliased(OrgUnit)
    query = (sa.select(*_columns(unit)).join(RoleGrant, RoleGrant.user_id == User.id)
             .join(unit, unit.id == RoleGrant.org_unit_id)
             .where(RoleGrant.role == "methodist", unit.is_active.is_(True)))
    if reach.centres is None:
        return query.distinct()
    regions = sa.select(OrgUnit.parent_id).where(OrgUnit.id.in_(reach.centres), OrgUnit.parent_id.is_not(None))
    return query.where(sa.or_(unit.id.in_(reach.centres), unit.id.in_(regions))).distinct()


QUERIES = {"teachers": _teachers, "tutors": _tutors, "methodists": _methodists}


def reachable(s, reach: Reach, kind: str, ids: list[int]) -> dict[int, Any]:
    """Which of `ids` are active people of `kind` in `reach` (a row each: id, full_name, position,
    unit; teachers also school_id and centre_id). The pickers' rule, for whoever assigns them."""
    query = QUERIES[kind](s, reach).where(User.is_active.is_(True), User.id.in_(ids))
    return {r.id: r for r in s.execute(query)}


def options(ctx: ServiceContext, actor: Actor, kinds: tuple[str, ...], limit: int = 500) -> dict[str, list[dict]]:
    """Every active person of each of `kinds` in the caller's reach, by name (a page's select lists:
    a centre has tens of tutors, not thousands)."""
    reach = reach_of(actor)
    with ctx.uow() as uow:
        return {kind: [{"id": r.id, "full_name": r.full_name, "unit": r.unit, "position": r.position or ""}
                       for r in uow.session.execute(QUERIES[kind](uow.session, reach).where(User.is_active.is_(True))
                                                    .order_by(User.full_name, User.id).limit(limit))]
                for kind in kinds}


def teachers_by_id(ctx: ServiceContext, actor: Actor, ids: list[int]) -> list[dict]:
    """Those of `ids` that are teachers in the caller's reach (others are left out), in the given order."""
    reach = reach_of(actor)
    with ctx.uow() as uow:
        found = reachable(uow.session, reach, "teachers", ids)
    return [{"id": r.id, "full_name": r.full_name, "unit": r.unit, "position": r.position or ""}
            for r in (found[i] for i in dict.fromkeys(ids) if i in found)]
