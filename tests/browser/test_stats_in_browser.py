"""The statistics page in Chromium, as a CNPPM head and as a school head: the page with its charts,
a filter changed, a figure followed to its routes, a table downloaded as .xlsx and the period's
report as .docx; the page fits a phone's width. Screenshots in tests/artifacts/stats_*.png."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.browser.conftest import ARTIFACTS
from tests.support.app import Person

pytestmark = pytest.mark.browser

RECORD_CSP = """window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));"""


@pytest.fixture(scope="module")
def routes(live):
    """Routes at several stages in both schools: two approved and running, one waiting for the
    CNPPM head's agreement, one draft."""
    _, app = live
    ids = app.config["PEOPLE"]
    people = {login: Person(app, login) for login in
              ("head_cnppm", "head_gym", "head_sch", "tutor1", "tutor2", "methodist", "teacher1", "teacher2",
               "teacher3", "teacher4")}

    def new_route(teacher: str, tutor: str) -> int:
        r = people["head_cnppm"].post("/api/routes", {"teacher_id": ids[teacher], "tutor_id": ids[tutor],
                                                      "methodist_id": ids["methodist"]})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    def plan_signed(rid: int, teacher: str, tutor: str) -> None:
        people[tutor].do(rid, "draft")
        people["methodist"].do(rid, "plan_signatures_methodist")
        people[teacher].do(rid, "plan_signatures_teacher")

    made = {}
    for teacher, tutor, head in (("teacher1", "tutor1", "head_gym"), ("teacher3", "tutor2", "head_sch")):
        rid = made[teacher] = new_route(teacher, tutor)
        plan_signed(rid, teacher, tutor)
        people["head_cnppm"].do(rid, "agreement")
        people[head].do(rid, "approval")
    made["teacher2"] = new_route("teacher2", "tutor1")
    plan_signed(made["teacher2"], "teacher2", "tutor1")
    made["teacher4"] = new_route("teacher4", "tutor2")
    return made


def _download(v, selector: str) -> bytes:
    with v.page.expect_download() as info:
        v.page.click(selector)
    download = info.value
    return Path(download.path()).read_bytes()


@pytest.mark.parametrize("login, scope", [("head_cnppm", "ЦНППМ"), ("head_gym", "Гимназия")])
def test_a_head_reads_filters_follows_and_downloads_the_statistics(visitor, routes, login, scope):
    v = visitor(login)
    v.context.add_init_script(RECORD_CSP)
    v.page.click("nav.main >> text=Статистика")
    v.page.wait_for_url("**/stats")
    assert v.page.evaluate("window.__csp") == []  # the inline SVG charts need neither scripts nor styles
    assert scope in v.page.inner_text("h1")
    assert v.page.locator("svg.chart").count() >= 3
    assert v.page.locator("#t-status a[href^='/stats/routes']").count() >= 1
    v.shot(f"stats_{login}")
    for key in ("status", "stages_over_time", "deficits", "by_school"):  # close-ups of the charts
        v.page.locator(f"#t-{key}").screenshot(path=str(ARTIFACTS / f"stats_{login}_{key}.png"))

    stage = v.page.locator("select[name=stage] option").nth(2).get_attribute("value")
    v.page.select_option("select[name=stage]", stage)
    v.page.click("#stats-filters button[type=submit]")
    v.page.wait_for_url(f"**/stats?*stage={stage}*")
    assert v.page.locator("select[name=stage]").input_value() == stage
    v.shot(f"stats_{login}_filtered")

    v.goto("/stats")
    v.page.locator("#t-status svg.chart a").first.click()
    v.page.wait_for_url("**/stats/routes?*figure=status*")
    assert v.page.inner_text("h1") == "Маршруты показателя"
    assert v.page.locator("table a[href^='/routes/']").count() >= 1
    v.shot(f"stats_{login}_routes")
    v.page.click("text=← К статистике")
    v.page.wait_for_url("**/stats?*")

    header = v.page.locator("#t-by_school th").all_inner_texts()
    book = load_workbook(io.BytesIO(_download(v, "#t-by_school a:has-text('Excel')")))
    assert [c.value for c in book.worksheets[0][1]] == header
    report = Document(io.BytesIO(_download(v, "#stats-report")))
    text = "\n".join(p.text for p in report.paragraphs)
    assert "Статистика индивидуальных образовательных маршрутов" in text and scope in text
    assert len(report.tables) >= 5
    v.fits(f"stats_{login}_fit")
    v.page.set_viewport_size({"width": 390, "height": 844})  # a phone scrolls a chart sideways, text legible
    v.page.locator("#t-stages_over_time").screenshot(path=str(ARTIFACTS / f"stats_{login}_phone_chart.png"))


def test_a_bad_period_is_explained_on_the_page(visitor, routes):
    v = visitor("head_cnppm")
    v.goto("/stats?from=2026-09-10&to=2026-01-01")
    assert v.page.locator("#stats-problems").is_visible()
    v.shot("stats_bad_filter")
