"""Fixtures of the HTTP tests: an app on a real database (per test), a client per person, a new route."""

from __future__ import annotations

import pytest

from tests.support.app import FakeClock, people_of, ready_app, route_opener


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock())


@pytest.fixture
def people(app):
    return people_of(app)


@pytest.fixture
def new_route(people, app):
    """Open a route for a teacher (as the CNPPM head); returns its id."""
    return route_opener(app, people)
