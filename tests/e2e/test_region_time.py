"""The region's time zone (IOM_TIMEZONE): pages, the signature sheet of new documents, the
document check; a wrong zone name stops the start with a message."""

from __future__ import annotations

import io
import re

import docx
import pytest

from service.app import create_app
from service.config import ConfigurationError
from tests.support.app import FakeClock, people_of, ready_app, route_opener


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock(), IOM_TIMEZONE="Asia/Yekaterinburg")


def test_a_wrong_zone_name_stops_the_start_saying_what_to_set(tmp_path):
    with pytest.raises(ConfigurationError, match="IOM_TIMEZONE='Europe/Atlantis'"):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "t",
                    "IOM_TIMEZONE": "Europe/Atlantis"})


def test_pages_and_new_signature_sheets_show_the_regions_time(app):
    people = people_of(app)
    rid = route_opener(app, people)()
    page = people("tutor1").get(f"/routes/{rid}").get_data(as_text=True)
    main = page.split("<main>", 1)[1]
    # the FakeClock's 09:xx UTC is 14:xx in Yekaterinburg (UTC+5)
    assert re.search(r"01\.09\.2026 14:\d\d", main) and not re.search(r"01\.09\.2026 09:\d\d", main)
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    doc = next(d for d in people("methodist").get(f"/api/routes/{rid}/documents").get_json()["documents"]
               if d["kind"] == "karta" and d["signatures"])
    body = people("methodist").get(f"/api/documents/{doc['id']}/content.docx").data
    check = people("methodist").client.post("/api/verify", data=body, content_type="application/octet-stream")
    message = check.get_json()["message"]
    assert "МСК+2" in message and "UTC" not in message, message  # Yekaterinburg is Moscow + 2 h
    people("teacher1").do(rid, "plan_signatures_teacher")
    people("head_cnppm").do(rid, "agreement")
    people("head_gym").do(rid, "approval", {"decision": "accept", "comment": "Утверждаю"})
    issued = next(d for d in people("teacher1").get(f"/api/routes/{rid}/documents").get_json()["documents"]
                  if d["kind"] == "karta" and d["state"] == "issued")
    sheet = docx.Document(io.BytesIO(people("teacher1").get(f"/api/documents/{issued['id']}/issued.docx").data))
    cells = [c.text for t in sheet.tables for row in t.rows for c in row.cells]
    assert any("14:" in c and "МСК+2" in c for c in cells), cells  # the signature sheet, in the region's time
