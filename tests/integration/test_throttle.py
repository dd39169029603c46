"""The attempt limits on a real database, with the clock in the test's hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from service.db.migrate import upgrade
from service.db.models import AuthFailure
from service.db.session import make_engine, make_session_factory
from service.services import throttle

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def session(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    with make_session_factory(engine)() as s:
        yield s
    engine.dispose()


def test_the_pair_lock_lasts_until_the_oldest_failure_leaves_the_window(session):
    for minute in range(5):
        throttle.record_failure(session, "Teacher1", "10.1.1.1", "login", T0 + timedelta(minutes=minute))
    now = T0 + timedelta(minutes=5)
    assert 0 < throttle.locked_for(session, "teacher1", "10.1.1.1", now) <= 10 * 60 + 1
    assert throttle.locked_for(session, "teacher1", "10.1.1.2", now) == 0
    assert throttle.locked_for(session, "teacher1", "10.1.1.1", T0 + timedelta(minutes=15, seconds=1)) == 0


def test_a_success_forgives_that_address_and_makes_it_known(session):
    for n in range(25):
        throttle.record_failure(session, "tutor1", f"10.2.0.{n}", "login", T0)
    assert throttle.locked_for(session, "tutor1", "10.9.9.9", T0) > 0  # everyone new waits
    throttle.record_success(session, "tutor1", "10.9.9.9", T0 - timedelta(days=1))
    assert throttle.locked_for(session, "tutor1", "10.9.9.9", T0) == 0  # except where the person works
    throttle.record_success(session, "tutor1", "10.9.9.9", T0)  # a second success updates, adds nothing
    session.commit()


def test_signature_failures_count_like_login_failures(session):
    for _ in range(3):
        throttle.record_failure(session, "methodist", "10.3.3.3", "signature", T0)
    for _ in range(2):
        throttle.record_failure(session, "methodist", "10.3.3.3", "login", T0)
    with pytest.raises(throttle.TooManyAttempts):
        throttle.check(session, "methodist", "10.3.3.3", T0, "входа")


def test_old_failures_of_logins_that_name_nobody_are_purged(session, monkeypatch):
    for n in range(50):
        throttle.record_failure(session, f"nobody{n}", "10.4.4.4", "login", T0)
    monkeypatch.setattr(throttle, "PURGE_SHARE", 1.0)
    throttle.record_failure(session, "someone", "10.4.4.4", "login", T0 + timedelta(hours=2))
    assert session.scalar(sa.select(sa.func.count()).select_from(AuthFailure)) == 1
