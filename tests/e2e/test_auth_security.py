"""Passwords, sessions and tokens hold up against a stolen cookie, a stolen session, a guesser and
a cross-site form."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from service.samples import VALID
from service.services.demo import PASSWORD
from service.services.documents import read_template_files
from tests.support.app import FakeClock, HandClock, Person, ready_app


@pytest.fixture
def auth_clock():
    return HandClock()


@pytest.fixture
def app(database_url, auth_clock):
    yield from ready_app(database_url, CLOCK=FakeClock(), AUTH_CLOCK=auth_clock)


def _login(app, login, password=PASSWORD, ip="203.0.113.5"):
    client = app.test_client()
    r = client.post("/api/login", json={"login": login, "password": password},
                    environ_base={"REMOTE_ADDR": ip})
    return client, r


def test_a_kept_session_cookie_stops_working_after_logout(app):
    client, r = _login(app, "tutor1")
    assert r.status_code == 200
    cookie = client.get_cookie("session").value
    assert client.post("/api/logout").status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/api/me").status_code == 401


def test_an_idle_session_ends_and_an_active_one_goes_on(app, auth_clock):
    client, _ = _login(app, "tutor1")
    for _ in range(5):  # 25 minutes of work, a request every 5 minutes: still in
        auth_clock.now += timedelta(minutes=5)
        assert client.get("/api/me").status_code == 200
    auth_clock.now += timedelta(minutes=31)
    r = client.get("/api/me")
    assert r.status_code == 401 and r.get_json()["error"] == "Требуется вход в систему"


def test_five_wrong_passwords_lock_the_login_from_that_address_only(app):
    for _ in range(5):
        assert _login(app, "tutor1", "guess", ip="198.51.100.7")[1].status_code == 401
    client, r = _login(app, "tutor1", PASSWORD, ip="198.51.100.7")
    assert r.status_code == 429 and "Повторите через" in r.get_json()["error"]
    assert client.get("/api/me").status_code == 401
    assert _login(app, "tutor1", PASSWORD, ip="203.0.113.5")[1].status_code == 200  # the real user elsewhere


def test_a_guesser_on_many_addresses_cannot_lock_the_user_out_where_they_work(app, auth_clock):
    assert _login(app, "methodist", ip="192.0.2.10")[1].status_code == 200  # the methodist's office
    for n in range(25):
        _login(app, "methodist", "guess", ip=f"198.51.100.{n + 1}")
    assert _login(app, "methodist", PASSWORD, ip="198.51.100.200")[1].status_code == 429  # a new address: locked
    assert _login(app, "methodist", PASSWORD, ip="192.0.2.10")[1].status_code == 200  # the office: not
    auth_clock.now += timedelta(hours=1, minutes=1)
    assert _login(app, "methodist", PASSWORD, ip="198.51.100.200")[1].status_code == 200  # the lock passes


def test_the_login_lock_is_shared_by_every_worker_and_survives_a_restart(database_url, auth_clock):
    apps = [ready_app(database_url, AUTH_CLOCK=auth_clock), None]
    first = next(apps[0])
    for _ in range(5):
        assert _login(first, "teacher1", "guess")[1].status_code == 401
    # A second app on the same database: another worker, or the same service after a restart.
    from service import create_app
    second = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test",
                         "AUTH_CLOCK": auth_clock})
    assert _login(second, "teacher1", PASSWORD)[1].status_code == 429
    second.extensions["iom"].sessions.kw["bind"].dispose()
    next(apps[0], None)


def test_signing_password_guesses_are_limited_and_count_toward_the_login_lock(app, people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    methodist = people("methodist")
    task = methodist.task(rid, "plan_signatures_methodist")
    sha = methodist.view(task["id"])["signs"]["document"]["content_sha256"]
    codes = [methodist.complete(task["id"], VALID["sign"], {"password": f"guess{i}", "document_sha256": sha})
             .status_code for i in range(7)]
    assert codes[:5] == [403] * 5 and codes[5:] == [429, 429]
    r = methodist.complete(task["id"], VALID["sign"], {"password": PASSWORD, "document_sha256": sha})
    assert r.status_code == 429 and "Повторите через" in r.get_json()["error"]  # even the right one waits
    assert methodist.task(rid, "plan_signatures_methodist")["id"] == task["id"]  # nothing was signed
    docs = people("auditor").get(f"/api/routes/{rid}/documents").get_json()["documents"]
    assert all(not d["signatures"] for d in docs if d["kind"] == "karta")
    assert _login(app, "methodist", PASSWORD, ip="127.0.0.1")[1].status_code == 429  # the same protection


def test_tokens_expire_are_listed_and_revoked_and_cannot_mint_tokens(app, people, auth_clock):
    tutor = people("tutor1")
    r = tutor.post("/api/tokens", {"name": "отчёты", "expires_in_days": 1})
    assert r.status_code == 201
    issued = r.get_json()
    assert issued["expires_at"].startswith("2026-09-02")
    default = tutor.post("/api/tokens", {"name": "без срока"}).get_json()
    assert default["expires_at"].startswith("2026-11-30")  # 90 days
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    anonymous = app.test_client()
    assert anonymous.get("/api/me", headers=bearer).status_code == 200
    r = anonymous.post("/api/tokens", json={"name": "ещё"}, headers=bearer)
    assert r.status_code == 403 and "только из сессии" in r.get_json()["error"]
    listed = tutor.get("/api/tokens").get_json()["tokens"]
    assert [t["name"] for t in listed] == ["без срока", "отчёты"] and all(t["active"] for t in listed)
    assert "token" not in listed[0]
    auth_clock.now += timedelta(days=1, minutes=1)
    assert anonymous.get("/api/me", headers=bearer).status_code == 401
    tutor = Person(app, "tutor1")  # a day later the session has long gone idle: log in again
    listed = {t["name"]: t for t in tutor.get("/api/tokens").get_json()["tokens"]}
    assert listed["отчёты"]["active"] is False and listed["отчёты"]["revoked_at"] is None
    assert tutor.client.delete(f"/api/tokens/{default['id']}").status_code == 204
    assert anonymous.get("/api/me", headers={"Authorization": f"Bearer {default['token']}"}).status_code == 401
    assert tutor.post("/api/tokens", {"name": "x", "expires_in_days": 366}).status_code == 422


def test_cookie_writes_that_a_cross_site_form_could_send_are_refused(app, people):
    admin = app.test_client()
    assert admin.post("/api/login", json={"login": "admin", "password": PASSWORD}).status_code == 200
    karta = read_template_files()["karta_iom.docx"]
    r = admin.post("/api/templates/karta", data={"file": (io.BytesIO(karta), "k.docx")},
                   content_type="multipart/form-data")
    assert r.status_code == 415 and "X-CSRFToken" in r.get_json()["error"]
    r = admin.post("/api/verify", data=b"hello", content_type="text/plain")
    assert r.status_code == 415
    token = admin.get("/api/csrf").get_json()["csrf_token"]
    r = admin.post("/api/verify", data=b"hello", content_type="text/plain", headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.get_json()["status"] == "unknown"
    issued = admin.post("/api/tokens", json={"name": "скрипт"}).get_json()
    r = app.test_client().post("/api/verify", data=b"hello", content_type="text/plain",
                               headers={"Authorization": f"Bearer {issued['token']}"})
    assert r.status_code == 200  # a script with a token carries no cookie to abuse


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_token_page_issues_shows_once_and_revokes(app, people):
    client = people("tutor1").client
    page = client.get("/tokens").get_data(as_text=True)
    assert "Токенов пока нет" in page
    r = client.post("/tokens", data={"csrf_token": _csrf(page), "name": "выгрузка", "expires_in_days": "30"})
    shown = r.get_data(as_text=True)
    assert r.status_code == 200 and "Скопируйте его сейчас" in shown
    token = re.search(r'id="new-token">(iom_[^<]+)<', shown).group(1)
    assert app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    again = client.get("/tokens").get_data(as_text=True)
    assert token not in again and "выгрузка" in again and "действует" in again
    token_id = re.search(r'/tokens/(\d+)/revoke', again).group(1)
    r = client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": _csrf(again)})
    assert r.status_code == 302
    assert "отозван" in client.get("/tokens").get_data(as_text=True)
    assert app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    r = client.post("/tokens", data={"csrf_token": _csrf(again), "name": "x", "expires_in_days": "9999"})
    assert r.status_code == 422 and "от 1 до 365" in r.get_data(as_text=True)


def test_logging_out_from_the_page_ends_the_session_on_the_server(app, people):
    client = people("teacher1").client
    page = client.get("/inbox").get_data(as_text=True)
    cookie = client.get_cookie("session").value
    assert client.post("/logout", data={"csrf_token": _csrf(page)}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/inbox").status_code == 302  # back to the login page
