"""The engine state on the database (migration 0013): existing rows are compressed by the upgrade
and restored by the downgrade, rows still uncompressed read as before, a real route keeps working
through its state, and the state's row version still makes concurrent writers fail. SQLite and
PostgreSQL (`database_url`)."""

from __future__ import annotations

import json
import zlib

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from service.app import build_service_context
from service.db.migrate import upgrade
from service.db.models import RouteState
from tests.support.app import FakeClock, ready_app
from tests.support.audit_routes import drive, new_route

AT = "2026-01-01 10:00:00+00:00"
STATE = json.dumps({"tasks": {"a": {"data": {"ФИО": "Иванова «М» & П"}}}, "typename": "BpmnWorkflow"},
                   ensure_ascii=False)


def _route_with_state(c, route_id: int, state: str) -> None:
    if route_id == 1:
        c.execute(sa.text("INSERT INTO org_units (id, kind, name) VALUES (1, 'school', 'ОО')"))
        c.execute(sa.text("INSERT INTO users (id, login, full_name, position, password_hash, is_active, created_at) "
                          "VALUES (1, 'u', 'У', '', 'x', true, :at)"), {"at": AT})
        c.execute(sa.text("INSERT INTO workflow_specs (id, content_hash, process_id, files, deployed_at) "
                          "VALUES (1, 'h', 'iom_route', '{}', :at)"), {"at": AT})
    c.execute(sa.text(
        "INSERT INTO routes (id, teacher_id, tutor_id, methodist_id, school_id, centre_id, spec_id, title, status, "
        "stage, card, created_at, created_by_id, updated_at) VALUES (:id, 1, 1, 1, 1, 1, 1, 'М', 'active', 'draft', "
        "'{}', :at, 1, :at)"), {"id": route_id, "at": AT})
    c.execute(sa.text("INSERT INTO route_states (route_id, state, data, version) VALUES (:id, :state, '{}', 3)"),
              {"id": route_id, "state": state})


def _raw(engine, route_id: int):
    with engine.connect() as c:
        return c.execute(sa.text("SELECT state, version FROM route_states WHERE route_id = :id"),
                         {"id": route_id}).one()


def test_the_upgrade_compresses_existing_states_and_the_downgrade_restores_them(database_url):
    engine = sa.create_engine(database_url)
    upgrade(engine, "0012")
    with engine.begin() as c:
        for rid in (1, 2, 3):
            _route_with_state(c, rid, STATE.replace("Иванова", f"Иванова {rid}"))
    upgrade(engine, "0013")
    stored, version = _raw(engine, 2)
    assert bytes(stored)[:1] == b"x" and zlib.decompress(bytes(stored)).decode() == STATE.replace("Иванова",
                                                                                                  "Иванова 2")
    assert version == 3
    with Session(engine) as s:
        assert s.get(RouteState, 3).state == STATE.replace("Иванова", "Иванова 3")

    from alembic import command

    from service.db.migrate import alembic_config

    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")
    assert _raw(engine, 1) == (STATE.replace("Иванова", "Иванова 1"), 3)
    assert "replay_results" not in sa.inspect(engine).get_table_names()
    upgrade(engine)
    with Session(engine) as s:
        assert [s.get(RouteState, rid).state for rid in (1, 2, 3)] == \
            [STATE.replace("Иванова", f"Иванова {rid}") for rid in (1, 2, 3)]
    engine.dispose()


def test_a_state_left_uncompressed_reads_as_it_was(database_url):
    """A row an old process wrote during a rolling upgrade: plain UTF-8 JSON in the binary column."""
    engine = sa.create_engine(database_url)
    upgrade(engine, "0012")
    with engine.begin() as c:
        _route_with_state(c, 1, "{}")
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.text("UPDATE route_states SET state = :raw"), {"raw": STATE.encode()})
    with Session(engine) as s:
        assert s.get(RouteState, 1).state == STATE
    engine.dispose()


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock())


def test_a_route_runs_on_its_compressed_state_and_concurrent_writers_still_conflict(app):
    rid = new_route(app)
    drive(app, rid)  # the whole plan, a return and a correction: every step loads and stores the state
    ctx = app.extensions["iom"]
    engine = ctx.sessions.kw["bind"]
    stored, version = _raw(engine, rid)
    with ctx.sessions() as s:
        text = s.get(RouteState, rid).state
    assert json.loads(text)["typename"] == "BpmnWorkflow"
    assert len(bytes(stored)) * 4 < len(text.encode()), (len(bytes(stored)), len(text))

    fresh = build_service_context(app.config["DATABASE_URL"])
    with ctx.sessions() as first, fresh.sessions() as second:
        a, b = first.get(RouteState, rid), second.get(RouteState, rid)
        a.state, b.state = text + " ", text + "  "
        first.commit()
        with pytest.raises(StaleDataError):
            second.commit()
    assert _raw(engine, rid)[1] == version + 1
    fresh.sessions.kw["bind"].dispose()
