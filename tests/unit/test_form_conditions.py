"""The form builder says when a field is required only under a condition, lets a number be
chosen from a run-time list, and reads a date typed as ДД.ММ.ГГГГ."""

from __future__ import annotations

import json
from pathlib import Path

from service.forms.html import CHOOSE, build_fields, offer_choices, parse_form

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"


def schema(name: str) -> dict:
    return json.loads((FORMS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def by_name(fields) -> dict:
    out = {}
    for top in fields:
        for f in top.walk():
            out[f.name] = f
        for c in top.columns:
            out[c.name] = c
    return out


def test_fields_required_only_under_a_condition_say_which():
    review = by_name(build_fields(schema("review"), {}))
    assert review["/comment"].condition == "обязательно, если «Решение» — «Вернуть на доработку»"
    assert review["/decision"].required and review["/decision"].condition is None
    conclusions = by_name(build_fields(schema("conclusions"), {}))
    assert conclusions["/prolong_until"].condition == "обязательно, если «Итог» — «Требуется продление ИОМ»"
    correction = by_name(build_fields(schema("correction"), {}))
    assert correction["/activity_no"].condition == "обязательно, если «Действие» — «Отправить на подпись»"
    report = by_name(build_fields(schema("activity_report"), {"reports": [{}]}))
    assert report["/reports/__i__/reason_not_done"].condition == "обязательно, если не отмечено «Выполнено»"


def test_dependent_required_is_named_too():
    form = {"type": "object", "properties": {"a": {"type": "string", "title": "Курс"},
                                             "b": {"type": "string", "title": "Часы"}},
            "dependentRequired": {"a": ["b"]}}
    assert by_name(build_fields(form, {}))["/b"].condition == "обязательно, если заполнено «Курс»"


def test_a_number_is_chosen_from_the_list_given_at_run_time():
    options = [("1", "№ 1 — Курсы"), ("3", "№ 3 — Вебинар")]
    fields = by_name(offer_choices(build_fields(schema("correction"), {"activity_no": 3}),
                                   {"/activity_no": options}))
    f = fields["/activity_no"]
    assert f.kind == "select" and f.options == options and f.value == "3"
    empty = by_name(offer_choices(build_fields(schema("correction"), {}), {"/activity_no": options}))
    assert empty["/activity_no"].options[0] == ("", CHOOSE)
    rows = by_name(offer_choices(build_fields(schema("activity_report"), {"reports": [{"activity_no": 7}]}),
                                 {"/reports/*/activity_no": options}))
    assert rows["/reports/0/activity_no"].kind == "select" and ("7", "7") in rows["/reports/0/activity_no"].options
    assert rows["/reports/__i__/activity_no"].kind == "select"
    assert parse_form(schema("correction"), {"/action": "submit", "/activity_no": "3"})["activity_no"] == 3


def test_a_date_typed_the_russian_way_is_read_as_a_date():
    data = parse_form(schema("correction"), {"/action": "submit", "/date": "15.01.2025"})
    assert data["date"] == "2025-01-15"
    assert parse_form(schema("correction"), {"/action": "submit", "/date": "2025-01-15"})["date"] == "2025-01-15"
