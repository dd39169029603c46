"""Delegation in Chromium: the head of the gymnasium delegates to the deputy on /delegations; the
deputy finds the head's approval in their inbox «за» the head and signs it with their own password;
the issued signature sheet and the route page say «…, за …, по поручению от …». After the range
ends (the app's clock moved on) the deputy no longer sees the head's next task. Screenshots of
/delegations and of the deputy's inbox at 1366 and 390 px."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from service.samples import VALID
from service.services import accounts, routes
from service.services.demo import PASSWORD, complete_as_assignee
from tests.support.docx_text import docx_text

pytestmark = pytest.mark.browser

HEAD, DEPUTY = "Директорова Елена Викторовна", "Завучева Ольга Николаевна"


def _route_at_approval(app, teacher: str) -> int:
    """A route of a gymnasium teacher whose plan waits for the school head's approval."""
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    rid = routes.create_route(ctx, head, routes.NewRoute(ids[teacher], ids["tutor1"], ids["methodist"]))
    for name, data in [("draft", VALID["draft"]), ("plan_signatures_methodist", VALID["sign"]),
                       ("plan_signatures_teacher", VALID["sign"]), ("agreement", VALID["review"])]:
        complete_as_assignee(ctx, rid, name, data)
    return rid


def _sheet(v, base: str, rid: int) -> str:
    docs = v.page.request.get(f"{base}/api/routes/{rid}/documents").json()["documents"]
    karta = [d for d in docs if d["kind"] == "karta" and d["state"] == "issued"][-1]
    data = v.page.request.get(f"{base}/api/documents/{karta['id']}/issued.docx").body()
    return docx_text(data)


def test_the_deputy_signs_for_the_head_until_the_delegation_ends(live, visitor):
    base, app = live
    ctx = app.extensions["iom"]
    first, second = _route_at_approval(app, "teacher1"), _route_at_approval(app, "teacher2")
    today = ctx.clock.now.astimezone(ZoneInfo(ctx.timezone)).date()
    ends = today + timedelta(days=2)

    head = visitor("head_gym")
    head.goto("/delegations")
    form = head.page.locator("form.delegation-form")
    assert DEPUTY in form.locator("select[name=delegate_id]").inner_text()
    form.locator("input[name=ends_on]").fill(ends.isoformat())
    form.locator("input[name=kinds][value=approve]").check()
    form.locator("input[name=reason]").fill("Отпуск")
    form.locator("button[type=submit]").click()
    head.page.wait_for_url(f"{base}/delegations")
    assert head.page.locator(".flash.success").first.inner_text().startswith(f"Поручение дано: {DEPUTY}")
    row = head.page.locator("tr.delegation.active")
    assert DEPUTY in row.inner_text() and "утверждение" in row.inner_text()
    head.fits("delegations")

    deputy = visitor("deputy_gym")
    deputy.goto("/inbox")
    on_behalf = f"за {HEAD}, по поручению от {today:%d.%m.%Y}"
    assert deputy.page.locator(".for-whom").count() == 2 and on_behalf in deputy.page.locator(".for-whom").first \
        .inner_text()
    assert deputy.page.locator('a[href="/inbox"] .count').inner_text().strip() == "2"  # the menu counts them
    deputy.fits("delegated_inbox")

    task = next(t for t in deputy.page.request.get(f"{base}/api/tasks").json()["tasks"] if t["route_id"] == first)
    deputy.goto(f"/tasks/{task['id']}")
    assert HEAD in deputy.page.locator("#delegated-for").inner_text()
    deputy.page.select_option('[name="/decision"]', "accept")
    deputy.page.fill("#password", PASSWORD)
    deputy.page.click("button[value=submit]")
    deputy.page.wait_for_url(f"{base}/inbox")
    assert deputy.page.locator(".flash.success").first.inner_text().startswith("Готово:")

    assert f"{DEPUTY}, за {HEAD}, по поручению от {today:%d.%m.%Y}" in _sheet(deputy, base, first)
    deputy.goto(f"/routes/{first}")
    assert on_behalf in deputy.page.locator("#documents").inner_text()
    assert on_behalf in deputy.page.locator("body").inner_text()  # the history's line too

    ctx.clock.now += timedelta(days=5)  # the range has ended
    deputy.goto("/inbox")
    assert deputy.page.locator(".for-whom").count() == 0
    assert deputy.page.locator('a[href="/inbox"] .count').count() == 0
    assert not [t for t in deputy.page.request.get(f"{base}/api/tasks").json()["tasks"] if t["route_id"] == second]
    head_task = next(t for t in head.page.request.get(f"{base}/api/tasks").json()["tasks"] if t["route_id"] == second)
    refused = deputy.page.request.post(f"{base}/api/tasks/{head_task['id']}/complete",
                                       data={"data": VALID["review"]}, headers={"X-CSRFToken": _csrf(deputy, base)})
    assert refused.status == 403 and "Выполнить её может только исполнитель" in refused.json()["error"]
    deputy.shot("delegated_inbox_after_range")


def _csrf(v, base: str) -> str:
    return v.page.request.get(f"{base}/api/csrf").json()["csrf_token"]
