"""People API: an admin everywhere and a CNPPM head within their centre list, create, edit,
deactivate people and grant and revoke roles; a head of another centre learns nothing about this
one; bad input is refused per field in Russian and writes nothing; every change is an event."""

from __future__ import annotations

import json

import pytest

from service.domain.limits import MAX_ID
from service.services.demo import PASSWORD
from tests.support.contract_check import Documented
from tests.support.org_people import NEW_PASSWORD, create_person, demo_unit, log_in, other_centre
from tests.support.system_chain import chains_intact, system_events


def _logins(client, query: str = "") -> list[str]:
    r = client.get(f"/api/people{query}")
    assert r.status_code == 200, r.get_json()
    return [p["login"] for p in r.get_json()["items"]]


def _count(admin) -> int:
    return admin.get("/api/people").get_json()["total"]


def test_the_admin_searches_and_filters_everyone(people):
    admin = people("admin")
    assert _count(admin) == 13
    assert _logins(admin, "?q=иванова") == ["teacher1"]  # Cyrillic, any case, on both databases
    assert _logins(admin, "?q=TUTOR") == ["tutor2", "tutor1"]  # by name: Наставников, Тьюторова
    gym = demo_unit(admin, "school", "Гимназия")
    assert set(_logins(admin, f"?unit={gym['id']}")) == {"head_gym", "deputy_gym", "teacher1", "teacher2"}
    assert set(_logins(admin, f"?unit={gym['id']}&role=teacher")) == {"teacher1", "teacher2"}
    assert _logins(admin, "?role=methodist") == ["methodist"]
    assert _logins(admin, "?active=0") == []
    page = admin.get("/api/people?page=999").get_json()
    assert page["page"] == page["pages"] == 1 and len(page["items"]) == 13
    teacher = admin.get("/api/people?q=teacher1").get_json()["items"][0]
    assert teacher["unit_name"] == gym["name"] and teacher["roles"][0]["title"] == "педагог"


@pytest.mark.parametrize("query, pointer", [
    ("?unit=abc", "?unit"), (f"?unit={MAX_ID + 1}", "?unit"), ("?unit=999999", "?unit"), ("?role=king", "?role"),
    ("?active=yes", "?active"), ("?q=a%00b", "?q"), ("?page=0", "?page"),
])
def test_bad_filters_are_refused_per_argument(people, query, pointer):
    r = people("admin").get(f"/api/people{query}")
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == pointer, r.get_json()


def test_a_cnppm_head_sees_the_centre_and_its_schools_only(people):
    head = people("head_cnppm")
    seen = set(_logins(head))
    assert seen == {"tutor1", "tutor2", "head_gym", "head_sch", "deputy_gym", "head_cnppm",
                    "teacher1", "teacher2", "teacher3", "teacher4"}
    methodist = people("admin").get("/api/people?q=methodist").get_json()["items"][0]["id"]
    r = head.get(f"/api/people/{methodist}")
    assert r.status_code == 404 and "Методистова" not in r.get_data(as_text=True)
    for login in ("teacher1", "tutor1"):
        view = head.get(f"/api/people/{people(login).id}").get_json()
        assert view["manageable"] is True
    assert head.get(f"/api/people/{people('head_cnppm').id}").get_json()["manageable"] is False


def test_a_head_of_another_centre_learns_nothing_about_this_one(people, app):
    admin = people("admin")
    other = other_centre(app, admin)
    assert _logins(other.head) == ["head_other"]
    gym = demo_unit(admin, "school", "Гимназия")
    r = other.head.get(f"/api/people?unit={gym['id']}")
    assert r.status_code == 422 and "Гимназия" not in r.get_data(as_text=True)
    teacher = people("teacher1").id
    for method, url, body in [("get", f"/api/people/{teacher}", None),
                              ("patch", f"/api/people/{teacher}", {"full_name": "Взлом"}),
                              ("post", f"/api/people/{teacher}/deactivate", None),
                              ("post", f"/api/people/{teacher}/roles",
                               {"role": "tutor", "org_unit_id": other.centre_id}),
                              ("delete", f"/api/people/{teacher}/roles/1", None),
                              ("post", f"/api/people/{teacher}/password-reset", {"mode": "temporary"})]:
        r = getattr(other.head, method)(url, json=body) if body else getattr(other.head, method)(url)
        text = r.get_data(as_text=True)
        assert r.status_code == 404, (url, r.get_json())
        assert "Иванова" not in text and "teacher1" not in text
    r = other.head.post("/api/people", json={"login": "spy", "full_name": "Шпионов", "email": "spy@example.ru",
                                             "org_unit_id": gym["id"]})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/org_unit_id"
    assert people("teacher1").get("/api/me").status_code == 200  # untouched
    assert admin.get(f"/api/people/{teacher}").get_json()["name"] == "Иванова Мария Петровна"


@pytest.mark.parametrize("login", ["teacher1", "tutor1", "head_gym", "auditor", "methodist"])
def test_people_outside_admin_and_heads_are_refused(people, login):
    who = people(login)
    assert who.get("/api/people").status_code == 403
    assert who.get(f"/api/people/{who.id}").status_code == 403
    assert who.post("/api/people", {"login": "x1", "full_name": "X", "email": "x@example.ru",
                                    "org_unit_id": 2}).status_code == 403


def test_the_admin_creates_a_person_with_roles_and_every_step_is_an_event(people, app):
    admin = people("admin")
    gym = demo_unit(admin, "school", "Гимназия")
    made = create_person(admin, "n.novikova", gym["id"], [("teacher", gym["id"]), ("deputy_head", gym["id"])],
                         full_name="Новикова Нина «Нино» Ивановна", email=" Nina.Novikova@Example.RU ",
                         position="учитель химии")
    person, credential = made["person"], made["credential"]
    assert person["email"] == "nina.novikova@example.ru" and person["must_change_password"] is True
    assert sorted(r["role"] for r in person["roles"]) == ["deputy_head", "teacher"]
    assert credential["mode"] == "temporary" and len(credential["password"]) >= 10
    events = system_events(app)[-4:]
    assert [e.kind for e in events] == ["user_created", "role_granted", "role_granted", "password_reset_issued"]
    assert all(e.actor_id == admin.id for e in events)
    assert events[0].data["new"]["full_name"] == "Новикова Нина «Нино» Ивановна"
    assert credential["password"] not in json.dumps([e.data for e in system_events(app)], ensure_ascii=False)
    assert chains_intact(app)
    # The new teacher has an information sheet with her school: the CNPPM head can open her route.
    r = people("head_cnppm").post("/api/routes", {"teacher_id": person["id"], "tutor_id": people("tutor1").id,
                                                  "methodist_id": people("methodist").id})
    assert r.status_code == 201, r.get_json()


def _bad(people, gym_id):
    big = "я" * 100_000
    return [
        ({"full_name": ""}, "/full_name"),
        ({"full_name": "   "}, "/full_name"),
        ({"full_name": big}, "/full_name"),
        ({"login": "teacher1"}, "/login"),
        ({"login": "Заглавные"}, "/login"),
        ({"login": "x" * 101}, "/login"),
        ({"email": "TEACHER@example.ru", "_first": "teacher@example.ru"}, "/email"),
        ({"email": "not-an-email"}, "/email"),
        ({"email": big + "@example.ru"}, "/email"),
        ({"position": big}, "/position"),
        ({"org_unit_id": MAX_ID + 1}, "/org_unit_id"),
        ({"org_unit_id": 0}, "/org_unit_id"),
        ({"org_unit_id": "2"}, "/org_unit_id"),
        ({"org_unit_id": 999_999}, "/org_unit_id"),
        ({"full_name": "Нуль\x00Байт"}, "/full_name"),
        ({"roles": [{"role": "king", "org_unit_id": gym_id}]}, "/roles"),
        ({"roles": [{"role": "teacher", "org_unit_id": gym_id}, {"role": "teacher"}]}, "/roles/1/org_unit_id"),
        ({"roles": [{"role": "tutor", "org_unit_id": gym_id}]}, "/roles/0/org_unit_id"),
        ({"roles": [{"role": "admin", "org_unit_id": gym_id}]}, "/roles/0/org_unit_id"),
        ({"credential": "email"}, "/credential"),
    ]


def test_bad_people_are_refused_per_field_and_nothing_is_written(people, app):
    admin = people("admin")
    gym = demo_unit(admin, "school", "Гимназия")
    create_person(admin, "first", gym["id"], email="teacher@example.ru")
    before, events = _count(admin), len(system_events(app))
    for change, pointer in _bad(people, gym["id"]):
        change.pop("_first", None)
        body = {"login": "valid.login", "full_name": "Правильный Пётр", "email": "valid@example.ru",
                "org_unit_id": gym["id"], **change}
        r = admin.post("/api/people", body)
        assert r.status_code == 422, (change, r.get_json())
        pointers = [p["pointer"] for p in r.get_json()["problems"]]
        assert pointer in pointers, (change, r.get_json())
        message = r.get_json()["problems"][pointers.index(pointer)]["message"]
        assert any("а" <= ch <= "я" for ch in message.lower()), message
    assert _count(admin) == before and len(system_events(app)) == events
    assert admin.post("/api/people", []).status_code == 400
    assert admin.client.post("/api/people", data="x", content_type="text/plain",
                             headers={"X-CSRFToken": admin.client.environ_base["HTTP_X_CSRFTOKEN"]}).status_code == 415


def test_a_head_grants_only_school_roles_within_the_centre(people, app):
    head = people("head_cnppm")
    admin = people("admin")
    gym = demo_unit(admin, "school", "Гимназия")
    centre = demo_unit(admin, "centre")
    made = create_person(head, "new.tutor", centre["id"], [("tutor", centre["id"])])
    uid = made["person"]["id"]
    for role in ("admin", "auditor", "methodist", "cnppm_head"):
        r = head.post(f"/api/people/{uid}/roles", {"role": role, "org_unit_id": centre["id"]})
        assert r.status_code == 422 and "только администратор" in r.get_json()["problems"][0]["message"], role
    r = head.post(f"/api/people/{uid}/roles", {"role": "deputy_head", "org_unit_id": gym["id"]})
    assert r.status_code == 201 and {g["role"] for g in r.get_json()["roles"]} == {"tutor", "deputy_head"}
    assert head.post(f"/api/people/{uid}/roles", {"role": "deputy_head", "org_unit_id": gym["id"]}).status_code == 422
    other = other_centre(app, admin)
    r = head.post(f"/api/people/{uid}/roles", {"role": "teacher", "org_unit_id": other.school_id})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/org_unit_id"
    # Once the admin gives them a role outside the centre, the head may no longer change them.
    assert admin.post(f"/api/people/{uid}/roles", {"role": "tutor", "org_unit_id": other.centre_id}).status_code == 201
    r = head.post(f"/api/people/{uid}/deactivate")
    assert r.status_code == 403
    grant = next(g for g in head.get(f"/api/people/{uid}").get_json()["roles"] if g["role"] == "deputy_head")
    assert head.client.delete(f"/api/people/{uid}/roles/{grant['id']}").status_code == 403
    assert [g["role"] for g in head.get(f"/api/people/{uid}").get_json()["roles"]].count("tutor") == 1  # own reach only
    kinds = [e.kind for e in system_events(app)]
    assert kinds.count("role_granted") >= 3


def test_the_admin_revokes_roles_but_never_their_own_admin_role(people, app):
    admin = people("admin")
    me = admin.get(f"/api/people/{admin.id}").get_json()
    grant = me["roles"][0]
    r = admin.client.delete(f"/api/people/{admin.id}/roles/{grant['id']}")
    assert r.status_code == 403 and "самого себя" in r.get_json()["error"]
    assert admin.post(f"/api/people/{admin.id}/deactivate").status_code == 403
    teacher = admin.get(f"/api/people/{people('teacher3').id}").get_json()
    r = admin.client.delete(f"/api/people/{teacher['id']}/roles/{teacher['roles'][0]['id']}")
    assert r.status_code == 200 and r.get_json()["roles"] == []
    assert admin.client.delete(f"/api/people/{teacher['id']}/roles/{teacher['roles'][0]['id']}").status_code == 404
    assert admin.client.delete(f"/api/people/{teacher['id']}/roles/{MAX_ID + 1}").status_code == 404
    revoked = system_events(app)[-1]
    assert revoked.kind == "role_revoked" and revoked.data["role"] == "teacher" and revoked.actor_id == admin.id


def test_the_head_edits_a_person_and_the_event_keeps_old_and_new(people, app):
    head = people("head_cnppm")
    uid = people("teacher2").id
    r = head.client.patch(f"/api/people/{uid}", json={"position": "учитель физики и астрономии",
                                                      "email": "Petrov@Example.ru"})
    assert r.status_code == 200 and r.get_json()["email"] == "petrov@example.ru"
    event = system_events(app)[-1]
    assert event.kind == "user_updated" and event.data["old"] == {"position": "учитель физики", "email": None}
    assert event.data["new"] == {"position": "учитель физики и астрономии", "email": "petrov@example.ru"}
    r = head.client.patch(f"/api/people/{people('teacher1').id}", json={"email": "PETROV@example.ru"})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/email"
    assert head.client.patch(f"/api/people/{uid}", json={"full_name": ""}).status_code == 422
    assert head.client.patch(f"/api/people/{uid}", json={"full_name": "x" * 301}).status_code == 422
    assert head.client.patch("/api/people/999999", json={}).status_code == 404
    assert head.get(f"/api/people/{MAX_ID + 1}").status_code == 404


def test_deactivating_a_person_ends_their_sessions_and_tokens_at_once(people, app):
    teacher = people("teacher4")
    token = teacher.post("/api/tokens", {"name": "скрипт"}).get_json()["token"]
    bearer = app.test_client()
    assert bearer.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    head = people("head_cnppm")
    r = head.post(f"/api/people/{teacher.id}/deactivate")
    assert r.status_code == 200 and r.get_json()["is_active"] is False
    assert teacher.get("/api/me").status_code == 401
    assert bearer.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert app.test_client().post("/api/login", json={"login": "teacher4", "password": PASSWORD}).status_code == 401
    assert _logins(head, "?active=0") == ["teacher4"]
    assert head.post(f"/api/people/{teacher.id}/reactivate").get_json()["is_active"] is True
    log_in(app, "teacher4", PASSWORD)
    kinds = [e.kind for e in system_events(app)]
    assert kinds[-2:] == ["user_deactivated", "user_reactivated"]


def test_live_answers_match_the_documented_schemas(people, app):
    check = Documented()
    admin, head = people("admin"), people("head_cnppm")
    c = admin.client
    gym = demo_unit(admin, "school", "Гимназия")
    check("get", "/api/org/units", c.get("/api/org/units"), 200)
    check("get", "/api/org/units", head.client.get("/api/org/units"), 403)
    check("get", "/api/org/units/{unit_id}", c.get(f"/api/org/units/{gym['id']}"), 200)
    check("get", "/api/org/units/{unit_id}", c.get("/api/org/units/999999"), 404)
    school = check("post", "/api/org/units", c.post("/api/org/units", json={
        "kind": "school", "name": "Школа № 9", "parent_id": gym["parent_id"]}), 201)
    check("post", "/api/org/units", c.post("/api/org/units", json={"kind": "school"}), 422)
    check("post", "/api/org/units/{unit_id}/rename", c.post(f"/api/org/units/{school['id']}/rename",
                                                            json={"name": "Школа № 10"}), 200)
    check("post", "/api/org/units/{unit_id}/deactivate", c.post(f"/api/org/units/{school['id']}/deactivate"), 200)
    check("post", "/api/org/units/{unit_id}/reactivate", c.post(f"/api/org/units/{school['id']}/reactivate"), 200)
    check("get", "/api/people", c.get("/api/people?q=а&active=1"), 200)
    check("get", "/api/people", c.get("/api/people?role=king"), 422)
    made = check("post", "/api/people", c.post("/api/people", json={
        "login": "checked", "full_name": "Проверкин", "email": "checked@example.ru", "org_unit_id": gym["id"],
        "roles": [{"role": "teacher", "org_unit_id": gym["id"]}], "credential": "link"}), 201)
    uid = made["person"]["id"]
    check("post", "/api/people", c.post("/api/people", json={"login": "checked"}), 422)
    check("get", "/api/people/{user_id}", c.get(f"/api/people/{uid}"), 200)
    check("get", "/api/people/{user_id}", head.client.get(f"/api/people/{people('methodist').id}"), 404)
    check("patch", "/api/people/{user_id}", c.patch(f"/api/people/{uid}", json={"position": "учитель"}), 200)
    grant = check("post", "/api/people/{user_id}/roles", c.post(f"/api/people/{uid}/roles", json={
        "role": "deputy_head", "org_unit_id": gym["id"]}), 201)["roles"][0]
    check("delete", "/api/people/{user_id}/roles/{grant_id}", c.delete(f"/api/people/{uid}/roles/{grant['id']}"), 200)
    check("post", "/api/people/{user_id}/password-reset", c.post(f"/api/people/{uid}/password-reset",
                                                                 json={"mode": "temporary"}), 201)
    check("post", "/api/people/{user_id}/deactivate", c.post(f"/api/people/{uid}/deactivate"), 200)
    check("post", "/api/people/{user_id}/deactivate", c.post(f"/api/people/{admin.id}/deactivate"), 403)
    check("post", "/api/people/{user_id}/reactivate", c.post(f"/api/people/{uid}/reactivate"), 200)
    check("post", "/api/people/me/password", c.post("/api/people/me/password", json={
        "current_password": "wrong", "new_password": NEW_PASSWORD}), 422)
    check("post", "/api/people/me/password", c.post("/api/people/me/password", json={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD}), 200)
