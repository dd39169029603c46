"""Passwords: the rules a new one must meet, temporary passwords and one-time reset links (issued by
an admin or a CNPPM head: service/services/people_admin.py), using a link, and changing one's own.

A reset link's token is shown once and only its SHA-256 is stored; it works once, for 72 hours.
Issuing a reset ends the person's open sessions; a temporary password must be replaced at the next
login before anything else (service/http/auth.py sends such a session to /password/change)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from service.contracts import parse
from service.contracts.people import MIN_PASSWORD, PasswordChangeRequest
from service.db.models import PasswordReset, User
from service.domain.access import Actor
from service.domain.errors import FieldProblem, FormRejected, NotAuthenticated, ResetLinkUnusable
from service.domain.states import EventKind
from service.services import accounts, throttle
from service.services.context import Client, ServiceContext
from service.services.events import append_event

LINK_LIFETIME = timedelta(hours=72)
RESET_PATH = "/password/reset/"
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # nothing to misread (l/1, O/0)
TEMPORARY_LENGTH = 12


def password_problems(login: str, password: str, confirm: str | None = None,
                      pointer: str = "/new_password") -> list[FieldProblem]:
    """What is wrong with a new password: at least 10 characters, not the login."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(FieldProblem(pointer, f"Пароль должен быть не короче {MIN_PASSWORD} символов"))
    elif password.strip().casefold() == login.casefold():
        problems.append(FieldProblem(pointer, "Пароль не должен совпадать с логином"))
    if confirm is not None and confirm != password:
        problems.append(FieldProblem("/confirm", "Пароли не совпадают"))
    return problems


def _check_new(login: str, password: str, confirm: str | None = None) -> None:
    if problems := password_problems(login, password, confirm):
        raise FormRejected(problems)


def issue_credential(ctx: ServiceContext, session, user: User, mode: str, actor_id: int | None) -> dict[str, Any]:
    """A temporary password or a one-time link for `user` (in the caller's transaction): earlier
    unused links stop working and the person's sessions end. The secret is returned, never stored."""
    now = ctx.auth_clock()
    session.execute(sa.update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                    .values(used_at=now))
    accounts.end_sessions(session, user.id, now)
    append_event(session, route_id=None, at=ctx.clock(), kind=EventKind.PASSWORD_RESET_ISSUED, actor_id=actor_id,
                 data={"user_id": user.id, "mode": mode})
    if mode == "temporary":
        password = "".join(secrets.choice(_ALPHABET) for _ in range(TEMPORARY_LENGTH))
        accounts.set_password(user, password, must_change=True)
        return {"mode": "temporary", "password": password}
    token = secrets.token_urlsafe(32)
    expires = now + LINK_LIFETIME
    session.add(PasswordReset(user_id=user.id, token_hash=accounts.token_digest(token), created_at=now,
                              expires_at=expires, created_by_id=actor_id))
    return {"mode": "link", "link": RESET_PATH + token, "expires_at": expires.isoformat()}


def _live_link(ctx: ServiceContext, session, token: str) -> PasswordReset:
    row = session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == accounts.token_digest(token)))
    if row is None:
        raise ResetLinkUnusable("Ссылка для сброса пароля не найдена. Попросите администратора выдать новую.")
    if row.used_at is not None:
        raise ResetLinkUnusable("Эта ссылка уже использована или заменена новой. Попросите администратора "
                                "выдать новую.")
    if row.expires_at <= ctx.auth_clock():
        raise ResetLinkUnusable("Срок действия ссылки истёк (72 часа). Попросите администратора выдать новую.")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise ResetLinkUnusable("Учётная запись отключена")
    return row


def reset_link(ctx: ServiceContext, token: str) -> dict[str, Any]:
    """Whose password a live link sets (their login and name), or ResetLinkUnusable (410)."""
    with ctx.uow() as uow:
        row = _live_link(ctx, uow.session, token)
        user = uow.session.get(User, row.user_id)
        return {"login": user.login, "name": user.full_name, "expires_at": row.expires_at}


def use_reset_link(ctx: ServiceContext, token: str, password: str, confirm: str) -> str:
    """Set the new password through a live link, once; returns the login."""
    with ctx.uow() as uow:
        s = uow.session
        row = _live_link(ctx, s, token)
        user = s.get(User, row.user_id)
        _check_new(user.login, password, confirm)
        now = ctx.auth_clock()
        row.used_at = now
        accounts.set_password(user, password, must_change=False)
        accounts.end_sessions(s, user.id, now)
        append_event(s, route_id=None, at=ctx.clock(), kind=EventKind.PASSWORD_CHANGED, actor_id=user.id,
                     data={"user_id": user.id, "via": "link"})
        uow.commit()
        return user.login


def change_own_password(ctx: ServiceContext, actor: Actor, body: dict[str, Any], client: Client,
                        session_token: str | None, confirm: str | None = None) -> None:
    """Replace my password (the current one confirms it's me, within the login attempt limits); my
    other sessions end, this one goes on; a temporary password stops being one."""
    asked = parse(PasswordChangeRequest, body)
    now = ctx.auth_clock()
    with ctx.uow() as uow:
        s = uow.session
        user = s.get(User, actor.user_id)
        if user is None or not user.is_active:
            raise NotAuthenticated("Пользователь не найден или отключён")
        throttle.check(s, user.login, client.ip, now, "ввода пароля")
        if not check_password_hash(user.password_hash, asked.current_password):
            throttle.record_failure(s, user.login, client.ip, "login", now)
            uow.commit()
            raise FormRejected([FieldProblem("/current_password", "Текущий пароль введён неверно")])
        _check_new(user.login, asked.new_password, confirm)
        if asked.new_password == asked.current_password:
            raise FormRejected([FieldProblem("/new_password", "Новый пароль должен отличаться от текущего")])
        forced = user.must_change_password
        accounts.set_password(user, asked.new_password, must_change=False)
        accounts.end_sessions(s, user.id, now, keep_token=session_token)
        append_event(s, route_id=None, at=ctx.clock(), kind=EventKind.PASSWORD_CHANGED, actor_id=user.id,
                     data={"user_id": user.id, "via": "temporary" if forced else "self"})
        uow.commit()
