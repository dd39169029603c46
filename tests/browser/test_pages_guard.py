"""What the pages refuse: other people's routes, forms without a CSRF token, password guessing,
redirects off the site, anonymous visits, unknown pages, tasks already done; and the session
cookie's flags. The Flask test client on the live app where no JavaScript is needed, Chromium
once (an anonymous visit that ends on a 403 page)."""

from __future__ import annotations

import copy
import re
from urllib.parse import quote

import pytest

from service.forms import to_form_data
from service.samples import VALID
from service.services.demo import PASSWORD

pytestmark = pytest.mark.browser

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(response) -> str:
    found = _CSRF.search(response.get_data(as_text=True))
    assert found, "no csrf_token on the page"
    return found.group(1)


def page_login(app, login: str, password: str = PASSWORD, next_url: str | None = None):
    """A fresh client that logs in on the login page; returns (client, the POST's response)."""
    client = app.test_client()
    query = f"?next={quote(next_url, safe='')}" if next_url is not None else ""
    token = csrf_token(client.get(f"/login{query}"))
    r = client.post(f"/login{query}", data={"csrf_token": token, "login": login, "password": password})
    return client, r


def signed_in(app, login: str):
    client, r = page_login(app, login)
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def new_route(app, teacher: str) -> int:
    ids = app.config["PEOPLE"]
    head = signed_in(app, "head_cnppm")
    r = head.post("/api/routes", json={"teacher_id": ids[teacher], "tutor_id": ids["tutor1"],
                                       "methodist_id": ids["methodist"]})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def task_of(client, route_id: int, name: str) -> dict:
    tasks = [t for t in client.get("/api/tasks").get_json()["tasks"] if t["route_id"] == route_id and t["name"] == name]
    assert tasks, f"no {name} on route {route_id}"
    return client.get(f"/api/tasks/{tasks[0]['id']}").get_json()


def html(r) -> str:
    assert r.mimetype == "text/html", (r.status_code, r.mimetype)
    return r.get_data(as_text=True)


@pytest.fixture(scope="module")
def routes(live):
    """A gymnasium route for teacher1 and one for teacher2 (both at the tutor's draft)."""
    _, app = live
    return {"teacher1": new_route(app, "teacher1"), "teacher2": new_route(app, "teacher2")}


def test_a_route_outside_my_scope_is_a_russian_403_page(live, routes):
    _, app = live
    rid = routes["teacher1"]
    for login in ("teacher2", "head_sch", "tutor2"):
        client = signed_in(app, login)
        for url in (f"/routes/{rid}", f"/routes/{rid}/diagram.json"):
            r = client.get(url)
            assert r.status_code == 403, (login, url, r.status_code)
            body = html(r)
            assert "Доступ запрещён" in body and "Маршрут вне вашей зоны доступа" in body
            assert '<html lang="ru">' in body and "Traceback" not in body
    # Those in scope see it: the teacher, the school's head, the auditor.
    for login in ("teacher1", "head_gym", "auditor"):
        assert signed_in(app, login).get(f"/routes/{rid}").status_code == 200, login
    # Someone else's task page is refused too (the task belongs to tutor1).
    draft_id = task_of(signed_in(app, "tutor1"), rid, "draft")["id"]
    r = signed_in(app, "teacher2").get(f"/tasks/{draft_id}")
    assert r.status_code == 403 and "Доступ запрещён" in html(r)


def test_a_form_without_csrf_token_is_refused_and_changes_nothing(live, routes):
    _, app = live
    tutor = signed_in(app, "tutor1")
    rid = routes["teacher2"]
    task = task_of(tutor, rid, "draft")
    data = to_form_data(task["schema"], copy.deepcopy(VALID["draft"]))
    for action in ("submit", "draft"):
        r = tutor.post(f"/tasks/{task['id']}", data={**data, "action": action})
        assert r.status_code == 400, r.status_code
        body = html(r)
        assert "CSRF" in body and "Некорректный запрос" in body
    # A token from another session is no better.
    stranger_token = csrf_token(app.test_client().get("/login"))
    r = tutor.post(f"/tasks/{task['id']}", data={**data, "action": "submit", "csrf_token": stranger_token})
    assert r.status_code == 400 and "CSRF" in html(r)
    after = tutor.get(f"/api/tasks/{task['id']}").get_json()
    assert after["state"] == "ready"
    assert tutor.get(f"/api/routes/{rid}").get_json()["stage"] == "draft"
    page = tutor.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "Открыт черновик" not in page  # no draft was saved either
    # The same post with the page's token goes through: the data itself was fine.
    token = csrf_token(tutor.get(f"/tasks/{task['id']}"))
    r = tutor.post(f"/tasks/{task['id']}", data={**data, "action": "submit", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/inbox"


def test_login_errors_lockout_and_safe_next(live):
    _, app = live
    # A wrong password: the login page again, with the error.
    _, r = page_login(app, "teacher4", "wrong")
    assert r.status_code == 401 and "Неверный логин или пароль" in html(r)
    _, r = page_login(app, "nobody-at-all", "wrong")
    assert r.status_code == 401 and "Неверный логин или пароль" in html(r)
    # Five failures lock the login: the sixth attempt is refused even with the right password.
    for _ in range(4):
        assert page_login(app, "teacher4", "wrong")[1].status_code == 401
    client, r = page_login(app, "teacher4", PASSWORD)
    assert r.status_code == 429, r.status_code
    assert "Слишком много" in html(r)
    assert client.get("/inbox").status_code == 302  # not logged in
    # Other logins are not affected.
    _, r = page_login(app, "teacher3", PASSWORD)
    assert r.status_code == 302

    # `next` may only be a local path.
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        _, r = page_login(app, "auditor", next_url=target)
        assert r.status_code == 302 and r.headers["Location"] == "/inbox", (target, r.headers.get("Location"))
    client, r = page_login(app, "auditor", next_url="/routes")
    assert r.status_code == 302 and r.headers["Location"] == "/routes"
    assert client.get("/routes").status_code == 200


def test_anonymous_visitors_are_sent_to_login(live, routes):
    _, app = live
    client = app.test_client()
    r = client.get("/inbox")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=/inbox"
    r = client.get(f"/routes/{routes['teacher1']}")
    assert r.status_code == 302 and r.headers["Location"] == f"/login?next=/routes/{routes['teacher1']}"
    r = client.get("/queue?stage=agreement")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=/queue")
    # Posting a page's form without a session is no way in either.
    token = csrf_token(client.get("/login"))
    r = client.post("/queue/bulk", data={"task_id": "x", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


def test_unknown_pages_are_html_404(live):
    _, app = live
    client = signed_in(app, "auditor")
    r = client.get("/routes/987654")
    assert r.status_code == 404
    assert "Маршрут не найден" in html(r)
    r = client.get("/tasks/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and "Страница не найдена" in html(r)
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "Страница не найдена" in html(r)


def test_a_completed_task_shows_as_done_and_cannot_be_sent_again(live):
    _, app = live
    rid = new_route(app, "teacher1")
    tutor = signed_in(app, "tutor1")
    task = task_of(tutor, rid, "draft")
    data = to_form_data(task["schema"], copy.deepcopy(VALID["draft"]))
    token = csrf_token(tutor.get(f"/tasks/{task['id']}"))
    r = tutor.post(f"/tasks/{task['id']}", data={**data, "action": "submit", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/inbox"

    # Reopened: the page says it is done, by whom, and offers no form.
    r = tutor.get(f"/tasks/{task['id']}")
    body = html(r)
    assert "Задача уже выполнена" in body and "Тьюторова Светлана Андреевна" in body
    assert 'value="submit"' not in body
    # Sent again (with a valid token from another page): 409, as a page.
    token = csrf_token(tutor.get("/inbox"))
    r = tutor.post(f"/tasks/{task['id']}", data={**data, "action": "submit", "csrf_token": token})
    assert r.status_code == 409, r.status_code
    body = html(r)
    assert "Действие не выполнено" in body and "уже" in body
    assert tutor.get(f"/api/routes/{rid}").get_json()["stage"] == "draft"  # the plan signatures
    assert len([e for e in tutor.get(f"/api/routes/{rid}/events").get_json()["events"]
                if e["kind"] == "task_completed"]) == 1


def test_session_cookie_is_httponly_and_samesite_lax(live):
    _, app = live
    _, r = page_login(app, "methodist")
    assert r.status_code == 302
    cookies = [c for c in r.headers.getlist("Set-Cookie") if c.startswith(app.config.get("SESSION_COOKIE_NAME",
                                                                                          "session") + "=")]
    assert cookies, r.headers.getlist("Set-Cookie")
    flags = [part.strip().lower() for part in cookies[-1].split(";")]
    assert "httponly" in flags and "samesite=lax" in flags


def test_in_the_browser_an_anonymous_visit_logs_in_and_lands_on_a_403_page(live, browser, routes):
    base, _ = live
    context = browser.new_context(locale="ru-RU")
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        rid = routes["teacher1"]
        page.goto(f"{base}/routes/{rid}")
        assert page.url == f"{base}/login?next=/routes/{rid}"
        page.fill("#login", "head_sch")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/routes/{rid}")
        assert page.locator("main h1").inner_text() == "Доступ запрещён"
        assert "Маршрут вне вашей зоны доступа" in page.locator("main").inner_text()
        assert page.title().startswith("Ошибка 403")
        cookie = next(c for c in context.cookies() if c["name"] == "session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert page.evaluate("document.cookie") == ""  # not readable by scripts
    finally:
        context.close()
