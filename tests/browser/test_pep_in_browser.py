"""A new methodist in Chromium: refused a signature until they accept the Положение о ПЭП (the
refusal names the page), accepts it on /pep, then signs. Screenshots of /pep at 1366 and 390 px."""

from __future__ import annotations

import re

import pytest

from service.samples import VALID
from service.services import accounts, routes
from service.services.demo import PASSWORD, complete_as_assignee
from tests.support.newcomers import add_methodist

pytestmark = pytest.mark.browser

REFUSAL = "Перед первой подписью примите Положение о простой электронной подписи: /pep"


def _route_waiting_for(app, methodist_id: int) -> int:
    """A route of teacher3 whose plan waits for the new methodist's signature."""
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    rid = routes.create_route(ctx, head, routes.NewRoute(ids["teacher3"], ids["tutor2"], methodist_id))
    complete_as_assignee(ctx, rid, "draft", VALID["draft"])
    return rid


def _sign_on_the_task_page(v, task_url: str) -> None:
    v.goto(task_url)
    v.page.select_option('[name="/decision"]', "sign")
    v.page.fill("#password", PASSWORD)
    v.page.click("button[value=submit]")


def test_a_new_methodist_accepts_the_regulation_before_the_first_signature(live, visitor):
    base, app = live
    newcomer = add_methodist(app, "methodist_b", "Белова Ксения Игоревна")
    rid = _route_waiting_for(app, newcomer)
    v = visitor("methodist_b")
    task = next(t for t in v.page.request.get(f"{base}/api/tasks").json()["tasks"] if t["route_id"] == rid)
    task_url = f"/tasks/{task['id']}"

    v.goto(task_url)
    notice = v.page.locator("#pep-notice")
    assert notice.is_visible() and "Положение о простой электронной подписи" in notice.inner_text()
    _sign_on_the_task_page(v, task_url)
    assert REFUSAL in v.page.locator("#form-error").inner_text()
    v.shot("pep_refused")

    v.page.locator("#pep-notice a").click()
    v.page.wait_for_url(re.compile(r"/pep\?next=/tasks/"))
    assert v.page.locator("#pep-not-accepted").is_visible()
    assert "Идентификация подписанта" in v.page.locator(".pep-text").inner_text()
    v.page.set_viewport_size({"width": 1366, "height": 900})
    v.shot("pep_1366")
    v.page.set_viewport_size({"width": 390, "height": 844})
    v.shot("pep_390")
    assert v.page.evaluate("document.documentElement.scrollWidth") <= 390
    v.page.set_viewport_size({"width": 1366, "height": 900})

    v.page.check("#pep-accept input[name=agree]")
    v.page.click("#pep-accept button[type=submit]")
    v.page.wait_for_url(f"{base}{task_url}")
    assert "Положение о простой электронной подписи принято" in v.page.locator(".flash").first.inner_text()
    assert v.page.locator("#pep-notice").count() == 0

    _sign_on_the_task_page(v, task_url)
    v.page.wait_for_url(f"{base}/inbox")
    assert v.page.locator(".flash.success").first.inner_text().startswith("Готово:")
    docs = v.page.request.get(f"{base}/api/routes/{rid}/documents").json()["documents"]
    karta = next(d for d in docs if d["kind"] == "karta")
    assert [s["signer"]["name"] for s in karta["signatures"]] == ["Белова Ксения Игоревна"]
