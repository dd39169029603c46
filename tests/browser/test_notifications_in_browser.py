"""The bell and /notifications in Chromium: a new task shows in the bell's count; opening the
notification goes to the task and the count drops; the settings page; at desktop and phone widths."""

from __future__ import annotations

import pytest

from service.services import accounts, routes

pytestmark = pytest.mark.browser


def _open_route(app, teacher: str) -> int:
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    return routes.create_route(ctx, head, routes.NewRoute(ids[teacher], ids["tutor2"], ids["methodist"]))


@pytest.mark.parametrize("width", [1366, 390])
def test_the_bell_counts_and_a_notification_opens_its_task(live, visitor, width):
    _open_route(live[1], "teacher3" if width == 1366 else "teacher4")
    tutor = visitor("tutor2")
    tutor.page.set_viewport_size({"width": width, "height": 844})
    tutor.goto("/inbox")
    bell = tutor.page.locator("header .me a.bell")
    assert bell.is_visible() and bell.locator(".count").inner_text() == "1"
    bell.click()
    tutor.page.wait_for_url(f"{live[0]}/notifications")
    item = tutor.page.locator("li.notif.unread").first
    assert "Новая задача: «Составление ИОМ»" in item.inner_text()
    tutor.shot(f"notifications-{width}")
    assert tutor.page.evaluate("document.documentElement.scrollWidth") <= width
    item.locator("button.link").click()
    tutor.page.wait_for_url(f"{live[0]}/tasks/**")
    assert tutor.page.locator("header .me a.bell .count").count() == 0
    tutor.goto("/notifications/settings")
    assert "Настройки уведомлений" in tutor.page.content()
    tutor.shot(f"notifications-settings-{width}")
    assert tutor.page.evaluate("document.documentElement.scrollWidth") <= width
    tutor.page.locator("input[name=mode_task_ready][value=digest]").check()
    tutor.page.select_option("select[name=digest_hour]", "19")
    tutor.page.click("form.notif-settings button[type=submit]")
    assert "Настройки уведомлений сохранены." in tutor.page.content()
    assert tutor.page.locator("input[name=mode_task_ready][value=digest]").is_checked()
