"""The teacher's portfolio over HTTP: `GET /teachers/<id>/portfolio.zip` (pages) and
`GET /api/teachers/<id>/portfolio` (API) give the same ZIP, every file of which `POST /api/verify`
accepts; who may take it; unknown and out-of-range ids are 404, never 500."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from service.services import portfolio

PAGE, API = "/teachers/{}/portfolio.zip", "/api/teachers/{}/portfolio"


def _approved(people, rid: int) -> None:
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    people("teacher1").do(rid, "plan_signatures_teacher")
    people("head_cnppm").do(rid, "agreement")
    people("head_gym").do(rid, "approval")


def _zip(response) -> dict[str, bytes]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _verify(person, data: bytes) -> dict:
    r = person.client.post("/api/verify", data={"file": (io.BytesIO(data), "x.docx")},
                           content_type="multipart/form-data")
    assert r.status_code == 200
    return r.get_json()


def test_the_teacher_downloads_every_issued_document_and_verify_accepts_each(app, people, new_route):
    rid = new_route()
    _approved(people, rid)
    teacher = people("teacher1")
    page = teacher.get(PAGE.format(teacher.id))
    api = teacher.get(API.format(teacher.id))
    assert page.data == api.data  # the same bytes on every download, from either door
    assert page.headers["ETag"].strip('"') == hashlib.sha256(page.data).hexdigest()
    members = _zip(api)
    manifest = json.loads(members[portfolio.MANIFEST])
    assert portfolio.OPIS in members and manifest["teacher"]["id"] == teacher.id
    assert {(d["kind"], d["version"]) for d in manifest["documents"]} == {("prikaz_tutor", 1), ("karta", 1)}
    for entry in manifest["documents"]:
        data = members[entry["file"]]
        answer = _verify(teacher, data)
        assert answer["status"] == "issued" and answer["sha256"] == entry["sha256"], answer
        assert answer["route"]["id"] == rid
    changed = bytearray(members[manifest["documents"][-1]["file"]])
    changed[-30] ^= 0xFF
    assert _verify(teacher, bytes(changed))["status"] == "unknown"


def test_the_tutor_the_auditor_and_the_admin_may_download_and_the_pages_link_it(app, people, new_route):
    rid = new_route()
    teacher_id = people("teacher1").id
    for login in ("tutor1", "auditor", "admin"):
        assert _zip(people(login).get(API.format(teacher_id)))
    route_page = people("tutor1").get(f"/routes/{rid}").get_data(as_text=True)
    assert "Портфолио (все документы)" in route_page and PAGE.format(teacher_id) in route_page
    sheet = people("teacher1").get(f"/teachers/{teacher_id}/sheet").get_data(as_text=True)
    assert 'id="portfolio-link"' in sheet and PAGE.format(teacher_id) in sheet
    methodist_page = people("methodist").get(f"/routes/{rid}").get_data(as_text=True)
    assert 'id="portfolio-link"' not in methodist_page  # may see the route, not take the portfolio


@pytest.mark.parametrize("login", ["teacher2", "methodist", "head_gym"])
def test_anyone_else_gets_403(app, people, new_route, login):
    new_route()
    teacher_id = people("teacher1").id
    r = people(login).get(API.format(teacher_id))
    assert r.status_code == 403 and "Портфолио педагога доступно" in r.get_json()["error"]
    assert people(login).get(PAGE.format(teacher_id)).status_code == 403


@pytest.mark.parametrize("teacher_id", ["987654", "2147483647", "2147483648", "99999999999999999999", "0"])
def test_an_unknown_or_out_of_range_teacher_is_404_not_500(app, people, teacher_id):
    admin = people("admin")
    assert admin.get(API.format(teacher_id)).status_code == 404
    assert admin.get(PAGE.format(teacher_id)).status_code == 404


def test_anonymous_api_is_401_and_the_page_sends_to_login(app, people):
    teacher_id = people("teacher1").id
    client = app.test_client()
    assert client.get(API.format(teacher_id)).status_code == 401
    r = client.get(PAGE.format(teacher_id))
    assert r.status_code == 302 and "/login" in r.headers["Location"]
