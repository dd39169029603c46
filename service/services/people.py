"""Org units, users, role grants and teacher profiles (admin and demo use)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from service.db.models import OrgUnit, RoleGrant, TeacherProfile, User
from service.domain.access import ROLES
from service.domain.errors import FieldProblem, FormRejected
from service.services.accounts import hash_password
from service.services.context import ServiceContext


def parse_grant(spec: str) -> tuple[str, int | None]:
    """'school_head:3' → ('school_head', 3); 'auditor' → ('auditor', None)."""
    role, _, unit = spec.partition(":")
    if role not in ROLES:
        raise FormRejected([FieldProblem("/role", f"Неизвестная роль {role!r}; допустимо: {', '.join(ROLES)}")])
    if unit and not unit.isdigit():
        raise FormRejected([FieldProblem("/role", f"Подразделение должно быть числом: {spec!r}")])
    return role, int(unit) if unit else None


def add_unit(session, kind: str, name: str, parent: OrgUnit | None = None) -> OrgUnit:
    unit = OrgUnit(kind=kind, name=name, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    return unit


def add_user(session, login: str, full_name: str, password: str, grants: list[tuple[str, int | None]],
             position: str = "", org_unit_id: int | None = None, *, password_hash: str | None = None,
             email: str | None = None) -> User:
    """A new person with role grants; `password_hash` when the caller already hashed `password`;
    `email` is stored lower-cased."""
    if session.scalar(sa.select(User.id).where(User.login == login)):
        raise FormRejected([FieldProblem("/login", f"Логин {login} уже занят")])
    user = User(login=login, full_name=full_name, position=position, org_unit_id=org_unit_id,
                password_hash=password_hash or hash_password(password), created_at=datetime.now(UTC),
                email=email.strip().lower() if email else None)
    session.add(user)
    session.flush()
    for role, unit in grants:
        session.add(RoleGrant(user_id=user.id, role=role, org_unit_id=unit))
    return user


def add_teacher(session, login: str, full_name: str, password: str, school: OrgUnit, info: dict[str, Any],
                position: str, *, password_hash: str | None = None) -> User:
    user = add_user(session, login, full_name, password, [("teacher", school.id)], position, school.id,
                    password_hash=password_hash)
    session.add(TeacherProfile(user_id=user.id, school_id=school.id, info=info))
    return user


def create_user(ctx: ServiceContext, login: str, full_name: str, password: str,
                grants: list[tuple[str, int | None]]) -> int:
    with ctx.uow() as uow:
        user = add_user(uow.session, login, full_name, password, grants)
        uow.commit()
        return user.id
