"""Template and workflow versions (admin): list, upload with the validation report, make current,
download; routes and issued documents keep the versions they were made with."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import sqlalchemy as sa

from service.db.models import Event, Route, WorkflowSpec
from service.domain.access import OPERATOR
from service.samples import VALID
from service.services import audit_replay, deployments
from service.services.demo import complete_as_assignee
from service.services.documents import read_template_files
from tests.support.audit_routes import drive
from tests.support.audit_routes import new_route as driven_route
from tests.support.newcomers import docx_variant

KARTA = "karta_iom.docx"
BROKEN_TAG = "Педагог: {{ teacher.full_name }"


def _upload_template(person, kind: str, data: bytes, name: str = KARTA):
    return person.client.post(f"/api/templates/{kind}", data={"file": (io.BytesIO(data), name)},
                              content_type="multipart/form-data")


def _upload_bpmn(person, files: dict[str, bytes]):
    return person.client.post("/api/versions/workflows",
                              data={"file": [(io.BytesIO(data), name) for name, data in files.items()]},
                              content_type="multipart/form-data")


def _kind(listing: dict, kind: str) -> dict:
    return next(k for k in listing["templates"] if k["kind"] == kind)


def _system_events(app, kind: str) -> list[Event]:
    with app.extensions["iom"].sessions() as s:
        return list(s.scalars(sa.select(Event).where(Event.route_id.is_(None), Event.kind == kind)))


def _renamed_bpmn(title: str) -> dict[str, bytes]:
    original = deployments.read_workflow_files()
    text = original["iom_route.bpmn"].decode("utf-8").replace('name="Составление ИОМ"', f'name="{title}"', 1)
    return {**original, "iom_route.bpmn": text.encode("utf-8")}


def test_the_admin_sees_every_kind_with_its_current_version_and_the_workflow_with_its_routes(people, new_route):
    new_route()
    listing = people("admin").get("/api/versions").get_json()
    assert [k["kind"] for k in listing["templates"]] == ["karta", "korrektirovka", "vyvody", "prikaz_tutor",
                                                         "pep_rules"]
    for kind in listing["templates"]:
        assert [v["current"] for v in kind["versions"]] == [True]
    assert _kind(listing, "prikaz_tutor")["versions"][0]["documents"] == 1  # the new route's order
    [workflow] = listing["workflows"]
    assert workflow["current"] and workflow["routes"] == {"active": 1} and workflow["files"] == ["iom_route.bpmn"]


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/api/versions"),
    ("post", "/api/versions/templates/1/activate"),
    ("get", "/api/versions/templates/1/file.docx"),
    ("post", "/api/versions/workflows/1/activate"),
    ("get", "/api/versions/workflows/1/files.zip"),
    ("post", "/api/versions/workflows"),
    ("get", "/versions"),
    ("get", "/versions/workflow/1"),
])
def test_only_the_admin_may_see_or_change_versions(people, method, url):
    for login in ("head_cnppm", "auditor", "methodist"):
        r = getattr(people(login).client, method)(url)
        assert r.status_code == 403, (login, url)


def test_a_broken_template_is_refused_with_a_report_naming_the_tag_and_nothing_changes(app, people):
    admin = people("admin")
    broken = docx_variant(read_template_files()[KARTA], BROKEN_TAG)
    before = admin.get("/api/versions").get_json()
    r = _upload_template(admin, "karta", broken)
    assert r.status_code == 422 and "karta_iom.docx" in r.get_json()["error"]
    assert admin.get("/api/versions").get_json() == before

    page = admin.client.post("/versions/templates/karta", data={
        "file": (io.BytesIO(broken), KARTA),
        "csrf_token": _csrf(admin)}, content_type="multipart/form-data")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'id="report-karta"' in html and "Шаблон не принят" in html and "karta_iom.docx" in html


def _completed_route(app) -> int:
    """A route driven to its end (a correction on the way): every document issued on the shipped templates."""
    ctx, rid = app.extensions["iom"], driven_route(app)
    drive(app, rid)
    for name, data in [("implementation", {"next": "conclude"}), ("final_results", VALID["final_results"]),
                       ("conclusions", VALID["conclusions"]), ("conclusion_signatures_methodist", VALID["sign"]),
                       ("conclusion_signatures_school_head", VALID["sign"]), ("acknowledge", VALID["acknowledge"])]:
        complete_as_assignee(ctx, rid, name, data)
    with ctx.sessions() as s:
        assert s.get(Route, rid).status == "completed"
    return rid


def test_an_older_template_made_current_again_is_used_and_a_route_completed_before_still_replays(app, people):
    admin, ctx = people("admin"), app.extensions["iom"]
    rid = _completed_route(app)
    original = read_template_files()[KARTA]
    r = _upload_template(admin, "karta", docx_variant(original, "Редакция шаблона 2"))
    assert r.status_code == 201
    v2 = r.get_json()["sha256"]
    karta = _kind(admin.get("/api/versions").get_json(), "karta")
    assert [v["current"] for v in karta["versions"]] == [True, False] and karta["versions"][0]["sha256"] == v2
    v1 = karta["versions"][1]
    assert v1["documents"] >= 2 and karta["versions"][0]["documents"] == 0
    assert admin.get(v1["download_url"]).data == original

    assert admin.post(f"/api/versions/templates/{v1['id']}/activate").get_json() == {
        "id": v1["id"], "kind": "karta", "sha256": v1["sha256"], "changed": True}
    assert admin.post(f"/api/versions/templates/{v1['id']}/activate").get_json()["changed"] is False
    assert _kind(admin.get("/api/versions").get_json(), "karta")["versions"][0]["sha256"] == v1["sha256"]
    [event] = _system_events(app, "template_activated")
    assert event.data == {"kind": "karta", "name": KARTA, "sha256": v1["sha256"], "previous_sha256": v2}
    assert audit_replay.replay(ctx, OPERATOR, rid, documents=True)["ok"] is True


@pytest.mark.parametrize("url", ["/api/versions/templates/{}/activate", "/api/versions/workflows/{}/activate"])
def test_activating_an_unknown_version_is_not_found(people, url):
    admin = people("admin")
    for bad in (999_999, 2_147_483_647, 2_147_483_648, 0):
        assert admin.post(url.format(bad)).status_code == 404, bad


def test_an_uploaded_workflow_becomes_current_and_an_older_one_can_be_made_current_again(app, people, new_route):
    admin = people("admin")
    old_route = new_route()
    r = _upload_bpmn(admin, _renamed_bpmn("Черновик ИОМ"))
    assert r.status_code == 201, r.get_json()
    v2 = r.get_json()
    assert v2["created"] and v2["changed"]
    new_on_v2 = new_route("teacher2")
    assert people("tutor1").task(new_on_v2, "draft")["title"] == "Черновик ИОМ"
    assert people("tutor1").task(old_route, "draft")["title"] == "Составление ИОМ"

    workflows = admin.get("/api/versions").get_json()["workflows"]
    assert [(w["id"], w["current"], w["routes"]) for w in workflows] == [
        (v2["id"], True, {"active": 1}), (workflows[1]["id"], False, {"active": 1})]
    v1 = workflows[1]
    assert admin.post(f"/api/versions/workflows/{v1['id']}/activate").get_json()["changed"] is True
    assert people("tutor1").task(new_route("teacher3"), "draft")["title"] == "Составление ИОМ"
    [event] = _system_events(app, "workflow_activated")
    assert event.data == {"hash": v1["hash"], "previous_hash": v2["hash"]}
    with app.extensions["iom"].sessions() as s:
        assert s.get(Route, old_route).spec_id == v1["id"]
        assert s.get(WorkflowSpec, v1["id"]).activated_at is not None

    with zipfile.ZipFile(io.BytesIO(admin.get(v1["download_url"]).data)) as zf:
        assert zf.read("iom_route.bpmn") == deployments.read_workflow_files()["iom_route.bpmn"]
    # the same files again: the same version, made current
    again = _upload_bpmn(admin, _renamed_bpmn("Черновик ИОМ"))
    assert again.status_code == 200 and again.get_json() == {**v2, "created": False, "changed": True}

    # the downloaded .zip, sent back as the request's body: the same version
    zipped = admin.get(workflows[0]["download_url"]).data
    raw = admin.client.post("/api/versions/workflows", data=zipped, content_type="application/octet-stream")
    assert raw.status_code == 200 and raw.get_json()["hash"] == v2["hash"]

    page = admin.get(f"/versions/workflow/{v1['id']}").get_data(as_text=True)
    assert f'href="/routes/{old_route}"' in page and f'href="/routes/{new_on_v2}"' not in page


@pytest.mark.parametrize(("files", "status", "says"), [
    ({}, 400, "Приложите файлы .bpmn"),
    ({"notes.txt": b"hello"}, 422, "Ожидаются файлы .bpmn: notes.txt"),
    ({"iom_route.bpmn": b"<not-bpmn"}, 422, "Схема процесса отклонена"),
    ({"iom_route.bpmn": "<?xml version='1.0'?><x/>".encode("cp1251") + b"\xff"}, 422, "UTF-8"),
    ({"workflow.zip": b"PK not really"}, 422, "не является архивом .zip"),
])
def test_a_bad_workflow_upload_is_refused_and_nothing_is_deployed(app, people, files, status, says):
    admin = people("admin")
    r = _upload_bpmn(admin, files)
    assert r.status_code == status
    body = r.get_json()
    assert says in body["error"] + " ".join(p["message"] for p in body.get("problems", []))
    assert len(admin.get("/api/versions").get_json()["workflows"]) == 1


def test_the_versions_page_lists_and_activates(app, people):
    admin = people("admin")
    original = read_template_files()[KARTA]
    assert _upload_template(admin, "karta", docx_variant(original, "Редакция 2")).status_code == 201
    html = admin.get("/versions").get_data(as_text=True)
    assert 'id="kind-pep_rules"' in html and "Положение о простой электронной подписи" in html
    assert html.count("Сделать текущей") == 1
    v1 = _kind(admin.get("/api/versions").get_json(), "karta")["versions"][1]
    r = admin.client.post(f"/versions/templates/{v1['id']}/activate", data={"csrf_token": _csrf(admin)})
    assert r.status_code == 302
    assert f"текущая версия {v1['sha256'][:12]}" in admin.get("/versions").get_data(as_text=True)


def _csrf(person) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', person.get("/versions").get_data(as_text=True)).group(1)
