"""The admin's versions page in Chromium: every template kind and the workflow, a refused upload
with its report, making an older version current; admin interventions on the route page.
Screenshots at 1366 and 390 px."""

from __future__ import annotations

import pytest

from service.services import accounts, routes
from service.services.documents import read_template_files
from tests.support.newcomers import docx_variant

pytestmark = pytest.mark.browser



def test_the_admin_uploads_refuses_and_activates_template_versions(live, visitor, tmp_path):
    base, app = live
    v = visitor("admin")
    v.goto("/versions")
    assert v.page.locator("#kind-pep_rules").is_visible()
    assert v.page.locator("#workflows .badge.ok").inner_text() == "текущая"

    broken = tmp_path / "vyvody.docx"
    broken.write_bytes(docx_variant(read_template_files()["vyvody.docx"], "{{ secret_value }}"))
    v.page.set_input_files("#kind-vyvody input[type=file]", str(broken))
    v.page.click("#kind-vyvody button[type=submit]")
    report = v.page.locator("#report-vyvody")
    assert "secret_value" in report.inner_text() and "word/document.xml" in report.inner_text()

    new = tmp_path / "vyvody2.docx"
    new.write_bytes(docx_variant(read_template_files()["vyvody.docx"], "Редакция 2"))
    v.page.set_input_files("#kind-vyvody input[type=file]", str(new))
    v.page.click("#kind-vyvody button[type=submit]")
    assert "новая версия" in v.page.locator(".flash").first.inner_text()
    rows = v.page.locator("#kind-vyvody tbody tr")
    assert rows.count() == 2
    v.fits("versions")
    rows.nth(1).locator("button", has_text="Сделать текущей").click()
    assert "текущая версия" in v.page.locator(".flash").first.inner_text()
    assert v.page.locator("#kind-vyvody tbody tr").nth(0).locator(".badge.ok").count() == 1


def test_the_admin_reassigns_a_task_from_the_route_page(live, visitor):
    base, app = live
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    rid = routes.create_route(ctx, head, routes.NewRoute(ids["teacher4"], ids["tutor1"], ids["methodist"]))
    v = visitor("admin")
    v.goto(f"/routes/{rid}")
    form = v.page.locator("#admin-reassign")
    form.locator("select[name=assignee_id]").select_option(label="Наставников Алексей Юрьевич")
    form.locator("textarea[name=reason]").fill("Тьютор в отпуске")
    form.locator("button[type=submit]").click()  # the browser stops it: «Подтверждаю» is required
    assert v.page.url.endswith(f"/routes/{rid}")
    form.locator("input[name=confirm]").check()
    form.locator("button[type=submit]").click()
    v.page.wait_for_url(f"{base}/routes/{rid}#admin-actions")
    assert "передана: Наставников Алексей Юрьевич" in v.page.locator(".flash").first.inner_text()
    v.fits("route_admin_actions")
