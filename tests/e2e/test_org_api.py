"""Organisation API: an admin lists, creates, renames, deactivates and reactivates centres and
schools; nothing is deleted; every change is an event of the system chain; others are refused."""

from __future__ import annotations

import pytest

from service.domain.limits import MAX_ID
from tests.support.system_chain import chains_intact, system_events


def _units(admin) -> dict[str, dict]:
    r = admin.get("/api/org/units")
    assert r.status_code == 200, r.get_json()
    return {u["name"]: u for u in r.get_json()["units"]}


def _region(admin) -> dict:
    return next(u for u in _units(admin).values() if u["kind"] == "region")


def test_the_admin_sees_the_tree_with_people_and_routes_counted(people, new_route):
    new_route("teacher1")
    units = list(_units(people("admin")).values())
    assert [u["kind"] for u in units] == ["region", "centre", "school", "school"]
    gym = next(u for u in units if "Гимназия" in u["name"])
    assert gym["people"] >= 4 and gym["active_routes"] == 1 and gym["is_active"] and gym["accepts_new"]
    centre = units[1]
    assert centre["active_routes"] == 1 and centre["parent_id"] == units[0]["id"]


def test_an_admin_creates_a_centre_and_a_school_and_renames_them(people, app):
    admin = people("admin")
    region = _region(admin)
    r = admin.post("/api/org/units", {"kind": "centre", "name": "  ЦНППМ «Северный» & <филиал>  ",
                                      "parent_id": region["id"]})
    assert r.status_code == 201, r.get_json()
    centre = r.get_json()
    assert centre["name"] == "ЦНППМ «Северный» & <филиал>" and centre["people"] == 0 and centre["is_active"]
    r = admin.post("/api/org/units", {"kind": "school", "name": "МБОУ «СОШ № 1»", "parent_id": centre["id"]})
    assert r.status_code == 201
    school = r.get_json()
    r = admin.post(f"/api/org/units/{school['id']}/rename", {"name": "МБОУ «СОШ № 1» им. Ломоносова"})
    assert r.status_code == 200 and r.get_json()["name"] == "МБОУ «СОШ № 1» им. Ломоносова"
    view = admin.get(f"/api/org/units/{centre['id']}").get_json()
    assert [c["name"] for c in view["children"]] == ["МБОУ «СОШ № 1» им. Ломоносова"] and view["people"] == []
    events = system_events(app)
    assert [e.kind for e in events[-3:]] == ["org_unit_created", "org_unit_created", "org_unit_renamed"]
    renamed = events[-1]
    assert renamed.actor_id == app.config["PEOPLE"]["admin"]
    assert renamed.data == {"unit_id": school["id"], "old": {"name": "МБОУ «СОШ № 1»"},
                            "new": {"name": "МБОУ «СОШ № 1» им. Ломоносова"}}
    assert chains_intact(app)


def test_a_deactivated_school_keeps_its_people_and_takes_no_new_ones(people, app):
    admin = people("admin")
    gym = next(u for u in _units(admin).values() if "Гимназия" in u["name"])
    r = admin.post(f"/api/org/units/{gym['id']}/deactivate")
    assert r.status_code == 200 and r.get_json()["is_active"] is False and r.get_json()["people"] == gym["people"]
    assert admin.post(f"/api/org/units/{gym['id']}/deactivate").status_code == 200  # already: nothing new
    r = admin.post("/api/people", {"login": "newbie", "full_name": "Новиков Н. Н.", "email": "n@example.ru",
                                   "org_unit_id": gym["id"], "roles": [{"role": "teacher", "org_unit_id": gym["id"]}]})
    assert r.status_code == 422 and r.get_json()["problems"][0]["message"].startswith("Организация отключена")
    r = admin.post("/api/org/units", {"kind": "school", "name": "X", "parent_id": gym["id"]})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/parent_id"
    assert admin.post(f"/api/org/units/{gym['id']}/reactivate").get_json()["is_active"] is True
    kinds = [e.kind for e in system_events(app)]
    assert kinds.count("org_unit_deactivated") == 1 and kinds[-1] == "org_unit_reactivated"
    assert admin.post(f"/api/org/units/{_region(admin)['id']}/deactivate").status_code == 422


def test_schools_of_a_deactivated_centre_accept_nothing_new(people):
    admin = people("admin")
    units = _units(admin)
    centre = next(u for u in units.values() if u["kind"] == "centre")
    admin.post(f"/api/org/units/{centre['id']}/deactivate")
    school = next(u for u in _units(admin).values() if u["kind"] == "school")
    assert school["is_active"] and not school["accepts_new"]
    r = admin.post("/api/people", {"login": "newbie", "full_name": "Новиков", "email": "n@example.ru",
                                   "org_unit_id": school["id"]})
    assert r.status_code == 422


@pytest.mark.parametrize("body, pointer", [
    ({"kind": "school", "name": "", "parent_id": 1}, "/name"),
    ({"kind": "school", "name": "   ", "parent_id": 1}, "/name"),
    ({"kind": "school", "name": "x" * 301, "parent_id": 1}, "/name"),
    ({"kind": "region", "name": "Ещё регион", "parent_id": 1}, "/kind"),
    ({"kind": "school", "name": "Школа"}, "/parent_id"),
    ({"kind": "school", "name": "Школа", "parent_id": "1"}, "/parent_id"),
    ({"kind": "school", "name": "Школа", "parent_id": MAX_ID + 1}, "/parent_id"),
    ({"kind": "school", "name": "Шко\x00ла", "parent_id": 1}, "/name"),
])
def test_bad_units_are_refused_per_field_and_nothing_is_written(people, body, pointer):
    admin = people("admin")
    before = len(_units(admin))
    r = admin.post("/api/org/units", body)
    assert r.status_code == 422, r.get_json()
    problem = next(p for p in r.get_json()["problems"] if p["pointer"] == pointer)
    assert any("а" <= ch <= "я" for ch in problem["message"].lower())  # Russian
    assert len(_units(admin)) == before


def test_a_school_goes_under_a_centre_and_a_centre_under_the_region(people):
    admin = people("admin")
    units = _units(admin)
    region = _region(admin)
    school = next(u for u in units.values() if u["kind"] == "school")
    for kind, parent in (("school", region["id"]), ("centre", school["id"]), ("school", school["id"])):
        r = admin.post("/api/org/units", {"kind": kind, "name": "Новая", "parent_id": parent})
        assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/parent_id"
    r = admin.post("/api/org/units", {"kind": "school", "name": school["name"].upper(),
                                      "parent_id": school["parent_id"]})
    assert r.status_code == 422 and "уже есть" in r.get_json()["problems"][0]["message"]


@pytest.mark.parametrize("login", ["head_cnppm", "auditor", "teacher1", "methodist"])
def test_only_an_admin_reaches_the_organisation(people, login):
    who = people(login)
    assert who.get("/api/org/units").status_code == 403
    assert who.get("/api/org/units/1").status_code == 403
    assert who.post("/api/org/units", {"kind": "centre", "name": "Мой", "parent_id": 1}).status_code == 403
    assert who.post("/api/org/units/2/rename", {"name": "Мой"}).status_code == 403
    assert who.post("/api/org/units/2/deactivate").status_code == 403


def test_unknown_and_out_of_range_units_are_not_found(people):
    admin = people("admin")
    assert admin.get("/api/org/units/999999").status_code == 404
    assert admin.get(f"/api/org/units/{MAX_ID + 1}").status_code == 404
    assert admin.get("/api/org/units/0").status_code == 404
    assert admin.post("/api/org/units/999999/rename", {"name": "x"}).status_code == 404
    assert admin.post("/api/org/units/999999/reactivate").status_code == 404
    assert admin.client.get("/api/org/units").status_code == 200
    assert people("admin").client.application.test_client().get("/api/org/units").status_code == 401


def test_the_unit_page_lists_its_people_with_their_roles(people, app):
    admin = people("admin")
    gym = next(u for u in _units(admin).values() if "Гимназия" in u["name"])
    view = admin.get(f"/api/org/units/{gym['id']}").get_json()
    by_login = {p["login"]: p for p in view["people"]}
    assert by_login["head_gym"]["roles"] == [{"role": "school_head", "title": "руководитель ОО"}]
    assert by_login["teacher1"]["roles"][0]["role"] == "teacher"
    assert "teacher3" not in by_login
