"""Pages without a total (issue 13) in Chromium: the route list says «Показано 1–20, есть ещё» and
goes forward, a search in another case finds Russian names, the inbox pages 20 tasks at a time; each
fits 1366 and 390 px (screenshots in tests/artifacts/)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.db.models import Route, Task
from tests.support.app import Person

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def region(live):
    """A route for teacher3 copied 29 times, and 59 more drafts waiting for tutor2."""
    _, app = live
    ids = app.config["PEOPLE"]
    head = Person(app, "head_cnppm")
    r = head.post("/api/routes", {"teacher_id": ids["teacher3"], "tutor_id": ids["tutor2"],
                                  "methodist_id": ids["methodist"]})
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    with app.extensions["iom"].sessions() as s:
        route = dict(s.execute(sa.select(Route.__table__).where(Route.id == rid)).mappings().one())
        route.pop("id")
        s.execute(sa.insert(Route.__table__), [{**route, "title": f"Копия маршрута № {i}"} for i in range(29)])
        task = dict(s.execute(sa.select(Task.__table__).where(Task.route_id == rid)).mappings().one())
        s.execute(sa.insert(Task.__table__), [{**task, "id": str(uuid.uuid4()),
                                               "created_at": task["created_at"] + timedelta(minutes=i + 1)}
                                              for i in range(59)])
        s.commit()
    return rid


def test_the_route_list_pages_without_a_total_and_searches_in_russian(visitor, region):
    v = visitor("auditor")
    v.goto("/routes")
    assert "Показано 1–20, есть ещё" in v.page.inner_text(".pager")
    v.fits("routes_list_first_page")
    v.page.click("text=Вперёд →")
    assert "Показано 21–" in v.page.inner_text(".pager") and "есть ещё" not in v.page.inner_text(".pager")
    v.goto("/routes?q=КОПИЯ+МАРШРУТА+№+7")
    assert v.page.locator("tbody tr").count() == 1
    v.goto("/routes?q=ко")
    assert "не менее 3 символов" in v.page.content()
    v.fits("routes_list_short_query")


def test_the_inbox_pages_through_sixty_tasks_twenty_at_a_time(visitor, region):
    v = visitor("tutor2")
    v.goto("/inbox")
    assert "Всего: 60" in v.page.inner_text(".counts") and "Показано 1–20, есть ещё" in v.page.inner_text(".pager")
    assert v.page.locator("tbody tr").count() == 20
    v.page.click("text=Вперёд →")
    v.page.click("text=Вперёд →")
    assert "Показано 41–60" in v.page.inner_text(".pager") and "есть ещё" not in v.page.inner_text(".pager")
    assert v.page.locator("tbody tr").count() == 20
    v.fits("inbox_last_page")
