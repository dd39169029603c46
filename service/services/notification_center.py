"""My notifications in the app: the list (newest first, paginated), marking read, my preferences.

Everyone sees and changes only their own: another person's notification is "not found"."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.db.models import Notification, NotificationPref, User
from service.domain.access import Actor
from service.domain.errors import FieldProblem, FormRejected, NotFound
from service.services.context import ServiceContext
from service.services.notifications import ALL_KINDS, KIND_LABELS, MODES

PER_PAGE = 20


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _row(n: Notification) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "link": n.link, "route_id": n.route_id,
            "created_at": _iso(n.created_at), "read_at": _iso(n.read_at), "unread": n.read_at is None}


def unread_count(session, user_id: int) -> int:
    """Served by ix_notifications_user_unread (user_id, read_at, …)."""
    return session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def list_mine(ctx: ServiceContext, actor: Actor, page: int = 1, per_page: int = PER_PAGE) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        mine = Notification.user_id == actor.user_id
        total = s.scalar(sa.select(sa.func.count()).select_from(Notification).where(mine)) or 0
        pages = max(1, -(-total // per_page))
        page = min(max(page, 1), pages)
        rows = s.scalars(sa.select(Notification).where(mine).order_by(Notification.created_at.desc(),
                                                                      Notification.id.desc())
                         .offset((page - 1) * per_page).limit(per_page))
        return {"notifications": [_row(n) for n in rows], "unread": unread_count(s, actor.user_id),
                "total": total, "page": page, "pages": pages}


def _mine(session, actor: Actor, notification_id: int) -> Notification:
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != actor.user_id:
        raise NotFound("Уведомление не найдено")
    return n


def mark_read(ctx: ServiceContext, actor: Actor, notification_id: int) -> dict[str, Any]:
    """Mark one of my notifications read (again: no change); returns it."""
    with ctx.uow() as uow:
        n = _mine(uow.session, actor, notification_id)
        if n.read_at is None:
            n.read_at = ctx.clock()
        row = _row(n)
        uow.commit()
        return row


def mark_all_read(ctx: ServiceContext, actor: Actor) -> int:
    with ctx.uow() as uow:
        done = uow.session.execute(sa.update(Notification).where(
            Notification.user_id == actor.user_id, Notification.read_at.is_(None)).values(read_at=ctx.clock())).rowcount
        uow.commit()
        return done


def _settings(session, user: User) -> dict[str, Any]:
    prefs = {p.kind: p.mode for p in session.scalars(sa.select(NotificationPref)
                                                     .where(NotificationPref.user_id == user.id))}
    return {"digest_hour": user.digest_hour, "email": user.email or None,
            "email_bounced": user.email_bounced_at is not None,
            "kinds": [{"kind": k, "label": KIND_LABELS[k], "mode": prefs.get(k, "instant")} for k in ALL_KINDS]}


def get_settings(ctx: ServiceContext, actor: Actor) -> dict[str, Any]:
    with ctx.uow() as uow:
        return _settings(uow.session, uow.session.get(User, actor.user_id))


def save_settings(ctx: ServiceContext, actor: Actor, digest_hour: Any, modes: dict[str, Any]) -> dict[str, Any]:
    """Set the digest hour (0–23) and the mode of the kinds given (instant | digest | off)."""
    problems = []
    if isinstance(digest_hour, bool) or not isinstance(digest_hour, int) or not 0 <= digest_hour <= 23:
        problems.append(FieldProblem("/digest_hour", "Час сводки — целое число от 0 до 23"))
    for kind, mode in modes.items():
        if kind not in ALL_KINDS:
            problems.append(FieldProblem(f"/modes/{kind}", "Неизвестный вид уведомлений"))
        elif mode not in MODES:
            problems.append(FieldProblem(f"/modes/{kind}", "Способ — instant, digest или off"))
    if problems:
        raise FormRejected(problems)
    with ctx.uow() as uow:
        s = uow.session
        user = s.get(User, actor.user_id)
        user.digest_hour = digest_hour
        for kind, mode in modes.items():
            pref = s.get(NotificationPref, (actor.user_id, kind))
            if pref is None:
                s.add(NotificationPref(user_id=actor.user_id, kind=kind, mode=mode))
            else:
                pref.mode = mode
        s.flush()
        out = _settings(s, user)
        uow.commit()
        return out


def bounce_of(ctx: ServiceContext, user_id: int) -> dict[str, Any] | None:
    """When and why the mail server refused the person's address (shown to those who manage them)."""
    with ctx.uow() as uow:
        user = uow.session.get(User, user_id)
        if user is None or user.email_bounced_at is None:
            return None
        return {"at": user.email_bounced_at, "reason": user.email_bounce}
