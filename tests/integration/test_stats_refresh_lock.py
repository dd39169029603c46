"""One refresher of the statistics facts at a time per database schema (PostgreSQL's advisory lock,
keyed by the schema): a refresher holding the lock of another schema does not stop this one, one
holding this schema's lock makes a worker's pass give up, and a full rebuild waits for it."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from service.services import stats_facts
from tests.support.app import ready_app
from tests.support.audit_routes import new_route
from tests.support.databases import fresh_database


@pytest.fixture
def app(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the advisory lock is PostgreSQL's; SQLite has one writer")
    yield from ready_app(database_url)


def _hold_lock(url: str):
    """A connection holding the refresher's lock in the schema of `url` (until rolled back)."""
    engine = sa.create_engine(url)
    conn = engine.connect()
    conn.begin()
    with sa.orm.Session(bind=conn) as s:
        assert stats_facts._locked(s)
    return engine, conn


def test_the_lock_is_per_schema_and_a_rebuild_waits_for_it(app, tmp_path):
    ctx = app.extensions["iom"]
    new_route(app)
    with fresh_database("postgresql", tmp_path) as other_url:
        engine, conn = _hold_lock(other_url)
        try:
            assert stats_facts.refresh_stale(ctx) == 1  # another schema's refresher does not stop this one
        finally:
            conn.rollback()
            conn.close()
            engine.dispose()
    url = ctx.sessions.kw["bind"].url.render_as_string(hide_password=False)
    engine, conn = _hold_lock(url)
    done = []
    try:
        with ctx.uow() as uow:
            uow.session.execute(sa.text("UPDATE routes SET updated_at = updated_at + interval '1 second'"))
            uow.commit()
        assert stats_facts.refresh_stale(ctx) == 0  # this schema's lock is held: the pass gives up
        rebuild = threading.Thread(target=lambda: done.append(stats_facts.rebuild_all(ctx)))
        rebuild.start()
        rebuild.join(1.0)
        assert rebuild.is_alive() and not done  # the rebuild waits for the lock
    finally:
        conn.rollback()
        conn.close()
        engine.dispose()
    rebuild.join(30)
    assert done == [1]
