"""/api/saved-filters: a person's named filters — created, listed, deleted; only one's own; bad
input refused with a Russian message at the field, writing nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.db.models import SavedFilter
from service.services.saved_filters import MAX_PER_USER


def _count(app) -> int:
    with app.extensions["iom"].uow() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(SavedFilter))


def _problem(r, pointer: str, *words: str) -> str:
    assert r.status_code == 422, (r.status_code, r.get_json())
    found = [p for p in r.get_json()["problems"] if p["pointer"] == pointer]
    assert found, r.get_json()
    assert all(w in found[0]["message"] for w in words), found
    return found[0]["message"]


def test_a_filter_is_saved_listed_and_deleted_by_its_owner_only(app, people):
    tutor, other = people("tutor1"), people("tutor2")
    r = tutor.post("/api/saved-filters", {"page": "queue", "name": "  Просроченные ", "query": "overdue=1&sort=due"})
    assert r.status_code == 201, r.get_json()
    saved = r.get_json()
    assert saved["name"] == "Просроченные" and saved["query"] == "sort=due&overdue=1" and saved["page"] == "queue"
    assert tutor.post("/api/saved-filters", {"page": "inbox", "name": "Просроченные", "query": "sort=due"}
                      ).status_code == 201  # the same name on another page
    assert [f["name"] for f in tutor.get("/api/saved-filters").get_json()["filters"]] == ["Просроченные"] * 2
    assert other.get("/api/saved-filters").get_json()["filters"] == []

    r = tutor.post("/api/saved-filters", {"page": "queue", "name": "Просроченные", "query": ""})
    assert "уже есть" in _problem(r, "/name")

    assert other.client.delete(f"/api/saved-filters/{saved['id']}").status_code == 404  # not theirs
    assert _count(app) == 2
    assert tutor.client.delete(f"/api/saved-filters/{saved['id']}").status_code == 204
    assert tutor.client.delete(f"/api/saved-filters/{saved['id']}").status_code == 404
    assert _count(app) == 1


@pytest.mark.parametrize("body, pointer, words", [
    ({"name": "x", "query": ""}, "/page", ["Обязательное"]),
    ({"page": "routes", "name": "x"}, "/page", ["queue или inbox"]),
    ({"page": 5, "name": "x"}, "/page", ["queue или inbox"]),
    ({"page": "queue"}, "/name", ["Обязательное"]),
    ({"page": "queue", "name": ""}, "/name", ["до 100 символов"]),
    ({"page": "queue", "name": "   "}, "/name", ["непустая"]),
    ({"page": "queue", "name": "я" * 101}, "/name", ["до 100 символов"]),
    ({"page": "queue", "name": "я" * 500_000}, "/name", ["до 100 символов"]),
    ({"page": "queue", "name": 7}, "/name", ["строка"]),
    ({"page": "queue", "name": "a\x00b"}, "/name", []),
    ({"page": "queue", "name": "x", "query": "stage=agreement\x00"}, "/query", []),
    ({"page": "queue", "name": "x", "query": "q=1"}, "/query", ["Неизвестный параметр", "q"]),
    ({"page": "inbox", "name": "x", "query": "stage=agreement"}, "/query", ["Неизвестный параметр"]),
    ({"page": "queue", "name": "x", "query": "school=99999999999"}, "/query", ["Недопустимое значение", "school"]),
    ({"page": "queue", "name": "x", "query": "from=2026-13-45"}, "/query", ["Недопустимое значение"]),
    ({"page": "queue", "name": "x", "query": "stage=nowhere"}, "/query", ["Недопустимое значение"]),
    ({"page": "queue", "name": "x", "query": "&&=&"}, "/query", []),
    ({"page": "queue", "name": "x", "query": "s" * 1001}, "/query", ["до 1000"]),
    ({"page": "queue", "name": "x", "query": ["stage=agreement"]}, "/query", ["строка запроса"]),
])
def test_bad_input_is_refused_at_the_field_and_writes_nothing(app, people, body, pointer, words):
    r = people("tutor1").post("/api/saved-filters", body)
    _problem(r, pointer, *words)
    assert _count(app) == 0


def test_a_person_keeps_at_most_fifty_filters(app, people):
    tutor = people("tutor1")
    for i in range(MAX_PER_USER):
        assert tutor.post("/api/saved-filters", {"page": "queue", "name": f"Фильтр {i}"}).status_code == 201
    r = tutor.post("/api/saved-filters", {"page": "inbox", "name": "Ещё один"})
    assert "не больше 50" in _problem(r, "/name")
    assert _count(app) == MAX_PER_USER


def test_a_stored_query_is_checked_again_when_used(app, people):
    """A filter saved before an argument was retired keeps only what the page still knows."""
    tutor = people("tutor1")
    ctx = app.extensions["iom"]
    with ctx.uow() as uow:
        uow.session.add(SavedFilter(user_id=tutor.id, page="queue", name="Старый", created_at=ctx.clock(),
                                    query="stage=agreement&retired=1&school=abc&overdue=1"))
        uow.commit()
    [saved] = tutor.get("/api/saved-filters").get_json()["filters"]
    assert saved["query"] == "stage=agreement&overdue=1"
    assert 'href="/queue?stage=agreement&amp;overdue=1"' in tutor.get("/queue").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/api/saved-filters/0", "/api/saved-filters/2147483648",
                                 "/api/saved-filters/99999999999999999999", "/api/saved-filters/abc"])
def test_ids_out_of_range_are_not_found(people, url):
    assert people("tutor1").client.delete(url).status_code == 404


def test_anonymous_callers_get_401(app):
    client = app.test_client()
    assert client.get("/api/saved-filters").status_code == 401
    assert client.post("/api/saved-filters", json={"page": "queue", "name": "x"}).status_code == 401
