"""/queue/export.xlsx: the approval queue under the current filter as a workbook that opens in
openpyxl — every matching row, the header bold and frozen, dates as dates, and text that looks
like a formula kept as text."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from service.services import queue_export, queues

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"Нажми\")", "+7 (999) 000-00-00", "-2+3", "@SUM(A1:A9)"]


@pytest.fixture
def titled_routes(app, people):
    ids = app.config["PEOPLE"]
    made = []
    for title in HOSTILE:
        r = people("head_cnppm").post("/api/routes", {"teacher_id": ids["teacher1"], "tutor_id": ids["tutor1"],
                                                      "methodist_id": ids["methodist"], "title": title})
        assert r.status_code == 201, r.get_json()
        made.append(r.get_json()["id"])
    return made


def _sheet(r):
    assert r.status_code == 200, r.status_code
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(r.data)).active


def test_the_export_has_every_row_a_bold_frozen_header_and_local_dates(app, people, titled_routes, monkeypatch):
    monkeypatch.setattr(queues, "PER_PAGE", 2)  # the page shows two rows, the file all four
    tutor = people("tutor1")
    assert "Страница 1 из 2" in tutor.get("/queue").get_data(as_text=True)
    r = tutor.get("/queue/export.xlsx")
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert "ochered-2026-09-01.xlsx" in r.headers["Content-Disposition"]
    ws = _sheet(r)
    header = [c.value for c in ws[1]]
    assert header == ["Маршрут", "Педагог", "ОО", "Тьютор", "Этап", "Задача", "Ждёт с", "Срок", "Просрочено, дн."]
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width >= 30
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(rows) == 4
    first = rows[0]
    assert first[1] == "Иванова Мария Петровна" and first[3] == "Тьюторова Светлана Андреевна"
    assert first[4] == "Составление и подписание плана"
    assert first[6].date() == date(2026, 9, 1) and first[7].date() == date(2026, 9, 21)  # 14 working days
    assert ws.cell(row=2, column=7).number_format == "DD.MM.YYYY"
    assert first[8] is None  # not overdue


def test_cells_that_look_like_formulas_are_written_as_text(people, titled_routes):
    ws = _sheet(people("tutor1").get("/queue/export.xlsx"))
    cells = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=1) for i in range(2, ws.max_row + 1)}
    assert set(cells) == set(HOSTILE)
    for text, cell in cells.items():
        assert cell.data_type == "s", (text, cell.data_type)  # a string, never a formula ("f")
        assert cell.quotePrefix, text  # and the spreadsheet keeps it text when edited


def test_the_export_follows_the_filter_and_counts_overdue_days(app, people, titled_routes):
    tutor = people("tutor1")
    assert _sheet(tutor.get("/queue/export.xlsx?stage=agreement")).max_row == 1  # the header only
    # opened Tue 01.09.2026, due at the end of the 14th working day (Mon 21.09); Tue 29.09: 6 working days late
    app.config["CLOCK"].now += timedelta(days=28)
    ws = _sheet(tutor.get("/queue/export.xlsx?overdue=1&sort=due"))
    assert ws.max_row == 1 + len(titled_routes)
    assert [ws.cell(row=i, column=9).value for i in range(2, ws.max_row + 1)] == [6] * len(titled_routes)
    # Another person's queue is not in their file.
    assert _sheet(people("tutor2").get("/queue/export.xlsx")).max_row == 1


def test_the_export_stops_at_its_cap(people, titled_routes, monkeypatch):
    monkeypatch.setattr(queue_export, "MAX_ROWS", 3)
    assert _sheet(people("tutor1").get("/queue/export.xlsx")).max_row == 1 + 3
