"""The people import in Chromium: an admin uploads 500 teachers with 3 bad rows, sees the three
errors by row number, uploads the fixed file, imports 500, and re-imports it: nothing is created.
Screenshots of the form, the preview and the result at 1366 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.support.people_files import teachers, xlsx

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(v, data: bytes, name: str):
    v.goto("/people/import")
    v.page.set_input_files("#import-file", files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    v.page.click("form.import-form button[type=submit]")
    v.page.wait_for_selector("h1:has-text('Проверка файла')")


def _both_widths(v, name: str) -> None:
    """Screenshots at desktop and phone width; on the phone nothing runs off the screen (the rows'
    table scrolls inside its own wrapper)."""
    for width in (1366, 390):
        v.page.set_viewport_size({"width": width, "height": 900})
        v.shot(f"{name}-{width}")
        v.page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-top.png"))  # the first screen, readable
        assert v.page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    v.page.set_viewport_size({"width": 1366, "height": 900})


def test_an_admin_fixes_three_bad_rows_imports_500_and_a_reimport_creates_nobody(visitor):
    admin = visitor("admin")
    good = teachers(500, domain="browser.example")
    bad = [row[:] for row in good]
    bad[10][1] = "bad-address@"
    bad[200][2] = "МБОУ «Школа № 999»"
    bad[400][0] = ""

    admin.goto("/people/import")
    assert admin.page.locator("a", has_text="Скачать образец .xlsx").is_visible()
    _both_widths(admin, "import-form")

    _upload(admin, xlsx(bad), "teachers-bad.xlsx")
    errors = admin.page.locator(".import-errors li").all_inner_texts()
    assert errors == [
        "Строка 12, столбец «E-mail»: «bad-address@» — не адрес электронной почты",
        "Строка 202, столбец «Организация»: «МБОУ «Школа № 999»» не найдена среди действующих школ",
        "Строка 402, столбец «ФИО»: не заполнено",
    ]
    assert "новых: 497" in admin.page.inner_text(".import-counts")
    assert admin.page.locator("button", has_text="Импортировать").first.is_disabled()
    assert admin.page.locator("button", has_text="Импортировать только строки без ошибок").is_enabled()
    _both_widths(admin, "import-preview-errors")
    admin.page.set_viewport_size({"width": 390, "height": 900})
    admin.page.locator("h2", has_text="Строки файла").scroll_into_view_if_needed()
    admin.page.screenshot(path=str(ARTIFACTS / "import-preview-table-390.png"))
    admin.page.set_viewport_size({"width": 1366, "height": 900})

    fixed = xlsx(good)
    _upload(admin, fixed, "teachers.xlsx")
    assert admin.page.locator(".import-errors").count() == 0
    assert "новых: 500" in admin.page.inner_text(".import-counts")
    admin.page.locator("button", has_text="Импортировать").first.click()
    admin.page.wait_for_selector("h1:has-text('Импорт завершён')")
    assert "создано 500" in admin.page.inner_text(".import-counts")
    _both_widths(admin, "import-done")

    _upload(admin, fixed, "teachers.xlsx")  # the very same file again
    assert "без изменений: 500" in admin.page.inner_text(".import-counts")
    admin.page.locator("button", has_text="Импортировать").first.click()
    admin.page.wait_for_selector("h1:has-text('Импорт завершён')")
    counts = admin.page.inner_text(".import-counts")
    assert "создано 0" in counts and "обновлено 0" in counts and "без изменений 500" in counts
    assert "ничего не изменилось" in admin.page.content()
    admin.shot("import-reimport-1366")
