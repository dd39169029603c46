"""The auditor's page in Chromium: from the route page to the audit, the verdicts, the diagram
drawn with the position marked, and stepping back and forth through the events by clicking
(screenshot `audit` in tests/artifacts/)."""

from __future__ import annotations

import re

import pytest

from service.samples import VALID
from service.services import accounts, demo, routes

pytestmark = pytest.mark.browser


def _marked(page, element_id: str, marker: str) -> bool:
    return page.locator(f'g.djs-element.{marker}[data-element-id="{element_id}"]').count() == 1


def _diagram_drawn(page) -> None:
    page.wait_for_selector('#diagram[data-ready="1"]', timeout=15_000)


def test_the_auditor_steps_back_to_a_return_and_sees_where_the_route_stood(live, visitor):
    base, app = live
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    rid = routes.create_route(ctx, head, routes.NewRoute(ids["teacher1"], ids["tutor1"], ids["methodist"]))
    for name, data in [("draft", VALID["draft"]), ("plan_signatures_methodist", VALID["sign"]),
                       ("plan_signatures_teacher", {"decision": "return", "comment": "Уточните сроки & «даты»"}),
                       ("draft", VALID["draft"])]:
        demo.complete_as_assignee(ctx, rid, name, data)

    auditor = visitor("auditor")
    page = auditor.page
    auditor.goto(f"/routes/{rid}")
    page.click("#audit-link")
    page.wait_for_url(re.compile(rf"/routes/{rid}/audit$"))
    assert page.locator("#verification .badge.ok").inner_text() == "Цепочка событий цела"
    assert page.locator("#replay .badge.ok").inner_text() == "Повтор совпадает с историей"
    _diagram_drawn(page)
    # now: both plan signatures wait again, the draft was done
    assert _marked(page, "plan_signatures_methodist", "current") and _marked(page, "plan_signatures_teacher", "current")
    assert _marked(page, "draft", "done")

    events = page.request.get(f"{base}/api/routes/{rid}/events").json()["events"]
    returned = next(e["seq"] for e in events if e["task_name"] == "plan_signatures_teacher")
    page.click(f'#events a[href="?as_of={returned}"]')
    page.wait_for_url(re.compile(rf"as_of={returned}$"))
    _diagram_drawn(page)
    assert f"Событие № {returned} из {len(events)}" in page.locator("#stepper").inner_text()
    waiting = page.locator("#open-tasks").inner_text()
    assert "Составление ИОМ" in waiting and "Подпись" not in waiting  # back at the draft
    assert _marked(page, "draft", "current") and not _marked(page, "plan_signatures_methodist", "current")
    assert page.locator("#events li.selected a").get_attribute("aria-current") == "step"

    page.click("#prev")
    page.wait_for_url(re.compile(rf"as_of={returned - 1}$"))
    _diagram_drawn(page)
    assert _marked(page, "plan_signatures_teacher", "current")  # the teacher had still to decide
    auditor.shot("audit")
    page.click("#next")
    page.wait_for_url(re.compile(rf"as_of={returned}$"))

    exported = page.request.get(f"{base}/api/routes/{rid}/export.json")
    assert exported.ok and exported.json()["events"][-1]["hash"] == page.request.get(
        f"{base}/api/routes/{rid}/verify").json()["head"]
