"""People: password login with shared attempt limits, server-side sessions, personal API tokens with
expiry, and the Actor built from role grants."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from service.contracts import parse
from service.contracts.requests import TokenRequest
from service.db.models import ApiToken, RoleGrant, User, UserSession
from service.domain.access import Actor
from service.domain.errors import NotAllowed, NotAuthenticated, NotFound
from service.services import throttle
from service.services.context import Client, ServiceContext

TOKEN_PREFIX = "iom_"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
# Checked when the login names nobody, so that a wrong login costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


@dataclass(frozen=True)
class SessionPolicy:
    """How long a login session lives: without requests (`idle`), and at most (`lifetime`)."""

    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=12)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_for(session, user_id: int, user: User | None = None) -> Actor:
    """The person with their roles; `user`: their row, when the caller read it already."""
    user = user if user is not None else session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("Пользователь не найден или отключён")
    grants = session.execute(sa.select(RoleGrant.role, RoleGrant.org_unit_id).where(RoleGrant.user_id == user_id))
    return _actor(user, grants)


def _actor(user: User, grants) -> Actor:
    return Actor(user.id, user.full_name, frozenset((r, u) for r, u in grants))


# ---- login and sessions ------------------------------------------------------------------------
def log_in(ctx: ServiceContext, login: str, password: str, client: Client) -> tuple[Actor, str]:
    """Check the password (within the attempt limits) and open a session; returns the actor and the
    session token the cookie carries. Raises TooManyAttempts (429) or NotAuthenticated (401)."""
    now = ctx.auth_clock()
    with ctx.uow() as uow:
        s = uow.session
        throttle.check(s, login, client.ip, now, "входа")
        user = s.scalar(sa.select(User).where(User.login == login))
        right = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
        if user is None or not user.is_active or not right:
            throttle.record_failure(s, login, client.ip, "login", now)
            uow.commit()
            raise NotAuthenticated("Неверный логин или пароль")
        throttle.record_success(s, login, client.ip, now)
        token = secrets.token_urlsafe(32)
        s.add(UserSession(token_hash=token_digest(token), user_id=user.id, created_at=now, last_seen_at=now,
                          ip=client.ip[:64], user_agent=client.user_agent[:400]))
        actor = actor_for(s, user.id)
        uow.commit()
        return actor, token


@dataclass(frozen=True)
class SessionLogin:
    """A live session's person, and whether they must change a temporary password first."""

    actor: Actor
    must_change_password: bool


def session_actor(ctx: ServiceContext, token: str, policy: SessionPolicy = SessionPolicy()) -> Actor | None:
    """The person of a live session; None when it was ended, went idle or outlived its lifetime."""
    found = session_login(ctx, token, policy)
    return found.actor if found else None


def session_login(ctx: ServiceContext, token: str, policy: SessionPolicy = SessionPolicy()) -> SessionLogin | None:
    """session_actor, with the person's must-change-password flag (read from the same row)."""
    now = ctx.auth_clock()
    with ctx.uow() as uow:
        # the session, its person and their roles in one round trip: a row per role (one without)
        found = uow.session.execute(
            sa.select(UserSession, User, RoleGrant.role, RoleGrant.org_unit_id)
            .join(User, User.id == UserSession.user_id).outerjoin(RoleGrant, RoleGrant.user_id == User.id)
            .where(UserSession.token_hash == token_digest(token))).all()
        if not found or found[0][0].revoked_at is not None:
            return None
        row, user = found[0][0], found[0][1]
        if now - row.last_seen_at > policy.idle or now - row.created_at > policy.lifetime:
            row.revoked_at = now
            uow.commit()
            return None
        if not user.is_active:
            return None
        actor = _actor(user, [(role, unit) for _, _, role, unit in found if role is not None])
        must_change = user.must_change_password
        if now - row.last_seen_at > SESSION_TOUCH_INTERVAL:
            row.last_seen_at = now  # at most once a minute: reads stay reads
            uow.commit()
        return SessionLogin(actor, bool(must_change))


def log_out(ctx: ServiceContext, token: str | None) -> None:
    """End a session on the server: its cookie no longer works, even if someone kept a copy."""
    if not token:
        return
    with ctx.uow() as uow:
        row = uow.session.scalar(sa.select(UserSession).where(UserSession.token_hash == token_digest(token)))
        if row is not None and row.revoked_at is None:
            row.revoked_at = ctx.auth_clock()
            uow.commit()


def load_actor(ctx: ServiceContext, user_id: int) -> Actor | None:
    with ctx.uow() as uow:
        try:
            return actor_for(uow.session, user_id)
        except NotAuthenticated:
            return None


# ---- personal API tokens -----------------------------------------------------------------------
def issue_token(ctx: ServiceContext, actor: Actor, name: Any, days: Any = None, *,
                from_session: bool) -> dict[str, Any]:
    """Create a personal token (only from a logged-in session: a token cannot mint tokens); the
    plain token is returned once and never stored. It expires after `days` (default 90). Name and
    days are checked against the API's TokenRequest: the tokens page and the API take the same."""
    if not from_session:
        raise NotAllowed("Выпустить токен можно только из сессии входа, а не по другому токену")
    asked = parse(TokenRequest, {"name": name, **({} if days is None else {"expires_in_days": days})})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = ctx.auth_clock()
    with ctx.uow() as uow:
        row = ApiToken(user_id=actor.user_id, name=asked.name.strip() or "token", token_hash=token_digest(token),
                       created_at=now, expires_at=now + timedelta(days=asked.expires_in_days))
        uow.session.add(row)
        uow.commit()
        return {**_token_view(row, now), "token": token}


def _token_view(row: ApiToken, now: datetime) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"id": row.id, "name": row.name, "created_at": iso(row.created_at), "expires_at": iso(row.expires_at),
            "last_used_at": iso(row.last_used_at), "revoked_at": iso(row.revoked_at),
            "active": _usable(row, now)}


def _usable(row: ApiToken, now: datetime) -> bool:
    return row.revoked_at is None and row.expires_at is not None and row.expires_at > now


def list_tokens(ctx: ServiceContext, actor: Actor) -> list[dict[str, Any]]:
    """My tokens, newest first (never the token itself: only its name and dates)."""
    now = ctx.auth_clock()
    with ctx.uow() as uow:
        rows = uow.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == actor.user_id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
        return [_token_view(row, now) for row in rows]


def actor_for_token(ctx: ServiceContext, token: str) -> Actor | None:
    with ctx.uow() as uow:
        row = uow.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
        now = ctx.auth_clock()
        if row is None or not _usable(row, now):
            return None
        try:
            actor = actor_for(uow.session, row.user_id)
        except NotAuthenticated:
            return None
        if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
            row.last_used_at = now  # at most every few minutes: reads stay reads
            uow.commit()
        return actor


def revoke_token(ctx: ServiceContext, actor: Actor, token_id: int) -> None:
    with ctx.uow() as uow:
        row = uow.session.get(ApiToken, token_id)
        if row is None or row.user_id != actor.user_id:
            raise NotFound("Токен не найден")
        if row.revoked_at is None:
            row.revoked_at = ctx.auth_clock()
            uow.commit()


# ---- passwords, and ending a person's access -------------------------------------------------------
def must_change_password(ctx: ServiceContext, user_id: int) -> bool:
    """Whether the person logs in with a temporary password they must replace first."""
    with ctx.uow() as uow:
        user = uow.session.get(User, user_id)
        return bool(user and user.must_change_password)


def set_password(user: User, password: str, *, must_change: bool) -> None:
    """Store a new password (hashed); `must_change` for a temporary one the person must replace."""
    user.password_hash = hash_password(password)
    user.must_change_password = must_change


def end_sessions(session, user_id: int, now: datetime, *, keep_token: str | None = None) -> int:
    """End the person's open login sessions (except the one of `keep_token`); how many ended."""
    query = sa.update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_token:
        query = query.where(UserSession.token_hash != token_digest(keep_token))
    return session.execute(query.values(revoked_at=now)).rowcount


def revoke_all_tokens(session, user_id: int, now: datetime) -> int:
    """Revoke the person's API tokens that are not revoked yet; how many."""
    return session.execute(sa.update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=now)).rowcount
