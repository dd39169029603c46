"""Moving running routes to another workflow version over the JSON API: preview, migrate, undo,
a version's routes in a batch; only an admin, a reason always, clear refusals."""

from __future__ import annotations

import pytest

from tests.support.migration_versions import deploy_variant, first_spec_id, to_agreement


@pytest.fixture
def versions(app, people):
    """The version routes start on (`a`, current) and the review variant (`review`)."""
    found = {"a": first_spec_id(app), "review": deploy_variant(app, "review")}
    assert people("admin").post(f"/api/versions/workflows/{found['a']}/activate").status_code == 200
    return found


def test_an_admin_previews_and_migrates_a_route_and_undoes_it(people, new_route, versions):
    rid = new_route()
    admin = people("admin")
    r = admin.post(f"/api/routes/{rid}/migration/preview", {"to_spec_id": versions["review"]})
    assert r.status_code == 200, r.get_json()
    preview = r.get_json()
    assert preview["can_migrate"] and preview["current"] == ["draft"] and "review" in preview["added"]
    assert {"name": "review", "title": "Рецензирование"} in preview["targets"]
    assert preview["from"]["id"] == versions["a"] and preview["to"]["id"] == versions["review"]

    r = admin.post(f"/api/routes/{rid}/migration", {"to_spec_id": versions["review"], "reason": "Новая рецензия"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["stage"] == "draft"
    history = admin.get(f"/api/routes/{rid}/migrations").get_json()
    assert history["spec_id"] == versions["review"] and history["migrations"][0]["revertible"]

    r = admin.post(f"/api/routes/{rid}/migration/revert", {"reason": "Поторопились"})
    assert r.status_code == 200, r.get_json()
    history = admin.get(f"/api/routes/{rid}/migrations").get_json()
    assert history["spec_id"] == versions["a"] and history["migrations"][0]["reverted_at"]
    assert admin.post(f"/api/routes/{rid}/migration/revert", {"reason": "ещё раз"}).status_code == 409
    kinds = [e["kind"] for e in people("auditor").get(f"/api/routes/{rid}/events").get_json()["events"]]
    assert kinds[-2:] == ["route_migrated", "route_migration_reverted"]
    people("tutor1").do(rid, "draft")  # the route goes on on its old version


def test_a_route_whose_task_is_gone_needs_a_mapping(app, people, new_route):
    rid = new_route()
    to_agreement(people, rid)
    target = deploy_variant(app, "no_agreement")
    admin = people("admin")
    preview = admin.post(f"/api/routes/{rid}/migration/preview", {"to_spec_id": target}).get_json()
    assert not preview["can_migrate"] and preview["blocked"] == ["agreement"] and preview["reason"]
    r = admin.post(f"/api/routes/{rid}/migration", {"to_spec_id": target, "reason": "Без согласования"})
    assert r.status_code == 409 and "agreement" in r.get_json()["error"]
    r = admin.post(f"/api/routes/{rid}/migration",
                   {"to_spec_id": target, "mapping": {"agreement": "approval"}, "reason": "Без согласования"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["stage"] == "approval"
    people("head_gym").do(rid, "approval")


def test_a_migration_needs_a_reason_and_known_versions(people, new_route, versions):
    rid = new_route()
    admin = people("admin")
    r = admin.post(f"/api/routes/{rid}/migration", {"to_spec_id": versions["review"]})
    assert r.status_code == 422
    assert [(p["pointer"], p["message"]) for p in r.get_json()["problems"]] == [
        ("/reason", "Укажите причину вмешательства")]
    r = admin.post(f"/api/routes/{rid}/migration", {"to_spec_id": versions["review"], "reason": "   "})
    assert r.status_code == 422
    r = admin.post(f"/api/routes/{rid}/migration/revert", {})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/reason"
    assert admin.post(f"/api/routes/{rid}/migration", {"to_spec_id": 999, "reason": "x"}).status_code == 404
    assert admin.post("/api/routes/99999/migration/preview", {"to_spec_id": versions["review"]}).status_code == 404
    assert admin.post("/api/versions/workflows/999/migration/preview",
                      {"to_spec_id": versions["review"]}).status_code == 404
    r = admin.post(f"/api/routes/{rid}/migration/preview", {"to_spec_id": versions["a"]})
    assert r.status_code == 409 and "уже на этой версии" in r.get_json()["error"]


@pytest.mark.parametrize("mapping", [
    {"dra\u0000ft": "review"},
    {"draft": "re\u0000view"},
    {f"task_{i}": "review" for i in range(51)},
    {"draft": "x" * 101},
    {"draft": 5},
    "draft=review",
])
def test_a_malformed_mapping_is_refused(people, new_route, versions, mapping):
    rid = new_route()
    r = people("admin").post(f"/api/routes/{rid}/migration",
                             {"to_spec_id": versions["review"], "mapping": mapping, "reason": "x"})
    assert r.status_code == 422
    assert r.get_json()["problems"][0]["pointer"].startswith("/mapping")


def test_only_an_admin_moves_routes(people, new_route, versions):
    rid = new_route()
    body = {"to_spec_id": versions["review"], "reason": "x", "from_spec_id": versions["a"]}
    for login in ("head_cnppm", "auditor", "teacher1"):
        who = people(login)
        assert who.post(f"/api/routes/{rid}/migration/preview", body).status_code == 403
        assert who.post(f"/api/routes/{rid}/migration", body).status_code == 403
        assert who.post(f"/api/routes/{rid}/migration/revert", body).status_code == 403
        assert who.get(f"/api/routes/{rid}/migrations").status_code == 403
        assert who.post(f"/api/versions/workflows/{versions['a']}/migration/preview", body).status_code == 403
        assert who.post("/api/migration-batches", body).status_code == 403
        assert who.get("/api/migration-batches").status_code == 403
        assert who.get("/api/migration-batches/1").status_code == 403


def test_a_finished_route_is_not_moved(people, new_route, versions):
    rid = new_route()
    admin = people("admin")
    assert admin.post(f"/api/routes/{rid}/cancel", {"reason": "Ошибка"}).status_code == 200
    r = admin.post(f"/api/routes/{rid}/migration", {"to_spec_id": versions["review"], "reason": "x"})
    assert r.status_code == 409 and r.get_json()["error"] == "Маршрут не в работе: переводить нечего"


def test_a_batch_moves_what_it_can_and_reports_the_rest(app, people, new_route):
    at_draft, at_agreement = new_route(), new_route("teacher2")
    to_agreement(people, at_agreement, "teacher2")
    a, target = first_spec_id(app), deploy_variant(app, "no_agreement")
    admin = people("admin")

    r = admin.post(f"/api/versions/workflows/{a}/migration/preview", {"to_spec_id": target})
    preview = r.get_json()
    assert r.status_code == 200, preview
    assert (preview["total"], preview["can_migrate"], preview["cannot_migrate"]) == (2, 1, 1)
    assert preview["blocked_tasks"] == {"agreement": 1} and preview["shown"] == 2
    r = admin.post(f"/api/versions/workflows/{a}/migration/preview?stage=draft", {"to_spec_id": target})
    assert r.get_json()["total"] == 1
    r = admin.post(f"/api/versions/workflows/{a}/migration/preview?stage=Черновик", {"to_spec_id": target})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "?stage"

    r = admin.post("/api/migration-batches", {"from_spec_id": a, "to_spec_id": target, "reason": "Новая схема"})
    assert r.status_code == 202, r.get_json()
    batch = r.get_json()
    assert r.headers["Location"] == f"/api/migration-batches/{batch['id']}"
    batch = admin.get(r.headers["Location"]).get_json()  # the immediate worker ran it in the request
    assert (batch["state"], batch["migrated"], batch["failed"], batch["percent"]) == ("done", 1, 1, 100)
    report = {row["route_id"]: row for row in batch["report"]}
    assert report[at_draft]["ok"] and not report[at_agreement]["ok"]
    assert "agreement" in report[at_agreement]["reason"]
    listed = admin.get("/api/migration-batches").get_json()["batches"]
    assert [b["id"] for b in listed] == [batch["id"]] and "report" not in listed[0]

    r = admin.post("/api/migration-batches", {"from_spec_id": a, "to_spec_id": target, "reason": "Остальные",
                                              "mapping": {"agreement": "approval"}, "stage": "agreement"})
    assert r.get_json()["migrated"] == 1


def test_a_batch_refuses_bad_input(app, people, versions):
    admin = people("admin")
    a = versions["a"]
    r = admin.post("/api/migration-batches", {"from_spec_id": a, "to_spec_id": versions["review"]})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/reason"
    r = admin.post("/api/migration-batches", {"from_spec_id": a, "to_spec_id": 999, "reason": "x"})
    assert r.status_code == 404
    r = admin.post("/api/migration-batches", {"from_spec_id": a, "to_spec_id": a, "reason": "x"})
    assert r.status_code == 409
    r = admin.post("/api/migration-batches", {"from_spec_id": a, "to_spec_id": versions["review"], "reason": "x",
                                              "stage": "DROP TABLE"})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/stage"
    assert admin.get("/api/migration-batches/999").status_code == 404


def test_nul_bytes_in_the_reason_or_the_query_are_refused(people, new_route, versions):
    rid = new_route()
    admin = people("admin")
    r = admin.post(f"/api/routes/{rid}/migration", {"to_spec_id": versions["review"], "reason": "a\u0000b"})
    assert 400 <= r.status_code < 500
    r = admin.post(f"/api/versions/workflows/{versions['a']}/migration/preview?stage=dr%00aft",
                   {"to_spec_id": versions["review"]})
    assert 400 <= r.status_code < 500
    assert admin.get(f"/api/routes/{rid}/migrations").get_json()["migrations"] == []
