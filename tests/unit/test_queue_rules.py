"""Rules of the queues that need no database: what a signature is called in a list, when a task
is overdue, which saved filter arguments survive, and formula-looking text in the export."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from service.services.queue_export import workbook
from service.services.queues import overdue_days
from service.services.saved_filters import clean_query
from service.services.signing_labels import label

NOW = datetime(2026, 9, 20, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind, version, no, expected", [
    ("karta", 2, None, "Подпись: Карта ИОМ, версия 2"),
    ("korrektirovka", 1, 1, "Подпись: Корректировка № 1"),
    ("korrektirovka", 2, 3, "Подпись: Корректировка № 3, версия 2"),
    ("vyvody", 1, None, "Подпись: Выводы по результатам реализации ИОМ, версия 1"),
    ("karta", None, None, "Подпись: Карта ИОМ"),
])
def test_a_signature_is_named_by_its_document_and_version(kind, version, no, expected):
    assert label(kind, version, no) == expected


@pytest.mark.parametrize("due, expected", [
    (None, None), (NOW + timedelta(hours=1), None), (NOW, None),
    (NOW - timedelta(minutes=1), 1), (NOW - timedelta(days=6, hours=2), 6),
])
def test_a_task_is_overdue_by_whole_days_once_its_due_date_has_passed(due, expected):
    assert overdue_days(due, NOW) == expected


@pytest.mark.parametrize("page, query, kept", [
    ("queue", "overdue=1&stage=agreement&page=3&junk=x", "stage=agreement&overdue=1"),
    ("queue", "school=0&tutor=2147483648&min_days=99999&from=2026-02-30&to=2026-12-31", "to=2026-12-31"),
    ("queue", "sort=sideways&overdue=yes", ""),
    ("inbox", "sort=due&stage=agreement", "sort=due"),
    ("routes", "status=active", ""),
])
def test_only_known_filter_arguments_with_acceptable_values_are_kept(page, query, kept):
    assert clean_query(page, query) == kept


def test_formula_looking_text_is_stored_as_text():
    data = workbook([("=1+1", "+7 999", "-1", "@A1", "обычный", "", None, None, None)])
    ws = load_workbook(io.BytesIO(data)).active
    cells = list(ws[2])[:5]
    assert [c.value for c in cells] == ["=1+1", "+7 999", "-1", "@A1", "обычный"]
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True, True, True, True, False]
