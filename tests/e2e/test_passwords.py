"""Password resets end to end: a one-time link works once and for 72 hours; a temporary password
must be changed before anything else (pages redirect, the API answers 403); issuing a reset ends the
person's sessions; a person changes their own password; no secret reaches the event history."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from service.services.demo import PASSWORD
from tests.support.app import FakeClock, HandClock, ready_app
from tests.support.org_people import NEW_PASSWORD, log_in
from tests.support.system_chain import chains_intact, system_events


@pytest.fixture
def auth_clock():
    return HandClock()


@pytest.fixture
def app(database_url, auth_clock):
    yield from ready_app(database_url, CLOCK=FakeClock(), AUTH_CLOCK=auth_clock)


def _page_form(client, url: str, data: dict):
    """POST a page form with the CSRF token the page carries."""
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(url, data={"csrf_token": token, **data})


def _reset(people, login: str, mode: str) -> dict:
    r = people("admin").post(f"/api/people/{people(login).id}/password-reset", {"mode": mode})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_a_reset_link_sets_the_password_once(app, people):
    teacher = people("teacher1")
    credential = _reset(people, "teacher1", "link")
    assert credential["link"].startswith("/password/reset/") and "password" not in credential
    assert teacher.get("/api/me").status_code == 401  # issuing the reset ended the open session
    visitor = app.test_client()
    page = visitor.get(credential["link"])
    assert page.status_code == 200 and "Иванова Мария Петровна" in page.get_data(as_text=True)
    r = _page_form(visitor, credential["link"], {"new_password": "teacher1", "confirm": "teacher1"})
    assert r.status_code == 422 and "не короче 10" in r.get_data(as_text=True)
    r = _page_form(visitor, credential["link"], {"new_password": "TEACHER1xx", "confirm": "TEACHER1xx"})
    assert r.status_code == 302  # 10 characters, not the login: fine
    again = visitor.get(credential["link"])
    assert again.status_code == 410 and "уже использована" in again.get_data(as_text=True)
    assert app.test_client().post("/api/login", json={"login": "teacher1", "password": PASSWORD}).status_code == 401
    log_in(app, "teacher1", "TEACHER1xx")
    kinds = [e.kind for e in system_events(app)]
    assert kinds[-2:] == ["password_reset_issued", "password_changed"]
    token = credential["link"].rsplit("/", 1)[1]
    assert token not in json.dumps([e.data for e in system_events(app)])
    assert chains_intact(app)


def test_a_reset_link_expires_after_72_hours_and_a_newer_one_replaces_it(app, people, auth_clock):
    first = _reset(people, "teacher2", "link")
    second = _reset(people, "teacher2", "link")
    visitor = app.test_client()
    r = visitor.get(first["link"])
    assert r.status_code == 410 and "заменена" in r.get_data(as_text=True)
    auth_clock.now += timedelta(hours=72, minutes=1)
    r = visitor.get(second["link"])
    assert r.status_code == 410 and "истёк" in r.get_data(as_text=True)
    assert visitor.get("/password/reset/" + "x" * 43).status_code == 410
    assert visitor.get("/password/reset/" + "x" * 5000).status_code == 410


def test_a_temporary_password_must_be_changed_before_anything_else(app, people):
    credential = _reset(people, "tutor2", "temporary")
    temporary = credential["password"]
    assert len(temporary) >= 10 and people("admin").get(f"/api/people/{people('tutor2').id}").get_json()[
        "must_change_password"]
    assert app.test_client().post("/api/login", json={"login": "tutor2", "password": PASSWORD}).status_code == 401
    api = log_in(app, "tutor2", temporary)
    r = api.get("/api/tasks")
    assert r.status_code == 403 and "временному паролю" in r.get_json()["error"]
    assert api.get("/api/me").status_code == 200
    browser = app.test_client()
    r = _page_form(browser, "/login", {"login": "tutor2", "password": temporary})
    assert r.status_code == 302 and r.location.endswith("/password/change")
    for url in ("/inbox", "/routes", "/tokens", "/people"):
        assert browser.get(url).location.endswith("/password/change"), url
    r = _page_form(browser, "/password/change", {"current_password": temporary, "new_password": "tutor2",
                                                 "confirm": "tutor2"})
    assert r.status_code == 422 and "не короче 10" in r.get_data(as_text=True)
    r = _page_form(browser, "/password/change", {"current_password": temporary, "new_password": "tutor2tutor2x",
                                                 "confirm": "другой"})
    assert r.status_code == 422 and "Пароли не совпадают" in r.get_data(as_text=True)
    r = _page_form(browser, "/password/change", {"current_password": "неверный", "new_password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})
    assert r.status_code == 422 and "неверно" in r.get_data(as_text=True)
    r = _page_form(browser, "/password/change", {"current_password": temporary, "new_password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})
    assert r.status_code == 302 and r.location.endswith("/inbox")
    assert browser.get("/inbox").status_code == 200
    assert api.get("/api/tasks").status_code == 401  # the other session ended with the change
    assert system_events(app)[-1].data == {"user_id": people("tutor2").id, "via": "temporary"}


def test_a_password_must_be_long_and_not_the_login(app, people):
    me = people("teacher3")
    url = "/api/people/me/password"
    for new, message in (("short", "не короче"), ("teacher3", "не короче"), ("TEACHER3  ", "с логином"),
                         ("x" * 1001, "до 1000")):
        r = me.post(url, {"current_password": PASSWORD, "new_password": new})
        assert r.status_code == 422 and message in r.get_json()["problems"][0]["message"], (new, r.get_json())
    assert me.post(url, {"current_password": PASSWORD}).status_code == 422
    assert me.post(url, {"current_password": PASSWORD, "new_password": "a\x00" * 8}).status_code == 422
    r = me.post(url, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 200 and me.get("/api/me").status_code == 200  # this session goes on
    log_in(app, "teacher3", NEW_PASSWORD)


def test_only_people_within_reach_get_resets_and_nobody_resets_themselves(app, people):
    head = people("head_cnppm")
    assert head.post(f"/api/people/{people('teacher4').id}/password-reset", {"mode": "link"}).status_code == 201
    assert head.post(f"/api/people/{people('methodist').id}/password-reset", {"mode": "link"}).status_code == 404
    assert head.post(f"/api/people/{head.id}/password-reset", {"mode": "link"}).status_code == 403
    admin = people("admin")
    assert admin.post(f"/api/people/{admin.id}/password-reset", {"mode": "temporary"}).status_code == 403
    r = admin.post(f"/api/people/{people('teacher1').id}/password-reset", {"mode": "sms"})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/mode"
    assert people("teacher1").post(f"/api/people/{people('teacher2').id}/password-reset",
                                   {"mode": "link"}).status_code == 403
