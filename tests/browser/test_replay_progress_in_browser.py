"""The replay with documents in Chromium: started from the auditor's page, its progress bar shown
while the worker has it, and the page showing the result by itself when the job ends (js/audit.js
polls); screenshots `replay_queued_*` and `replay_done_*` in tests/artifacts/. The worker is a Huey
queue this test drains by hand."""

from __future__ import annotations

import pytest
from huey import MemoryHuey

from service.samples import VALID
from service.services import accounts, demo, routes
from tests.browser.conftest import serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def queue():
    return MemoryHuey("browser-jobs", immediate=False, results=False)


@pytest.fixture(scope="module")
def live(tmp_path_factory, queue):
    """As tests/browser/conftest.py's, with jobs left in `queue` instead of run at once."""
    yield from serve(tmp_path_factory, JOBS=queue)


def test_the_progress_bar_shows_while_the_worker_replays_and_the_result_after(live, visitor, queue):
    base, app = live
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    rid = routes.create_route(ctx, head, routes.NewRoute(ids["teacher1"], ids["tutor1"], ids["methodist"]))
    for name in ("draft", "plan_signatures_methodist"):
        demo.complete_as_assignee(ctx, rid, name, VALID["draft"] if name == "draft" else VALID["sign"])

    auditor = visitor("auditor")
    page = auditor.page
    auditor.goto(f"/routes/{rid}/audit")
    page.click("#replay-documents-start")
    page.wait_for_selector("#replay-progress")
    assert page.locator("#replay-documents-state").inner_text() == "В очереди"
    assert page.locator("#replay-refresh").is_visible()
    page.locator("#replay-documents").scroll_into_view_if_needed()
    auditor.fits("replay_queued")

    task = queue.dequeue()
    assert task is not None
    queue.execute(task)  # the worker runs it; the page polls and reloads by itself
    page.wait_for_selector("#replay-documents-ok", timeout=15_000)
    assert "Проверить заново" in page.locator("#replay-documents").inner_text()
    auditor.fits("replay_done")
