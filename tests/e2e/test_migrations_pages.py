"""The admin pages for moving running routes to another workflow version: from the route page
(preview, mapping, reason and confirmation, undo) and from the versions page (a batch with its
progress and report); anyone but an admin is refused."""

from __future__ import annotations

import re

import pytest

from tests.support.app import Person
from tests.support.migration_versions import deploy_variant, first_spec_id, to_agreement


@pytest.fixture
def versions(app, people):
    """The version routes start on (`a`, current) and the variant without the agreement (`b`)."""
    found = {"a": first_spec_id(app), "b": deploy_variant(app, "no_agreement")}
    assert people("admin").post(f"/api/versions/workflows/{found['a']}/activate").status_code == 200
    return found


def _csrf(person, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', person.get(url).get_data(as_text=True)).group(1)


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_the_route_page_offers_the_move_and_the_preview_shows_what_changes(people, new_route, versions):
    rid = new_route()
    admin = people("admin")
    html = _html(admin.get(f"/routes/{rid}"))
    assert 'id="admin-migration"' in html and f'<option value="{versions["b"]}">' in html
    assert 'id="admin-migration-revert"' not in html
    r = admin.get(f"/routes/{rid}/migration?to={versions['b']}")
    html = _html(r)
    assert r.status_code == 200 and "Можно перевести" in html and "<li>Согласование <code" in html
    assert 'id="migration-confirm"' in html and 'id="migration-mapping"' not in html


def test_an_admin_maps_a_gone_task_migrates_and_undoes_from_the_route_page(app, people, new_route, versions):
    rid = new_route()
    to_agreement(people, rid)
    admin = people("admin")
    html = _html(admin.get(f"/routes/{rid}/migration?to={versions['b']}"))
    assert "Перевести нельзя" in html and 'name="map:agreement"' in html and 'id="migration-confirm"' not in html
    html = _html(admin.get(f"/routes/{rid}/migration?to={versions['b']}&map:agreement=approval"))
    assert "Можно перевести" in html and '<input type="hidden" name="map:agreement" value="approval">' in html

    url = f"/routes/{rid}/migration"
    form = {"csrf_token": _csrf(admin, f"{url}?to={versions['b']}&map:agreement=approval"), "to": versions["b"],
            "map:agreement": "approval"}
    r = admin.client.post(url, data={**form, "reason": "Новая схема"})  # not confirmed
    assert r.status_code == 422 and "Подтвердите действие" in _html(r)
    r = admin.client.post(url, data={**form, "confirm": "yes", "reason": " "})
    assert r.status_code == 422 and "Укажите причину вмешательства" in _html(r)
    r = admin.client.post(url, data={**form, "confirm": "yes", "reason": "Новая схема"})
    assert r.status_code == 302 and r.headers["Location"] == f"/routes/{rid}"
    html = _html(admin.get(f"/routes/{rid}"))
    assert "Маршрут переведён на версию схемы" in html and 'id="admin-migration-revert"' in html

    revert = f"/routes/{rid}/migration/revert"
    r = admin.client.post(revert, data={"csrf_token": _csrf(admin, f"/routes/{rid}"), "reason": "Назад"})
    assert r.status_code == 302 and "Подтвердите действие" in _html(admin.get(f"/routes/{rid}"))
    r = admin.client.post(revert, data={"csrf_token": _csrf(admin, f"/routes/{rid}"), "reason": "Назад",
                                        "confirm": "yes"})
    assert r.status_code == 302
    html = _html(admin.get(f"/routes/{rid}"))
    assert "Перевод отменён" in html and 'id="admin-migration-revert"' not in html
    people("head_cnppm").do(rid, "agreement")  # back on its version, the agreement waits again


def test_a_blocked_migration_posted_anyway_is_refused_in_russian(people, new_route, versions):
    rid = new_route()
    to_agreement(people, rid)
    admin = people("admin")
    url = f"/routes/{rid}/migration"
    r = admin.client.post(url, data={"csrf_token": _csrf(admin, f"/routes/{rid}"), "to": versions["b"],
                                     "reason": "x", "confirm": "yes"})
    assert r.status_code == 409 and "отсутствует в новой версии" in _html(r)


def test_the_version_page_previews_starts_a_batch_and_shows_its_report(people, new_route, versions):
    at_draft, at_agreement = new_route(), new_route("teacher2")
    to_agreement(people, at_agreement, "teacher2")
    admin = people("admin")
    a = versions["a"]
    assert f"/versions/workflow/{a}/migration" in _html(admin.get("/versions"))
    html = _html(admin.get(f"/versions/workflow/{a}/migration"))
    assert 'id="migration-choose"' in html and 'id="migration-preview"' not in html
    html = _html(admin.get(f"/versions/workflow/{a}/migration?to={versions['b']}"))
    assert "можно перевести: 1" in html and "нельзя: 1" in html and 'name="map:agreement"' in html
    assert 'id="migration-confirm"' in html

    url = f"/versions/workflow/{a}/migration"
    form = {"csrf_token": _csrf(admin, f"{url}?to={versions['b']}"), "to": versions["b"]}
    r = admin.client.post(url, data={**form, "reason": "Новая схема"})
    assert r.status_code == 422 and "Подтвердите действие" in _html(r)
    r = admin.client.post(url, data={**form, "confirm": "yes", "reason": "Новая схема"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/migration-batches/")
    html = _html(admin.get(r.headers["Location"]))
    assert 'id="migration-report"' in html and "переведён" in html and "не переведён" in html
    assert f'href="/routes/{at_draft}"' in html and f'href="/routes/{at_agreement}"' in html


def test_the_pages_are_for_the_admin_only(people, new_route, versions):
    rid = new_route()
    for login in ("head_cnppm", "auditor", "teacher1"):
        who = people(login)
        assert 'id="admin-migration"' not in _html(who.get(f"/routes/{rid}")) or login == "teacher1"
        assert who.get(f"/routes/{rid}/migration?to={versions['b']}").status_code == 403
        assert who.get(f"/versions/workflow/{versions['a']}/migration").status_code == 403
        assert who.get("/migration-batches/1").status_code == 403
        form = {"csrf_token": _csrf(who, "/inbox"), "to": versions["b"], "reason": "x", "confirm": "yes"}
        assert who.client.post(f"/routes/{rid}/migration", data=form).status_code == 403
        assert who.client.post(f"/routes/{rid}/migration/revert", data=form).status_code == 403
        assert who.client.post(f"/versions/workflow/{versions['a']}/migration", data=form).status_code == 403


def test_a_form_without_its_csrf_token_is_refused(app, new_route, versions):
    rid = new_route()
    admin = Person(app, "admin")
    admin.client.environ_base.pop("HTTP_X_CSRFTOKEN")  # a page's form, not the API client
    for url in (f"/routes/{rid}/migration", f"/routes/{rid}/migration/revert",
                f"/versions/workflow/{versions['a']}/migration"):
        r = admin.client.post(url, data={"to": versions["b"], "reason": "x", "confirm": "yes"})
        assert r.status_code == 400, url
