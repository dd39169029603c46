"""Document formatting is versioned: a version records its format when it is created and is
rendered with it for ever after. Documents issued before the region's local time came in (format
1, times in UTC, no "format" in their data) still re-render to their recorded SHA-256; new ones
print the region's time with the zone named. Runs on SQLite and PostgreSQL (`database_url`)."""

from __future__ import annotations

import hashlib
import re

import pytest

from service.db.models import Document
from service.domain.access import OPERATOR
from service.samples import VALID
from service.services import audit_replay, demo
from service.services import documents as documents_service
from tests.support.app import FakeClock, ready_app
from tests.support.audit_routes import drive, new_route
from tests.support.docx_text import docx_text as _text
from tests.support.docx_text import issued_documents as _issued


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock())


def _correction_round(app, rid: int) -> None:
    ctx = app.extensions["iom"]
    second = {**VALID["correction"], "activity_no": 1}  # activity 2 was replaced by the first one
    for name, data in [("implementation", {"next": "correction"}), ("correction", second),
                       ("correction_signatures_teacher", VALID["sign"]),
                       ("correction_signatures_tutor", VALID["sign"]),
                       ("correction_signatures_methodist", VALID["sign"])]:
        demo.complete_as_assignee(ctx, rid, name, data)


def test_documents_issued_before_local_time_replay_unchanged_and_new_ones_show_the_regions_time(app, monkeypatch):
    # Before the change: documents were created by the same code path with the old formatting,
    # which recorded nothing about it (so their data has no "format"), signature times in UTC.
    with monkeypatch.context() as old:
        old.setattr(documents_service, "formatting", lambda timezone: {})
        rid = new_route(app)
        drive(app, rid)
    before = _issued(app, rid)
    assert before and all("format" not in data for data, _, _ in before.values())
    old_sheet = _text(next(issued for data, issued, _ in before.values() if data["document"]["kind"] == "karta"))
    assert re.search(r"\d\d\.\d\d\.\d{4} 09:\d\d UTC", old_sheet) and "МСК" not in old_sheet

    # After the change: the old documents re-render to the recorded bytes, the replay is ok …
    assert audit_replay.rerender_documents(app.extensions["iom"], rid) == []
    assert audit_replay.replay(app.extensions["iom"], OPERATOR, rid, documents=True)["ok"] is True
    with app.extensions["iom"].uow() as uow:
        for doc_id, (_, issued, issued_sha) in before.items():
            doc = uow.session.get(Document, doc_id)
            again = documents_service.render_issued(app.extensions["iom"], uow.session, doc)
            assert again == issued and hashlib.sha256(again).hexdigest() == issued_sha

    # … and the new correction's documents record format 2 and print Moscow time (UTC+3).
    _correction_round(app, rid)
    new = {k: v for k, v in _issued(app, rid).items() if k not in before}
    assert {data["document"]["kind"] for data, _, _ in new.values()} >= {"korrektirovka"}
    for data, issued, _ in new.values():
        assert data["format"] >= 2 and data["timezone"] == "Europe/Moscow"  # 3 since delegation: same times
        sheet = _text(issued)
        assert " UTC" not in sheet
        if data["document"]["kind"] == "korrektirovka":  # signed by three: its sheet has their times
            assert re.search(r"\d\d\.\d\d\.\d{4} 12:\d\d МСК", sheet)
    assert audit_replay.replay(app.extensions["iom"], OPERATOR, rid, documents=True)["ok"] is True
    assert _issued(app, rid).keys() >= before.keys()
    assert all(_issued(app, rid)[k][2] == before[k][2] for k in before)


@pytest.mark.parametrize(("zone", "label"), [("Europe/Moscow", "12:00 МСК"),
                                             ("Asia/Yekaterinburg", "14:00 МСК+2"),
                                             ("Europe/Kaliningrad", "11:00 МСК−1"),
                                             ("Asia/Kolkata", "14:30 UTC+05:30")])
def test_the_zone_is_named_as_russian_documents_name_it(zone, label):
    from datetime import UTC, datetime

    from service.documents.context import ru_datetime

    at = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert ru_datetime(at) == "02.12.2026 09:00 UTC"  # format 1, as before
    assert ru_datetime(at, 2, zone) == f"02.12.2026 {label}"


def test_format_4_writes_the_signers_role_as_it_is_written_and_format_3_documents_stay_as_issued(app, monkeypatch):
    from service.documents import context as doc_context

    # Before the change (format 3): the role went through str.capitalize — «Руководитель цнппм».
    with monkeypatch.context() as old:
        old.setattr(doc_context, "CURRENT_FORMAT", doc_context.FORMAT_DELEGATION)
        rid = new_route(app)
        drive(app, rid)
    before = _issued(app, rid)
    karta = next(issued for data, issued, _ in before.values() if data["document"]["kind"] == "karta")
    assert all(data["format"] == 3 for data, _, _ in before.values())
    assert "Руководитель цнппм" in _text(karta)  # the sheet's line (the approval block is the template's own)

    # After: the old documents re-render to their recorded bytes; new ones (format 4) keep «ЦНППМ», «ОО».
    assert audit_replay.replay(app.extensions["iom"], OPERATOR, rid, documents=True)["ok"] is True
    fresh = new_route(app)
    drive(app, fresh)
    new = _issued(app, fresh)
    karta = next(issued for data, issued, _ in new.values() if data["document"]["kind"] == "karta")
    assert all(data["format"] == 4 for data, _, _ in new.values())
    assert "Руководитель цнппм" not in _text(karta) and "Руководитель оо" not in _text(karta)
    assert audit_replay.replay(app.extensions["iom"], OPERATOR, rid, documents=True)["ok"] is True
    assert all(_issued(app, rid)[k][2] == before[k][2] for k in before)
