"""One route through the whole chain in Chromium: every step is done on the pages by the person
whose step it is (drafts, refused forms, the approval queue with bulk signing, a refused and
revised correction, conclusions), with screenshots of the main pages in tests/artifacts/."""

from __future__ import annotations

import copy
import re

import pytest

from service.forms import to_form_data
from service.samples import VALID
from service.services.demo import PASSWORD
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

REFUSAL = "Вебинар в рабочее время невозможен"
SCREENSHOTS = ("inbox", "queue", "task_form", "correction", "route")
_ROW_INDEX = re.compile(r"/([0-9]+)(?=/|$)")


# --- helpers -----------------------------------------------------------------------------------


def api(v, path: str) -> dict:
    """GET /api/… with the visitor's session cookie."""
    r = v.page.request.get(f"{v.base}{path}")
    assert r.ok, (path, r.status, r.text())
    return r.json()


def find_task(v, route_id: int, name: str) -> dict:
    """The visitor's waiting task `name` on the route, with its form and schema (from the API)."""
    tasks = [t for t in api(v, "/api/tasks")["tasks"] if t["route_id"] == route_id and t["name"] == name]
    assert tasks, f"{v.login_name} has no {name} on route {route_id}"
    return api(v, f"/api/tasks/{tasks[0]['id']}")


def open_task(v, route_id: int, name: str) -> dict:
    task = find_task(v, route_id, name)
    v.goto(f"/tasks/{task['id']}")
    return task


def _ensure_row(page, pointer: str) -> None:
    """Click the table's "Добавить строку" until the input named `pointer` exists."""
    match = _ROW_INDEX.search(pointer)
    if match is None:
        return
    table = pointer[: match.start()]
    add = page.locator(f'button.row-add[data-table="{table}"]')
    for _ in range(int(match.group(1)) + 2):
        if page.locator(f'[name="{pointer}"]').count():
            return
        add.click()
    assert page.locator(f'[name="{pointer}"]').count(), f"no row for {pointer}"


def fill_form(page, schema: dict, value: dict) -> None:
    """Type `value` into the task form the way a person would (what the browser then posts is
    what to_form_data says)."""
    for pointer, text in to_form_data(schema, value).items():
        _ensure_row(page, pointer)
        field = page.locator(f'[name="{pointer}"]')
        tag = field.evaluate("e => e.tagName.toLowerCase()")
        if tag == "select":
            field.select_option(value=text)
        elif field.get_attribute("type") == "checkbox":
            field.check()
        else:
            field.fill(text)


def submit(v, *, expect_inbox: bool = True) -> None:
    """Send the form; an accepted one lands on the inbox, or on the task the step opened for the
    same person (the correction form after «Внести корректировку», their own signature)."""
    with v.page.expect_navigation():
        v.page.click("button[value=submit]")
    if expect_inbox:
        assert re.search(r"/(inbox|tasks/[0-9a-f-]+)$", v.page.url), v.page.url
        assert v.page.locator(".flash.success").inner_text().startswith("Готово:")


def sign(v, download: bool = False) -> None:
    """The signer looks at the document (downloads it) and confirms with their password."""
    box = v.page.locator("#signbox")
    assert box.is_visible(), "no #signbox on a signing task"
    if download:
        with v.page.expect_download() as info:
            v.page.click("#sign-document")
        assert info.value.suggested_filename.endswith(".docx")
    box.locator("#password").fill(PASSWORD)


def do(v, route_id: int, name: str, data: dict | None = None, download: bool = False) -> None:
    """Open my task, fill its form (the sample for its form unless `data`), sign where it signs
    (not for a return), send it, land on the inbox."""
    task = open_task(v, route_id, name)
    value = copy.deepcopy(VALID[task["form"]] if data is None else data)
    fill_form(v.page, task["schema"], value)
    if task["signs"] and value.get("decision") != "return":
        sign(v, download)
    submit(v)


def plan_only(draft: dict) -> dict:
    """A draft without the information sheet, which the page prefills from the teacher's profile."""
    return {k: v for k, v in copy.deepcopy(draft).items() if k != "info"}


def stage_of(v, route_id: int) -> str:
    v.goto(f"/routes/{route_id}")
    return v.page.locator("#route-stage").inner_text().strip()


# --- the test ----------------------------------------------------------------------------------


def test_route_through_the_whole_chain_in_the_browser(live, visitor):
    base, app = live
    ids = app.config["PEOPLE"]
    for name in SCREENSHOTS:
        (ARTIFACTS / f"{name}.png").unlink(missing_ok=True)

    who = {login: visitor(login) for login in ("head_cnppm", "tutor1", "methodist", "teacher1", "teacher2",
                                               "head_gym")}
    for v in who.values():
        v.page.set_default_timeout(10_000)
    cnppm, tutor, methodist = who["head_cnppm"], who["tutor1"], who["methodist"]
    teacher, teacher2, school = who["teacher1"], who["teacher2"], who["head_gym"]

    # There is no "new route" page: the CNPPM head opens two routes through the API, same session.
    rids = []
    for t in ("teacher1", "teacher2"):
        r = cnppm.page.request.post(f"{base}/api/routes", data={
            "teacher_id": ids[t], "tutor_id": ids["tutor1"], "methodist_id": ids["methodist"]})
        assert r.status == 201, r.text()
        rids.append(r.json()["id"])
    rid, rid2 = rids

    # The tutor's inbox lists both drafts; the first is opened from the inbox.
    tutor.goto("/inbox")
    rows = tutor.page.locator("main table tbody tr")
    assert rows.count() >= 2
    tutor.shot("inbox")
    draft = find_task(tutor, rid, "draft")
    tutor.page.click(f'a[href="/tasks/{draft["id"]}"]')
    tutor.page.wait_for_url(f"{base}/tasks/{draft['id']}")
    page = tutor.page
    assert page.input_value('[name="/info/full_name"]') == "Иванова Мария Петровна"  # prefilled
    assert page.input_value('[name="/info/position"]') == "учитель математики"

    # Refused for a missing field: the error is at the field, what was typed elsewhere stays.
    awards = "Грамота Министерства просвещения РФ (2024)"
    fill_form(page, draft["schema"], plan_only(VALID["draft"]))
    page.fill('[name="/info/position"]', "")
    page.fill('[name="/info/awards"]', awards)
    page.fill('[name="/activities/1/organizer"]', "МБОУ «Гимназия № 4»")
    page.click("button[value=submit]")
    page.wait_for_load_state()
    assert page.url == f"{base}/tasks/{draft['id']}"
    assert page.locator("#form-error").is_visible()
    error = page.locator("#f-info-position-error.field-error")
    assert error.is_visible() and error.inner_text().strip()
    assert page.locator('[name="/info/position"]').get_attribute("aria-invalid") == "true"
    assert page.locator(".field-error").count() == 1
    assert page.input_value('[name="/info/awards"]') == awards
    assert page.input_value('[name="/activities/1/organizer"]') == "МБОУ «Гимназия № 4»"
    tutor.shot("task_form")

    # Save the draft, go away, come back: the draft (with the empty position) is restored.
    page.click("button[value=draft]")
    page.wait_for_url(f"{base}/tasks/{draft['id']}")
    assert "Черновик сохранён" in page.locator(".flash.success").inner_text()
    tutor.goto("/inbox")
    tutor.goto(f"/tasks/{draft['id']}")
    assert "Открыт черновик" in page.locator("main").inner_text()
    assert page.input_value('[name="/info/position"]') == ""
    assert page.input_value('[name="/info/awards"]') == awards
    assert page.input_value('[name="/activities/1/organizer"]') == "МБОУ «Гимназия № 4»"

    # Fixed and sent: back on the inbox with a success message.
    page.fill('[name="/info/position"]', "учитель математики")
    submit(tutor)
    assert api(tutor, f"/api/routes/{rid}")["card"]["info"]["awards"] == awards

    # Plan signatures: the methodist, then the teacher (who downloads the document first).
    do(methodist, rid, "plan_signatures_methodist")
    do(teacher, rid, "plan_signatures_teacher", download=True)

    # The second route (teacher2) goes the same way (the teacher's information as prefilled).
    task = open_task(tutor, rid2, "draft")
    assert tutor.page.input_value('[name="/info/full_name"]') == "Петров Николай «Ник» Сергеевич"
    fill_form(tutor.page, task["schema"], plan_only(VALID["draft"]))
    submit(tutor)
    do(methodist, rid2, "plan_signatures_methodist")
    do(teacher2, rid2, "plan_signatures_teacher", download=True)

    # Agreement in the queue: both routes ticked, one password, two signatures.
    cnppm.goto("/queue")
    agreements = {r: find_task(cnppm, r, "agreement")["id"] for r in rids}
    for task_id in agreements.values():
        assert cnppm.page.locator(f'input[name=task_id][value="{task_id}"]').is_visible()
    cnppm.shot("queue")
    for task_id in agreements.values():
        cnppm.page.check(f'input[name=task_id][value="{task_id}"]')
    cnppm.page.fill("#bulk-password", PASSWORD)
    cnppm.page.click("#bulk-form button[type=submit]")
    cnppm.page.wait_for_url(f"{base}/queue")
    assert "Подписано маршрутов: 2" in cnppm.page.locator(".flash.success").inner_text()
    assert not cnppm.page.locator(".flash.error").count()
    for r in rids:
        assert stage_of(cnppm, r) == "Утверждение в ОО"
        assert api(cnppm, f"/api/routes/{r}")["stage"] == "approval"

    # Approval by the school head on the task page, signing.
    do(school, rid, "approval")
    assert stage_of(school, rid) == "Реализация"

    # Implementation → a correction, refused by the teacher, revised, signed by all three.
    do(tutor, rid, "implementation", {"next": "correction", "interim_results": "Курсы пройдены."})
    assert tutor.page.url.endswith(f"/tasks/{find_task(tutor, rid, 'correction')['id']}")  # opened directly
    open_task(tutor, rid, "correction")
    assert tutor.page.locator("#card-activities").is_visible()
    assert tutor.page.locator("#card-activities tbody tr").count() == 2
    tutor.shot("correction")
    do(tutor, rid, "correction")  # activity 2 replaced: VALID["correction"]
    do(teacher, rid, "correction_signatures_teacher", {"decision": "return", "comment": REFUSAL})

    tutor.goto(f"/routes/{rid}")  # the diagram draws the timers of the waiting task; the page names the next one
    tutor.page.wait_for_selector('#diagram [data-element-id="correction_reminder"]')
    assert "Ближайший таймер" in tutor.page.locator("#timers").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    tutor.page.locator("#diagram").screenshot(path=str(ARTIFACTS / "route_diagram_timers.png"))

    open_task(tutor, rid, "correction")
    assert REFUSAL in tutor.page.locator("#remarks").inner_text()
    sample = VALID["correction"]
    assert tutor.page.input_value('[name="/reason"]') == sample["reason"]
    assert tutor.page.input_value('[name="/activity_no"]') == str(sample["activity_no"])
    assert tutor.page.input_value('[name="/replacement/title"]') == sample["replacement"]["title"]
    assert tutor.page.input_value('[name="/replacement/start"]') == sample["replacement"]["start"]
    tutor.page.fill('[name="/replacement/start"]', "2025-02-15")
    tutor.page.fill('[name="/replacement/end"]', "2025-02-15")
    submit(tutor)
    do(teacher, rid, "correction_signatures_teacher", download=True)
    do(tutor, rid, "correction_signatures_tutor")
    do(methodist, rid, "correction_signatures_methodist")
    card = api(tutor, f"/api/routes/{rid}")["card"]
    assert len(card["corrections"]) == 1 and card["activities"][1]["status"] == "заменено"
    assert card["activities"][2]["start"] == "2025-02-15"

    # Conclusion.
    do(tutor, rid, "implementation", {"next": "conclude"})
    do(tutor, rid, "final_results")
    do(methodist, rid, "conclusions")  # effective
    do(methodist, rid, "conclusion_signatures_methodist")
    do(school, rid, "conclusion_signatures_school_head")
    do(teacher, rid, "acknowledge")  # the checkbox, and the signature

    # The route page at the end.
    teacher.goto(f"/routes/{rid}")
    page = teacher.page
    page.wait_for_selector("#diagram[data-ready='1'] svg", timeout=15_000)
    assert page.locator("#route-stage").inner_text().strip() == "Завершён"
    documents = page.locator("#documents tbody tr")
    titles = [documents.nth(i).locator("td").first.inner_text().strip() for i in range(documents.count())]
    assert titles.count("Карта ИОМ") >= 2, titles
    assert "Лист корректировки ИОМ" in titles
    assert any(t.startswith("Выводы") for t in titles), titles
    docs_text = page.locator("#documents").inner_text()
    assert "действительна" in docs_text and "недействительна" not in docs_text
    assert page.locator("#documents .badge.ok", has_text="действительна").count() >= 6
    assert f"возвращено: {REFUSAL}" in page.locator("#timeline").inner_text()
    assert page.locator("#corrections tbody tr").count() == 1
    teacher.shot("route")

    for name in SCREENSHOTS:
        path = ARTIFACTS / f"{name}.png"
        assert path.exists() and path.stat().st_size > 10_000, path
