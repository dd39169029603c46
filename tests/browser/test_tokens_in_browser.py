"""The personal-token page in Chromium: issue a token (shown once), see it listed, revoke it; at
desktop and phone widths."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1366, 390])
def test_a_person_issues_sees_and_revokes_a_token(visitor, width):
    tutor = visitor("tutor1")
    tutor.page.set_viewport_size({"width": width, "height": 900})
    tutor.goto("/tokens")
    tutor.page.fill("input[name=name]", f"выгрузка {width}")
    tutor.page.fill("input[name=expires_in_days]", "30")
    tutor.page.click("form.card button[type=submit]")
    token = tutor.page.text_content("#new-token")
    assert token.startswith("iom_") and "Скопируйте его сейчас" in tutor.page.content()
    tutor.shot(f"tokens-issued-{width}")
    page_width = tutor.page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width  # nothing runs off a phone's screen
    tutor.goto("/tokens")
    assert token not in tutor.page.content()
    row = tutor.page.locator("tr", has_text=f"выгрузка {width}")
    assert "действует" in row.inner_text()
    row.locator("button", has_text="Отозвать").click()
    assert "отозван" in tutor.page.locator("tr", has_text=f"выгрузка {width}").inner_text()
    tutor.shot(f"tokens-revoked-{width}")
