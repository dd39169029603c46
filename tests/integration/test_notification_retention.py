"""Old read notifications are deleted by the worker; unread ones, recent ones and those a letter or
digest still needs stay. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from service import worker
from service.db.models import Notification
from service.services import notification_retention
from tests.support.app import ready_app

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url)


def _add(ctx, user_id: int, title: str, *, read_days_ago: int | None, email: str = "none") -> None:
    created = NOW - timedelta(days=(read_days_ago or 0) + 400)
    read_at = NOW - timedelta(days=read_days_ago) if read_days_ago is not None else None
    with ctx.uow() as uow:
        uow.session.add(Notification(user_id=user_id, kind="task_assigned", title=title, body="…", link="/inbox",
                                     created_at=created, read_at=read_at, email=email))
        uow.commit()


def _titles(ctx) -> set[str]:
    with ctx.uow() as uow:
        return set(uow.session.scalars(sa.select(Notification.title).where(Notification.title.like("t-%"))))


def test_only_notifications_read_before_the_retention_period_go(app):
    ctx, user = app.extensions["iom"], app.config["PEOPLE"]["methodist"]
    _add(ctx, user, "t-read-long-ago", read_days_ago=400)
    _add(ctx, user, "t-read-long-ago-sent", read_days_ago=400, email="sent")
    _add(ctx, user, "t-read-recently", read_days_ago=10)
    _add(ctx, user, "t-never-read", read_days_ago=None)
    _add(ctx, user, "t-waits-for-digest", read_days_ago=400, email="digest")
    _add(ctx, user, "t-waits-for-letter", read_days_ago=400, email="queued")

    assert notification_retention.prune(ctx, NOW, days=365) == 2
    assert _titles(ctx) == {"t-read-recently", "t-never-read", "t-waits-for-digest", "t-waits-for-letter"}
    assert notification_retention.prune(ctx, NOW, days=365) == 0


def test_a_backlog_goes_in_batches_over_calls(app, monkeypatch):
    ctx, user = app.extensions["iom"], app.config["PEOPLE"]["methodist"]
    for n in range(7):
        _add(ctx, user, f"t-{n}", read_days_ago=500)
    monkeypatch.setattr(notification_retention, "BATCH", 3)
    assert notification_retention.prune(ctx, NOW, days=365, max_batches=2) == 6
    assert notification_retention.prune(ctx, NOW, days=365, max_batches=2) == 1
    assert _titles(ctx) == set()


def test_zero_days_keeps_everything_and_a_bad_setting_is_named(app, monkeypatch):
    ctx, user = app.extensions["iom"], app.config["PEOPLE"]["methodist"]
    _add(ctx, user, "t-old", read_days_ago=4000)
    monkeypatch.setenv("IOM_NOTIFICATION_RETENTION_DAYS", "0")
    assert notification_retention.prune(ctx, NOW) == 0 and _titles(ctx) == {"t-old"}
    monkeypatch.setenv("IOM_NOTIFICATION_RETENTION_DAYS", "год")
    with pytest.raises(notification_retention.RetentionMisconfigured, match="IOM_NOTIFICATION_RETENTION_DAYS"):
        notification_retention.prune(ctx, NOW)


def test_the_worker_prunes_at_most_once_an_hour(app, monkeypatch):
    ctx = app.extensions["iom"]
    monkeypatch.setattr(worker, "_pruned_at", 0.0)
    calls = []
    monkeypatch.setattr(notification_retention, "prune", lambda c: calls.append(c) or 0)
    worker.prune_notifications(ctx)
    worker.prune_notifications(ctx)
    assert len(calls) == 1
