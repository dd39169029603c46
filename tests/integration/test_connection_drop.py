"""PostgreSQL connections the server dropped (a restart, a failover, an idle timeout): one that sat
idle is replaced before a page uses it; one dropped in the moment after its last use fails that
one request with 503 and a Russian message (nothing written), and the next request is served."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from service.db import session as db_session
from tests.support.app import Person, ready_app
from tests.support.databases import PG_URL


@pytest.fixture
def dropping(database_url):
    """(app, drop): an app whose pool's connections `drop()` ends on the server."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    name = f"iom_drop_{uuid.uuid4().hex[:8]}"
    gen = ready_app(f"{database_url}&application_name={name}")
    app = next(gen)

    def drop() -> int:
        admin = sa.create_engine(PG_URL)
        with admin.begin() as c:
            n = c.scalar(sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                 "WHERE application_name = :n"), {"n": name})
        admin.dispose()
        return n

    yield app, drop
    next(gen, None)


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_a_page_uses_it(dropping, monkeypatch):
    app, drop = dropping
    monkeypatch.setattr(db_session, "IDLE_BEFORE_PING_S", 0.0)  # every pooled connection counts as idle
    tutor = Person(app, "tutor1")
    assert tutor.get("/inbox").status_code == 200
    assert drop() >= 1
    r = tutor.get("/inbox")
    assert r.status_code == 200 and "Мои задачи" in r.get_data(as_text=True)


def test_a_connection_dropped_just_after_use_fails_one_request_with_503_and_the_next_is_served(dropping, monkeypatch):
    app, drop = dropping
    monkeypatch.setattr(db_session, "IDLE_BEFORE_PING_S", 1e9)  # no connection counts as idle
    tutor = Person(app, "tutor1")
    assert tutor.get("/api/tasks").status_code == 200
    assert drop() >= 1
    r = tutor.get("/api/tasks")
    assert r.status_code == 503 and "Нет связи с базой данных" in r.get_json()["error"]
    assert r.headers["Retry-After"] == "5"
    assert tutor.get("/api/tasks").status_code == 200  # the pool was renewed
    page = tutor.get("/inbox")
    assert page.status_code == 200
