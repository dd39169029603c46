"""Migrations from an empty database, and the event chain backfilled for history written before
revision 0004."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from service.db.migrate import upgrade
from service.services.audit import Report, check_chain


def _engine(url):
    return sa.create_engine(url)


def test_events_written_before_the_chain_are_chained_by_the_upgrade(database_url):
    engine = _engine(database_url)
    upgrade(engine, "0003")
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO org_units (id, kind, name) VALUES (1, 'school', 'ОО')"))
        c.execute(sa.text("INSERT INTO users (id, login, full_name, position, password_hash, is_active, created_at) "
                          "VALUES (1, 'u', 'У', '', 'x', true, '2026-01-01 10:00:00+00:00')"))
        c.execute(sa.text("INSERT INTO workflow_specs (id, content_hash, process_id, files, deployed_at) "
                          "VALUES (1, 'h', 'iom_route', '{}', '2026-01-01 10:00:00+00:00')"))
        c.execute(sa.text(
            "INSERT INTO routes (id, teacher_id, tutor_id, methodist_id, school_id, centre_id, spec_id, title, status, "
            "stage, card, created_at, created_by_id, updated_at) VALUES (1, 1, 1, 1, 1, 1, 1, 'М', 'active', 'draft', "
            "'{}', '2026-01-01 10:00:00+00:00', 1, '2026-01-01 10:00:00+00:00')"))
        for seq, kind in [(1, "route_created"), (2, "task_completed"), (3, "task_completed")]:
            c.execute(sa.text("INSERT INTO events (route_id, seq, at, actor_id, kind, data) VALUES "
                              "(1, :seq, :at, 1, :kind, :data)"),
                      {"seq": seq, "at": f"2026-01-01 10:0{seq}:00+00:00", "kind": kind,
                       "data": json.dumps({"n": seq, "text": "«ж» & <x>"}, ensure_ascii=False)})
        for _ in range(2):  # deployments used to be written with seq 0
            c.execute(sa.text("INSERT INTO events (route_id, seq, at, kind, data) VALUES "
                              "(NULL, 0, '2026-01-01 09:00:00+00:00', 'workflow_deployed', '{}')"))
    upgrade(engine)
    from sqlalchemy.orm import Session

    from service.db.models import Event, Route

    with Session(engine) as s:
        route_events = s.scalars(sa.select(Event).where(Event.route_id == 1).order_by(Event.seq)).all()
        report = Report(1)
        check_chain(route_events, s.get(Route, 1).chain_head, report)
        assert report.ok and report.events == 3, report.as_dict()
        system = s.scalars(sa.select(Event).where(Event.route_id.is_(None)).order_by(Event.seq)).all()
        assert [e.seq for e in system] == [1, 2]
        report = Report(None)
        check_chain(system, None, report)
        assert report.ok
    with pytest.raises(sa.exc.DatabaseError), engine.begin() as c:
        c.execute(sa.text("DELETE FROM events WHERE route_id = 1 AND seq = 3"))
    engine.dispose()


def test_signatures_written_before_0005_take_the_signers_current_name(database_url):
    engine = _engine(database_url)
    upgrade(engine, "0004")
    at = "2026-01-01 10:00:00+00:00"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO org_units (id, kind, name) VALUES (1, 'school', 'ОО')"))
        for uid, name in [(1, "Иванова Мария Петровна"), (2, "Петров «Пётр» & Сын")]:
            c.execute(sa.text("INSERT INTO users (id, login, full_name, position, password_hash, is_active, "
                              "created_at) VALUES (:id, :login, :name, '', 'x', true, :at)"),
                      {"id": uid, "login": f"u{uid}", "name": name, "at": at})
        c.execute(sa.text("INSERT INTO workflow_specs (id, content_hash, process_id, files, deployed_at) "
                          "VALUES (1, 'h', 'iom_route', '{}', :at)"), {"at": at})
        c.execute(sa.text(
            "INSERT INTO routes (id, teacher_id, tutor_id, methodist_id, school_id, centre_id, spec_id, title, status, "
            "stage, card, created_at, created_by_id, updated_at) VALUES (1, 1, 1, 1, 1, 1, 1, 'М', 'active', 'draft', "
            "'{}', :at, 1, :at)"), {"at": at})
        c.execute(sa.text("INSERT INTO doc_templates (id, kind, name, sha256, data, deployed_at) "
                          "VALUES (1, 'karta', 'karta_iom.docx', :sha, :data, :at)"),
                  {"sha": "a" * 64, "data": b"docx", "at": at})
        c.execute(sa.text("INSERT INTO documents (id, route_id, kind, version, template_id, state, data, "
                          "content_sha256, content, created_at) VALUES (1, 1, 'karta', 1, 1, 'issued', '{}', :sha, "
                          ":content, :at)"), {"sha": "b" * 64, "content": b"x", "at": at})
        for sid, signer in [(1, 1), (2, 2)]:
            c.execute(sa.text("INSERT INTO signatures (id, document_id, signer_id, role, action, sha256, signed_at, "
                              "ip, user_agent) VALUES (:id, 1, :signer, 'teacher', :action, :sha, :at, '', '')"),
                      {"id": sid, "signer": signer, "action": f"a{sid}", "sha": "b" * 64, "at": at})
    upgrade(engine)
    with engine.connect() as c:
        names = dict(c.execute(sa.text("SELECT id, signer_name FROM signatures ORDER BY id")).all())
    assert names == {1: "Иванова Мария Петровна", 2: "Петров «Пётр» & Сын"}
    engine.dispose()
