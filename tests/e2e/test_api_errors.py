"""Bad input gets a clear error and leaves nothing half-written."""

from __future__ import annotations

import copy
import threading

import pytest

from service.samples import VALID
from service.tasks import card as card_handlers


def _state(person, rid):
    route = person.get(f"/api/routes/{rid}").get_json()
    events = person.get(f"/api/routes/{rid}/events").get_json()["events"]
    return route["version"], len(events), route["card"], [t["id"] for t in route["open_tasks"]]


def test_requests_without_login_get_401(app):
    r = app.test_client().get("/api/tasks")
    assert r.status_code == 401 and r.get_json()["error"] == "Требуется вход в систему"


def test_wrong_password_is_refused_and_ends_an_earlier_login(people):
    tutor = people("tutor1")
    r = tutor.post("/api/login", {"login": "methodist", "password": "guess"})
    assert r.status_code == 401 and "Неверный логин или пароль" in r.get_json()["error"]
    assert tutor.get("/api/me").status_code == 401


def test_a_body_that_is_not_json_gets_415_and_malformed_json_400(people, new_route):
    rid = new_route()
    task = people("tutor1").task(rid, "draft")
    client = people("tutor1").client
    r = client.post(f"/api/tasks/{task['id']}/complete", data="data=1",
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415
    r = client.post(f"/api/tasks/{task['id']}/complete", data="{bad json", content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"] == "Тело запроса — не корректный JSON"
    r = client.post(f"/api/tasks/{task['id']}/complete", data="[1]", content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"] == "Тело запроса должно быть JSON-объектом"


def test_someone_else_cannot_complete_my_task(people, new_route):
    rid = new_route()
    task = people("tutor1").task(rid, "draft")
    before = _state(people("auditor"), rid)
    r = people("teacher1").complete(task["id"], VALID["draft"])  # on the route: told whose task it is
    assert r.status_code == 403 and "Тьюторова Светлана Андреевна" in r.get_json()["error"]
    r = people("tutor2").complete(task["id"], VALID["draft"])  # outside the route: told nothing more
    assert r.status_code == 403 and "Тьюторова" not in r.get_json()["error"]
    assert _state(people("auditor"), rid) == before


def test_a_route_outside_my_scope_is_403(people, new_route):
    rid = new_route("teacher1")  # gymnasium № 4
    for outsider in ("teacher2", "head_sch", "tutor2"):
        r = people(outsider).get(f"/api/routes/{rid}")
        assert r.status_code == 403, outsider
    for insider in ("teacher1", "head_gym", "deputy_gym", "auditor", "methodist"):
        assert people(insider).get(f"/api/routes/{rid}").status_code == 200, insider


def test_only_the_cnppm_head_or_an_admin_opens_routes(people, app):
    ids = app.config["PEOPLE"]
    body = {"teacher_id": ids["teacher1"], "tutor_id": ids["tutor1"], "methodist_id": ids["methodist"]}
    assert people("tutor1").post("/api/routes", body).status_code == 403
    assert people("admin").post("/api/routes", body).status_code == 201


def test_opening_a_route_with_a_wrong_tutor_is_422(people, app):
    ids = app.config["PEOPLE"]
    r = people("head_cnppm").post("/api/routes", {"teacher_id": ids["teacher1"], "tutor_id": ids["teacher2"],
                                                  "methodist_id": ids["methodist"]})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/tutor_id"
    r = people("head_cnppm").post("/api/routes", {"teacher_id": "x"})
    assert {p["pointer"] for p in r.get_json()["problems"]} == {"/teacher_id", "/tutor_id", "/methodist_id"}


def test_an_admin_acts_on_behalf_and_it_is_recorded(people, new_route):
    rid = new_route()
    task = people("tutor1").task(rid, "draft")
    assert people("admin").complete(task["id"], VALID["draft"]).status_code == 200
    events = people("auditor").get(f"/api/routes/{rid}/events").get_json()["events"]
    event = [e for e in events if e["kind"] == "task_completed"][-1]
    assert event["actor"]["name"] == "Администратор Системы"
    assert event["on_behalf_of"]["name"] == "Тьюторова Светлана Андреевна"


def test_completing_twice_is_409_naming_who_did_it(people, new_route):
    rid = new_route()
    task = people("tutor1").task(rid, "draft")
    assert people("tutor1").complete(task["id"], VALID["draft"]).status_code == 200
    r = people("tutor1").complete(task["id"], VALID["draft"])
    assert r.status_code == 409
    assert "уже выполнена" in r.get_json()["error"] and "Тьюторова Светлана Андреевна" in r.get_json()["error"]


def test_a_page_from_an_earlier_round_is_stale(people, new_route):
    rid = new_route()
    first_draft = people("tutor1").task(rid, "draft")
    people("tutor1").do(rid, "draft")
    teacher_sign = people("teacher1").task(rid, "plan_signatures_teacher")
    people("methodist").do(rid, "plan_signatures_methodist", {"decision": "return", "comment": "Нет"})
    # The teacher's signature was withdrawn by the refusal; the old draft page belongs to round 1.
    r = people("teacher1").complete(teacher_sign["id"], VALID["sign"])
    assert r.status_code == 409 and "снята" in r.get_json()["error"]
    assert people("tutor1").complete(first_draft["id"], VALID["draft"]).status_code == 409
    assert people("tutor1").task(rid, "draft")["id"] != first_draft["id"]


def test_two_racing_completions_exactly_one_wins(app, people, new_route):
    rid = new_route()
    task = people("tutor1").task(rid, "draft")
    from tests.support.app import Person

    racers = [Person(app, "tutor1") for _ in range(4)]
    barrier = threading.Barrier(len(racers))
    codes: list[int] = []

    def race(person):
        barrier.wait()
        codes.append(person.complete(task["id"], copy.deepcopy(VALID["draft"])).status_code)

    threads = [threading.Thread(target=race, args=(p,)) for p in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409, 409, 409]
    events = people("auditor").get(f"/api/routes/{rid}/events").get_json()["events"]
    assert [e["task_name"] for e in events if e["kind"] == "task_completed"] == ["draft"]


@pytest.mark.parametrize(("patch", "pointer", "message"), [
    (lambda d: d["info"].pop("full_name"), "/info/full_name", "Обязательное поле"),
    (lambda d: d["period"].update(start="31.12.2024"), "/period/start", "Ожидается дата в формате ГГГГ-ММ-ДД"),
    (lambda d: d["activities"][0].update(level="галактический"), "/activities/0/level", "Допустимые значения"),
    (lambda d: d.update(hacker=1), "/hacker", "Неизвестное поле"),
    (lambda d: d["period"].update(start="2025-06-01"), "/period/end", "Дата окончания раньше даты начала"),
    (lambda d: d["info"].update(titles="a\x00b"), "/info/titles", "Недопустимый управляющий символ"),
])
def test_an_invalid_form_is_422_with_field_messages_and_changes_nothing(people, new_route, patch, pointer,
                                                                       message):
    rid = new_route()
    task = people("tutor1").task(rid, "draft")
    data = copy.deepcopy(VALID["draft"])
    patch(data)
    before = _state(people("auditor"), rid)
    r = people("tutor1").complete(task["id"], data)
    assert r.status_code == 422
    problems = r.get_json()["problems"]
    assert any(p["pointer"] == pointer and message in p["message"] for p in problems), problems
    assert _state(people("auditor"), rid) == before


def test_a_return_without_a_comment_is_422(people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    task = people("methodist").task(rid, "plan_signatures_methodist")
    r = people("methodist").complete(task["id"], {"decision": "return", "comment": "  "})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/comment"


def test_a_correction_of_an_activity_that_does_not_exist_is_422(people, new_route):
    rid = new_route()
    for login, name in [("tutor1", "draft"), ("methodist", "plan_signatures_methodist"),
                        ("teacher1", "plan_signatures_teacher"), ("head_cnppm", "agreement"),
                        ("head_gym", "approval")]:
        people(login).do(rid, name)
    people("tutor1").do(rid, "implementation", {"next": "correction"})
    bad = copy.deepcopy(VALID["correction"])
    bad["activity_no"] = 99
    r = people("tutor1").complete(people("tutor1").task(rid, "correction")["id"], bad)
    assert r.status_code == 422 and r.get_json()["problems"] == [
        {"pointer": "/activity_no", "message": "В карте нет мероприятия № 99"}]


def test_a_failing_step_is_reported_and_nothing_is_written(app, people, new_route, monkeypatch):
    rid = new_route()

    def broken(card, data, ctx):
        raise RuntimeError("диск переполнен")

    monkeypatch.setitem(card_handlers.HANDLERS, "build_card", broken)
    app.extensions["iom"].engine.handlers.register("build_card", broken)
    before = _state(people("auditor"), rid)
    r = people("tutor1").complete(people("tutor1").task(rid, "draft")["id"], VALID["draft"])
    assert r.status_code == 500 and "build_card" in r.get_json()["error"]
    assert _state(people("auditor"), rid) == before


def test_hostile_text_comes_back_exactly(people, new_route):
    rid = new_route()
    hostile = 'Школа «Ромашка» & Co <b>"жирный"</b> \'кавычки\'\nвторая строка '
    long_text = hostile + "Щ" * 3000
    data = copy.deepcopy(VALID["draft"])
    data["info"]["awards"] = long_text
    data["activities"][0]["title"] = hostile
    people("tutor1").do(rid, "draft", data)
    card = people("auditor").get(f"/api/routes/{rid}").get_json()["card"]
    assert card["info"]["awards"] == long_text and card["activities"][0]["title"] == hostile


def test_a_personal_token_works_until_revoked(app, people):
    issued = people("tutor1").post("/api/tokens", {"name": "скрипт"}).get_json()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get("/api/me", headers=headers).get_json()["name"] == "Тьюторова Светлана Андреевна"
    assert people("tutor1").client.delete(f"/api/tokens/{issued['id']}").status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Bearer iom_forged"}).status_code == 401


def test_too_many_failed_api_logins_lock_the_login(app):
    client = app.test_client()
    for _ in range(5):
        assert client.post("/api/login", json={"login": "auditor", "password": "x"}).status_code == 401
    r = client.post("/api/login", json={"login": "auditor", "password": "iom-demo-2026"})
    assert r.status_code == 429 and "Слишком много" in r.get_json()["error"]
