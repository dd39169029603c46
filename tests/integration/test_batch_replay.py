"""Routes opened together under one order replay from their events, and every document renders
again to its recorded SHA-256, as do the routes opened one at a time the old way. Runs on SQLite
and PostgreSQL (`database_url`)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from service.db.models import Document, Event, Route
from service.domain.access import OPERATOR
from service.services import accounts, audit_replay, opening
from tests.support.app import FakeClock, ready_app
from tests.support.audit_routes import drive, new_route


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock())


def _batch(app) -> dict:
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    batch = opening.Batch([opening.Assignment(ids["teacher1"], ids["tutor1"]),
                           opening.Assignment(ids["teacher3"], ids["tutor2"])], ids["methodist"],
                          date(2026, 9, 1), date(2027, 5, 31))
    return opening.open_batch(ctx, head, batch)


def test_a_batch_opened_route_replays_with_its_documents(app):
    ctx = app.extensions["iom"]
    opened = _batch(app)
    first, second = (r["id"] for r in opened["routes"])
    drive(app, first)  # draft … approval, a correction signed by three
    for rid in (first, second):
        result = audit_replay.replay(ctx, OPERATOR, rid, documents=True)
        assert result["ok"] is True and result["divergence"] is None, result
        assert result["documents"] == []
    with ctx.sessions() as s:
        created = s.scalar(sa.select(Event).where(Event.route_id == second, Event.seq == 1))
        order = created.data["order"]
        assert order["number"] == opened["order"]["number"] and len(order["assignments"]) == 2
        assert s.get(Route, second).order_id == opened["order"]["id"]
        prikaz = s.scalars(sa.select(Document).where(Document.kind == "prikaz_tutor")).all()
        assert {d.route_id for d in prikaz} == {first, second}
        assert all([a["teacher"] for a in d.data["assignments"]] ==
                   ["Иванова Мария Петровна", "Сидорова Анна-Мария Олеговна"] for d in prikaz)


def test_a_route_opened_alone_the_old_way_still_replays_with_its_documents(app):
    ctx = app.extensions["iom"]
    rid = new_route(app)  # POST /api/routes' path: no order, no period, the order numbered after the route
    drive(app, rid)
    result = audit_replay.replay(ctx, OPERATOR, rid, documents=True)
    assert result["ok"] is True and result["documents"] == [], result
    with ctx.sessions() as s:
        created = s.scalar(sa.select(Event).where(Event.route_id == rid, Event.seq == 1))
        assert "order" not in created.data and "period" not in created.data["card"]
        prikaz = s.scalar(sa.select(Document).where(Document.route_id == rid, Document.kind == "prikaz_tutor"))
        assert prikaz.data["order"]["number"] == f"{rid}-ИОМ" and len(prikaz.data["assignments"]) == 1
