"""Every signing step issues a real document; signatures are bound to the bytes signed."""

from __future__ import annotations

import copy
import hashlib
import io

import docx
import pytest
import sqlalchemy as sa

from service.documents.render import pdf_available
from service.samples import VALID
from service.services import documents
from service.services.demo import PASSWORD


def _docs(person, rid, kind=None) -> list[dict]:
    docs = person.get(f"/api/routes/{rid}/documents").get_json()["documents"]
    return [d for d in docs if kind is None or d["kind"] == kind]


def _file(person, url: str) -> bytes:
    r = person.get(url)
    assert r.status_code == 200, r.get_json()
    return r.data


def _text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _verify(person, data: bytes) -> dict:
    r = person.client.post("/api/verify", data={"file": (io.BytesIO(data), "x.docx")},
                           content_type="multipart/form-data")
    assert r.status_code == 200
    return r.get_json()


def _to_approval(people, rid):
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    people("teacher1").do(rid, "plan_signatures_teacher")
    people("head_cnppm").do(rid, "agreement")
    people("head_gym").do(rid, "approval")


def test_the_signer_sees_the_document_and_signs_its_exact_bytes(people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    methodist = people("methodist")
    task = methodist.task(rid, "plan_signatures_methodist")
    shown = methodist.view(task["id"])["signs"]["document"]
    assert shown["kind"] == "karta" and shown["version"] == 1 and shown["state"] == "awaiting_signatures"
    content = _file(methodist, shown["files"]["content_docx"])
    assert hashlib.sha256(content).hexdigest() == shown["content_sha256"]
    assert "Иванова Мария Петровна" in _text(content) and "Лист подписания" not in _text(content)

    signature = {"password": PASSWORD, "document_sha256": shown["content_sha256"]}
    r = methodist.complete(task["id"], VALID["sign"], signature)
    assert r.status_code == 200
    signature = _docs(methodist, rid, "karta")[0]["signatures"][0]
    assert signature["signer"]["name"] == "Методистова Ирина Львовна" and signature["valid"]
    assert signature["sha256"] == shown["content_sha256"] and signature["action"] == "sign"
    event = [e for e in people("auditor").get(f"/api/routes/{rid}/events").get_json()["events"]
             if e["kind"] == "document_signed"][0]
    assert event["data"]["ip"] == "127.0.0.1" and event["data"]["user_agent"]


def test_a_wrong_password_is_refused_and_recorded(people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    methodist = people("methodist")
    task = methodist.task(rid, "plan_signatures_methodist")
    sha = methodist.view(task["id"])["signs"]["document"]["content_sha256"]
    r = methodist.complete(task["id"], VALID["sign"], {"password": "не тот", "document_sha256": sha})
    assert r.status_code == 403 and "Неверный пароль" in r.get_json()["error"]
    events = people("auditor").get(f"/api/routes/{rid}/events").get_json()["events"]
    assert events[-1]["kind"] == "signature_rejected" and events[-1]["actor"]["name"] == "Методистова Ирина Львовна"
    assert _docs(methodist, rid, "karta")[0]["signatures"] == []
    assert methodist.task(rid, "plan_signatures_methodist")["state"] == "ready"


def test_signing_without_a_password_or_on_a_changed_document_is_refused(people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    methodist = people("methodist")
    task = methodist.task(rid, "plan_signatures_methodist")
    r = methodist.complete(task["id"], VALID["sign"])
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/signature"
    r = methodist.complete(task["id"], VALID["sign"], {"password": PASSWORD, "document_sha256": "0" * 64})
    assert r.status_code == 409 and "Документ изменился" in r.get_json()["error"]


def test_an_admin_cannot_sign_for_someone_else(people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    task = people("methodist").task(rid, "plan_signatures_methodist")
    sha = people("admin").view(task["id"])["signs"]["document"]["content_sha256"]
    r = people("admin").complete(task["id"], VALID["sign"], {"password": PASSWORD, "document_sha256": sha})
    assert r.status_code == 403 and "за другого" in r.get_json()["error"]


def test_a_returned_plan_supersedes_the_version_and_its_signatures_stay_with_it(people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    people("teacher1").do(rid, "plan_signatures_teacher", {"decision": "return", "comment": "Нет"})
    changed = copy.deepcopy(VALID["draft"])
    changed["activities"][0]["title"] = "Новое мероприятие"
    people("tutor1").do(rid, "draft", changed)
    first, second = _docs(people("auditor"), rid, "karta")
    assert (first["state"], second["state"]) == ("superseded", "awaiting_signatures")
    assert first["signatures"][0]["valid"] and second["signatures"] == []
    assert first["content_sha256"] != second["content_sha256"]


def test_approval_issues_the_karta_with_its_signature_sheet(people, new_route):
    rid = new_route()
    _to_approval(people, rid)
    (karta,) = _docs(people("auditor"), rid, "karta")
    assert karta["state"] == "issued" and [s["action"] for s in karta["signatures"]] == [
        "sign", "sign", "agree", "approve"]
    issued = _file(people("teacher1"), karta["files"]["issued_docx"])
    text = _text(issued)
    assert "Лист подписания" in text and karta["content_sha256"] in text
    for name in ("Методистова Ирина Львовна", "Руководов Пётр Ильич", "Директорова Елена Викторовна"):
        assert name in text
    result = _verify(people("auditor"), issued)
    assert result["status"] == "issued" and result["document"]["version"] == 1
    assert "Руководов Пётр Ильич" in result["message"]
    altered = bytearray(issued)
    altered[len(altered) // 2] ^= 0x01
    assert _verify(people("auditor"), bytes(altered))["status"] == "unknown"


def test_a_signed_correction_issues_its_sheet_and_a_new_karta_version(people, new_route):
    rid = new_route()
    _to_approval(people, rid)
    people("tutor1").do(rid, "implementation", {"next": "correction"})
    people("tutor1").do(rid, "correction")
    for login, name in [("teacher1", "teacher"), ("tutor1", "tutor"), ("methodist", "methodist")]:
        people(login).do(rid, f"correction_signatures_{name}")
    (sheet,) = _docs(people("auditor"), rid, "korrektirovka")
    assert sheet["state"] == "issued" and len(sheet["signatures"]) == 3
    text = _text(_file(people("auditor"), sheet["files"]["issued_docx"]))
    assert VALID["correction"]["reason"] in text and VALID["correction"]["replacement"]["title"] in text
    karta = _docs(people("auditor"), rid, "karta")
    assert [d["version"] for d in karta] == [1, 2] and karta[1]["state"] == "issued"
    assert VALID["correction"]["reason"] in _text(_file(people("auditor"), karta[1]["files"]["issued_docx"]))


def test_a_document_changed_after_signing_is_found_by_verification_not_by_the_listing(app, people, new_route):
    """The listing shows the recorded hashes (re-hashing every stored file on each view made a page
    cost what the database holds, issue 13); verification reads the bytes and finds the change."""
    rid = new_route()
    _to_approval(people, rid)
    (karta,) = _docs(people("auditor"), rid, "karta")
    original = _file(people("auditor"), karta["files"]["content_docx"])
    with app.extensions["iom"].sessions() as s:
        s.execute(sa.text("UPDATE documents SET content = :c WHERE id = :i"),
                  {"c": original + b"x", "i": karta["id"]})
        s.commit()
    (listed,) = _docs(people("auditor"), rid, "karta")
    assert listed["content_sha256"] == karta["content_sha256"] and listed["signatures"] == karta["signatures"]
    report = people("auditor").get(f"/api/routes/{rid}/verify").get_json()
    assert not report["ok"] and any(f["found"] == "файл изменён" for f in report["findings"]), report
    assert _verify(people("auditor"), original)["status"] == "unknown"


def test_a_document_re_rendered_from_its_record_has_the_same_sha256(app, people, new_route):
    rid = new_route()
    _to_approval(people, rid)
    ctx = app.extensions["iom"]
    ctx.templates.clear()  # as after a restart: the template comes back from the database
    with ctx.sessions() as s:
        from service.db.models import DocTemplate, Document
        from service.documents.render import load_template, render

        doc = s.scalar(sa.select(Document).where(Document.route_id == rid, Document.kind == "karta"))
        row = s.get(DocTemplate, doc.template_id)
        again = render(load_template(row.kind, row.name, row.data), {**doc.data, "signatures": [],
                                                                      "content_sha256": ""})
        assert hashlib.sha256(again).hexdigest() == doc.content_sha256
        assert hashlib.sha256(documents.render_issued(ctx, s, doc)).hexdigest() == doc.issued_sha256


def test_the_end_issues_the_conclusions_and_the_completed_karta(people, new_route):
    rid = new_route()
    _to_approval(people, rid)
    people("tutor1").do(rid, "implementation", {"next": "conclude"})
    people("tutor1").do(rid, "final_results")
    people("methodist").do(rid, "conclusions")
    people("methodist").do(rid, "conclusion_signatures_methodist")
    people("head_gym").do(rid, "conclusion_signatures_school_head")
    people("teacher1").do(rid, "acknowledge")
    (vyvody,) = _docs(people("auditor"), rid, "vyvody")
    assert vyvody["state"] == "issued" and [s["action"] for s in vyvody["signatures"]] == [
        "sign", "sign", "acknowledge"]
    text = _text(_file(people("auditor"), vyvody["files"]["issued_docx"]))
    assert VALID["conclusions"]["text"] in text and "ознакомлен" in text
    final = _docs(people("auditor"), rid, "karta")[-1]
    assert final["state"] == "issued" and final["version"] == 2


def test_a_bad_template_upload_is_refused_with_the_reason(people, tmp_path):
    admin = people("admin")
    r = admin.client.post("/api/templates/karta", data={"file": (io.BytesIO(b"not a docx"), "k.docx")},
                          content_type="multipart/form-data")
    assert r.status_code == 422 and ".docx" in r.get_json()["error"]
    template = docx.Document("doc_templates/karta_iom.docx")
    template.add_paragraph("{{ secret_value }}")
    buffer = io.BytesIO()
    template.save(buffer)
    r = admin.client.post("/api/templates/karta", data={"file": (io.BytesIO(buffer.getvalue()), "k.docx")},
                          content_type="multipart/form-data")
    assert r.status_code == 422 and "secret_value" in r.get_json()["error"]
    r = people("tutor1").client.post("/api/templates/karta", data={"file": (io.BytesIO(b"x"), "k.docx")},
                                     content_type="multipart/form-data")
    assert r.status_code == 403


@pytest.mark.skipif(not pdf_available(), reason="LibreOffice is not installed (.ci/install-libreoffice.sh)")
def test_a_document_downloads_as_pdf(people, new_route):
    rid = new_route()
    _to_approval(people, rid)
    (karta,) = _docs(people("auditor"), rid, "karta")
    assert _file(people("auditor"), karta["files"]["issued_pdf"]).startswith(b"%PDF")


def test_opening_a_route_issues_the_order_assigning_the_tutor(people, new_route):
    rid = new_route()
    (order,) = _docs(people("auditor"), rid, "prikaz_tutor")
    assert order["state"] == "issued" and order["version"] == 1
    text = _text(_file(people("auditor"), order["files"]["issued_docx"]))
    assert "Иванова Мария Петровна" in text and "Тьюторова Светлана Андреевна" in text and f"{rid}-ИОМ" in text
