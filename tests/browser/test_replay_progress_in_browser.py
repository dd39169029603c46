"""The replay with documents in Chromium: started from the auditor's page, its progress bar shown
while the worker has it, and the page showing the result by itself when the job ends (js/audit.js
polls); screenshots `replay_queued_*` and `replay_done_*` in tests/artifacts/. The worker is a Huey
queue this test drains by hand."""

from __future__ import annotations

import os
import threading

import pytest
from huey import MemoryHuey
from werkzeug.serving import make_server

from service.samples import VALID
from service.services import accounts, demo, routes
from tests.browser.conftest import CHROMIUM
from tests.support.app import FakeClock, ready_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def queue():
    return MemoryHuey("browser-jobs", immediate=False, results=False)


@pytest.fixture(scope="module")
def live(tmp_path_factory, queue):
    """As tests/browser/conftest.py's, with jobs left in `queue` instead of run at once."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's Chromium is not installed (.ci/install-chromium.sh)")
    path = tmp_path_factory.mktemp("browser") / "ui.sqlite3"
    gen = ready_app(f"sqlite:///{path}", CLOCK=FakeClock(), WTF_CSRF_TIME_LIMIT=None, JOBS=queue)
    app = next(gen)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    next(gen, None)


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
