"""A pooled PostgreSQL connection that the server dropped while it sat idle (a restart, a failover,
an idle timeout) is replaced before a page uses it: the page answers as usual."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from service.db import session as db_session
from tests.support.app import Person, ready_app
from tests.support.databases import PG_URL


def test_a_connection_the_server_dropped_is_replaced_before_a_page_uses_it(database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    monkeypatch.setattr(db_session, "IDLE_BEFORE_PING_S", 0.0)  # every pooled connection counts as idle
    name = f"iom_drop_{uuid.uuid4().hex[:8]}"
    gen = ready_app(f"{database_url}&application_name={name}")
    app = next(gen)
    try:
        tutor = Person(app, "tutor1")
        assert tutor.get("/inbox").status_code == 200
        admin = sa.create_engine(PG_URL)
        with admin.begin() as c:
            dropped = c.scalar(sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE application_name = :n"), {"n": name})
        admin.dispose()
        assert dropped >= 1
        r = tutor.get("/inbox")
        assert r.status_code == 200 and "Мои задачи" in r.get_data(as_text=True)
    finally:
        next(gen, None)
