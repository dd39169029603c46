"""People (admin everywhere; a CNPPM head within their centre and its schools): list and search,
create, edit, deactivate and reactivate, grant and revoke roles, issue password resets.

Reach: an admin reaches everyone; a CNPPM head sees the people tied to their centre or its schools
(their place of work, or a role there) and manages those wholly inside it (place of work there and
only the roles a head may grant, there). Someone outside a head's reach is "not found" to them:
outsiders learn nothing about people. Every change is an event of the system chain, with its actor
and the old and new values (never a password, a link or a token)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from service.contracts import parse
from service.contracts.people import GrantRequest, PersonCreateRequest, PersonUpdateRequest, ResetRequest
from service.db.models import OrgUnit, RoleGrant, TeacherProfile, User
from service.domain.access import ROLE_TITLES, ROLES, Actor, centres_headed
from service.domain.errors import FieldProblem, FormRejected, NotAllowed, NotFound
from service.domain.states import EventKind
from service.services import accounts, passwords
from service.services.context import ServiceContext
from service.services.events import append_event
from service.services.org import require_open_unit

PAGE_SIZE = 50
HEAD_GRANTABLE = ("teacher", "tutor", "school_head", "deputy_head")
# The kind of unit each role is scoped to (None: no unit).
ROLE_UNITS: dict[str, tuple[str | None, ...]] = {
    "teacher": ("school",), "school_head": ("school",), "deputy_head": ("school",), "tutor": ("centre",),
    "cnppm_head": ("centre",), "methodist": ("region", "centre"), "auditor": ("region",), "admin": (None,),
}
UNIT_WORDS = {"school": "ОО", "centre": "ЦНППМ", "region": "регион"}


@dataclass(frozen=True)
class Reach:
    """The units whose people the actor manages; None: all (an admin)."""

    units: frozenset[int] | None

    @property
    def everywhere(self) -> bool:
        return self.units is None

    def covers(self, unit_id: int | None) -> bool:
        return self.units is None or (unit_id is not None and unit_id in self.units)


def reach_of(session, actor: Actor) -> Reach:
    if actor.is_admin:
        return Reach(None)
    centres = centres_headed(actor)
    if not centres:
        raise NotAllowed("Управлять людьми может администратор или руководитель ЦНППМ")
    schools = session.scalars(sa.select(OrgUnit.id).where(OrgUnit.parent_id.in_(centres)))
    return Reach(frozenset({*centres, *schools}))


def _grants(session, user_ids: list[int]) -> dict[int, list[RoleGrant]]:
    out: dict[int, list[RoleGrant]] = {i: [] for i in user_ids}
    if user_ids:
        for grant in session.scalars(sa.select(RoleGrant).where(RoleGrant.user_id.in_(user_ids))
                                     .order_by(RoleGrant.role, RoleGrant.id)):
            out[grant.user_id].append(grant)
    return out


def _visible(reach: Reach, user: User, grants: list[RoleGrant]) -> bool:
    return reach.everywhere or reach.covers(user.org_unit_id) or any(reach.covers(g.org_unit_id) for g in grants)


def _manageable(reach: Reach, user: User, grants: list[RoleGrant]) -> bool:
    if reach.everywhere:
        return True
    return ((user.org_unit_id is None or reach.covers(user.org_unit_id)) and _visible(reach, user, grants)
            and all(g.role in HEAD_GRANTABLE and reach.covers(g.org_unit_id) for g in grants))


def _load(session, reach: Reach, user_id: int, *, manage: bool = True) -> tuple[User, list[RoleGrant]]:
    """The person, if the actor reaches them (else 404: nothing about them leaks) and, with
    `manage`, may change them (else 403)."""
    user = session.get(User, user_id)
    grants = _grants(session, [user_id])[user_id] if user else []
    if user is None or not _visible(reach, user, grants):
        raise NotFound("Человек не найден")
    if manage and not _manageable(reach, user, grants):
        raise NotAllowed("Этого человека может изменять только администратор: у него есть роли или место "
                         "работы вне вашего ЦНППМ")
    return user, grants


def _unit_names(session) -> dict[int, str]:
    return dict(session.execute(sa.select(OrgUnit.id, OrgUnit.name)).all())


def _grant_view(grant: RoleGrant, names: dict[int, str]) -> dict[str, Any]:
    return {"id": grant.id, "role": grant.role, "title": ROLE_TITLES.get(grant.role, grant.role),
            "org_unit_id": grant.org_unit_id, "unit_name": names.get(grant.org_unit_id) if grant.org_unit_id else None}


def _row(user: User, grants: list[RoleGrant], names: dict[int, str], reach: Reach) -> dict[str, Any]:
    shown = [g for g in grants if reach.everywhere or reach.covers(g.org_unit_id)]
    return {"id": user.id, "login": user.login, "name": user.full_name, "email": user.email,
            "position": user.position, "org_unit_id": user.org_unit_id,
            "unit_name": names.get(user.org_unit_id) if user.org_unit_id else None,
            "is_active": user.is_active, "roles": [_grant_view(g, names) for g in shown]}


def _view(user: User, grants: list[RoleGrant], names: dict[int, str], reach: Reach) -> dict[str, Any]:
    return {**_row(user, grants, names, reach), "must_change_password": user.must_change_password,
            "created_at": user.created_at.isoformat(), "manageable": _manageable(reach, user, grants)}


# ---- reading -----------------------------------------------------------------------------------
def _like_any(text: str):
    """Name, login or e-mail containing `text`. SQLite's LIKE folds ASCII only, so the usual
    capitalisations of a Cyrillic name are tried too."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    variants = {escaped, escaped.lower(), escaped.upper(), escaped.capitalize(), escaped.title()}
    return sa.or_(*(column.ilike(f"%{v}%", escape="\\") for v in sorted(variants)
                    for column in (User.full_name, User.login, User.email)))


def _in_units(units) -> Any:
    granted = sa.select(RoleGrant.user_id).where(RoleGrant.org_unit_id.in_(units))
    return sa.or_(User.org_unit_id.in_(units), User.id.in_(granted))


def list_people(ctx: ServiceContext, actor: Actor, *, text: str | None = None, unit_id: int | None = None,
                role: str | None = None, active: bool | None = None, page: int = 1) -> dict[str, Any]:
    """People within the actor's reach, by name; searched by name, login or e-mail; filtered by
    unit (place of work or a role there), role and state; PAGE_SIZE a page."""
    if role is not None and role not in ROLES:
        raise FormRejected([FieldProblem("?role", "Неизвестная роль")])
    with ctx.uow() as uow:
        s = uow.session
        reach = reach_of(s, actor)
        where = []
        if not reach.everywhere:
            where.append(_in_units(reach.units))
        if unit_id is not None:
            if not reach.covers(unit_id) or s.get(OrgUnit, unit_id) is None:
                raise FormRejected([FieldProblem("?unit", "Организация не найдена")])
            where.append(_in_units([unit_id]))
        if role is not None:
            with_role = sa.select(RoleGrant.user_id).where(RoleGrant.role == role)
            if not reach.everywhere:
                with_role = with_role.where(RoleGrant.org_unit_id.in_(reach.units))
            where.append(User.id.in_(with_role))
        if active is not None:
            where.append(User.is_active.is_(active))
        if text and text.strip():
            where.append(_like_any(text.strip()[:100]))
        total = s.scalar(sa.select(sa.func.count()).select_from(User).where(*where)) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 1), pages)
        users = s.scalars(sa.select(User).where(*where).order_by(User.full_name, User.id)
                          .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        grants, names = _grants(s, [u.id for u in users]), _unit_names(s)
        return {"items": [_row(u, grants[u.id], names, reach) for u in users], "total": total, "page": page,
                "pages": pages}


def reachable_units(ctx: ServiceContext, actor: Actor) -> list[dict[str, Any]]:
    """The units the actor may place people and roles in (for the pages' choices), active first."""
    with ctx.uow() as uow:
        s = uow.session
        reach = reach_of(s, actor)
        query = sa.select(OrgUnit).order_by(OrgUnit.kind, OrgUnit.name, OrgUnit.id)
        if not reach.everywhere:
            query = query.where(OrgUnit.id.in_(reach.units))
        return [{"id": u.id, "kind": u.kind, "name": u.name, "is_active": u.is_active} for u in s.scalars(query)]


def grantable_roles(ctx: ServiceContext, actor: Actor) -> list[dict[str, str]]:
    roles = ROLES if actor.is_admin else HEAD_GRANTABLE
    return [{"role": r, "title": ROLE_TITLES[r]} for r in roles]


def person(ctx: ServiceContext, actor: Actor, user_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        reach = reach_of(s, actor)
        user, grants = _load(s, reach, user_id, manage=False)
        return _view(user, grants, _unit_names(s), reach)


# ---- checks shared by the changes ----------------------------------------------------------------
def _check_place(session, reach: Reach, unit_id: int, pointer: str = "/org_unit_id") -> None:
    unit = session.get(OrgUnit, unit_id)
    if unit is None or not reach.covers(unit_id):
        raise FormRejected([FieldProblem(pointer, "Организация не найдена или вне вашей зоны")])
    if unit.kind not in ("centre", "school") and not reach.everywhere:
        raise FormRejected([FieldProblem(pointer, "Место работы — ЦНППМ или ОО")])
    require_open_unit(session, unit_id, pointer)


def _check_grant(session, actor: Actor, reach: Reach, role: str, unit_id: int | None, pointer: str) -> None:
    if not actor.is_admin and role not in HEAD_GRANTABLE:
        raise FormRejected([FieldProblem(f"{pointer}/role", f"Роль «{ROLE_TITLES[role]}» выдаёт только администратор")])
    kinds = ROLE_UNITS[role]
    if kinds == (None,):
        if unit_id is not None:
            raise FormRejected([FieldProblem(f"{pointer}/org_unit_id", "Роль администратора — без организации")])
        return
    if unit_id is None:
        raise FormRejected([FieldProblem(f"{pointer}/org_unit_id", "Укажите организацию роли")])
    unit = session.get(OrgUnit, unit_id)
    if unit is None or not reach.covers(unit_id):
        raise FormRejected([FieldProblem(f"{pointer}/org_unit_id", "Организация не найдена или вне вашей зоны")])
    if unit.kind not in kinds:
        words = " или ".join(UNIT_WORDS[k] for k in kinds)
        raise FormRejected([FieldProblem(f"{pointer}/org_unit_id",
                                         f"Роль «{ROLE_TITLES[role]}» действует в организации вида: {words}")])
    require_open_unit(session, unit_id, f"{pointer}/org_unit_id")


def _email_free(session, email: str, user_id: int | None) -> list[FieldProblem]:
    query = sa.select(User.id).where(User.email == email)
    if user_id is not None:
        query = query.where(User.id != user_id)
    return [FieldProblem("/email", "Этот адрес электронной почты уже указан у другого человека")] \
        if session.scalar(query.limit(1)) is not None else []


def _add_grant(ctx: ServiceContext, session, actor: Actor, user: User, role: str, unit_id: int | None) -> RoleGrant:
    grant = RoleGrant(user_id=user.id, role=role, org_unit_id=unit_id)
    session.add(grant)
    session.flush()
    if role == "teacher" and session.get(TeacherProfile, user.id) is None:
        session.add(TeacherProfile(user_id=user.id, school_id=unit_id, info={}))  # routes need the sheet's school
    _event(ctx, session, actor, EventKind.ROLE_GRANTED,
           {"user_id": user.id, "grant_id": grant.id, "role": role, "org_unit_id": unit_id})
    return grant


def _event(ctx: ServiceContext, session, actor: Actor, kind: EventKind, data: dict[str, Any]) -> None:
    append_event(session, route_id=None, at=ctx.clock(), kind=kind, actor_id=actor.user_id, data=data)


# ---- changes -----------------------------------------------------------------------------------
def create_person(ctx: ServiceContext, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    """A new person with their roles and a temporary password or a reset link (returned once);
    nothing is written unless everything is right."""
    asked = parse(PersonCreateRequest, body)
    email = asked.email.strip().lower()
    with ctx.uow() as uow:
        s = uow.session
        reach = reach_of(s, actor)
        _check_place(s, reach, asked.org_unit_id)
        problems = _email_free(s, email, None)
        if s.scalar(sa.select(User.id).where(sa.func.lower(User.login) == asked.login)) is not None:
            problems.insert(0, FieldProblem("/login", "Этот логин уже занят"))
        if problems:
            raise FormRejected(problems)
        seen = set()
        for i, grant in enumerate(asked.roles):
            _check_grant(s, actor, reach, grant.role, grant.org_unit_id, f"/roles/{i}")
            if (grant.role, grant.org_unit_id) in seen:
                raise FormRejected([FieldProblem(f"/roles/{i}", "Эта роль указана дважды")])
            seen.add((grant.role, grant.org_unit_id))
        user = User(login=asked.login, full_name=asked.full_name.strip(), position=asked.position.strip(),
                    email=email, org_unit_id=asked.org_unit_id, created_at=ctx.clock(), is_active=True,
                    password_hash=accounts.hash_password(secrets.token_urlsafe(32)), must_change_password=True)
        s.add(user)
        s.flush()
        _event(ctx, s, actor, EventKind.USER_CREATED, {"user_id": user.id, "new": _fields(user)})
        for grant in asked.roles:
            _add_grant(ctx, s, actor, user, grant.role, grant.org_unit_id)
        credential = passwords.issue_credential(ctx, s, user, asked.credential, actor.user_id)
        grants = _grants(s, [user.id])[user.id]
        view = _view(user, grants, _unit_names(s), reach)
        uow.commit()
        return {"person": view, "credential": credential}


def _fields(user: User) -> dict[str, Any]:
    return {"login": user.login, "full_name": user.full_name, "email": user.email, "position": user.position,
            "org_unit_id": user.org_unit_id}


def update_person(ctx: ServiceContext, actor: Actor, user_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Change the given fields (name, e-mail, position, place of work); the event keeps old and new."""
    asked = parse(PersonUpdateRequest, body)
    with ctx.uow() as uow:
        s = uow.session
        reach = reach_of(s, actor)
        user, grants = _load(s, reach, user_id)
        wanted = {k: v.strip() if isinstance(v, str) else v for k, v in asked.model_dump(exclude_none=True).items()}
        if "email" in wanted:
            wanted["email"] = wanted["email"].lower()
            if problems := _email_free(s, wanted["email"], user.id):
                raise FormRejected(problems)
        if "org_unit_id" in wanted and wanted["org_unit_id"] != user.org_unit_id:
            _check_place(s, reach, wanted["org_unit_id"])
        old, new = {}, {}
        for name, value in wanted.items():
            if getattr(user, name) != value:
                old[name], new[name] = getattr(user, name), value
                setattr(user, name, value)
        if new:
            _event(ctx, s, actor, EventKind.USER_UPDATED, {"user_id": user.id, "old": old, "new": new})
            uow.commit()
        return _view(user, grants, _unit_names(s), reach)


def set_person_active(ctx: ServiceContext, actor: Actor, user_id: int, active: bool) -> dict[str, Any]:
    """Deactivate (their sessions and API tokens end at once) or reactivate a person; their routes,
    signatures and history stay."""
    with ctx.uow() as uow:
        s = uow.session
        reach = reach_of(s, actor)
        user, grants = _load(s, reach, user_id)
        if not active and user.id == actor.user_id:
            raise NotAllowed("Нельзя отключить самого себя")
        if user.is_active != active:
            user.is_active = active
            if not active:
                now = ctx.auth_clock()
                accounts.end_sessions(s, user.id, now)
                accounts.revoke_all_tokens(s, user.id, now)
            kind = EventKind.USER_REACTIVATED if active else EventKind.USER_DEACTIVATED
            _event(ctx, s, actor, kind, {"user_id": user.id, "old": {"is_active": not active},
                                         "new": {"is_active": active}})
            uow.commit()
        return _view(user, grants, _unit_names(s), reach)


def grant_role(ctx: ServiceContext, actor: Actor, user_id: int, body: dict[str, Any]) -> dict[str, Any]:
    asked = parse(GrantRequest, body)
    with ctx.uow() as uow:
        s = uow.session
        reach = reach_of(s, actor)
        user, grants = _load(s, reach, user_id)
        _check_grant(s, actor, reach, asked.role, asked.org_unit_id, "")
        if any(g.role == asked.role and g.org_unit_id == asked.org_unit_id for g in grants):
            raise FormRejected([FieldProblem("/role", "Эта роль в этой организации уже выдана")])
        _add_grant(ctx, s, actor, user, asked.role, asked.org_unit_id)
        view = _view(user, _grants(s, [user.id])[user.id], _unit_names(s), reach)
        uow.commit()
        return view


def revoke_role(ctx: ServiceContext, actor: Actor, user_id: int, grant_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        reach = reach_of(s, actor)
        user, grants = _load(s, reach, user_id)
        grant = next((g for g in grants if g.id == grant_id), None)
        if grant is None:
            raise NotFound("Роль не найдена")
        if grant.role == "admin":
            if user.id == actor.user_id:
                raise NotAllowed("Нельзя отозвать роль администратора у самого себя")
            if _active_admins(s) <= 1:
                raise NotAllowed("Нельзя отозвать роль у последнего администратора")
        s.delete(grant)
        _event(ctx, s, actor, EventKind.ROLE_REVOKED,
               {"user_id": user.id, "grant_id": grant.id, "role": grant.role, "org_unit_id": grant.org_unit_id})
        s.flush()
        view = _view(user, _grants(s, [user.id])[user.id], _unit_names(s), reach)
        uow.commit()
        return view


def _active_admins(session) -> int:
    admins = sa.select(sa.func.count(sa.distinct(RoleGrant.user_id))).join(User, User.id == RoleGrant.user_id)
    return session.scalar(admins.where(RoleGrant.role == "admin", User.is_active.is_(True))) or 0


def issue_reset(ctx: ServiceContext, actor: Actor, user_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """A temporary password or a one-time link for a person within reach (shown once); their
    sessions end."""
    mode = parse(ResetRequest, body).mode
    with ctx.uow() as uow:
        s = uow.session
        reach = reach_of(s, actor)
        user, _ = _load(s, reach, user_id)
        if user.id == actor.user_id:
            raise NotAllowed("Свой пароль меняйте на странице смены пароля")
        if not user.is_active:
            raise FormRejected([FieldProblem("", "Человек отключён: сначала включите его")])
        credential = passwords.issue_credential(ctx, s, user, mode, actor.user_id)
        uow.commit()
        return credential
