"""Versioned behaviour: a change to a service-task handler (a new version registered with
`since=2`, CURRENT_BEHAVIOUR bumped) and to the documents' date format (a new format number)
leaves every route started before it replaying ok with its documents, and its later steps on
the handlers it started with; a route started after records behaviour 2, runs the new handler
and replays ok too. Real tampering is still found. Runs on SQLite and PostgreSQL (`database_url`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import service.tasks
from service.db.models import Route
from service.documents import context as doc_context
from service.domain.access import OPERATOR
from service.domain.json_copy import copy_json
from service.samples import VALID
from service.services import audit, audit_replay, demo
from tests.support.app import FakeClock, ready_app
from tests.support.audit_routes import drive, new_route, rechain, stored_events
from tests.support.docx_text import docx_text as _text
from tests.support.docx_text import issued_documents as _issued

NEW_FORMAT = doc_context.CURRENT_FORMAT + 1  # a format after every released one
PLAN_AGREED = [("draft", VALID["draft"]), ("plan_signatures_methodist", VALID["sign"]),
               ("plan_signatures_teacher", VALID["sign"]), ("agreement", VALID["review"])]


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock())


def start_route_v2(card, data, ctx):
    """Behaviour 2 of `start_route` (the change under test): the start date written as the
    documents print it, and who approved named in the card."""
    card = copy_json(card)
    card["started_on"] = ctx.today.strftime("%d.%m.%Y")
    card["approved_with"] = data["approval"].get("comment", "")
    return card


def _change_behaviour_and_format(app, monkeypatch) -> None:
    """What a release with a changed handler and a new document date format does."""
    app.extensions["iom"].engine.handlers.register("start_route", start_route_v2, since=2)
    monkeypatch.setattr(service.tasks, "CURRENT_BEHAVIOUR", 2)
    released = doc_context.ru_datetime

    def ru_datetime(value: datetime, fmt: int = doc_context.FORMAT_UTC, timezone: str | None = None) -> str:
        if fmt < NEW_FORMAT or not timezone:
            return released(value, fmt, timezone)  # the released formats print as they always did
        return f"{value.astimezone(ZoneInfo(timezone)).strftime('%Y-%m-%d %H:%M')} (местное время)"

    monkeypatch.setattr(doc_context, "ru_datetime", ru_datetime)
    monkeypatch.setattr(doc_context, "CURRENT_FORMAT", NEW_FORMAT)


def _complete(app, rid: int, steps) -> None:
    for name, data in steps:
        demo.complete_as_assignee(app.extensions["iom"], rid, name, data)


def _route(app, rid: int) -> tuple[int, dict]:
    with app.extensions["iom"].sessions() as s:
        route = s.get(Route, rid)
        return route.behaviour, route.card


def _created(app, rid: int) -> dict:
    return stored_events(app, rid)[0].data


def _replays_ok(app, rid: int) -> None:
    result = audit_replay.replay(app.extensions["iom"], OPERATOR, rid, documents=True)
    assert result["ok"] is True, result["divergence"]
    assert result["documents"] == []


def test_old_routes_replay_ok_after_a_handler_and_a_format_change_and_new_routes_use_the_new_ones(app, monkeypatch):
    finished = new_route(app)
    drive(app, finished)  # approved and corrected before the change
    waiting = new_route(app)
    _complete(app, waiting, PLAN_AGREED)  # awaits the school head's approval across the change
    before = _issued(app, finished)
    assert _created(app, finished)["behaviour"] == 1 and _route(app, finished)[0] == 1
    old_started = _route(app, finished)[1]["started_on"]
    assert old_started == datetime.fromisoformat(old_started).date().isoformat()

    _change_behaviour_and_format(app, monkeypatch)

    # A route started before keeps its handlers for the steps it takes after the change …
    _complete(app, waiting, [("approval", {"decision": "accept", "comment": "Утверждаю"})])
    behaviour, card = _route(app, waiting)
    assert behaviour == 1 and "approved_with" not in card
    assert card["started_on"] == datetime.fromisoformat(card["started_on"]).date().isoformat()

    # … a route started after records behaviour 2 and runs the new handler …
    new = new_route(app)
    assert _created(app, new)["behaviour"] == 2
    drive(app, new)
    behaviour, card = _route(app, new)
    assert behaviour == 2 and card["approved_with"] == "Утверждаю"
    assert card["started_on"] == app.extensions["iom"].clock().date().strftime("%d.%m.%Y")

    # … and the new documents record the new format and print its dates.
    new_docs = _issued(app, new)
    assert all(data["format"] == NEW_FORMAT for data, _, _ in new_docs.values())
    # the first route card issued is the approved one; the corrected card follows it
    approved = [issued for data, issued, _ in new_docs.values() if data["document"]["kind"] == "karta"][0]
    assert "(местное время)" in _text(approved)  # its signature sheet

    # Every route replays ok with its documents; the old documents keep their format and bytes.
    for rid in (finished, waiting, new):
        _replays_ok(app, rid)
    after = _issued(app, finished)
    assert after == before and all(data["format"] < NEW_FORMAT for data, _, _ in after.values())
    assert not any("(местное время)" in _text(issued) for _, issued, _ in after.values())


# ---- tampering is still found ------------------------------------------------------------------------


@pytest.fixture
def old_rid(app, monkeypatch) -> int:
    """A route driven before the change, the change made after."""
    rid = new_route(app)
    drive(app, rid)
    _change_behaviour_and_format(app, monkeypatch)
    _replays_ok(app, rid)
    return rid


def _seq(app, rid: int, task_name: str) -> int:
    return next(e.seq for e in stored_events(app, rid) if e.kind == "task_completed" and e.task_name == task_name)


def test_a_rechained_changed_submission_of_an_old_route_is_still_a_divergence(app, old_rid):
    rechain(app, old_rid, _seq(app, old_rid, "correction"),
             lambda data: data["submission"].update(reason="Другая причина"))
    assert audit.verify_route(app.extensions["iom"], OPERATOR, old_rid).ok  # the chain alone no longer tells
    result = audit_replay.replay(app.extensions["iom"], OPERATOR, old_rid, documents=True)
    assert result["ok"] is False and result["chain"]["ok"] is True
    assert result["divergence"]["where"] == "состояние маршрута" and "карта" in result["divergence"]["found"]


def test_an_old_route_rechained_to_claim_the_new_behaviour_is_a_divergence(app, old_rid):
    rechain(app, old_rid, 1, lambda data: data.update(behaviour=2))
    assert audit.verify_route(app.extensions["iom"], OPERATOR, old_rid).ok
    result = audit_replay.replay(app.extensions["iom"], OPERATOR, old_rid)
    assert result["ok"] is False
    assert result["divergence"]["where"] == "состояние маршрута" and "карта" in result["divergence"]["found"]
