"""Hostile input gets a 4xx with a reason, never a 500, and writes nothing: ids past the id
columns' range, control characters (NUL above all: PostgreSQL cannot store it), JSON nested
50,000 levels deep, wrong types (service/http/guards.py and the API's own checks)."""

from __future__ import annotations

import copy
import re

import pytest
import sqlalchemy as sa

from service.samples import VALID
from service.services.demo import PASSWORD
from tests.support.app import FakeClock, people_of, ready_app, route_opener

MAX_ID = 2_147_483_647
HUGE_IDS = [MAX_ID + 1, 2**63, 10**30, 0]
TABLES = ("routes", "events", "tasks", "documents", "signatures", "api_tokens", "task_drafts")


# One app per database for the whole module (none of these requests changes anything, and the
# tests compare the row counts before and after): building an app per test would take minutes.


@pytest.fixture(scope="module")
def app(module_database_url):
    yield from ready_app(module_database_url, CLOCK=FakeClock())


@pytest.fixture(scope="module")
def people(app):
    return people_of(app)


@pytest.fixture(scope="module")
def new_route(people, app):
    return route_opener(app, people)


def _counts(app) -> dict[str, int]:
    engine = app.extensions["iom"].sessions.kw["bind"]
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def _problem(r, pointer: str, *words: str) -> None:
    body = r.get_json()
    assert body["status"] == r.status_code and body["error"], body
    found = [p for p in body["problems"] if p["pointer"] == pointer]
    assert found, body
    assert all(w in found[0]["message"] for w in words), found


def _csrf(person, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', person.get(url).get_data(as_text=True)).group(1)


# ---- ids in the path -----------------------------------------------------------------------------

ID_PATHS = [
    ("GET", "/api/routes/{id}"),
    ("GET", "/api/routes/{id}/events"),
    ("GET", "/api/routes/{id}/documents"),
    ("GET", "/api/routes/{id}/verify"),
    ("GET", "/api/routes/{id}/replay"),
    ("GET", "/api/routes/{id}/as-of/1"),
    ("GET", "/api/routes/{route}/as-of/{id}"),
    ("GET", "/api/routes/{id}/export.json"),
    ("GET", "/api/routes/{id}/certificate.json"),
    ("GET", "/api/documents/{id}/content.docx"),
    ("POST", "/api/routes/{id}/cancel"),
    ("POST", "/api/routes/{id}/card"),
    ("DELETE", "/api/tokens/{id}"),
    ("GET", "/routes/{id}"),
    ("GET", "/routes/{id}/diagram.json"),
    ("GET", "/routes/{id}/audit"),
    ("GET", "/routes/{id}/audit/diagram.json"),
    ("POST", "/tokens/{id}/revoke"),
]


@pytest.mark.parametrize(("method", "path"), ID_PATHS, ids=[f"{m} {p}" for m, p in ID_PATHS])
def test_an_id_past_the_columns_range_is_404_on_every_path(app, people, new_route, method, path):
    rid = new_route()
    admin = people("admin")
    before = _counts(app)
    for huge in HUGE_IDS:
        url = path.format(id=huge, route=rid)
        body = {"reason": "проверка", "pointer": "/info/full_name", "value": "x"}
        r = admin.client.open(url, method=method, json=body if method == "POST" and url.startswith("/api") else None)
        assert r.status_code == 404, (url, r.status_code, r.get_data(as_text=True)[:300])
        if url.startswith("/api"):
            assert r.get_json() == {"error": "Не найдено", "status": 404}
    assert _counts(app) == before


def test_an_id_within_the_range_still_reaches_the_view(people, new_route):
    rid = new_route()
    assert people("admin").get(f"/api/routes/{rid}").status_code == 200
    assert people("admin").get(f"/api/routes/{MAX_ID}").status_code == 404  # the view's own "not found"
    assert people("admin").get(f"/api/routes/{MAX_ID}").get_json()["error"] != "Не найдено"


@pytest.mark.parametrize("huge", [MAX_ID + 1, 2**63, 10**30])
def test_a_body_id_past_the_range_is_422_naming_the_field(app, people, new_route, huge):
    ids = app.config["PEOPLE"]
    rid = new_route()
    before = _counts(app)
    for field in ("teacher_id", "tutor_id", "methodist_id"):
        body = {"teacher_id": ids["teacher1"], "tutor_id": ids["tutor1"], "methodist_id": ids["methodist"],
                field: huge}
        r = people("head_cnppm").post("/api/routes", body)
        assert r.status_code == 422
        _problem(r, f"/{field}", "Идентификатор")
    task = people("tutor1").task(rid, "draft")
    r = people("admin").post(f"/api/tasks/{task['id']}/reassign", {"assignee_id": huge, "reason": "отпуск"})
    assert r.status_code == 422
    _problem(r, "/assignee_id")
    assert _counts(app) == before


# ---- control characters --------------------------------------------------------------------------


def test_nul_in_the_login_without_logging_in_is_422(app):
    client = app.test_client()
    for body, pointer in [({"login": "admin\x00", "password": "x"}, "/login"),
                          ({"login": "admin", "password": "x\x00"}, "/password")]:
        r = client.post("/api/login", json=body)
        assert r.status_code == 422
        _problem(r, pointer, "Недопустимый управляющий символ", "U+0000")
    r = client.post("/login", data={"login": "admin\x00", "password": PASSWORD})
    assert r.status_code == 422 and "Данные не приняты" in r.get_data(as_text=True)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x85"], ids=["NUL", "SOH", "ESC", "DEL", "NEL"])
def test_a_control_character_in_a_route_title_is_422(app, people, char):
    ids = app.config["PEOPLE"]
    before = _counts(app)
    r = people("head_cnppm").post("/api/routes", {"teacher_id": ids["teacher1"], "tutor_id": ids["tutor1"],
                                                  "methodist_id": ids["methodist"], "title": f"ИОМ{char}2026"})
    assert r.status_code == 422
    _problem(r, "/title", "Недопустимый управляющий символ")
    assert _counts(app) == before


def test_tabs_and_new_lines_are_text(app, people):
    ids = app.config["PEOPLE"]
    r = people("head_cnppm").post("/api/routes", {"teacher_id": ids["teacher1"], "tutor_id": ids["tutor1"],
                                                  "methodist_id": ids["methodist"], "title": "ИОМ\t2026\r\nвесна"})
    assert r.status_code == 201 and r.get_json()["title"] == "ИОМ\t2026\r\nвесна"


def test_a_lone_surrogate_or_nan_in_json_is_422(app, people, new_route):
    rid = new_route()
    admin = people("admin").client
    before = _counts(app)
    r = admin.post(f"/api/routes/{rid}/cancel", data='{"reason": "\\ud800"}', content_type="application/json")
    assert r.status_code == 422
    _problem(r, "/reason", "Недопустимый символ")
    r = admin.post(f"/api/routes/{rid}/card", data='{"pointer": "/info/full_name", "value": NaN, "reason": "опечатка"}',
                   content_type="application/json")
    assert r.status_code == 422
    _problem(r, "/value", "конечным")
    assert _counts(app) == before


def test_nul_in_token_names_and_admin_reasons_is_422_and_writes_nothing(app, people, new_route):
    rid = new_route()
    task = people("tutor1").task(rid, "draft")
    admin = people("admin")
    before = _counts(app)
    cases = [
        ("/api/tokens", {"name": "скрипт\x00"}, "/name"),
        (f"/api/routes/{rid}/cancel", {"reason": "дубликат\x00"}, "/reason"),
        (f"/api/routes/{rid}/card", {"pointer": "/info/full_name", "value": "Иванова\x00", "reason": "опечатка"},
         "/value"),
        (f"/api/routes/{rid}/card", {"pointer": "/info/full\x00name", "value": "Иванова", "reason": "опечатка"},
         "/pointer"),
        (f"/api/routes/{rid}/card", {"pointer": "/info/full_name", "value": "Иванова", "reason": "опечатка\x00"},
         "/reason"),
        (f"/api/tasks/{task['id']}/reassign", {"assignee_id": app.config["PEOPLE"]["tutor2"], "reason": "\x00"},
         "/reason"),
        (f"/api/tasks/{task['id']}/reassign", {"assignee_id": 1, "reason": "отпуск", "ex\x00tra": 1}, "/ex\x00tra"),
    ]
    for url, body, pointer in cases:
        r = admin.post(url, body)
        assert r.status_code == 422, (url, r.get_json())
        _problem(r, pointer, "Недопустимый управляющий символ")
    assert _counts(app) == before


@pytest.mark.parametrize("url", [
    "/api/tasks/%00", "/api/tasks/%00/complete", "/api/tasks/a%01b", "/tasks/%00", "/routes/%00",
    "/api/routes/1%00", "/static/css/app.css%00",
])
def test_a_control_character_in_the_path_is_404(people, url):
    person = people("admin")
    r = person.client.post(url, json={"data": {}}) if url.endswith("complete") else person.get(url)
    assert r.status_code == 404, (url, r.status_code)


@pytest.mark.parametrize(("url", "pointer"), [
    ("/api/routes/{rid}/replay?documents=%00", "?documents"),
    ("/api/tasks?x%00=1", "?x\x00"),
    ("/api/routes/{rid}/events?q=a%1Fb", "?q"),
])
def test_a_control_character_in_the_query_string_of_the_api_is_422(people, new_route, url, pointer):
    rid = new_route()
    r = people("admin").get(url.format(rid=rid))
    assert r.status_code == 422
    _problem(r, pointer, "Недопустимый управляющий символ")


@pytest.mark.parametrize("url", ["/routes?q=%00", "/routes?q=%C2%85", "/queue?stage=%00", "/inbox?x=%00",
                                 "/routes/{rid}/audit?as_of=%00"])
def test_a_control_character_in_the_query_string_of_a_page_is_an_error_page(people, new_route, url):
    rid = new_route()
    r = people("auditor").get(url.format(rid=rid))
    assert r.status_code == 422 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert "Данные не приняты" in page and "Недопустимый управляющий символ" in page


@pytest.mark.parametrize("url", ["/queue?min_days=800000", "/queue?school=99999999999", "/queue?tutor=2147483648",
                                 "/queue?page=9223372036854775808", "/routes?school=99999999999999999999",
                                 "/routes?page=99999999999"])
def test_a_number_in_the_query_string_past_its_range_is_422(people, url):
    r = people("head_cnppm").get(url)
    assert r.status_code == 422 and "вне допустимого диапазона" in r.get_data(as_text=True)


def test_form_posts_of_the_pages_refuse_control_characters(app, people, new_route):
    rid = new_route()
    tutor = people("tutor1")
    task = tutor.task(rid, "draft")
    before = _counts(app)
    token = _csrf(tutor, "/tokens")
    cases = [
        ("/tokens", {"csrf_token": token, "name": "скрипт\x00"}, "/name"),
        ("/queue/bulk", {"csrf_token": token, "task_id": "a\x00", "password": PASSWORD}, "/task_id"),
        ("/queue/bulk", {"csrf_token": token, "task_id": task["id"], "password": "x\x07"}, "/password"),
        (f"/tasks/{task['id']}", {"csrf_token": token, "action": "draft", "/info/titles": "доцент\x00"},
         "/info/titles"),
    ]
    for url, form, pointer in cases:
        r = tutor.client.post(url, data=form)
        assert r.status_code == 422, (url, r.status_code)
        page = r.get_data(as_text=True)
        assert "Недопустимый управляющий символ" in page and pointer in page, page
    assert _counts(app) == before


def test_the_task_page_form_keeps_other_control_characters_for_its_validator(app, people, new_route):
    """The task forms validate their own fields; only NUL is refused before them."""
    rid = new_route()
    tutor = people("tutor1")
    task = tutor.task(rid, "draft")
    token = _csrf(tutor, f"/tasks/{task['id']}")
    r = tutor.client.post(f"/tasks/{task['id']}", data={"csrf_token": token, "action": "draft",
                                                        "/info/titles": "доцент\x01"})
    assert r.status_code == 302  # the draft is saved; completing it would be refused by the form
    r = tutor.client.post(f"/tasks/{task['id']}", data={"csrf_token": token, "/info/titles": "доцент\x01"})
    assert r.status_code == 422 and "Недопустимый управляющий символ" in r.get_data(as_text=True)


# ---- task completions ----------------------------------------------------------------------------


def test_nul_in_task_form_data_is_422_with_the_forms_pointer(app, people, new_route):
    rid = new_route()
    tutor = people("tutor1")
    task = tutor.task(rid, "draft")
    data = copy.deepcopy(VALID["draft"])
    data["info"]["titles"] = "доцент\x00"
    before = _counts(app)
    r = tutor.complete(task["id"], data)
    assert r.status_code == 422
    _problem(r, "/info/titles", "Недопустимый управляющий символ")
    assert _counts(app) == before


@pytest.mark.parametrize(("body", "pointer", "words"), [
    ({"signature": "пароль"}, "/signature", ("Подпись", "объект")),
    ({"signature": ["x"]}, "/signature", ("Подпись",)),
    ({"signature": {"password": 123, "document_sha256": "ab"}}, "/signature/password", ("строка",)),
    ({"signature": {"password": "x", "document_sha256": ["ab"]}}, "/signature/document_sha256", ("строка",)),
    ({"signature": {"password": "x\x00", "document_sha256": "ab"}}, "/signature/password",
     ("Недопустимый управляющий символ",)),
    ({"data": "принято"}, "/data", ("JSON-объект",)),
    ({"data": [1, 2]}, "/data", ("JSON-объект",)),
])
def test_a_completion_of_the_wrong_shape_is_422_and_changes_nothing(app, people, new_route, body, pointer, words):
    rid = new_route()
    tutor = people("tutor1")
    tutor.do(rid, "draft")
    methodist = people("methodist")
    task = methodist.task(rid, "plan_signatures_methodist")
    data = copy.deepcopy(VALID[task["form"]])
    before = _counts(app)
    r = methodist.post(f"/api/tasks/{task['id']}/complete", {"data": data, **body})
    assert r.status_code == 422, r.get_json()
    _problem(r, pointer, *words)
    assert _counts(app) == before


def test_a_control_character_in_the_user_agent_recorded_with_signatures_is_400(app, people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    methodist = people("methodist")
    task = methodist.task(rid, "plan_signatures_methodist")
    sha = methodist.view(task["id"])["signs"]["document"]["content_sha256"]
    before = _counts(app)
    r = methodist.client.post(f"/api/tasks/{task['id']}/complete", headers={"User-Agent": "Browser\x00/1.0"},
                              json={"data": VALID["sign"], "signature": {"password": PASSWORD, "document_sha256": sha}})
    assert r.status_code == 400 and "User-Agent" in r.get_json()["error"]
    assert _counts(app) == before
    r = methodist.client.get("/api/me", headers={"User-Agent": "Browser/1.0 (Яндекс)".encode().decode("latin-1")})
    assert r.status_code == 200  # UTF-8 bytes in a header are not control characters


# ---- deep JSON -----------------------------------------------------------------------------------

DEEP = {
    "arrays": "[" * 50_000 + "]" * 50_000,
    "objects": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "65 levels": "[" * 65 + "]" * 65,
    "inside a string is fine, then deep": '{"s": "[[[[[[[[[[[[\\"[[[[[[", "d": ' + "[" * 70 + "]" * 70 + "}",
}


@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_deeply_nested_json_is_400(app, people, new_route, text):
    rid = new_route()
    task = people("tutor1").task(rid, "draft")
    before = _counts(app)
    for client, url in [(app.test_client(), "/api/login"), (people("head_cnppm").client, "/api/routes"),
                        (people("tutor1").client, f"/api/tasks/{task['id']}/complete")]:
        r = client.post(url, data=text, content_type="application/json")
        assert r.status_code == 400, (url, r.status_code)
        assert "Слишком глубокая вложенность JSON" in r.get_json()["error"]
    assert _counts(app) == before


def test_json_nested_within_the_bound_is_parsed(app):
    nested = '{"login": "nobody", "password": "x", "extra": ' + "[" * 60 + "]" * 60 + "}"
    r = app.test_client().post("/api/login", data=nested, content_type="application/json")
    assert r.status_code == 401  # reached the view: a wrong password
    brackets_in_strings = '{"login": "[[[[{{{{", "password": "]]]]}}}}"}'
    r = app.test_client().post("/api/login", data=brackets_in_strings, content_type="application/json")
    assert r.status_code == 401
