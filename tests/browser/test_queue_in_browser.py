"""The queues in Chromium: a saved queue filter survives logging out, "Выбрать все" ticks every
route of the bulk form (and a refused password keeps the ticks), and the inbox, the queue and
"completed by me" fit a phone's width; screenshots at 1366 and 390 px in tests/artifacts/."""

from __future__ import annotations

import pytest

from tests.support.app import Person

pytestmark = pytest.mark.browser

WIDTHS = (1366, 390)


@pytest.fixture(scope="module")
def routes(live):
    """Three routes waiting for the CNPPM head's agreement; a plan waiting for the methodist's
    signature; a draft waiting for tutor1."""
    _, app = live
    ids = app.config["PEOPLE"]
    people = {login: Person(app, login) for login in ("head_cnppm", "tutor1", "methodist", "teacher1")}

    def new_route(title: str) -> int:
        r = people["head_cnppm"].post("/api/routes", {"teacher_id": ids["teacher1"], "tutor_id": ids["tutor1"],
                                                      "methodist_id": ids["methodist"], "title": title})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    agreed = [new_route(f"ИОМ на согласование № {i} — очень длинное название маршрута педагога") for i in (1, 2, 3)]
    for rid in agreed:
        people["tutor1"].do(rid, "draft")
        people["methodist"].do(rid, "plan_signatures_methodist")
        people["teacher1"].do(rid, "plan_signatures_teacher")
    drafts = [new_route("ИОМ: черновик тьютора"), new_route("ИОМ: ещё один черновик")]
    people["tutor1"].do(drafts[0], "draft")  # the methodist now has a plan to sign
    return {"agreement": agreed, "drafts": drafts}


def _no_horizontal_overflow(v) -> None:
    width = v.page.evaluate("document.documentElement.scrollWidth")
    viewport = v.page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page is {width}px wide on a {viewport}px screen"


def test_a_saved_queue_filter_survives_logout(visitor, routes):
    tutor = visitor("tutor1")
    tutor.goto("/queue")
    page = tutor.page
    page.select_option('select[name="stage"]', "draft")
    page.select_option('select[name="sort"]', "due")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/queue?stage=draft**")
    page.fill("#filter-name-queue", "Черновики по сроку")
    page.click("form.save-filter button[type=submit]")
    page.wait_for_load_state()
    assert "Фильтр «Черновики по сроку» сохранён" in page.locator(".flash.success").inner_text()

    page.click("header.top button:has-text('Выйти')")
    page.wait_for_url("**/login**")
    tutor.login()
    tutor.goto("/queue")
    assert page.input_value('select[name="stage"]') == ""
    page.click("a.saved-link:has-text('Черновики по сроку')")
    page.wait_for_load_state()
    assert "stage=draft" in page.url and "sort=due" in page.url
    assert page.input_value('select[name="stage"]') == "draft"
    assert page.input_value('select[name="sort"]') == "due"


def test_select_all_ticks_every_route_and_a_refused_password_keeps_them(visitor, routes):
    head = visitor("head_cnppm")
    head.goto("/queue?stage=agreement")
    page = head.page
    boxes = page.locator('#bulk-form input[name="task_id"]')
    assert boxes.count() == 3
    everything = page.locator("#select-all")
    assert everything.is_visible()
    everything.check()
    assert all(boxes.nth(i).is_checked() for i in range(3))
    boxes.nth(2).uncheck()
    assert page.evaluate("document.getElementById('select-all').indeterminate")
    page.fill("#bulk-password", "не тот пароль")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_load_state()
    assert "Неверный пароль" in page.locator("#bulk-error").inner_text()
    assert [boxes.nth(i).is_checked() for i in range(3)] == [True, True, False]
    assert page.input_value('select[name="stage"]') == "agreement"
    head.page.set_viewport_size({"width": 1366, "height": 900})
    head.shot("queue_bulk_refused")


@pytest.mark.parametrize("login, path, name", [("methodist", "/inbox", "inbox_queues"),
                                               ("head_cnppm", "/queue", "queue_due"),
                                               ("tutor1", "/completed", "completed")])
def test_queue_pages_fit_a_desktop_and_a_phone(visitor, routes, login, path, name):
    v = visitor(login)
    v.goto(path)
    assert v.page.locator("main table tbody tr").count() >= 1
    if path == "/inbox":
        assert "Подпись: Карта ИОМ, версия 1" in v.page.locator("main table").inner_text()
    for width in WIDTHS:
        v.page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
        v.goto(path)
        _no_horizontal_overflow(v)
        v.shot(f"{name}_{width}")
