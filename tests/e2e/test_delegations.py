"""Delegation (поручение) over HTTP: a school head lets the deputy approve and sign for them for a
date range; the deputy sees and completes the head's tasks «за» the head; the event, the signature
and the signature sheet say so; out-of-scope, unheld, self and bad requests are refused with a
Russian message per field; revocation and expiry are system-chain events and end the access."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.db.models import Document, Event
from service.domain.access import OPERATOR
from service.samples import VALID
from service.services import audit_replay, delegations
from tests.support.docx_text import docx_text

HEAD, DEPUTY = "Директорова Елена Викторовна", "Завучева Ольга Николаевна"
TODAY = "2026-09-01"  # the FakeClock's first day (Moscow)


def _to_approval(people, rid: int) -> None:
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    people("teacher1").do(rid, "plan_signatures_teacher")
    people("head_cnppm").do(rid, "agreement")


def _grant(person, **body):
    return person.post("/api/delegations", {"role": "school_head", "starts_on": TODAY, "ends_on": "2026-09-07",
                                            **body})


def _system(app, kind: str) -> list[Event]:
    with app.extensions["iom"].sessions() as s:
        return list(s.scalars(sa.select(Event).where(Event.route_id.is_(None), Event.kind == kind)
                              .order_by(Event.seq)))


def _route_events(app, rid: int, kind: str) -> list[Event]:
    with app.extensions["iom"].sessions() as s:
        return list(s.scalars(sa.select(Event).where(Event.route_id == rid, Event.kind == kind).order_by(Event.seq)))


def _sheet_text(app, rid: int, kind: str) -> str:
    with app.extensions["iom"].sessions() as s:
        issued = s.scalar(sa.select(Document.issued).where(Document.route_id == rid, Document.kind == kind,
                                                           Document.issued.is_not(None)))
    return docx_text(issued)


def _approve(person, rid: int):
    task = person.task(rid, "approval")
    data = {"decision": "accept", "comment": "Утверждаю"}
    return task, person.complete(task["id"], data, person.signature_for(task["id"], data))


def test_the_deputy_approves_and_signs_for_the_head_and_everything_says_so(app, people, new_route):
    ids = app.config["PEOPLE"]
    rid = new_route()
    _to_approval(people, rid)
    head, deputy = people("head_gym"), people("deputy_gym")
    assert not [t for t in deputy.tasks() if t["route_id"] == rid]

    r = _grant(head, delegate_id=ids["deputy_gym"], kinds=["approve", "sign"], reason="Отпуск")
    assert r.status_code == 201, r.get_json()
    given = r.get_json()
    assert (given["status"], given["kinds_text"], given["granted_on"]) == (
        "active", "утверждение, подписание документов", TODAY)
    granted = _system(app, "delegation_granted")[-1]
    assert granted.actor_id == ids["head_gym"] and granted.data["delegate"] == {"id": ids["deputy_gym"],
                                                                                   "name": DEPUTY}
    assert (granted.data["role"], granted.data["starts_on"], granted.data["ends_on"], granted.data["kinds"]) == (
        "school_head", TODAY, "2026-09-07", ["approve", "sign"])
    assert granted.data["unit"]["name"] == "МБОУ «Гимназия № 4» г. Энска"

    task = deputy.task(rid, "approval")
    assert task["delegated_for"]["person"] == {"id": ids["head_gym"], "name": HEAD}
    assert deputy.view(task["id"])["can_complete"] is True
    inbox = deputy.get("/inbox").get_data(as_text=True)
    assert f"за {HEAD}, по поручению от 01.09.2026" in inbox

    task, done = _approve(deputy, rid)
    assert done.status_code == 200, done.get_json()
    completed = _route_events(app, rid, "task_completed")[-1]
    assert (completed.actor_id, completed.on_behalf_of_id) == (ids["deputy_gym"], ids["head_gym"])
    assert completed.data["delegation"] == {"id": given["id"], "granted_on": TODAY, "by": HEAD}
    signed = _route_events(app, rid, "document_signed")[-1]
    assert (signed.actor_id, signed.on_behalf_of_id, signed.data["delegation"]["id"]) == (
        ids["deputy_gym"], ids["head_gym"], given["id"])

    docs = people("head_gym").get(f"/api/routes/{rid}/documents").get_json()["documents"]
    karta = [d for d in docs if d["kind"] == "karta" and d["state"] == "issued"][-1]
    approved = [s for s in karta["signatures"] if s["action"] == "approve"][0]
    assert approved["signer"]["name"] == DEPUTY and approved["on_behalf_of"]["name"] == HEAD
    assert approved["delegation"] == {"id": given["id"], "granted_on": TODAY}
    assert f"{DEPUTY}, за {HEAD}, по поручению от 01.09.2026" in _sheet_text(app, rid, "karta")

    history = people("head_gym").get(f"/routes/{rid}").get_data(as_text=True)
    assert f"за {HEAD}, по поручению от 01.09.2026" in history
    assert audit_replay.replay(app.extensions["iom"], OPERATOR, rid, documents=True)["ok"] is True
    certificate = people("auditor").get(f"/api/routes/{rid}/certificate.docx")
    text = docx_text(certificate.data)
    assert f"{DEPUTY}, за {HEAD}, по поручению от 01.09.2026" in text


def test_only_the_chosen_kinds_are_delegated(app, people, new_route):
    ids = app.config["PEOPLE"]
    rid = new_route()
    _to_approval(people, rid)
    assert _grant(people("head_gym"), delegate_id=ids["deputy_gym"], kinds=["sign"]).status_code == 201
    deputy = people("deputy_gym")
    assert not [t for t in deputy.tasks() if t["route_id"] == rid]
    task = people("head_gym").task(rid, "approval")
    refused = deputy.complete(task["id"], {"decision": "accept", "comment": "x"})
    assert refused.status_code == 403 and "Выполнить её может только исполнитель" in refused.get_json()["error"]


@pytest.mark.parametrize(("who", "body", "pointer", "message"), [
    ("head_gym", {"delegate_id": "tutor1"}, "/delegate_id",
     "Задачи руководителя ОО можно поручить только заместителю руководителя этой же школы"),
    ("head_sch", {"delegate_id": "deputy_gym"}, "/delegate_id",
     "Задачи руководителя ОО можно поручить только заместителю руководителя этой же школы"),
    ("head_gym", {"delegate_id": "head_gym"}, "/delegate_id", "Нельзя дать поручение самому себе"),
    ("head_gym", {"delegate_id": "deputy_gym", "role": "cnppm_head"}, "/role",
     "Нельзя поручить то, чего не делаете сами: у вас нет роли «руководитель ЦНППМ»"),
    ("deputy_gym", {"delegate_id": "head_gym"}, "/role",
     "Нельзя поручить то, чего не делаете сами: у вас нет роли «руководитель ОО»"),
    ("head_gym", {"delegate_id": "deputy_gym", "role": "teacher"}, "/role",
     "Роль, которую вы поручаете: school_head, cnppm_head или methodist"),
    ("head_gym", {"delegate_id": "deputy_gym", "starts_on": "2026-09-05", "ends_on": "2026-09-02"}, "/ends_on",
     "Дата окончания не может быть раньше даты начала"),
    ("head_gym", {"delegate_id": "deputy_gym", "starts_on": "2026-08-01", "ends_on": "2026-08-02"}, "/ends_on",
     "Поручение не может закончиться в прошлом"),
    ("head_gym", {"delegate_id": "deputy_gym", "starts_on": "2026-08-31"}, "/starts_on",
     "Поручение не может начаться задним числом: укажите сегодняшнюю или более позднюю дату"),
    ("head_gym", {"delegate_id": "deputy_gym", "ends_on": "2027-09-02"}, "/ends_on",
     "Поручение даётся не больше чем на год"),
    ("head_gym", {"delegate_id": "deputy_gym", "starts_on": "2026-02-30"}, "/starts_on",
     "Укажите дату в формате ГГГГ-ММ-ДД"),
    ("head_gym", {"delegate_id": "deputy_gym", "ends_on": "07.09.2026"}, "/ends_on",
     "Укажите дату в формате ГГГГ-ММ-ДД"),
    ("head_gym", {"delegate_id": "deputy_gym", "kinds": ["agree"]}, "/kinds",
     "У роли «руководитель ОО» нет задач вида «согласование»; есть: утверждение, подписание документов"),
    ("head_gym", {"delegate_id": "deputy_gym", "kinds": ["everything"]}, "/kinds",
     "Виды задач — список из: agree, approve, sign, acknowledge, form (пустой — все задачи)"),
    ("head_gym", {"delegate_id": 0}, "/delegate_id", "Выберите сотрудника, которому поручаете задачи"),
    ("head_gym", {"delegate_id": 2**31}, "/delegate_id", "Выберите сотрудника, которому поручаете задачи"),
    ("head_gym", {"delegate_id": "5"}, "/delegate_id", "Выберите сотрудника, которому поручаете задачи"),
    ("head_gym", {"delegate_id": 2_000_000}, "/delegate_id", "Сотрудник не найден или отключён"),
    ("head_gym", {"delegate_id": "deputy_gym", "reason": "x" * 501}, "/reason",
     "Основание — строка до 500 символов"),
    ("head_gym", {"delegate_id": "deputy_gym", "unit_id": 2_000_000}, "/role",
     "Нельзя поручить то, чего не делаете сами: у вас нет роли «руководитель ОО» в этой организации"),
])
def test_refusals_name_the_field_in_russian_and_write_nothing(app, people, who, body, pointer, message):
    ids = app.config["PEOPLE"]
    if isinstance(body.get("delegate_id"), str) and body["delegate_id"] in ids:
        body = {**body, "delegate_id": ids[body["delegate_id"]]}
    r = _grant(people(who), **body)
    assert r.status_code == 422, r.get_json()
    assert {"pointer": pointer, "message": message} in [
        {k: p[k] for k in ("pointer", "message")} for p in r.get_json()["problems"]]
    assert _system(app, "delegation_granted") == []


def test_bad_bodies_are_refused_before_anything_is_read(app, people):
    head = people("head_gym")
    nul = _grant(head, delegate_id=app.config["PEOPLE"]["deputy_gym"], reason="отпуск\x00")
    assert nul.status_code == 422 and nul.get_json()["problems"][0]["pointer"] == "/reason"
    huge = head.client.post("/api/delegations", data=b'{"reason": "' + b"x" * (3 * 1024 * 1024) + b'"}',
                            content_type="application/json")
    assert huge.status_code == 413
    assert head.client.post("/api/delegations", data="role=school_head").status_code == 415
    assert head.post("/api/delegations", [1, 2]).status_code == 400
    assert head.post("/api/delegations/2147483648/revoke").status_code == 404
    assert head.post("/api/delegations/0/revoke").status_code == 404
    assert _system(app, "delegation_granted") == []


def test_a_deactivated_deputy_takes_nothing_and_only_an_admin_delegates_for_another(app, people):
    ids = app.config["PEOPLE"]
    deputy_id = ids["deputy_gym"]
    other = _grant(people("head_cnppm"), delegate_id=deputy_id, delegator_id=ids["head_gym"])
    assert other.status_code == 403
    assert other.get_json()["error"] == "Дать поручение от имени другого сотрудника может только администратор"

    admin = people("admin")
    made = _grant(admin, delegate_id=deputy_id, delegator_id=ids["head_gym"])
    assert made.status_code == 201, made.get_json()
    event = _system(app, "delegation_granted")[-1]
    assert (event.actor_id, event.on_behalf_of_id) == (ids["admin"], ids["head_gym"])
    assert made.get_json()["id"] in [d["id"] for d in people("head_gym").get("/api/delegations")
                                      .get_json()["given"]]

    assert admin.post(f"/api/people/{deputy_id}/deactivate").status_code == 200
    r = _grant(people("head_gym"), delegate_id=deputy_id)
    assert r.status_code == 422
    assert r.get_json()["problems"] == [{"pointer": "/delegate_id", "message": "Сотрудник не найден или отключён"}]


def test_revoking_ends_the_access_at_once_and_is_recorded(app, people, new_route):
    ids = app.config["PEOPLE"]
    rid = new_route()
    _to_approval(people, rid)
    head, deputy = people("head_gym"), people("deputy_gym")
    d = _grant(head, delegate_id=ids["deputy_gym"]).get_json()
    task = deputy.task(rid, "approval")
    assert deputy.get("/api/delegations").get_json()["received"][0]["id"] == d["id"]

    refused = deputy.post(f"/api/delegations/{d['id']}/revoke", {"reason": "сам"})
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "Отозвать поручение может только тот, кто его дал, или администратор"
    assert people("head_sch").post(f"/api/delegations/{d['id']}/revoke").status_code == 404

    r = head.post(f"/api/delegations/{d['id']}/revoke", {"reason": "Вернулась из отпуска"})
    assert r.status_code == 200 and r.get_json()["status"] == "revoked"
    event = _system(app, "delegation_revoked")[-1]
    assert event.data["reason"] == "Вернулась из отпуска" and event.data["delegation_id"] == d["id"]
    assert event.data["delegator"]["name"] == HEAD and event.data["delegate"]["name"] == DEPUTY

    assert not [t for t in deputy.tasks() if t["route_id"] == rid]
    data = {"decision": "accept", "comment": "Утверждаю"}
    late = deputy.complete(task["id"], data, {"password": "iom-demo-2026", "document_sha256": "0" * 64})
    assert late.status_code == 403 and "Выполнить её может только исполнитель" in late.get_json()["error"]
    again = head.post(f"/api/delegations/{d['id']}/revoke")
    assert again.status_code == 409 and again.get_json()["error"] == "Поручение уже отозвано"


def test_expiry_is_recorded_once_and_the_deputy_no_longer_sees_the_task(app, people, new_route):
    ids = app.config["PEOPLE"]
    ctx = app.extensions["iom"]
    rid = new_route()
    _to_approval(people, rid)
    head, deputy = people("head_gym"), people("deputy_gym")
    d = _grant(head, delegate_id=ids["deputy_gym"], ends_on=TODAY).get_json()
    task = deputy.task(rid, "approval")
    assert delegations.expire_due(ctx) == 0  # its last day is today

    ctx.clock.now += timedelta(days=1)
    assert not [t for t in deputy.tasks() if t["route_id"] == rid]
    view = deputy.view(task["id"])  # the deputy still may read the school's routes, not act on them
    assert view["can_complete"] is False and "delegated_for" not in view
    data = {"decision": "accept", "comment": "Утверждаю"}
    late = deputy.complete(task["id"], data)
    assert late.status_code == 403
    assert late.get_json()["error"] == (f"Задача назначена другому участнику (исполнитель: {HEAD}). "
                                        "Выполнить её может только исполнитель задачи")

    assert delegations.expire_due(ctx) == 1
    assert delegations.expire_due(ctx) == 0
    expired = _system(app, "delegation_expired")
    assert len(expired) == 1 and expired[0].data["delegation_id"] == d["id"] and expired[0].actor_id is None
    listed = head.get("/api/delegations").get_json()["given"][0]
    assert listed["status"] == "ended"
    gone = head.post(f"/api/delegations/{d['id']}/revoke")
    assert gone.status_code == 409 and gone.get_json()["error"] == "Срок поручения уже истёк: отзывать нечего"
    assert head.task(rid, "approval")["id"] == task["id"]  # the head has it back, as always


def test_a_cnppm_head_delegates_to_a_tutor_who_never_agrees_their_own_route(app, people, new_route):
    ids = app.config["PEOPLE"]
    own = new_route(tutor="tutor1")
    other = new_route(teacher="teacher2", tutor="tutor2")
    for rid, tutor in ((own, "tutor1"), (other, "tutor2")):
        people(tutor).do(rid, "draft")
        people("methodist").do(rid, "plan_signatures_methodist")
    people("teacher1").do(own, "plan_signatures_teacher")
    people("teacher2").do(other, "plan_signatures_teacher")
    r = people("head_cnppm").post("/api/delegations", {"role": "cnppm_head", "delegate_id": ids["tutor1"],
                                                       "starts_on": TODAY, "ends_on": TODAY})
    assert r.status_code == 201, r.get_json()
    mine = {t["route_id"] for t in people("tutor1").tasks() if t.get("delegated_for")}
    assert mine == {other}
    people("tutor1").do(other, "agreement")
    assert _route_events(app, other, "task_completed")[-1].on_behalf_of_id == ids["head_cnppm"]
    agreement = people("head_cnppm").task(own, "agreement")
    refused = people("tutor1").complete(agreement["id"], VALID["review"])
    assert refused.status_code == 403


def test_the_page_gives_and_revokes_a_delegation(app, people):
    ids = app.config["PEOPLE"]
    head = people("head_gym")
    page = head.get("/delegations").get_data(as_text=True)
    assert "Дать поручение" in page and DEPUTY in page and "Поручения" in page
    form = {"role": "school_head", "delegate_id": str(ids["deputy_gym"]), "starts_on": TODAY,
            "ends_on": "2026-09-01", "kinds": ["approve"], "reason": "Отпуск"}
    bad = head.client.post("/delegations", data={**form, "ends_on": "2026-08-31"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Дата окончания не может быть раньше даты начала" in text
    assert 'value="2026-08-31"' in text and 'value="Отпуск"' in text  # what was typed comes back
    done = head.client.post("/delegations", data=form)
    assert done.status_code == 303
    listed = head.get("/delegations").get_data(as_text=True)
    assert "действует" in listed and "утверждение" in listed
    d = head.get("/api/delegations").get_json()["given"][0]
    assert head.client.post(f"/delegations/{d['id']}/revoke", data={"reason": ""}).status_code == 303
    assert "отозвано" in head.get("/delegations").get_data(as_text=True)
    assert "Поручения" in people("deputy_gym").get("/inbox").get_data(as_text=True)


def test_the_deputy_is_told_of_the_delegation_and_of_each_task_that_becomes_ready_for_the_head(app, people,
                                                                                                new_route):
    from service.db.models import Notification

    ids = app.config["PEOPLE"]
    _grant(people("head_gym"), delegate_id=ids["deputy_gym"])
    rid = new_route()
    _to_approval(people, rid)
    with app.extensions["iom"].sessions() as s:
        told = s.execute(sa.select(Notification.kind, Notification.title, Notification.link).where(
            Notification.user_id == ids["deputy_gym"]).order_by(Notification.id)).all()
    approval = people("deputy_gym").task(rid, "approval")
    assert [tuple(t) for t in told] == [
        ("task_ready", f"Вам поручены задачи: {HEAD}", "/delegations"),
        ("task_ready", f"Новая задача за {HEAD}: «Утверждение»", f"/tasks/{approval['id']}"),
    ]


def test_a_methodist_delegates_signatures_to_another_who_must_accept_the_pep_first(app, people, new_route):
    from tests.support.app import Person
    from tests.support.newcomers import add_methodist

    ids = app.config["PEOPLE"]
    newcomer_id = add_methodist(app)
    r = people("methodist").post("/api/delegations", {"role": "methodist", "delegate_id": newcomer_id,
                                                      "starts_on": TODAY, "ends_on": TODAY, "kinds": ["sign"]})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["unit"]["name"] == "Энская область"
    rid = new_route()
    people("tutor1").do(rid, "draft")
    newcomer = Person(app, "methodist_new")
    task = newcomer.task(rid, "plan_signatures_methodist")
    signature = newcomer.signature_for(task["id"], VALID["sign"])
    refused = newcomer.complete(task["id"], VALID["sign"], signature)
    assert refused.status_code == 403 and "/pep" in refused.get_json()["error"]  # the delegate's own acceptance
    sha = newcomer.get("/api/pep").get_json()["sha256"]
    assert newcomer.post("/api/pep/accept", {"sha256": sha}).status_code == 200
    wrong = newcomer.complete(task["id"], VALID["sign"], {**signature, "password": "не тот"})
    assert wrong.status_code == 403 and wrong.get_json()["error"] == "Неверный пароль: подпись не принята"
    assert newcomer.complete(task["id"], VALID["sign"], signature).status_code == 200
    signed = _route_events(app, rid, "document_signed")[-1]
    assert (signed.actor_id, signed.on_behalf_of_id) == (newcomer_id, ids["methodist"])
