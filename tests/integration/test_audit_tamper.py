"""An intruder with database access changes the record of a finished route; the audit finds
the first place where it no longer adds up. Runs on SQLite and PostgreSQL (`database_url`)."""

from __future__ import annotations

import copy
import hashlib

import pytest
import sqlalchemy as sa

from service.domain.access import OPERATOR
from service.samples import VALID
from service.services import audit, demo
from tests.support.app import FakeClock, ready_app
from tests.support.audit_routes import (
    DOCUMENTS,
    EVENTS,
    SIGNATURES,
    as_intruder,
    db_engine,
    drive,
    new_route,
    stored_events,
)


def _wheres(report) -> list[str]:
    return [f.where for f in report.findings]


# ---- fixtures -------------------------------------------------------------------------------------
@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock())


@pytest.fixture
def rid(app) -> int:
    route_id = new_route(app)
    drive(app, route_id)
    report = audit.verify_route(app.extensions["iom"], OPERATOR, route_id)
    assert report.ok and report.events == len(stored_events(app, route_id)), report.as_dict()
    return route_id


def _verify(app, rid, **kw):
    return audit.verify_route(app.extensions["iom"], OPERATOR, rid, **kw)


# ---- the triggers -------------------------------------------------------------------------------
def test_the_triggers_refuse_update_and_delete_of_events(app, rid):
    before = stored_events(app, rid)
    engine = db_engine(app)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.update(EVENTS).where(EVENTS.c.route_id == rid, EVENTS.c.seq == 7)
                     .values(data={"submission": {"decision": "sign"}}))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("UPDATE events SET kind = 'route_completed' WHERE route_id = :r"), {"r": rid})
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.delete(EVENTS).where(EVENTS.c.route_id == rid, EVENTS.c.seq == len(before)))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events"))
    assert stored_events(app, rid) == before
    assert _verify(app, rid).ok


# ---- events ---------------------------------------------------------------------------------------
def test_a_changed_event_payload_is_found_at_that_event(app, rid):
    event = stored_events(app, rid)[6]
    assert event.seq == 7
    data = copy.deepcopy(event.data)
    if "submission" in data:  # the teacher's return becomes a signature
        data["submission"] = {"decision": "sign", "comment": ""}
    else:
        data["comment"] = "дописано"
    as_intruder(app, sa.update(EVENTS).where(EVENTS.c.route_id == rid, EVENTS.c.seq == 7).values(data=data))
    report = _verify(app, rid)
    assert not report.ok and report.findings[0].where == "событие № 7"
    assert "событие изменено" in report.findings[0].found
    assert report.events == 7 and report.head is None


def test_a_deleted_event_in_the_middle_is_found_by_its_number(app, rid):
    as_intruder(app, "DELETE FROM events WHERE route_id = :r AND seq = 5", {"r": rid})
    report = _verify(app, rid)
    assert not report.ok and report.findings[0].where == "событие № 5"
    assert "событие № 6" in report.findings[0].found


def test_a_deleted_last_event_is_found_by_the_head(app, rid):
    last = len(stored_events(app, rid))
    as_intruder(app, "DELETE FROM events WHERE route_id = :r AND seq = :s", {"r": rid, "s": last})
    report = _verify(app, rid)
    assert not report.ok and report.findings[0].where == f"событие № {last}"
    assert "последние события удалены" in report.findings[0].found


def test_two_swapped_events_are_found_at_the_first_of_them(app, rid):
    ids = {e.seq: e.id for e in stored_events(app, rid)}
    swap = "UPDATE events SET seq = :to WHERE route_id = :r AND seq = :from"
    as_intruder(app, [sa.text(swap).bindparams(**{"from": 4, "to": -4}),
                       sa.text(swap).bindparams(**{"from": 6, "to": 4}),
                       sa.text(swap).bindparams(**{"from": -4, "to": 6})], {"r": rid})
    after = {e.seq: e.id for e in stored_events(app, rid)}
    assert (after[4], after[6]) == (ids[6], ids[4])
    report = _verify(app, rid)
    assert not report.ok and report.findings[0].where == "событие № 4"


# ---- documents and signatures ------------------------------------------------------------------
def _document(app, rid, kind: str, version: int):
    with db_engine(app).connect() as conn:
        return conn.execute(sa.select(DOCUMENTS).where(DOCUMENTS.c.route_id == rid, DOCUMENTS.c.kind == kind,
                                                       DOCUMENTS.c.version == version)).one()


def test_a_changed_document_file_is_found_when_bytes_are_checked(app, rid):
    doc = _document(app, rid, "karta", 2)  # the approved plan
    as_intruder(app, sa.update(DOCUMENTS).where(DOCUMENTS.c.id == doc.id).values(content=doc.content + b"x"))
    report = _verify(app, rid)
    assert not report.ok
    assert set(_wheres(report)) == {f"документ {doc.id} (karta, версия 2)"}  # nothing about events
    assert "файл изменён" in report.findings[0].found
    assert _verify(app, rid, documents=False).ok  # the bytes are not read then

    from tests.support.app import Person

    r = Person(app, "auditor").get(f"/api/routes/{rid}/verify")  # the API checks the bytes by default
    assert r.status_code == 200
    body = r.get_json()
    assert body["ok"] is False and body["findings"][0]["where"] == f"документ {doc.id} (karta, версия 2)"

    cli = app.test_cli_runner()
    chains_only = cli.invoke(args=["verify-all"])  # by design the CLI reads the files only with --documents
    assert chains_only.exit_code == 0, chains_only.output
    with_files = cli.invoke(args=["verify-all", "--documents"])
    assert with_files.exit_code == 1, with_files.output
    assert f"маршрут {rid}: документ {doc.id} (karta, версия 2)" in with_files.output


def test_a_changed_signature_row_is_found(app, rid):
    with db_engine(app).connect() as conn:
        sig = conn.execute(sa.select(SIGNATURES).join(DOCUMENTS, DOCUMENTS.c.id == SIGNATURES.c.document_id)
                           .where(DOCUMENTS.c.route_id == rid, SIGNATURES.c.action == "approve")).one()
    as_intruder(app, sa.update(SIGNATURES).where(SIGNATURES.c.id == sig.id).values(sha256="f" * 64))
    report = _verify(app, rid)
    assert not report.ok
    assert _wheres(report) == [f"подпись {sig.id} (документ {sig.document_id})"]


def test_a_signature_row_with_another_signers_name_is_found(app, rid):
    with db_engine(app).connect() as conn:
        sig = conn.execute(sa.select(SIGNATURES).join(DOCUMENTS, DOCUMENTS.c.id == SIGNATURES.c.document_id)
                           .where(DOCUMENTS.c.route_id == rid, SIGNATURES.c.action == "agree")).one()
    as_intruder(app, sa.update(SIGNATURES).where(SIGNATURES.c.id == sig.id).values(signer_name="Кто-то другой"))
    report = _verify(app, rid)
    assert not report.ok and _wheres(report) == [f"подпись {sig.id} (документ {sig.document_id})"]


def test_a_deleted_signature_row_is_found_at_its_event(app, rid):
    with db_engine(app).connect() as conn:
        sig = conn.execute(sa.select(SIGNATURES).join(DOCUMENTS, DOCUMENTS.c.id == SIGNATURES.c.document_id)
                           .where(DOCUMENTS.c.route_id == rid, SIGNATURES.c.action == "agree")).one()
    (signed,) = [e for e in stored_events(app, rid) if e.kind == "document_signed" and e.data["action"] == "agree"]
    as_intruder(app, sa.delete(SIGNATURES).where(SIGNATURES.c.id == sig.id))
    report = _verify(app, rid)
    assert not report.ok and _wheres(report) == [f"событие № {signed.seq}"]
    assert "записи подписи нет" in report.findings[0].found


def test_a_replaced_issued_file_with_its_new_hash_is_found(app, rid):
    doc = _document(app, rid, "karta", 2)
    forged = doc.issued + b"forged"
    as_intruder(app, sa.update(DOCUMENTS).where(DOCUMENTS.c.id == doc.id)
                 .values(issued=forged, issued_sha256=hashlib.sha256(forged).hexdigest()))
    report = _verify(app, rid)
    assert not report.ok and _wheres(report) == [f"документ {doc.id} (karta, версия 2)"]


def test_a_deleted_document_is_found(app, rid):
    doc = _document(app, rid, "prikaz_tutor", 1)  # issued at creation, carries no signatures
    with db_engine(app).connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).where(SIGNATURES.c.document_id == doc.id)) == 0
    as_intruder(app, sa.delete(DOCUMENTS).where(DOCUMENTS.c.id == doc.id))
    report = _verify(app, rid)
    named = f"документ {doc.id}"
    assert not report.ok and any(named in f"{f.where} {f.expected} {f.found}" for f in report.findings)


# ---- the CLI ----------------------------------------------------------------------------------------
def test_verify_all_exits_0_on_a_clean_database_and_1_after_tampering(app, rid):
    cli = app.test_cli_runner()
    clean = cli.invoke(args=["verify-all"])
    assert clean.exit_code == 0, clean.output
    assert "Проверено маршрутов: 1; с расхождениями: 0." in clean.output
    assert cli.invoke(args=["verify-all", "--documents"]).exit_code == 0

    as_intruder(app, "DELETE FROM events WHERE route_id = :r AND seq = 5", {"r": rid})
    tampered = cli.invoke(args=["verify-all"])
    assert tampered.exit_code == 1, tampered.output
    assert f"маршрут {rid}: событие № 5: ожидалось событие № 5" in tampered.output
    assert "с расхождениями: 1." in tampered.output


def test_verify_all_lists_only_the_tampered_route(app, rid):
    other = new_route(app)
    demo.complete_as_assignee(app.extensions["iom"], other, "draft", VALID["draft"])
    data = dict(stored_events(app, other)[0].data, teacher_id=app.config["PEOPLE"]["teacher2"])
    as_intruder(app, sa.update(EVENTS).where(EVENTS.c.route_id == other, EVENTS.c.seq == 1).values(data=data))
    result = app.test_cli_runner().invoke(args=["verify-all"])
    assert result.exit_code == 1
    assert f"маршрут {other}: событие № 1" in result.output and f"маршрут {rid}:" not in result.output
    assert "Проверено маршрутов: 2; с расхождениями: 1." in result.output
