"""/stats (issue 15): the statistics page per scoped role, the routes behind a figure, and the
exports — each table as .xlsx and .csv, the period's report as .docx — checked against the
service's own tables (service/services/stats.py)."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from docx import Document
from openpyxl import load_workbook

from service.services.accounts import load_actor

SCOPED = ["head_cnppm", "head_gym", "deputy_gym", "auditor", "admin"]


@pytest.fixture
def stats_service():
    from service.services import stats

    return stats


@pytest.fixture
def routes(new_route):
    """Two routes, so that the figures count something."""
    return [new_route("teacher1", "tutor1"), new_route("teacher2", "tutor1")]


def _expected(app, stats_service, login: str, args: dict | None = None):
    ctx = app.extensions["iom"]
    actor = load_actor(ctx, app.config["PEOPLE"][login])
    filters = stats_service.parse_filters(args or {})
    return ctx, actor, filters


def _links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="(/stats/routes\?[^"]+)"', html)]


@pytest.mark.parametrize("login", SCOPED)
def test_the_page_shows_every_table_of_the_scope_with_its_charts(app, people, routes, stats_service, login):
    r = people(login).get("/stats")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    ctx, actor, filters = _expected(app, stats_service, login)
    data = stats_service.report(ctx, actor, filters)
    assert f"Статистика: {data['scope']['title']}".replace("«", "&#171;") in html.replace("«", "&#171;") \
        or unescape(f"Статистика: {data['scope']['title']}") in unescape(html)
    for key, table in data["tables"].items():
        assert f'id="t-{key}"' in html and table["title"] in unescape(html)
        assert f"/stats/export.xlsx?table={key}" in html
    assert 'aria-current="page">Статистика' in html  # the menu item, marked current
    if any(t["rows"] and t["chart"] for t in data["tables"].values()):
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in html
    assert "style=" not in html.split("<main>")[1]  # the CSP forbids inline styles


@pytest.mark.parametrize("login", ["teacher1", "tutor1", "methodist"])
def test_people_outside_the_scoped_roles_get_403_and_no_menu_item(people, login):
    person = people(login)
    assert person.get("/stats").status_code == 403
    assert person.get("/stats/export.xlsx?table=status").status_code == 403
    assert person.get("/stats/report.docx").status_code == 403
    assert person.get("/stats/routes?figure=status&row=active&col=routes").status_code == 403
    assert ">Статистика<" not in person.get("/inbox").get_data(as_text=True)


def test_a_bad_filter_shows_the_form_again_with_a_russian_reason(people):
    r = people("head_cnppm").get("/stats?from=2026-13-45&subject=x")
    assert r.status_code == 422
    html = unescape(r.get_data(as_text=True))
    assert "Фильтр не принят" in html and 'value="2026-13-45"' in html
    assert re.search(r'id="stats-problems".*?<li>[А-ЯЁ][^<]+</li>', html, re.S)
    assert 'id="t-status"' not in html  # no figures for a filter that was not taken
    assert people("head_cnppm").get("/stats/export.xlsx?table=status&from=nope").status_code == 422
    assert people("head_cnppm").get("/stats/report.docx?to=nope").status_code == 422


def test_a_figure_leads_to_the_routes_it_counts(people, routes):
    person = people("head_cnppm")
    links = _links(person.get("/stats").get_data(as_text=True))
    assert links, "no figure links to its routes"
    r = person.get(links[0])
    assert r.status_code == 200
    html = unescape(r.get_data(as_text=True))
    assert "Маршруты показателя" in html and "← К статистике" in html
    assert re.search(r'href="/routes/\d+"', html)


def test_an_unknown_table_is_not_found(people):
    assert people("auditor").get("/stats/export.xlsx?table=nope").status_code == 404
    assert people("auditor").get("/stats/export.csv?table=").status_code == 404


@pytest.mark.parametrize("key", ["status", "waits_by_stage", "by_school"])
def test_the_xlsx_of_a_table_holds_its_columns_and_rows(app, people, routes, stats_service, key):
    r = people("auditor").get(f"/stats/export.xlsx?table={key}")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.search(rf'filename="?statistika-{key}-\d{{4}}-\d\d-\d\d\.xlsx', r.headers["Content-Disposition"])
    book = load_workbook(io.BytesIO(r.data))
    ws = book.worksheets[0]
    columns, rows = stats_service.table_rows(*_expected(app, stats_service, "auditor"), key)
    assert [c.value for c in ws[1]] == [c["title"] for c in columns]
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert got == [[row.get(c["key"]) for c in columns] for row in rows]
    assert book["Параметры"]["A1"].value == "Таблица"


@pytest.mark.parametrize("key", ["status", "waits_by_stage"])
def test_the_csv_of_a_table_opens_in_russian_excel(app, people, routes, stats_service, key):
    r = people("head_cnppm").get(f"/stats/export.csv?table={key}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.data.startswith("\ufeff".encode())
    got = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    columns, rows = stats_service.table_rows(*_expected(app, stats_service, "head_cnppm"), key)

    def text(v):
        if v is None:
            return ""
        if isinstance(v, float):
            return (str(int(v)) if v.is_integer() else repr(v)).replace(".", ",")
        return str(v)

    assert got[0] == [c["title"] for c in columns]
    assert got[1:] == [[text(row.get(c["key"])) for c in columns] for row in rows]


def test_the_docx_report_holds_every_table_of_the_period(app, people, routes, stats_service):
    r = people("head_gym").get("/stats/report.docx?from=2026-01-01&to=2026-12-31")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    doc = Document(io.BytesIO(r.data))
    text = "\n".join(p.text for p in doc.paragraphs)
    ctx, actor, filters = _expected(app, stats_service, "head_gym", {"from": "2026-01-01", "to": "2026-12-31"})
    data = stats_service.report(ctx, actor, filters)
    assert f"Охват: {data['scope']['title']}" in text and "Период: 01.01.2026 — 31.12.2026" in text
    headers = [[c.text for c in t.rows[0].cells] for t in doc.tables]
    for table in data["tables"].values():
        assert table["title"] in text
        if table["rows"]:
            assert [c["title"] for c in table["columns"]] in headers
    status = next(t for t in doc.tables if [c.text for c in t.rows[0].cells]
                  == [c["title"] for c in data["tables"]["status"]["columns"]])
    assert len(status.rows) == 1 + len(data["tables"]["status"]["rows"])


def test_an_anonymous_visitor_is_sent_to_log_in_first(app):
    r = app.test_client().get("/stats/routes?figure=status&row=active&col=routes")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]


def test_a_long_table_shows_its_first_rows_and_the_rest_page_by_page(app, people, routes, stats_service,
                                                                      monkeypatch):
    """A region has a thousand schools and tutors: the page shows a table's first rows and says how
    many there are; /stats/table pages through the rest with the same figures and links."""
    monkeypatch.setattr(stats_service, "PAGE_ROWS", 1)
    monkeypatch.setattr(stats_service, "PER_PAGE", 2)
    monkeypatch.setattr(stats_service.report, "__defaults__", (1,))
    person = people("auditor")
    html = unescape(person.get("/stats").get_data(as_text=True))
    ctx, actor, filters = _expected(app, stats_service, "auditor")
    columns, rows = stats_service.table_rows(ctx, actor, filters, "status")
    assert len(rows) == 4  # active, completed, prolonged, cancelled
    assert "Показаны первые 1 строк из 4." in html and "/stats/table?table=status" in html
    seen = []
    for page in (1, 2):
        r = person.get(f"/stats/table?table=status&page={page}")
        assert r.status_code == 200
        got = unescape(r.get_data(as_text=True))
        assert f"Страница {page} из 2" in got and f"из {len(rows)}." in got
        seen += [row["status"] for row in rows if f">{row['status']}<" in got]
    assert seen == [row["status"] for row in rows]
    last = unescape(person.get("/stats/table?table=status&page=999").get_data(as_text=True))
    assert "Страница 2 из 2" in last  # a page past the end shows the last one
    huge = person.get("/stats/table?table=status&page=999999999999999999999")
    assert huge.status_code == 422 and "диапазона" in unescape(huge.get_data(as_text=True))
    assert person.get("/stats/table?table=nope").status_code == 404
    assert people("teacher1").get("/stats/table?table=status").status_code == 403
