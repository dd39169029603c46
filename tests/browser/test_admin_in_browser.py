"""The organisation and people pages in Chromium: an admin creates a centre and a school, a person
with a temporary password, grants a role; that person must change the password before anything
else; a reset link sets a password once. Every new page is shot at desktop and phone widths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.org_people import NEW_PASSWORD

pytestmark = pytest.mark.browser
WIDTHS = (1366, 390)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


class Shooter:
    """A page of a browser context opened by hand (a person without the demo password), shot the
    way the Visitor fixture shoots."""

    def __init__(self, page):
        self.page = page

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _shots(v, name: str) -> None:
    """The current page at both widths; nothing may run off a phone's screen."""
    for width in WIDTHS:
        v.page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        v.shot(f"{name}-{width}")
        assert v.page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    v.page.set_viewport_size({"width": 1366, "height": 900})


def test_an_admin_sets_up_a_centre_a_school_and_a_person(visitor, live, browser):
    base, _ = live
    admin = visitor("admin")
    admin.goto("/org")
    assert admin.page.locator("table.org-tree tr.level-school").count() == 2
    _shots(admin, "org")
    admin.page.fill("#centre-name", "ЦНППМ «Браузерный» & <тест>")
    admin.page.click("text=Добавить ЦНППМ")
    admin.page.wait_for_url(re.compile(r".*/org/\d+$"))
    assert admin.page.locator("h1").inner_text() == "ЦНППМ «Браузерный» & <тест>"
    centre_url = admin.page.url
    admin.goto("/org")
    admin.page.select_option("#school-parent", label="ЦНППМ «Браузерный» & <тест>")
    admin.page.fill("#school-name", "МБОУ «Школа из браузера»")
    admin.page.click("text=Добавить ОО")
    admin.page.wait_for_url(re.compile(r".*/org/\d+$"))
    school_id = int(admin.page.url.rsplit("/", 1)[1])
    admin.page.goto(centre_url)
    assert "МБОУ «Школа из браузера»" in admin.page.locator("table").first.inner_text()
    _shots(admin, "org-unit")

    admin.goto(f"/people/new?unit={school_id}")
    _shots(admin, "person-new")
    admin.page.fill("#full_name", "Браузерова Вера Павловна")
    admin.page.fill("#login", "b.vera")
    admin.page.fill("#email", "B.Vera@Example.ru")
    admin.page.fill("#position", "учитель биологии")
    admin.page.select_option("#role", "teacher")
    admin.page.select_option("#role_unit_id", str(school_id))
    admin.page.click("form.card button[type=submit]")
    temporary = admin.page.text_content("#new-secret").strip()
    assert len(temporary) >= 10 and "b.vera@example.ru" in admin.page.content()
    _shots(admin, "person-created")
    admin.page.select_option("#grant-role", "deputy_head")
    admin.page.select_option("#grant-unit", str(school_id))
    admin.page.click("form[action$='/roles'] button[type=submit]")
    admin.page.wait_for_url(re.compile(r".*/people/\d+$"))
    person_url = admin.page.url
    assert "Роль выдана" in admin.page.content()
    roles = admin.page.locator("ul.role-list").inner_text()
    assert "заместитель руководителя ОО" in roles and "педагог" in roles
    assert temporary not in admin.page.content()  # shown once
    _shots(admin, "person")
    admin.goto("/people?q=браузерова")
    assert admin.page.locator("tbody tr").count() == 1
    admin.goto("/people")
    _shots(admin, "people")

    # The new person logs in with the temporary password and must change it first.
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#login", "b.vera")
    page.fill("#password", temporary)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/password/change")
    page.goto(f"{base}/inbox")
    assert page.url == f"{base}/password/change"

    _shots(Shooter(page), "password-change-forced")
    page.fill("#current_password", temporary)
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD + "!")
    page.click("main form button[type=submit]")
    assert "Пароли не совпадают" in page.content()
    page.fill("#current_password", temporary)
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/inbox")
    assert "Пароль изменён" in page.content()

    # A reset link from the person's page: used once, then it says so.
    admin.page.goto(person_url)
    admin.page.click("text=Создать ссылку на 72 часа")
    link = admin.page.text_content("#new-secret").strip()
    assert link.startswith(base + "/password/reset/")
    page.goto(link)
    assert "Браузерова Вера Павловна" in page.content()
    _shots(Shooter(page), "password-reset")
    page.fill("#new_password", "ещё-один-пароль")
    page.fill("#confirm", "ещё-один-пароль")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/login")
    page.goto(link)
    assert "уже использована" in page.content()
    _shots(Shooter(page), "password-reset-used")
    context.close()
