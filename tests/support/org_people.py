"""Setting up organisation and people through the API in tests: a second centre with its own head,
a person created by the admin, logging in with a given password."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.app import with_csrf_header

NEW_PASSWORD = "Новый-пароль-2026"


def log_in(app, login: str, password: str):
    """A test client logged in as `login` (sending the CSRF header), or AssertionError."""
    client = app.test_client()
    r = client.post("/api/login", json={"login": login, "password": password})
    assert r.status_code == 200, r.get_json()
    return with_csrf_header(client)


def units(admin) -> dict[str, dict]:
    return {u["name"]: u for u in admin.get("/api/org/units").get_json()["units"]}


def demo_unit(admin, kind: str, word: str = "") -> dict:
    return next(u for u in units(admin).values() if u["kind"] == kind and word in u["name"])


def create_person(admin, login: str, unit_id: int, roles=(), credential: str = "temporary", **extra) -> dict:
    body = {"login": login, "full_name": extra.pop("full_name", f"Тестов {login}"),
            "email": extra.pop("email", f"{login}@example.ru"), "org_unit_id": unit_id,
            "roles": [{"role": r, "org_unit_id": u} for r, u in roles], "credential": credential, **extra}
    r = admin.post("/api/people", body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def settled_client(app, login: str, temporary: str):
    """Log in with a temporary password and replace it: a client of the person, free to work."""
    client = log_in(app, login, temporary)
    r = client.post("/api/people/me/password", json={"current_password": temporary, "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.get_json()
    return client


@dataclass
class OtherCentre:
    centre_id: int
    school_id: int
    head: object  # a logged-in test client of the other centre's head
    head_id: int


def other_centre(app, admin) -> OtherCentre:
    """A second centre with a school and a CNPPM head of its own (created by the admin)."""
    region = demo_unit(admin, "region")
    centre = admin.post("/api/org/units", {"kind": "centre", "name": "ЦНППМ «Другой»", "parent_id": region["id"]})
    school = admin.post("/api/org/units", {"kind": "school", "name": "МБОУ «Другая школа»",
                                           "parent_id": centre.get_json()["id"]})
    centre_id, school_id = centre.get_json()["id"], school.get_json()["id"]
    made = create_person(admin, "head_other", centre_id, [("cnppm_head", centre_id)], full_name="Чужаков Олег Олегович")
    head = settled_client(app, "head_other", made["credential"]["password"])
    return OtherCentre(centre_id, school_id, head, made["person"]["id"])
