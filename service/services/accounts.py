"""People: password login, personal API tokens, and the Actor built from role grants."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from service.db.models import ApiToken, RoleGrant, User
from service.domain.access import Actor
from service.domain.errors import NotAuthenticated, NotFound
from service.services.context import ServiceContext

TOKEN_PREFIX = "iom_"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_for(session, user_id: int) -> Actor:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("Пользователь не найден или отключён")
    grants = session.execute(sa.select(RoleGrant.role, RoleGrant.org_unit_id).where(RoleGrant.user_id == user_id))
    return Actor(user.id, user.full_name, frozenset((r, u) for r, u in grants))


def authenticate(ctx: ServiceContext, login: str, password: str) -> Actor:
    with ctx.uow() as uow:
        user = uow.session.scalar(sa.select(User).where(User.login == login))
        if user is None or not user.is_active or not check_password_hash(user.password_hash, password):
            raise NotAuthenticated("Неверный логин или пароль")
        return actor_for(uow.session, user.id)


def load_actor(ctx: ServiceContext, user_id: int) -> Actor | None:
    with ctx.uow() as uow:
        try:
            return actor_for(uow.session, user_id)
        except NotAuthenticated:
            return None


def issue_token(ctx: ServiceContext, actor: Actor, name: str) -> dict:
    """Create a personal token; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with ctx.uow() as uow:
        row = ApiToken(user_id=actor.user_id, name=name[:100] or "token", token_hash=token_digest(token),
                       created_at=ctx.clock())
        uow.session.add(row)
        uow.commit()
        return {"id": row.id, "name": row.name, "token": token}


def actor_for_token(ctx: ServiceContext, token: str) -> Actor | None:
    with ctx.uow() as uow:
        row = uow.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token),
                                                            ApiToken.revoked_at.is_(None)))
        if row is None:
            return None
        try:
            actor = actor_for(uow.session, row.user_id)
        except NotAuthenticated:
            return None
        now = ctx.clock()
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
            row.revoked_at = ctx.clock()
            uow.commit()
