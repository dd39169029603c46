"""The statistics files without a database: the workbook and the CSV keep formula-looking text as
text, the .docx report holds every table and its chart as bar characters, hostile text comes out
exactly as it went in, and the committed report template is what its generator writes."""

from __future__ import annotations

import csv
import importlib
import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from service.documents.render import render
from service.services import stats_export
from tests.support import stats_fake

ROOT = Path(__file__).resolve().parents[2]


class Region:
    """An actor the stand-in report scopes to the region."""

    is_admin = True

    def has(self, role):
        return False


def _report(hostile=True, **filters):
    return stats_fake.report(None, Region(), stats_fake.StatsFilters(**filters), hostile=hostile)


def test_the_committed_report_template_is_what_the_generator_writes():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT / "tools"))
        generator = importlib.import_module("build_stats_template")
        assert generator.build() == stats_export.TEMPLATE.read_bytes(), \
            "run .venv/bin/python tools/build_stats_template.py and commit the template"


def test_the_workbook_keeps_formula_looking_text_as_text_and_numbers_as_numbers():
    table = _report()["tables"]["overdue_by_person"]
    data = stats_export.workbook("Просрочки: [все]", table["columns"], table["rows"], {"from": "2026-01-01"})
    book = load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    assert ws.title == "Просрочки все"
    assert ws["A2"].value == stats_fake.HOSTILE and ws["A2"].data_type == "s" and ws["A2"].quotePrefix
    assert ws["B2"].value == 2 and ws["B2"].data_type == "n"
    assert [tuple(c.value for c in r) for r in book["Параметры"].iter_rows()] == \
        [("Таблица", "Просрочки: [все]"), ("Период с", "2026-01-01")]


def test_percent_and_fractional_figures_get_their_number_formats():
    table = _report()["tables"]["activities"]
    ws = load_workbook(io.BytesIO(stats_export.workbook("Мероприятия", table["columns"], table["rows"], {}))).active
    assert ws["E2"].value == 80.0 and ws["E2"].number_format == '0.0" %"'


def test_the_csv_opens_in_russian_excel_and_defuses_formulas():
    table = _report()["tables"]["overdue_by_person"]
    data = stats_export.csv_bytes(table["columns"], table["rows"])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Исполнитель", "Просрочено задач", "Самый ранний срок"]
    assert rows[1] == ["'" + stats_fake.HOSTILE, "2", "2026-08-14"]
    waits = _report()["tables"]["waits_by_stage"]
    rows = list(csv.reader(io.StringIO(stats_export.csv_bytes(waits["columns"], waits["rows"]).decode("utf-8-sig")),
                           delimiter=";"))
    assert rows[1] == ["Составление плана", "3", "1,5", "4"]


def test_the_report_holds_every_table_and_chart_with_hostile_text_intact():
    data = _report(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    doc = Document(io.BytesIO(render(stats_export._template(), stats_export.report_context(data))))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Период: 01.01.2026 — 31.12.2026" in text and "Данные на: 01.09.2026 15:00" in text
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    for table in data["tables"].values():
        assert table["title"] in text
        assert [c["title"] for c in table["columns"]] in cells
    assert [stats_fake.HOSTILE, "2", "2026-08-14"] in cells  # escaped once, read back as it was
    assert ["Открыты", "█" * stats_export.BAR_WIDTH, "7"] in cells  # the longest bar is full length
    assert "█ — Высокий; ▓ — Средний; ▒ — Базовый" in text  # a stacked chart names its fills
    scale = stats_export.BAR_WIDTH / 6  # the gymnasium's 4 + 2 + 0 routes make the longest bar
    assert ["МБОУ СОШ № 2", "█" * round(3 * scale) + "▓" * round(scale) + "▒" * round(scale), "5"] in cells


def test_a_table_without_rows_says_so_in_the_report():
    data = _report()
    for table in data["tables"].values():
        table["rows"] = []
    doc = Document(io.BytesIO(render(stats_export._template(), stats_export.report_context(data))))
    assert sum(p.text == "Нет данных за выбранный период." for p in doc.paragraphs) == len(data["tables"])


def test_the_report_names_the_chosen_filters():
    data = _report()
    data["filters"] = {"school": "2", "stage": "approval", "subject": "Математика"}
    context = stats_export.report_context(data)
    assert context["report"]["filters"] == "ОО: МБОУ СОШ № 2; Этап: Согласование; Предмет: Математика"
    assert context["report"]["period"] == "последние 12 месяцев"
