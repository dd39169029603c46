"""Old notifications go: a notification is a message to a person, not history (the event that
caused it stays in the route's chain for ever). A notification read more than the retention period
ago, and not waiting for a letter or a digest, is deleted by the background worker.

`IOM_NOTIFICATION_RETENTION_DAYS` (default 365; 0 keeps everything). At 100,000 routes this keeps
the notifications table to what people may still look at (bench/README.md: bytes per route).
Deleted in batches, oldest first, so a first run over years of backlog never holds the database's
writer for long.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import sqlalchemy as sa

from service.db.models import Notification

DEFAULT_DAYS = 365
BATCH = 2000
KEPT_FOR_MAIL = ("queued", "digest")  # a letter or a digest still to send reads the row


class RetentionMisconfigured(ValueError):
    """IOM_NOTIFICATION_RETENTION_DAYS is not a whole number of days ≥ 0."""


def retention_days() -> int:
    raw = os.environ.get("IOM_NOTIFICATION_RETENTION_DAYS", "").strip()
    if not raw:
        return DEFAULT_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise RetentionMisconfigured(f"IOM_NOTIFICATION_RETENTION_DAYS: не число дней: {raw!r}") from None
    if days < 0:
        raise RetentionMisconfigured("IOM_NOTIFICATION_RETENTION_DAYS: число дней не может быть отрицательным")
    return days


def prune(ctx, now: datetime | None = None, days: int | None = None, max_batches: int = 50) -> int:
    """Delete notifications read before `now - days`; returns how many went. Each batch is its own
    transaction; at most `max_batches` per call (the next call goes on)."""
    days = retention_days() if days is None else days
    if days == 0:
        return 0
    cutoff = (now or ctx.clock()) - timedelta(days=days)
    deleted, after = 0, 0
    for _ in range(max_batches):  # walking up the ids: the kept rows are read once, not once a batch
        with ctx.uow() as uow:
            ids = list(uow.session.scalars(
                sa.select(Notification.id)
                .where(Notification.id > after, Notification.read_at < cutoff,
                       Notification.email.not_in(KEPT_FOR_MAIL))
                .order_by(Notification.id).limit(BATCH)))
            if not ids:
                break
            uow.session.execute(sa.delete(Notification).where(Notification.id.in_(ids)))
            uow.commit()
        deleted, after = deleted + len(ids), ids[-1]
        if len(ids) < BATCH:
            break
    return deleted
