"""The daily digest: a person's notifications marked "digest", grouped into one letter at their hour.

`queue_due_digests(ctx)` is run periodically by the worker. For each person whose digest hour
(users.digest_hour, in the region's time ctx.timezone) has come today and who has notifications
waiting for the digest, it queues ONE letter (EmailOutbox key `d:<user id>:<local date>`) and marks
them "sent", in one transaction per person. Running it twice, or in two processes at once, queues
one letter: the second finds nothing waiting, or (racing) fails on the unique key and rolls back.
Notifications that arrive after the day's digest wait for the next day's."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.db.models import EmailOutbox, Notification, User
from service.domain.errors import ConcurrentUpdate
from service.services import mail_render
from service.services.context import ServiceContext
from service.services.notifications import can_mail


def _waiting_people(ctx: ServiceContext) -> list[int]:
    with ctx.uow() as uow:
        return list(uow.session.scalars(sa.select(Notification.user_id).where(Notification.email == "digest")
                                        .distinct().order_by(Notification.user_id)))


def _queue_one(ctx: ServiceContext, user_id: int, now: datetime) -> bool:
    zone = ZoneInfo(ctx.timezone)
    local_now = now.astimezone(zone)
    with ctx.uow() as uow:
        s = uow.session
        user = s.get(User, user_id)
        if user is None or local_now.hour < user.digest_hour:
            return False
        on = local_now.date()
        key = f"d:{user_id}:{on.isoformat()}"
        if s.scalar(sa.select(EmailOutbox.id).where(EmailOutbox.key == key)) is not None:
            return False  # today's is queued: the rest waits for tomorrow
        items = list(s.scalars(sa.select(Notification).where(
            Notification.user_id == user_id, Notification.email == "digest", Notification.created_at <= now)
            .order_by(Notification.created_at, Notification.id)))
        if not items:
            return False
        if not can_mail(user):  # the address went away or bounces: in-app only
            for n in items:
                n.email = "none"
            uow.commit()
            return False
        subject, text, html = mail_render.digest_letter(items, user.full_name, on.strftime("%d.%m.%Y"), ctx.timezone)
        s.add(EmailOutbox(key=key, user_id=user_id, to_addr=user.email, subject=subject, text=text, html=html,
                          state="pending", attempts=0, next_attempt_at=now, created_at=now))
        for n in items:
            n.email = "sent"
        uow.commit()
        return True


def queue_due_digests(ctx: ServiceContext, now: datetime | None = None) -> int:
    """Queue today's digest letter of everyone whose hour has come; returns how many were queued."""
    now = now or ctx.clock()
    queued = 0
    for user_id in _waiting_people(ctx):
        try:
            queued += _queue_one(ctx, user_id, now)
        except (ConcurrentUpdate, IntegrityError):  # another process queued it at the same moment
            continue
    return queued
