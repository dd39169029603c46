"""Delegations (поручения): a head (or a methodist) lets a colleague complete their tasks for a
date range. Giving, revoking and expiring one is an event of the system chain naming who, for
whom, which role in which unit, the dates and the kinds of tasks. Who may delegate what to whom:
service/domain/delegation.py; which tasks a delegate sees and completes: service/services/delegated.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from service.contracts import parse
from service.contracts.delegations import DelegationRequest, RevokeRequest
from service.db.models import Delegation, OrgUnit, RoleGrant, User
from service.domain.access import ROLE_TITLES, Actor
from service.domain.delegation import (
    DELEGATE_ROLES,
    SAME_UNIT,
    TASK_KINDS,
    DelegationClosed,
    kinds_text,
    range_problem,
    task_kind,
)
from service.domain.errors import FieldProblem, FormRejected, NotAllowed, NotFound
from service.domain.states import EventKind
from service.services.context import ServiceContext
from service.services.delegated import granted_on, region_today
from service.services.deployments import current_spec, ensure_loaded
from service.services.events import append_event
from service.services.notifications import notify

LIST_LIMIT = 200
REFUSED_DELEGATE = {
    "school_head": "Задачи руководителя ОО можно поручить только заместителю руководителя этой же школы",
    "cnppm_head": "Задачи руководителя ЦНППМ можно поручить только другому руководителю или тьютору этого же центра",
    "methodist": "Задачи методиста можно поручить только другому методисту",
}


# ---- reading -----------------------------------------------------------------------------------
def role_kinds(ctx: ServiceContext, session, role: str) -> list[str]:
    """The kinds of tasks the role gets in the process now in use, in TASK_KINDS order."""
    tasks = ctx.engine.human_tasks(ensure_loaded(ctx, current_spec(session))).values()
    present = {task_kind(t.action) for t in tasks if t.role == role}
    return [k for k in TASK_KINDS if k in present]


def _held(session, user_id: int) -> list[tuple[str, int | None]]:
    """The user's roles that may be delegated, with their units."""
    return [(r, u) for r, u in session.execute(sa.select(RoleGrant.role, RoleGrant.org_unit_id).where(
        RoleGrant.user_id == user_id, RoleGrant.role.in_(DELEGATE_ROLES)).order_by(RoleGrant.id))]


def _delegates(session, role: str, unit_id: int | None, delegator_id: int):
    query = (sa.select(User.id, User.full_name).join(RoleGrant, RoleGrant.user_id == User.id)
             .where(RoleGrant.role.in_(DELEGATE_ROLES[role]), User.is_active, User.id != delegator_id))
    if role in SAME_UNIT:
        query = query.where(RoleGrant.org_unit_id == unit_id)
    return query.distinct().order_by(User.full_name, User.id)


def options(ctx: ServiceContext, actor: Actor) -> list[dict[str, Any]]:
    """What the actor may delegate (the page's form): per role and unit, the kinds of tasks and the
    colleagues who may take them."""
    with ctx.uow() as uow:
        s = uow.session
        out = []
        for role, unit_id in _held(s, actor.user_id):
            unit = s.get(OrgUnit, unit_id) if unit_id else None
            out.append({"role": role, "unit_id": unit_id, "title": _capital(ROLE_TITLES[role])
                        + (f" — {unit.name}" if unit else ""),
                        "kinds": [(k, TASK_KINDS[k]) for k in role_kinds(ctx, s, role)],
                        "delegates": [tuple(r) for r in s.execute(_delegates(s, role, unit_id, actor.user_id))]})
        return out


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]  # «Руководитель ОО», not «Руководитель оо»


def _status(d: Delegation, today: date) -> str:
    if d.revoked_at is not None:
        return "revoked"
    if d.ends_on < today:
        return "ended"
    return "scheduled" if d.starts_on > today else "active"


def _row(ctx: ServiceContext, s, d: Delegation, today: date) -> dict[str, Any]:
    names = dict(s.execute(sa.select(User.id, User.full_name).where(
        User.id.in_([d.delegator_id, d.delegate_id]))).all())
    unit = s.get(OrgUnit, d.unit_id) if d.unit_id else None
    return {"id": d.id, "delegator": {"id": d.delegator_id, "name": names.get(d.delegator_id, "")},
            "delegate": {"id": d.delegate_id, "name": names.get(d.delegate_id, "")}, "role": d.role,
            "role_title": ROLE_TITLES.get(d.role, d.role), "unit": {"id": unit.id, "name": unit.name} if unit else None,
            "kinds": list(d.kinds or []), "kinds_text": kinds_text(d.kinds or []), "starts_on": d.starts_on.isoformat(),
            "ends_on": d.ends_on.isoformat(), "reason": d.reason, "created_at": d.created_at.isoformat(),
            "granted_on": granted_on(ctx, d), "status": _status(d, today),
            "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None}


def list_view(ctx: ServiceContext, actor: Actor) -> dict[str, Any]:
    """The delegations the actor gave and those given to them, newest first (an admin: all given)."""
    today = region_today(ctx)
    with ctx.uow() as uow:
        s = uow.session
        newest = (Delegation.id.desc(),)
        given = sa.select(Delegation).order_by(*newest).limit(LIST_LIMIT)
        if not actor.is_admin:
            given = given.where(Delegation.delegator_id == actor.user_id)
        received = sa.select(Delegation).where(Delegation.delegate_id == actor.user_id).order_by(*newest) \
            .limit(LIST_LIMIT)
        return {"given": [_row(ctx, s, d, today) for d in s.scalars(given)],
                "received": [_row(ctx, s, d, today) for d in s.scalars(received)]}


def _event_data(ctx: ServiceContext, s, d: Delegation) -> dict[str, Any]:
    row = _row(ctx, s, d, region_today(ctx))
    return {"delegation_id": d.id, "delegator": row["delegator"], "delegate": row["delegate"], "role": d.role,
            "unit": row["unit"], "starts_on": row["starts_on"], "ends_on": row["ends_on"], "kinds": row["kinds"],
            "reason": d.reason, "granted_on": row["granted_on"]}


# ---- giving ------------------------------------------------------------------------------------
def _unit_of_role(s, delegator: User, role: str, unit_id: int | None, own: bool) -> int | None:
    """The unit where the delegator holds the role; FormRejected when they do not hold it."""
    units = [u for r, u in _held(s, delegator.id) if r == role and (unit_id is None or u == unit_id)]
    who = "у вас" if own else f"у сотрудника {delegator.full_name}"
    if not units:
        where = " в этой организации" if unit_id is not None else ""
        raise FormRejected([FieldProblem("/role", f"Нельзя поручить то, чего не делаете сами: {who} нет роли "
                                                  f"«{ROLE_TITLES[role]}»{where}")])
    if len(set(units)) > 1:
        raise FormRejected([FieldProblem("/unit_id", f"Роль «{ROLE_TITLES[role]}» {who} в нескольких "
                                                     "организациях: укажите, в какой")])
    return units[0]


def _check(ctx: ServiceContext, s, asked: DelegationRequest, delegator: User, unit_id: int | None,
           today: date) -> list[FieldProblem]:
    problems = []
    delegate = s.get(User, asked.delegate_id)
    if delegate is None or not delegate.is_active:
        problems.append(FieldProblem("/delegate_id", "Сотрудник не найден или отключён"))
    elif delegate.id == delegator.id:
        problems.append(FieldProblem("/delegate_id", "Нельзя дать поручение самому себе"))
    elif s.execute(_delegates(s, asked.role, unit_id, delegator.id).where(User.id == delegate.id)).first() is None:
        problems.append(FieldProblem("/delegate_id", REFUSED_DELEGATE[asked.role]))
    wrong = range_problem(date.fromisoformat(asked.starts_on), date.fromisoformat(asked.ends_on), today)
    if wrong:
        problems.append(FieldProblem(*wrong))
    allowed = role_kinds(ctx, s, asked.role)
    extra = [k for k in asked.kinds if k not in allowed]
    if extra:
        problems.append(FieldProblem("/kinds", f"У роли «{ROLE_TITLES[asked.role]}» нет задач вида "
                                               f"«{kinds_text(extra)}»; есть: {kinds_text(allowed)}"))
    return problems


def grant(ctx: ServiceContext, actor: Actor, body: Any) -> dict[str, Any]:
    """Give a delegation (the delegator themselves, or an admin for anyone within the same rules)."""
    asked = parse(DelegationRequest, body)
    delegator_id = asked.delegator_id or actor.user_id
    if delegator_id != actor.user_id and not actor.is_admin:
        raise NotAllowed("Дать поручение от имени другого сотрудника может только администратор")
    today = region_today(ctx)
    with ctx.uow() as uow:
        s = uow.session
        delegator = s.get(User, delegator_id)
        if delegator is None or not delegator.is_active:
            raise FormRejected([FieldProblem("/delegator_id", "Поручитель не найден или отключён")])
        unit_id = _unit_of_role(s, delegator, asked.role, asked.unit_id, delegator_id == actor.user_id)
        problems = _check(ctx, s, asked, delegator, unit_id, today)
        if problems:
            raise FormRejected(problems)
        now = ctx.clock()
        d = Delegation(delegator_id=delegator.id, delegate_id=asked.delegate_id, role=asked.role, unit_id=unit_id,
                       kinds=[k for k in TASK_KINDS if k in asked.kinds], starts_on=date.fromisoformat(asked.starts_on),
                       ends_on=date.fromisoformat(asked.ends_on), reason=asked.reason.strip(), created_at=now,
                       created_by_id=actor.user_id)
        s.add(d)
        s.flush()
        data = _event_data(ctx, s, d)
        event = append_event(s, route_id=None, at=now, kind=EventKind.DELEGATION_GRANTED, actor_id=actor.user_id,
                             on_behalf_of_id=delegator.id if delegator.id != actor.user_id else None, data=data)
        _tell_delegate(s, event, data)
        uow.commit()
        return _row(ctx, s, d, today)


def _tell_delegate(s, event, data: dict[str, Any]) -> None:
    """The delegate learns of it (in the bell, and by mail per their choice for new tasks)."""
    body = (f"{data['delegator']['name']} поручает вам свои задачи ({ROLE_TITLES[data['role']]}"
            f"{', ' + data['unit']['name'] if data['unit'] else ''}) с {_ru(data['starts_on'])} по "
            f"{_ru(data['ends_on'])}: {kinds_text(data['kinds'])}. Они появятся в ваших задачах с пометкой "
            f"«за {data['delegator']['name']}».")
    notify(s, event=event, user_id=data["delegate"]["id"], kind="task_ready",
           title=f"Вам поручены задачи: {data['delegator']['name']}", body=body, link="/delegations")


def _ru(iso: str) -> str:
    return f"{iso[8:10]}.{iso[5:7]}.{iso[0:4]}"


# ---- ending ------------------------------------------------------------------------------------
def revoke(ctx: ServiceContext, actor: Actor, delegation_id: int, body: Any) -> dict[str, Any]:
    """Revoke a delegation (the one who gave it, or an admin); the delegate loses the tasks at once."""
    why = parse(RevokeRequest, body).reason.strip()
    today = region_today(ctx)
    with ctx.uow() as uow:
        s = uow.session
        d = s.get(Delegation, delegation_id)
        if d is None or actor.user_id not in (d.delegator_id, d.delegate_id) and not actor.is_admin:
            raise NotFound("Поручение не найдено")
        if d.delegator_id != actor.user_id and not actor.is_admin:
            raise NotAllowed("Отозвать поручение может только тот, кто его дал, или администратор")
        if d.revoked_at is not None:
            raise DelegationClosed("Поручение уже отозвано")
        if d.ends_on < today:
            raise DelegationClosed("Срок поручения уже истёк: отзывать нечего")
        now = ctx.clock()
        changed = s.execute(sa.update(Delegation).where(Delegation.id == d.id, Delegation.revoked_at.is_(None))
                            .values(revoked_at=now, revoked_by_id=actor.user_id)).rowcount
        if not changed:  # a concurrent revocation won
            raise DelegationClosed("Поручение уже отозвано")
        s.refresh(d)
        append_event(s, route_id=None, at=now, kind=EventKind.DELEGATION_REVOKED, actor_id=actor.user_id,
                     data={**_event_data(ctx, s, d), "reason": why})
        uow.commit()
        return _row(ctx, s, d, today)


def expire_due(ctx: ServiceContext, now: datetime | None = None) -> int:
    """Record DELEGATION_EXPIRED once for each delegation whose last day has passed (in the region)
    and that was not revoked; returns how many. Safe with two workers: each row is claimed by a
    conditional update, so only one of them writes its event."""
    now = now or ctx.clock()
    today = region_today(ctx, now)
    done = 0
    with ctx.uow() as uow:
        s = uow.session
        due = s.scalars(sa.select(Delegation.id).where(Delegation.ends_on < today, Delegation.expired_at.is_(None),
                                                       Delegation.revoked_at.is_(None)).order_by(Delegation.id)).all()
        for delegation_id in due:
            claimed = s.execute(sa.update(Delegation).where(Delegation.id == delegation_id,
                                                            Delegation.expired_at.is_(None))
                                .values(expired_at=now)).rowcount
            if not claimed:
                continue
            d = s.get(Delegation, delegation_id)
            append_event(s, route_id=None, at=now, kind=EventKind.DELEGATION_EXPIRED, actor_id=None,
                         data=_event_data(ctx, s, d))
            done += 1
        uow.commit()
    return done
