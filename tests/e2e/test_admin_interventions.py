"""Admin interventions need a reason, are recorded in the chain, and replay understands them."""

from __future__ import annotations

from service.samples import VALID


def test_an_admin_reassigns_a_task_with_a_reason(app, people, new_route):
    rid = new_route()
    task = people("tutor1").task(rid, "draft")
    admin = people("admin")
    r = admin.post(f"/api/tasks/{task['id']}/reassign", {"assignee_id": app.config["PEOPLE"]["tutor2"]})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/reason"
    r = people("head_cnppm").post(f"/api/tasks/{task['id']}/reassign",
                                  {"assignee_id": app.config["PEOPLE"]["tutor2"], "reason": "отпуск"})
    assert r.status_code == 403
    r = admin.post(f"/api/tasks/{task['id']}/reassign",
                   {"assignee_id": app.config["PEOPLE"]["tutor2"], "reason": "Тьютор в отпуске"})
    assert r.status_code == 200
    assert people("tutor1").complete(task["id"], VALID["draft"]).status_code == 403
    people("tutor2").do(rid, "draft")
    events = people("auditor").get(f"/api/routes/{rid}/events").get_json()["events"]
    reassigned = next(e for e in events if e["kind"] == "admin_reassigned")
    assert reassigned["data"]["reason"] == "Тьютор в отпуске" and reassigned["actor"]["name"] == "Администратор Системы"
    replay = people("auditor").get(f"/api/routes/{rid}/replay").get_json()
    assert replay["ok"], replay["divergence"]


def test_an_admin_cancels_a_route_and_its_tasks_are_withdrawn(people, new_route):
    rid = new_route()
    task = people("tutor1").task(rid, "draft")
    assert people("admin").post(f"/api/routes/{rid}/cancel", {"reason": " "}).status_code == 422
    assert people("admin").post(f"/api/routes/{rid}/cancel", {"reason": "Педагог уволился"}).status_code == 200
    route = people("auditor").get(f"/api/routes/{rid}").get_json()
    assert route["status"] == "cancelled" and route["open_tasks"] == []
    r = people("tutor1").complete(task["id"], VALID["draft"])
    assert r.status_code == 409
    assert people("admin").post(f"/api/routes/{rid}/cancel", {"reason": "ещё раз"}).status_code == 409
    assert people("auditor").get(f"/api/routes/{rid}/replay").get_json()["ok"]
    assert people("auditor").get(f"/api/routes/{rid}/verify").get_json()["ok"]


def test_an_admin_corrects_the_card_and_the_replay_applies_it(people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    admin = people("admin")
    body = {"pointer": "/info/full_name", "value": "Иванова Мария Петровна (исправлено)", "reason": "Опечатка"}
    assert admin.post(f"/api/routes/{rid}/card", {**body, "reason": ""}).status_code == 422
    assert admin.post(f"/api/routes/{rid}/card", {**body, "pointer": "/nope/x"}).status_code == 422
    r = admin.post(f"/api/routes/{rid}/card", body)
    assert r.status_code == 200 and r.get_json()["old"] == "Иванова Мария Петровна"
    assert people("auditor").get(f"/api/routes/{rid}").get_json()["card"]["info"]["full_name"].endswith("(исправлено)")
    replay = people("auditor").get(f"/api/routes/{rid}/replay").get_json()
    assert replay["ok"], replay["divergence"]
