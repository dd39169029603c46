"""The audit API over HTTP: auditors and admins only; the exports carry the hash chain."""

from __future__ import annotations

import csv
import io

import docx
import pytest

from service.documents.render import pdf_available
from service.domain.audit import GENESIS

ENDPOINTS = ["verify", "replay", "replay?documents=1", "as-of/4", "export.json", "export.csv", "certificate.docx"]


def _to_correction(people, rid):
    """Approved, then one signed correction: documents with signatures and several versions."""
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    people("teacher1").do(rid, "plan_signatures_teacher")
    people("head_cnppm").do(rid, "agreement")
    people("head_gym").do(rid, "approval")
    people("tutor1").do(rid, "implementation", {"next": "correction"})
    people("tutor1").do(rid, "correction")
    for login, name in [("teacher1", "teacher"), ("tutor1", "tutor"), ("methodist", "methodist")]:
        people(login).do(rid, f"correction_signatures_{name}")


@pytest.fixture
def rid(people, new_route):
    route_id = new_route()
    _to_correction(people, route_id)
    return route_id


def _get(person, url: str):
    r = person.get(url)
    assert r.status_code == 200, (url, r.status_code, r.get_json(silent=True))
    return r


def test_auditor_and_admin_may_audit_heads_and_teachers_may_not(people, rid):
    for login in ("auditor", "admin"):
        for endpoint in ENDPOINTS:
            _get(people(login), f"/api/routes/{rid}/{endpoint}")
    for login in ("head_gym", "head_cnppm", "teacher1", "tutor1"):
        for endpoint in ENDPOINTS + ["certificate.pdf"]:
            r = people(login).get(f"/api/routes/{rid}/{endpoint}")
            assert r.status_code == 403, (login, endpoint, r.status_code)
            assert "аудитор" in r.get_json()["error"]


def test_anonymous_requests_are_refused(app, rid):
    client = app.test_client()
    for endpoint in ENDPOINTS:
        assert client.get(f"/api/routes/{rid}/{endpoint}").status_code == 401


def test_an_unknown_route_is_404(people):
    for endpoint in ("verify", "replay", "as-of/1", "export.json"):
        assert people("auditor").get(f"/api/routes/999999/{endpoint}").status_code == 404


def test_verify_and_replay_of_a_clean_route(people, rid):
    auditor = people("auditor")
    report = _get(auditor, f"/api/routes/{rid}/verify").get_json()
    assert report["ok"] is True and report["findings"] == [] and report["route_id"] == rid
    replay = _get(auditor, f"/api/routes/{rid}/replay?documents=1").get_json()
    assert replay["ok"] is True and replay["divergence"] is None and replay["documents"] == []
    assert replay["chain"]["head"] == report["head"]
    assert [t["name"] for t in replay["state"]["open_tasks"]] == ["implementation"]
    then = _get(auditor, f"/api/routes/{rid}/as-of/4").get_json()
    assert then["ok"] is True and then["state"]["seq"] == 4
    last = report["events"]
    assert _get(auditor, f"/api/routes/{rid}/as-of/{last}").get_json()["state"]["open_tasks"] == \
        replay["state"]["open_tasks"]
    for outside in (0, last + 1):
        assert auditor.get(f"/api/routes/{rid}/as-of/{outside}").status_code == 404


def test_export_json_is_a_hash_chain(people, rid):
    data = _get(people("auditor"), f"/api/routes/{rid}/export.json").get_json()
    events = data["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1)) and len(events) > 20
    assert events[0]["prev_hash"] == GENESIS
    for before, after in zip(events, events[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    assert all(len(e["hash"]) == 64 for e in events)
    assert data["chain_head"] == events[-1]["hash"]
    assert data["verification"]["ok"] is True and data["verification"]["head"] == data["chain_head"]
    assert {d["kind"] for d in data["documents"]} >= {"karta", "korrektirovka", "prikaz_tutor"}


def test_export_csv_has_a_header_and_a_line_per_event_in_utf8_with_bom(people, rid):
    auditor = people("auditor")
    r = _get(auditor, f"/api/routes/{rid}/export.csv")
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    assert r.data.startswith(b"\xef\xbb\xbf")
    text = r.data.decode("utf-8-sig")
    lines = text.splitlines()
    events = _get(auditor, f"/api/routes/{rid}/export.json").get_json()["events"]
    assert len(lines) == 1 + len(events)  # no record spans lines
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["seq", "at", "kind", "actor", "on_behalf_of", "task", "data", "prev_hash", "hash"]
    assert [(int(row[0]), row[2], row[7], row[8]) for row in rows[1:]] == [
        (e["seq"], e["kind"], e["prev_hash"], e["hash"]) for e in events]
    assert "Тьюторова Светлана Андреевна" in text  # Cyrillic survives


def test_the_certificate_docx_names_the_chain_head(people, rid):
    auditor = people("auditor")
    head = _get(auditor, f"/api/routes/{rid}/verify").get_json()["head"]
    r = _get(auditor, f"/api/routes/{rid}/certificate.docx")
    assert "attachment" in r.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(r.data))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for row in t.rows for c in row.cells])
    assert head in text
    assert "цепочка событий и документы не изменены" in text and "Иванова Мария Петровна" in text


@pytest.mark.skipif(not pdf_available(), reason="LibreOffice is not installed (.ci/install-libreoffice.sh)")
def test_the_certificate_pdf(people, rid):
    assert _get(people("auditor"), f"/api/routes/{rid}/certificate.pdf").data.startswith(b"%PDF")
