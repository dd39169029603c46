"""The pages on a phone (390 px) and a laptop (1366 px) in Chromium: the draft form fits the
screen (wide tables scroll inside their own box), the header stays a thin strip, the diagram's
lanes are titled in Russian; screenshots of the task, route and audit pages in tests/artifacts/."""

from __future__ import annotations

import pytest

from service.samples import VALID
from service.services import accounts, demo, routes

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _route(app, steps) -> int:
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    rid = routes.create_route(ctx, head, routes.NewRoute(ids["teacher1"], ids["tutor1"], ids["methodist"]))
    for name, data in steps:
        demo.complete_as_assignee(ctx, rid, name, data)
    return rid


def _task_id(v, rid: int, name: str) -> str:
    tasks = v.page.request.get(f"{v.base}/api/tasks").json()["tasks"]
    return next(t["id"] for t in tasks if t["route_id"] == rid and t["name"] == name)


def _fits(v, width: int) -> None:
    assert v.page.evaluate("document.documentElement.scrollWidth") <= width


def test_on_a_phone_the_draft_form_fits_and_the_header_is_a_thin_strip(live, visitor):
    _, app = live
    rid = _route(app, [])
    tutor = visitor("tutor1")
    tutor.page.set_viewport_size(PHONE)
    tutor.goto(f"/tasks/{_task_id(tutor, rid, 'draft')}")
    _fits(tutor, 390)
    header = tutor.page.locator("header.top").bounding_box()
    assert header["height"] <= 0.15 * PHONE["height"], header
    # every section is still reachable: the menu scrolls sideways inside the header
    nav = tutor.page.locator("nav.main")
    assert nav.locator("a").count() >= 2 and nav.evaluate("n => getComputedStyle(n).overflowX") == "auto"
    # a wide table scrolls in its own box instead of widening the page
    wrap = tutor.page.locator("fieldset.table-field .table-wrap").first
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")
    tutor.shot("phone-draft-390")
    tutor.page.set_viewport_size({"width": 1366, "height": 900})
    tutor.shot("phone-draft-1366")


def _diagram_drawn(page) -> None:
    page.wait_for_selector('#diagram[data-ready="1"]', timeout=15_000)


@pytest.mark.parametrize("width", [1366, 390])
def test_task_route_and_audit_pages_at_both_widths(live, visitor, width):
    _, app = live
    rid = _route(app, [("draft", VALID["draft"]), ("plan_signatures_methodist", VALID["sign"]),
                       ("plan_signatures_teacher", {"decision": "return", "comment": "Уточните сроки стажировки"}),
                       ("draft", VALID["draft"]), ("plan_signatures_methodist", VALID["sign"])])
    teacher = visitor("teacher1")
    teacher.page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    teacher.goto(f"/tasks/{_task_id(teacher, rid, 'plan_signatures_teacher')}")
    _fits(teacher, width)
    assert "#signbox" and teacher.page.locator("#signbox").is_visible()
    teacher.shot(f"fixes-task-{width}")

    teacher.goto(f"/routes/{rid}")
    _diagram_drawn(teacher.page)
    _fits(teacher, width)
    lanes = teacher.page.locator("#diagram").inner_text()
    assert "Педагог" in lanes and "Тьютор" in lanes and "cnppm_head" not in lanes
    assert "текущая" in teacher.page.locator("#documents").inner_text()
    teacher.shot(f"fixes-route-{width}")

    auditor = visitor("auditor")
    auditor.page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    auditor.goto(f"/routes/{rid}/audit")
    _diagram_drawn(auditor.page)
    _fits(auditor, width)
    auditor.shot(f"fixes-audit-{width}")
