"""The organisation and people pages keep the services' reach: a CNPPM head's people page lists their
centre only, the organisation pages are the admin's, and a refused form keeps what was typed."""

from __future__ import annotations

import re

from tests.support.org_people import demo_unit


def _form(client, url: str, action: str, data: dict):
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(action, data={"csrf_token": token, **data})


def test_a_head_sees_the_centre_on_the_people_page_and_no_organisation_page(people):
    head = people("head_cnppm").client
    page = head.get("/people").get_data(as_text=True)
    assert "Иванова Мария Петровна" in page and "Методистова" not in page and "Ревизорова" not in page
    assert 'href="/org"' not in page and head.get("/org").status_code == 403
    assert head.get(f"/people/{people('methodist').id}").status_code == 404
    assert people("teacher1").client.get("/people").status_code == 403


def test_a_refused_new_person_keeps_the_typed_values_and_says_what_is_wrong(people, app):
    admin = people("admin")
    gym = demo_unit(admin, "school", "Гимназия")
    r = _form(admin.client, "/people/new", "/people/new", {
        "full_name": "Новый <b>Человек</b>", "login": "teacher1", "email": "bad", "position": "",
        "org_unit_id": str(gym["id"]), "role": "teacher", "role_unit_id": str(gym["id"]), "credential": "temporary"})
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "Новый &lt;b&gt;Человек&lt;/b&gt;" in text
    assert "Адрес электронной почты" in text
    assert admin.get("/api/people?q=Новый").get_json()["total"] == 0


def test_the_organisation_page_refuses_an_empty_name_in_place(people):
    admin = people("admin").client
    r = _form(admin, "/org", "/org/units", {"kind": "centre", "name": "  ", "parent_id": "1"})
    assert r.status_code == 422 and "Укажите название" in r.get_data(as_text=True)
    r = _form(admin, "/org", "/org/units", {"kind": "centre", "name": "ЦНППМ №2", "parent_id": "1"})
    assert r.status_code == 302
    unit = r.location.rsplit("/", 1)[1]
    r = _form(admin, f"/org/{unit}", f"/org/{unit}/state", {"active": "0"})
    assert r.status_code == 302 and "отключена" in admin.get(f"/org/{unit}").get_data(as_text=True)


def test_the_header_name_leads_to_the_password_change(people):
    page = people("tutor1").client.get("/inbox").get_data(as_text=True)
    assert re.search(r'<a href="/password/change"[^>]*>Тьюторова Светлана Андреевна</a>', page)


def test_a_person_without_an_e_mail_is_edited_from_the_page(people):
    admin = people("admin")
    uid = people("teacher1").id
    r = _form(admin.client, f"/people/{uid}", f"/people/{uid}/edit", {
        "full_name": "Иванова Мария Петровна", "email": "", "position": "учитель математики и физики",
        "org_unit_id": str(admin.get(f"/api/people/{uid}").get_json()["org_unit_id"])})
    assert r.status_code == 302
    view = admin.get(f"/api/people/{uid}").get_json()
    assert view["position"] == "учитель математики и физики" and view["email"] is None
