"""The card handlers and the business checks on submissions."""

import copy
from datetime import date

from service.domain.errors import FieldProblem
from service.samples import VALID
from service.tasks import StepContext
from service.tasks.card import apply_correction, build_card, record_report
from service.tasks.checks import check_submission

CTX = StepContext(date(2026, 10, 1))


def _card():
    return build_card({"info": {"full_name": "X"}}, {"draft": copy.deepcopy(VALID["draft"])}, CTX)


def test_the_draft_becomes_the_card_with_numbered_planned_activities():
    card = _card()
    assert [(a["no"], a["status"]) for a in card["activities"]] == [(1, "запланировано"), (2, "запланировано")]
    assert card["info"]["full_name"] == VALID["draft"]["info"]["full_name"] and card["corrections"] == []


def test_a_handler_does_not_change_the_card_it_was_given():
    card = _card()
    before = copy.deepcopy(card)
    record_report(card, {"activity_report": VALID["activity_report"]}, CTX)
    assert card == before


def test_a_correction_replaces_the_activity_and_enters_the_table():
    card = apply_correction(_card(), {"correction": VALID["correction"]}, CTX)
    assert card["activities"][1]["status"] == "заменено"
    assert card["activities"][2]["title"] == VALID["correction"]["replacement"]["title"]
    assert card["corrections"] == [{
        "no": 1, "date": "2025-01-15", "reason": VALID["correction"]["reason"], "replaced_no": 2,
        "replaced_title": VALID["draft"]["activities"][1]["title"], "replacement_no": 3,
        "replacement_title": VALID["correction"]["replacement"]["title"], "signed_on": "2026-10-01"}]


def test_a_done_or_replaced_activity_cannot_be_corrected():
    card = record_report(_card(), {"activity_report": VALID["activity_report"]}, CTX)
    done = dict(VALID["correction"], activity_no=1)
    assert check_submission("correction", done, card) == [
        FieldProblem("/activity_no", "Выполненное мероприятие не заменяют")]
    card = apply_correction(card, {"correction": VALID["correction"]}, CTX)
    assert check_submission("correction", VALID["correction"], card) == [
        FieldProblem("/activity_no", "Мероприятие № 2 уже заменено")]


def test_a_withdrawn_correction_needs_no_activity():
    assert check_submission("correction", {"action": "withdraw"}, _card()) == []


def test_a_report_naming_an_activity_twice_is_refused():
    report = {"reports": [{"activity_no": 1, "done": True}, {"activity_no": 1, "done": True}]}
    assert check_submission("activity_report", report, _card()) == [
        FieldProblem("/reports/1/activity_no", "Мероприятие указано дважды")]
