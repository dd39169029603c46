"""Under the strict Content-Security-Policy (service/http/headers.py) the pages still work in
Chromium: no violation is reported on the login page, the inbox, a task form, the route page
with its diagram and the audit page; the styles of app.css apply."""

from __future__ import annotations

import pytest

from service.samples import VALID
from service.services import accounts, demo, routes

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || "")));
"""


def test_no_page_breaks_the_content_security_policy(live, visitor):
    base, app = live
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    rid = routes.create_route(ctx, head, routes.NewRoute(ids["teacher1"], ids["tutor1"], ids["methodist"]))
    demo.complete_as_assignee(ctx, rid, "draft", VALID["draft"])

    auditor = visitor("auditor")
    methodist = visitor("methodist")
    console: list[str] = []
    for v in (auditor, methodist):
        v.context.add_init_script(RECORD_VIOLATIONS)
        v.page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)

    task_id = [t for t in demo_tasks(app, ids["methodist"]) if t["route"]["id"] == rid][0]["id"]
    visits = [(methodist, "/inbox", "main"), (methodist, f"/tasks/{task_id}", "form"),
              (auditor, f"/routes/{rid}", '#diagram[data-ready="1"]'),
              (auditor, f"/routes/{rid}/audit", '#diagram[data-ready="1"]')]
    for v, path, ready in visits:
        v.goto(path)
        v.page.wait_for_selector(ready, timeout=15_000)
        assert v.page.evaluate("window.__csp") == [], path
    assert console == []
    # app.css applies (the login card's width came from an inline style before)
    auditor.page.context.clear_cookies()
    auditor.goto("/login")
    assert auditor.page.evaluate("getComputedStyle(document.querySelector('.card.narrow')).maxWidth") == "420px"
    assert auditor.page.evaluate("window.__csp") == []


def demo_tasks(app, user_id: int) -> list[dict]:
    from service.services import views

    ctx = app.extensions["iom"]
    return views.my_tasks(ctx, accounts.load_actor(ctx, user_id))
