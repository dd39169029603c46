"""Opening routes from the pages in Chromium: the CNPPM head finds three teachers as they type,
opens their routes in one go and gets one order listing all three; the same without JavaScript;
the teacher's information sheet. Screenshots at 1366 and 390 px."""

from __future__ import annotations

import io

import pytest
from docx import Document as Docx

from service.services.demo import PASSWORD

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""
THREE = ("Иванова Мария Петровна", "Петров Николай «Ник» Сергеевич", "Сидорова Анна-Мария Олеговна")


def _fits(v, width: int) -> None:
    v.page.set_viewport_size({"width": width, "height": 900})
    assert v.page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off a phone


def _docx_text(data: bytes) -> str:
    doc = Docx(io.BytesIO(data))
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


def test_the_cnppm_head_opens_routes_for_three_teachers_in_one_go(visitor, live):
    head = visitor("head_cnppm")
    head.context.add_init_script(RECORD_VIOLATIONS)
    head.page.click("nav.main >> text=Открыть маршруты")
    page = head.page
    page.wait_for_load_state()
    page.fill("#q", "ов")  # found as one types, through /api/pickers/teachers
    page.wait_for_selector("#found tr >> text=Сидорова Анна-Мария Олеговна")
    for name in THREE:
        page.locator("#found tr, #chosen tr", has_text=name).locator("input[type=checkbox]").check()
    page.fill("#q", "кузн")  # another search keeps the chosen
    page.wait_for_selector("#found tr >> text=Кузнецов Дмитрий Александрович")
    assert page.locator("#chosen input:checked").count() == 3
    assert page.evaluate("window.__csp") == []  # the script and styles keep to the strict CSP
    page.select_option("#tutor-all", label="Тьюторова Светлана Андреевна")
    page.locator("#chosen tr", has_text="Сидорова").locator("select").select_option(label="Наставников Алексей Юрьевич")
    page.select_option("#methodist", label="Методистова Ирина Львовна (Энская область)")
    page.fill("#period-start", "2026-09-01")
    page.fill("#period-end", "2027-05-31")
    for width in (1366, 390):
        _fits(head, width)
        head.shot(f"open-routes-form-{width}")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("button[value=open]")
    page.wait_for_url("**/routes/orders/*")
    rows = page.locator("#opened tbody tr")
    assert rows.count() == 3
    text = page.locator("#opened").inner_text()
    assert all(name in text for name in THREE) and "Наставников Алексей Юрьевич" in text
    for width in (1366, 390):
        _fits(head, width)
        head.shot(f"open-routes-order-{width}")
    order = _docx_text(page.request.get(live[0] + page.get_attribute("#order-docx", "href")).body())
    assert all(name in order for name in THREE)
    assert "Тьюторова Светлана Андреевна" in order and "МБОУ «СОШ № 12 им. А. С. Пушкина» г. Энска" in order


def test_without_javascript_the_search_is_a_form_and_the_checks_are_kept(browser, live):
    base, app = live
    context = browser.new_context(java_script_enabled=False, locale="ru-RU", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base}/login")
        page.fill("#login", "head_cnppm")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/inbox")
        page.goto(f"{base}/routes/new")
        page.fill("#q", "кузнецов")
        page.click("#teacher-search button[type=submit]")
        page.locator("#found tr", has_text="Кузнецов Дмитрий Александрович").locator("input").check()
        page.click("button[value=add]")
        assert page.locator("#chosen input:checked").count() == 1
        page.select_option("#tutor-all", label="Наставников Алексей Юрьевич")
        page.click("button[value=open]")  # no methodist: refused, nothing opened, the choice kept
        assert "Выберите методиста" in page.content() and page.locator("#chosen input:checked").count() == 1
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(_artifact("open-routes-problems-390")), full_page=True)
        page.select_option("#methodist", label="Методистова Ирина Львовна (Энская область)")
        page.click("button[value=open]")
        page.wait_for_url("**/routes/orders/*")
        assert "Кузнецов Дмитрий Александрович" in page.locator("#opened").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_the_teacher_edits_their_sheet_and_the_route_page_links_to_it(visitor, live, width):
    teacher = visitor("teacher1")
    teacher.context.add_init_script(RECORD_VIOLATIONS)
    teacher.page.set_viewport_size({"width": width, "height": 900})
    teacher_id = live[1].config["PEOPLE"]["teacher1"]
    teacher.goto(f"/teachers/{teacher_id}/sheet")
    teacher.page.fill("[name='/info/awards']", f"Грамота «Учитель года» & диплом ({width})")
    teacher.page.click("#sheet-form button[type=submit]")
    teacher.page.wait_for_selector("text=Справка сохранена")  # the page after the POST, not the one leaving
    assert teacher.page.evaluate("window.__csp") == []
    assert teacher.page.input_value("[name='/info/awards']") == f"Грамота «Учитель года» & диплом ({width})"
    _fits(teacher, width)
    teacher.shot(f"teacher-sheet-{width}")
    methodist = visitor("methodist")
    methodist.page.set_viewport_size({"width": width, "height": 900})
    methodist.goto("/routes")
    methodist.page.locator("a", has_text="ИОМ: Иванова Мария Петровна").first.click()
    methodist.page.click("#sheet-link")
    assert f"Грамота «Учитель года» & диплом ({width})" in methodist.page.inner_text("#sheet")
    _fits(methodist, width)
    methodist.shot(f"teacher-sheet-read-only-{width}")


def _artifact(name: str):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
