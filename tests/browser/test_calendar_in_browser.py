"""The working calendar page in Chromium: the admin opens it from the navigation, sees the May
holidays and the working Saturday of 2025, marks a region day off and removes it.
Screenshots at 1366 and 390 px."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser



def test_the_admin_marks_a_region_day_on_the_calendar(live, visitor):
    v = visitor("admin")
    v.goto("/inbox")
    v.page.click("header.top nav.main a:has-text('Календарь')")
    v.goto("/calendar?year=2025")
    assert v.page.locator('td[data-day="2025-05-02"]').get_attribute("class") == "transfer"
    assert v.page.locator('td[data-day="2025-11-01"]').get_attribute("class") == "working_weekend"
    form = v.page.locator("form.cal-form")
    form.locator("input[name=day]").fill("2025-05-05")
    form.locator("input[name=reason]").fill("День области")
    form.locator("button[type=submit]").click()
    assert "выходной региона: День области" in v.page.locator(".flash").first.inner_text()
    assert v.page.locator('td[data-day="2025-05-05"]').get_attribute("class") == "region_off"
    assert v.page.locator("#working-days").inner_text() == "246"
    v.fits("calendar")
    row = v.page.locator("table.cal-region tbody tr").first
    row.locator("input[name=reason]").fill("Ошибка в распоряжении")
    row.locator("button[type=submit]").click()
    assert "снята" in v.page.locator(".flash").first.inner_text()
    assert v.page.locator('td[data-day="2025-05-05"]').get_attribute("class") == "plain"
