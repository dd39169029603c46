"""The Положение о ПЭП: nobody signs before accepting the regulation in force; a new version asks
for a new acceptance; the acceptance is a system-chain event and is on the audit certificate."""

from __future__ import annotations

import io
import re

import docx
import pytest
import sqlalchemy as sa

from service.db.models import Event, PepAcceptance
from service.services.documents import read_template_files
from tests.support.app import Person
from tests.support.newcomers import add_methodist, docx_variant

RULES_FILE = "polozhenie_pep.docx"


def _route_for(app, people, methodist_id: int) -> int:
    ids = app.config["PEOPLE"]
    r = people("head_cnppm").post("/api/routes", {"teacher_id": ids["teacher1"], "tutor_id": ids["tutor1"],
                                                  "methodist_id": methodist_id})
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    people("tutor1").do(rid, "draft")
    return rid


def _sign(person: Person, rid: int, name: str):
    task = person.task(rid, name)
    return person.complete(task["id"], {"decision": "sign"}, person.signature_for(task["id"], {"decision": "sign"}))


def _events(app, kind: str) -> list[Event]:
    with app.extensions["iom"].sessions() as s:
        return list(s.scalars(sa.select(Event).where(Event.route_id.is_(None), Event.kind == kind)
                              .order_by(Event.seq)))


def test_a_new_methodist_is_refused_a_signature_until_they_accept_the_regulation(app, people):
    newcomer_id = add_methodist(app)
    rid = _route_for(app, people, newcomer_id)
    newcomer = Person(app, "methodist_new")

    refused = _sign(newcomer, rid, "plan_signatures_methodist")
    assert refused.status_code == 403
    assert refused.get_json()["error"] == ("Перед первой подписью примите Положение о простой электронной подписи: "
                                           "/pep")
    status = newcomer.get("/api/pep").get_json()
    assert status["accepted"] is False and status["page_url"] == "/pep"
    assert newcomer.get(status["download_url"]).data == read_template_files()[RULES_FILE]

    accepted = newcomer.post("/api/pep/accept", {"sha256": status["sha256"]})
    assert accepted.status_code == 200 and accepted.get_json()["accepted"] is True
    assert _sign(newcomer, rid, "plan_signatures_methodist").status_code == 200

    event = _events(app, "pep_accepted")[-1]
    assert event.actor_id == newcomer_id and event.data["sha256"] == status["sha256"]
    assert event.data["ip"] == "127.0.0.1"
    with app.extensions["iom"].sessions() as s:
        rows = s.execute(sa.select(PepAcceptance.sha256).where(PepAcceptance.user_id == newcomer_id)).all()
    assert rows == [(status["sha256"],)]
    # accepting again changes nothing
    assert newcomer.post("/api/pep/accept", {"sha256": status["sha256"]}).status_code == 200
    assert len([e for e in _events(app, "pep_accepted") if e.actor_id == newcomer_id]) == 1


def test_a_new_version_of_the_regulation_needs_a_new_acceptance_before_the_next_signature(app, people, new_route):
    admin, methodist = people("admin"), people("methodist")
    old = methodist.get("/api/pep").get_json()["sha256"]
    new_rules = docx_variant(read_template_files()[RULES_FILE], "7. Редакция 2: уточнён порядок смены пароля.")
    r = admin.client.post("/api/templates/pep_rules", data={"file": (io.BytesIO(new_rules), RULES_FILE)},
                          content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    new = r.get_json()["sha256"]
    assert new != old

    rid = new_route()
    people("tutor1").do(rid, "draft")
    refused = _sign(methodist, rid, "plan_signatures_methodist")
    assert refused.status_code == 403 and "/pep" in refused.get_json()["error"]
    stale = methodist.post("/api/pep/accept", {"sha256": old})
    assert stale.status_code == 409
    assert methodist.post("/api/pep/accept", {"sha256": new}).get_json()["accepted"] is True
    assert _sign(methodist, rid, "plan_signatures_methodist").status_code == 200

    # The old version made current again: the teacher had accepted it (demo set-up) and signs.
    old_id = next(v["id"] for k in admin.get("/api/versions").get_json()["templates"] if k["kind"] == "pep_rules"
                  for v in k["versions"] if v["sha256"] == old)
    assert admin.post(f"/api/versions/templates/{old_id}/activate").get_json()["changed"] is True
    teacher_sees = people("teacher1").get("/api/pep").get_json()
    assert (teacher_sees["sha256"], teacher_sees["accepted"]) == (old, True)
    assert _sign(people("teacher1"), rid, "plan_signatures_teacher").status_code == 200


def test_the_audit_certificate_names_the_regulation_each_signer_accepted(app, people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    people("teacher1").do(rid, "plan_signatures_teacher")
    sha = people("methodist").get("/api/pep").get_json()["sha256"]
    r = people("auditor").get(f"/api/routes/{rid}/certificate.docx")
    assert r.status_code == 200
    document = docx.Document(io.BytesIO(r.data))
    assert "Положение о простой электронной подписи: принятие подписантами" in [p.text for p in document.paragraphs]
    rows = [[c.text for c in row.cells] for row in document.tables[-1].rows]
    assert rows[0] == ["Подписант", "Редакция Положения (SHA-256)", "Принята"]
    signers = {row[0]: row[1] for row in rows[1:]}
    assert signers == {"Методистова Ирина Львовна": sha, "Иванова Мария Петровна": sha}


@pytest.mark.parametrize(("body", "pointer"), [
    ({}, "/sha256"),
    ({"sha256": 5}, "/sha256"),
    ({"sha256": "abc"}, "/sha256"),
    ({"sha256": "a" * 63 + "\x00"}, "/sha256"),
    ({"sha256": "a" * 100_000}, "/sha256"),
])
def test_a_bad_acceptance_is_refused_per_field_and_records_nothing(app, people, body, pointer):
    methodist = people("methodist")
    before = len(_events(app, "pep_accepted"))
    r = methodist.post("/api/pep/accept", body)
    assert r.status_code == 422
    assert [p["pointer"] for p in r.get_json()["problems"]] == [pointer]
    assert len(_events(app, "pep_accepted")) == before


def test_accepting_needs_a_login_and_json(app, people):
    anonymous = app.test_client()
    assert anonymous.get("/api/pep").status_code == 401
    assert anonymous.post("/api/pep/accept", json={"sha256": "a" * 64}).status_code == 401
    r = people("methodist").client.post("/api/pep/accept", data="sha256=x",
                                         content_type="application/x-www-form-urlencoded")
    assert r.status_code in (415, 400)


def test_the_pep_page_shows_the_text_and_needs_the_checkbox(app, people):
    newcomer_id = add_methodist(app)
    rid = _route_for(app, people, newcomer_id)
    newcomer = Person(app, "methodist_new")
    task_id = newcomer.task(rid, "plan_signatures_methodist")["id"]
    assert 'id="pep-notice"' in newcomer.get(f"/tasks/{task_id}").get_data(as_text=True)

    page = newcomer.get("/pep").get_data(as_text=True)
    assert "Идентификация подписанта" in page and "равнозначным документу на бумажном носителе" in page
    assert "Я ознакомлен(а) и принимаю" in page
    sha = newcomer.get("/api/pep").get_json()["sha256"]
    refused = newcomer.client.post("/pep/accept", data={"sha256": sha, "csrf_token": _csrf(newcomer, "/pep")})
    assert refused.status_code == 422 and "Отметьте «Я ознакомлен(а) и принимаю»" in refused.get_data(as_text=True)
    done = newcomer.client.post("/pep/accept", data={"sha256": sha, "agree": "yes", "next": f"/tasks/{task_id}",
                                                     "csrf_token": _csrf(newcomer, "/pep")})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/tasks/{task_id}")
    assert 'id="pep-notice"' not in newcomer.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="pep-accepted"' in newcomer.get("/pep").get_data(as_text=True)


def _csrf(person: Person, page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', person.get(page).get_data(as_text=True)).group(1)
