"""Moving routes to another workflow version in Chromium: an admin previews a route's move from its
page, maps the task the new version lacks, confirms with a reason (then may undo it); and runs a
small batch from the version page, its progress bar shown while the worker has it and the report
after (js/migration.js polls). Screenshots `migration_*` in tests/artifacts/. The worker is a Huey
queue this test drains by hand."""

from __future__ import annotations

import pytest
from huey import MemoryHuey

from service.samples import VALID
from service.services import accounts, demo, routes, versions
from tests.browser.conftest import serve
from tests.support.migration_versions import deploy_variant, first_spec_id

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def queue():
    return MemoryHuey("browser-migrations", immediate=False, results=False)


@pytest.fixture(scope="module")
def live(tmp_path_factory, queue):
    """As tests/browser/conftest.py's, with jobs left in `queue` instead of run at once."""
    yield from serve(tmp_path_factory, JOBS=queue)


def _open(ctx, ids, teacher: str, to_agreement: bool) -> int:
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    rid = routes.create_route(ctx, head, routes.NewRoute(ids[teacher], ids["tutor1"], ids["methodist"]))
    if to_agreement:
        demo.complete_as_assignee(ctx, rid, "draft", VALID["draft"])
        for name in ("plan_signatures_methodist", "plan_signatures_teacher"):
            demo.complete_as_assignee(ctx, rid, name, VALID["sign"])
    return rid


def test_an_admin_moves_a_route_and_then_a_version_s_routes(live, visitor, queue):
    base, app = live
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    at_agreement = _open(ctx, ids, "teacher1", True)
    at_draft = _open(ctx, ids, "teacher2", False)
    other = _open(ctx, ids, "teacher3", True)
    a, b = first_spec_id(app), deploy_variant(app, "no_agreement")
    versions.activate_workflow(ctx, accounts.load_actor(ctx, ids["admin"]), a)

    admin = visitor("admin")
    page = admin.page
    admin.goto(f"/routes/{at_agreement}")
    page.select_option("#admin-migration select[name=to]", str(b))
    page.click("#admin-migration button[type=submit]")
    page.wait_for_selector("#migration-cannot")
    admin.fits("migration_route_blocked")
    page.select_option('#migration-mapping select[name="map:agreement"]', "approval")
    page.click("#migration-mapping button[type=submit]")
    page.wait_for_selector("#migration-can")
    page.fill("#migration-confirm textarea[name=reason]", "Согласование в ЦНППМ отменено приказом")
    page.check("#migration-confirm input[name=confirm]")
    admin.fits("migration_route_preview")
    page.click("#migration-confirm button[type=submit]")
    page.wait_for_url(f"{base}/routes/{at_agreement}")
    assert "Маршрут переведён на версию схемы" in page.locator("main").inner_text()
    assert page.locator("#admin-migration-revert").is_visible()
    page.locator("#admin-migration-revert").scroll_into_view_if_needed()
    admin.fits("migration_route_done")

    admin.goto("/versions")
    page.click(f"a[href='/versions/workflow/{a}/migration']")
    page.select_option("#migration-choose select[name=to]", str(b))
    page.click("#migration-choose button[type=submit]")
    page.wait_for_selector("#migration-preview")
    assert page.locator("#migration-total").inner_text() == "2"
    assert page.locator("#migration-cannot").inner_text() == "нельзя: 1"
    page.fill("#migration-confirm textarea[name=reason]", "Новая схема без согласования")
    page.check("#migration-confirm input[name=confirm]")
    admin.fits("migration_version_preview")
    page.click("#migration-confirm button[type=submit]")
    page.wait_for_selector("#migration-progress")
    assert page.locator("#migration-batch-state").inner_text() == "В очереди"
    admin.fits("migration_batch_queued")

    task = queue.dequeue()
    assert task is not None
    queue.execute(task)  # the worker runs it; the page polls and reloads by itself
    page.wait_for_selector("#migration-report", timeout=15_000)
    report = page.locator("#migration-report").inner_text()
    assert f"№ {at_draft}" in report and f"№ {other}" in report and "не переведён" in report
    assert page.locator("#migration-migrated").inner_text() == "1"
    admin.fits("migration_batch_done")
