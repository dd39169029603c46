"""Fixtures of the HTTP tests: an app on a real database (per test), a client per person, a new route."""

from __future__ import annotations

import pytest

from tests.support.app import FakeClock, Person, ready_app


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock())


@pytest.fixture
def people(app):
    cache: dict[str, Person] = {}

    def person(login: str) -> Person:
        if login not in cache:
            cache[login] = Person(app, login)
        return cache[login]

    return person


@pytest.fixture
def new_route(people, app):
    """Open a route for a teacher (as the CNPPM head); returns its id."""

    def make(teacher: str = "teacher1", tutor: str = "tutor1") -> int:
        ids = app.config["PEOPLE"]
        r = people("head_cnppm").post("/api/routes", {"teacher_id": ids[teacher], "tutor_id": ids[tutor],
                                                      "methodist_id": ids["methodist"]})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    return make
