"""The people pickers: search by a part of the name, only within the caller's reach."""

from __future__ import annotations

import pytest

from tests.support.centres import add_second_centre


def _names(person, kind: str, q: str, **params) -> list[str]:
    query = "&".join(f"{k}={v}" for k, v in {"q": q, **params}.items())
    r = person.get(f"/api/pickers/{kind}?{query}")
    assert r.status_code == 200, r.get_json()
    return [p["full_name"] for p in r.get_json()["people"]]


def test_a_cnppm_head_finds_the_teachers_of_the_centre_schools_by_any_case(people):
    found = people("head_cnppm").get("/api/pickers/teachers?q=ИВАН").get_json()["people"]
    assert [(p["full_name"], p["unit"], p["position"]) for p in found] == [
        ("Иванова Мария Петровна", "МБОУ «Гимназия № 4» г. Энска", "учитель математики")]
    assert _names(people("head_cnppm"), "teachers", "ова") == ["Иванова Мария Петровна",
                                                               "Сидорова Анна-Мария Олеговна"]


def test_tutors_and_methodists_are_those_of_the_centre_and_its_region(people):
    head = people("head_cnppm")
    assert _names(head, "tutors", "ов") == ["Наставников Алексей Юрьевич", "Тьюторова Светлана Андреевна"]
    found = head.get("/api/pickers/methodists?q=метод").get_json()["people"]
    assert [(p["full_name"], p["unit"]) for p in found] == [("Методистова Ирина Львовна", "Энская область")]


def test_a_head_of_another_centre_sees_nobody_of_this_one(app, people):
    add_second_centre(app)
    other = people("head2")
    assert _names(other, "teachers", "Иванова Мария Петровна") == []
    assert _names(other, "teachers", "иванова") == ["Иванова Ольга Дальняя"]
    assert _names(other, "tutors", "Тьюторова") == [] and _names(other, "methodists", "Методистова") == []
    assert _names(other, "methodists", "метод") == ["Методистов Пётр Петрович"]
    # Naming this centre does not help: nobody, and no error that would confirm it exists.
    assert _names(other, "teachers", "иван", centre=1) == []
    assert _names(other, "teachers", "иван", centre=2) == []


def test_an_admin_sees_every_centre_and_may_narrow_to_one(app, people):
    ids = add_second_centre(app)
    admin = people("admin")
    assert _names(admin, "teachers", "иванова") == ["Иванова Мария Петровна", "Иванова Ольга Дальняя"]
    assert _names(admin, "teachers", "иванова", centre=ids["centre2"]) == ["Иванова Ольга Дальняя"]


@pytest.mark.parametrize("login", ["teacher1", "tutor1", "methodist", "head_gym", "auditor"])
def test_anyone_else_is_refused(people, login):
    r = people(login).get("/api/pickers/teachers?q=иван")
    assert r.status_code == 403 and "руководителю ЦНППМ" in r.get_json()["error"]


def test_deactivated_people_and_schools_are_not_offered(app, people):
    from service.db.models import OrgUnit, User

    ctx = app.extensions["iom"]
    with ctx.uow() as uow:
        uow.session.get(User, app.config["PEOPLE"]["teacher1"]).is_active = False
        gym_teacher = uow.session.get(User, app.config["PEOPLE"]["teacher2"])
        school = uow.session.get(OrgUnit, gym_teacher.org_unit_id)
        uow.commit()
    head = people("head_cnppm")
    assert _names(head, "teachers", "Иванова") == []
    assert _names(head, "teachers", "Петров") == ["Петров Николай «Ник» Сергеевич"]
    with ctx.uow() as uow:
        uow.session.get(OrgUnit, school.id).is_active = False
        uow.commit()
    assert _names(head, "teachers", "Петров") == []


@pytest.mark.parametrize(("query", "pointer"), [
    ("q=и", "?q"), ("", "?q"), ("q=" + "я" * 101, "?q"), ("q=ив&centre=abc", "?centre"),
    ("q=ив%00", "?q"), ("q=ив&centre=2147483648", "?centre"),
])
def test_bad_queries_get_422_with_a_russian_message(people, query, pointer):
    r = people("head_cnppm").get(f"/api/pickers/teachers?{query}")
    body = r.get_json()
    assert r.status_code == 422, body
    assert body["problems"][0]["pointer"] == pointer and body["problems"][0]["message"][0].isupper()


def test_at_most_twenty_matches_are_answered(app, people):
    from service.services import people as people_service

    ctx = app.extensions["iom"]
    with ctx.uow() as uow:
        from service.db.models import OrgUnit, User

        school = uow.session.get(OrgUnit, uow.session.get(User, app.config["PEOPLE"]["teacher1"]).org_unit_id)
        for n in range(25):
            people_service.add_teacher(uow.session, f"bulk{n}", f"Массовая Учительница {n:02d}", "", school, {},
                                       "учитель", password_hash="x")
        uow.commit()
    found = _names(people("head_cnppm"), "teachers", "массовая")
    assert len(found) == 20 and found == sorted(found)
