"""GET /api/openapi.json: a valid OpenAPI 3.1 document that describes every /api rule, and whose
schemas the live responses actually match (strictly: no undocumented fields)."""

from __future__ import annotations

import copy
import io
import os
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from service.api.openapi import DOCX, build_spec
from service.forms import pointers
from service.samples import VALID
from service.services.demo import PASSWORD
from service.services.documents import read_template_files
from tests.support.app import ready_app, with_csrf_header
from tests.support.contract_check import strict

SPEC_URI = "urn:iom:openapi"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
PUBLIC = {("/api/login", "post"), ("/api/logout", "post"), ("/api/openapi.json", "get")}


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    """A light app on its own SQLite file with the workflows and the demo people."""
    path = tmp_path_factory.mktemp("openapi") / "x.sqlite3"
    yield from ready_app(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def spec() -> dict:
    return copy.deepcopy(build_spec())



def _pointer(*parts: str) -> str:
    return pointers.join(parts)


class Checker:
    """Checks a live response against the document: its status is documented for the operation
    and its body matches that status's schema (a JSON body) or media type (a file: its bytes
    are returned)."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.registry = Registry().with_resource(SPEC_URI, Resource.from_contents(strict(spec), DRAFT202012))

    def __call__(self, method: str, template: str, response, status: int):
        assert response.status_code == status, (method, template, response.status_code, response.get_json())
        operation = self.spec["paths"][template][method]
        documented = operation["responses"].get(str(status))
        assert documented, f"{method.upper()} {template} does not document {status}"
        parts = ["paths", template, method, "responses", str(status)]
        if "$ref" in documented:
            name = documented["$ref"].rsplit("/", 1)[1]
            documented = self.spec["components"]["responses"][name]
            parts = ["components", "responses", name]
        if "content" not in documented:
            assert not response.data, f"{method.upper()} {template} {status} documents no body"
            return None
        assert response.mimetype in documented["content"], (method.upper(), template, status, response.mimetype)
        if response.mimetype != "application/json":
            return response.data
        ref = SPEC_URI + "#" + _pointer(*parts, "content", "application/json", "schema")
        validator = Draft202012Validator({"$ref": ref}, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        body = response.get_json()
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, (method.upper(), template, status, errors)
        return body


def _login(app, login: str):
    client = app.test_client()
    r = client.post("/api/login", json={"login": login, "password": PASSWORD})
    assert r.status_code == 200, r.get_json()
    return with_csrf_header(client)


def _template(rule: str) -> str:
    """Flask `<int:route_id>` / `<task_id>` → OpenAPI `{route_id}` / `{task_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"] == "3.1.0"
    validate(spec)
    assert spec["info"]["title"] == "ИОМ — маршруты педагогов" and spec["info"]["version"]
    assert spec["servers"] == [{"url": "/"}]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["cookieAuth"] == {**schemes["cookieAuth"], "type": "apiKey", "in": "cookie", "name": "session"}
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    for name in ("Error", "FieldProblem", "Me", "TaskRow", "TaskView", "RouteView", "Event", "CompletionResult",
                 "Token", "Document", "Signature", "Signing", "DocumentList", "VerifyResult", "TemplateDeployed",
                 "SignatureRequest", "Finding", "AuditReport", "ReplayResult", "AsOfResult", "History",
                 "HistoryEvent", "ReassignRequest", "CancelRequest"):
        assert name in spec["components"]["schemas"], name


def test_served_document_is_the_built_one_and_needs_no_login(api_app, spec):
    r = api_app.test_client().get("/api/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.get_json() == spec


def test_every_api_rule_is_documented_and_nothing_more(api_app, spec):
    in_app: dict[str, set[str]] = {}
    params: dict[str, set[str]] = {}
    for rule in api_app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        template = _template(rule.rule)
        in_app.setdefault(template, set()).update(m.lower() for m in rule.methods - IGNORED_METHODS)
        params[template] = set(rule.arguments)
    documented = {path: {m for m in item if m in {"get", "post", "put", "patch", "delete"}}
                  for path, item in spec["paths"].items()}
    assert documented == in_app
    for path, methods in documented.items():
        for method in methods:
            operation = spec["paths"][path][method]
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert names == params[path], (method, path)
            assert operation["summary"] and operation["operationId"]


def test_auth_and_errors_are_documented_per_operation(spec):
    assert spec["security"] == [{"cookieAuth": []}, {"bearerAuth": []}]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if (path, method) in PUBLIC:
                assert operation["security"] == [], (method, path)
            else:
                assert "security" not in operation and "401" in codes, (method, path)
            if "requestBody" in operation:
                content = operation["requestBody"]["content"]
                if "application/json" in content:
                    assert {"400", "415", "422"} <= codes, (method, path)
                    assert content["application/json"]["schema"]["$ref"]
                else:  # a file: a multipart field `file` or the raw body
                    assert set(content) == {"multipart/form-data", "application/octet-stream"}, (method, path)
                    assert content["multipart/form-data"]["schema"]["required"] == ["file"]
                    assert {"400", "413"} <= codes, (method, path)
    complete = spec["paths"]["/api/tasks/{task_id}/complete"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(complete["responses"])
    assert "signature" in spec["components"]["schemas"]["CompleteRequest"]["properties"]
    assert spec["components"]["schemas"]["CompleteRequest"]["required"] == ["data"]
    download = spec["paths"]["/api/documents/{document_id}/{which}.{fmt}"]["get"]["responses"]
    assert set(download["200"]["content"]) == {DOCX, "application/pdf"} and {"404", "501"} <= set(download)
    assert {"201", "403", "422"} <= set(spec["paths"]["/api/templates/{kind}"]["post"]["responses"])
    assert spec["paths"]["/api/tokens"]["post"]["responses"].keys() >= {"201"}
    assert spec["paths"]["/api/routes"]["post"]["responses"].keys() >= {"201", "403"}
    assert spec["paths"]["/api/tokens/{token_id}"]["delete"]["responses"].keys() >= {"204", "404"}
    for path in ("/api/routes/{route_id}/verify", "/api/routes/{route_id}/replay", "/api/routes/{route_id}/as-of/{seq}",
                 "/api/routes/{route_id}/export.{fmt}", "/api/routes/{route_id}/certificate.{fmt}"):
        assert {"200", "401", "403", "404"} <= set(spec["paths"][path]["get"]["responses"]), path
    export = spec["paths"]["/api/routes/{route_id}/export.{fmt}"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"application/json", "text/csv"}
    certificate = spec["paths"]["/api/routes/{route_id}/certificate.{fmt}"]["get"]["responses"]["200"]["content"]
    assert set(certificate) == {DOCX, "application/pdf"}


def test_complete_endpoint_names_every_form(api_app, spec):
    description = spec["paths"]["/api/tasks/{task_id}/complete"]["post"]["description"]
    assert "GET /api/tasks/{task_id}" in description and "schema" in description
    for name in api_app.extensions["iom"].forms.names():
        assert f"`{name}`" in description, name
    data = spec["components"]["schemas"]["CompleteRequest"]["properties"]["data"]
    assert data["type"] == "object"


def test_live_responses_match_the_documented_schemas(api_app, spec):
    check = Checker(spec)
    ids = api_app.config["PEOPLE"]
    anonymous = api_app.test_client()

    # Logging in, and who I am.
    r = api_app.test_client().post("/api/login", json={"login": "tutor1", "password": PASSWORD})
    me = check("post", "/api/login", r, 200)
    assert me["id"] == ids["tutor1"] and me["roles"][0]["role"] == "tutor"
    check("post", "/api/login", anonymous.post("/api/login", json={"login": "tutor1", "password": "x"}), 401)
    problems = check("post", "/api/login", anonymous.post("/api/login", json={"login": "tutor1"}), 422)["problems"]
    assert problems and problems[0]["pointer"]
    check("post", "/api/login", anonymous.post("/api/login", data="login=x", content_type="text/plain"), 415)
    check("post", "/api/login", anonymous.post("/api/login", data="{", content_type="application/json"), 400)
    check("get", "/api/me", anonymous.get("/api/me"), 401)
    check("get", "/api/tasks", anonymous.get("/api/tasks"), 401)
    tutor = _login(api_app, "tutor1")
    assert check("get", "/api/me", tutor.get("/api/me"), 200)["name"] == "Тьюторова Светлана Андреевна"
    assert check("get", "/api/tasks", tutor.get("/api/tasks"), 200) == {  # a page of them (issue 13)
        "tasks": [], "page": 1, "limit": 50, "has_more": False, "total": 0, "overdue": 0}

    # Opening a route: only the CNPPM head may.
    body = {"teacher_id": ids["teacher1"], "tutor_id": ids["tutor1"], "methodist_id": ids["methodist"]}
    check("post", "/api/routes", tutor.post("/api/routes", json=body), 403)
    head = _login(api_app, "head_cnppm")
    check("post", "/api/routes", head.post("/api/routes", json={**body, "tutor_id": "x"}), 422)
    route = check("post", "/api/routes", head.post("/api/routes", json=body), 201)
    assert route["stage"] == "draft" and len(route["open_tasks"]) == 1

    # The tutor's task: listed, viewed, refused, completed, then too late.
    tasks = check("get", "/api/tasks", tutor.get("/api/tasks"), 200)["tasks"]
    assert [t["route"]["id"] for t in tasks] == [route["id"]]
    task_id = tasks[0]["id"]
    view = check("get", "/api/tasks/{task_id}", tutor.get(f"/api/tasks/{task_id}"), 200)
    assert view["form"] == "draft" and view["schema"]["title"] and view["can_complete"]
    check("get", "/api/tasks/{task_id}", tutor.get("/api/tasks/nope"), 404)
    check("get", "/api/tasks/{task_id}", _login(api_app, "teacher3").get(f"/api/tasks/{task_id}"), 403)
    url = f"/api/tasks/{task_id}/complete"
    template = "/api/tasks/{task_id}/complete"
    check("post", template, head.post(url, json={"data": VALID["draft"]}), 403)
    check("post", template, tutor.post(url, json={}), 422)
    assert check("post", template, tutor.post(url, json={"data": {}}), 422)["problems"]
    done = check("post", template, tutor.post(url, json={"data": VALID["draft"]}), 200)
    assert done["route_id"] == route["id"] and done["opened"]
    check("post", template, tutor.post(url, json={"data": VALID["draft"]}), 409)
    check("post", template, tutor.post("/api/tasks/nope/complete", json={"data": {}}), 404)

    # A signing task: the methodist sees the document, signs it with the password and its hash.
    methodist = _login(api_app, "methodist")
    signing = [t for t in check("get", "/api/tasks", methodist.get("/api/tasks"), 200)["tasks"]
               if t["route_id"] == route["id"]][0]
    view = check("get", "/api/tasks/{task_id}", methodist.get(f"/api/tasks/{signing['id']}"), 200)
    document = view["signs"]["document"]
    assert view["signs"]["kind"] == "karta" and document["state"] == "awaiting_signatures"
    assert document["content_intact"] and document["signatures"] == [] and document["files"]["issued_docx"] is None
    url = f"/api/tasks/{signing['id']}/complete"
    decision = VALID[signing["form"]]
    sha = document["content_sha256"]
    check("post", template, methodist.post(url, json={"data": decision}), 422)
    check("post", template, methodist.post(url, json={"data": decision, "signature": {
        "password": "wrong", "document_sha256": sha}}), 403)
    check("post", template, methodist.post(url, json={"data": decision, "signature": {
        "password": PASSWORD, "document_sha256": "0" * 64}}), 409)
    admin = _login(api_app, "admin")
    check("post", template, admin.post(url, json={"data": decision, "signature": {
        "password": PASSWORD, "document_sha256": sha}}), 403)
    check("post", template, methodist.post(url, json={"data": decision, "signature": {
        "password": PASSWORD, "document_sha256": sha}}), 200)

    # The route's documents: listed, downloaded, verified.
    documents = check("get", "/api/routes/{route_id}/documents",
                      methodist.get(f"/api/routes/{route['id']}/documents"), 200)["documents"]
    assert [d["kind"] for d in documents] == ["prikaz_tutor", "karta"]  # the order comes with the route
    documents = [d for d in documents if d["kind"] == "karta"]
    assert [d["id"] for d in documents] == [document["id"]]
    signature = documents[0]["signatures"][0]
    assert signature["signer"]["id"] == ids["methodist"] and signature["valid"] and signature["sha256"] == sha
    check("get", "/api/routes/{route_id}/documents", methodist.get("/api/routes/999999/documents"), 404)
    check("get", "/api/routes/{route_id}/documents",
          _login(api_app, "teacher3").get(f"/api/routes/{route['id']}/documents"), 403)
    file_template = "/api/documents/{document_id}/{which}.{fmt}"
    r = methodist.get(documents[0]["files"]["content_docx"])
    content = check("get", file_template, r, 200)
    assert r.mimetype == DOCX and content.startswith(b"PK") and "attachment" in r.headers["Content-Disposition"]
    check("get", file_template, methodist.get(f"/api/documents/{document['id']}/issued.docx"), 404)
    check("get", file_template, methodist.get("/api/documents/999999/content.docx"), 404)
    check("get", file_template, methodist.get(f"/api/documents/{document['id']}/other.docx"), 404)
    check("get", file_template, _login(api_app, "teacher3").get(documents[0]["files"]["content_docx"]), 403)
    found = check("post", "/api/verify", methodist.post("/api/verify", data={"file": (io.BytesIO(content), "k.docx")},
                                                        content_type="multipart/form-data"), 200)
    assert found["status"] == "content" and found["route"]["id"] == route["id"]
    assert found["document"]["id"] == document["id"] and found["sha256"] == sha
    unknown = check("post", "/api/verify", methodist.post("/api/verify", data=os.urandom(256),
                                                          content_type="application/octet-stream"), 200)
    assert unknown["status"] == "unknown" and "route" not in unknown
    check("post", "/api/verify", methodist.post("/api/verify", data=b"", content_type="application/octet-stream"), 400)
    check("post", "/api/verify", anonymous.post("/api/verify", data=content), 401)

    # Templates: only the admin uploads; a known one is accepted as is, garbage is refused.
    karta = read_template_files()["karta_iom.docx"]
    check("post", "/api/templates/{kind}", methodist.post("/api/templates/karta", data=karta), 403)
    deployed = check("post", "/api/templates/{kind}", admin.post("/api/templates/karta", data=karta,
                                                                  content_type="application/octet-stream"), 200)
    assert deployed == {**deployed, "kind": "karta", "created": False}
    check("post", "/api/templates/{kind}", admin.post("/api/templates/karta", data={
        "file": (io.BytesIO(b"not a docx"), "k.docx")}, content_type="multipart/form-data"), 422)
    check("post", "/api/templates/{kind}", admin.post("/api/templates/nope", data=karta), 404)

    # The route and its history.
    auditor = _login(api_app, "auditor")
    one = check("get", "/api/routes/{route_id}", auditor.get(f"/api/routes/{route['id']}"), 200)
    assert one["open_tasks"] and one["waiting_for"]
    events = check("get", "/api/routes/{route_id}/events", auditor.get(f"/api/routes/{route['id']}/events"), 200)
    assert [e["kind"] for e in events["events"]] == ["route_created", "document_issued", "task_completed",
                                                     "document_prepared", "signature_rejected", "document_signed",
                                                     "task_completed"]
    error = check("get", "/api/routes/{route_id}", auditor.get("/api/routes/999999"), 404)
    assert error["status"] == 404 and error["error"]
    check("get", "/api/routes/{route_id}/events", auditor.get("/api/routes/999999/events"), 404)
    check("get", "/api/routes/{route_id}", _login(api_app, "teacher3").get(f"/api/routes/{route['id']}"), 403)

    # The audit: verification, replay, the route as of an event, the export; auditors and admins only.
    rid = route["id"]
    teacher = _login(api_app, "teacher1")
    verify_template = "/api/routes/{route_id}/verify"
    report = check("get", verify_template, auditor.get(f"/api/routes/{rid}/verify"), 200)
    assert report["ok"] and report["events"] == len(events["events"]) and report["findings"] == []
    assert check("get", verify_template, admin.get(f"/api/routes/{rid}/verify"), 200)["ok"]
    check("get", verify_template, teacher.get(f"/api/routes/{rid}/verify"), 403)
    check("get", verify_template, auditor.get("/api/routes/999999/verify"), 404)
    check("get", verify_template, anonymous.get(f"/api/routes/{rid}/verify"), 401)
    replay_template = "/api/routes/{route_id}/replay"
    replayed = check("get", replay_template, auditor.get(f"/api/routes/{rid}/replay"), 200)
    assert replayed["ok"] and replayed["divergence"] is None and replayed["state"]["open_tasks"]
    replayed = check("get", replay_template, auditor.get(f"/api/routes/{rid}/replay?documents=1"), 200)
    assert replayed["ok"] and replayed["documents"] == []
    check("get", replay_template, teacher.get(f"/api/routes/{rid}/replay"), 403)
    check("get", replay_template, auditor.get("/api/routes/999999/replay"), 404)
    as_of_template = "/api/routes/{route_id}/as-of/{seq}"
    first = check("get", as_of_template, auditor.get(f"/api/routes/{rid}/as-of/1"), 200)
    assert first["ok"] and first["state"]["seq"] == 1 and [t["name"] for t in first["state"]["open_tasks"]] == [
        "draft"]
    assert first["state"]["documents"] == []  # the order is issued by event 2
    second = check("get", as_of_template, auditor.get(f"/api/routes/{rid}/as-of/2"), 200)
    assert [d["kind"] for d in second["state"]["documents"]] == ["prikaz_tutor"]
    last = check("get", as_of_template, auditor.get(f"/api/routes/{rid}/as-of/{report['events']}"), 200)
    assert [d["kind"] for d in last["state"]["documents"]] == ["prikaz_tutor", "karta"]
    check("get", as_of_template, teacher.get(f"/api/routes/{rid}/as-of/1"), 403)
    check("get", as_of_template, auditor.get("/api/routes/999999/as-of/1"), 404)
    export_template = "/api/routes/{route_id}/export.{fmt}"
    history = check("get", export_template, auditor.get(f"/api/routes/{rid}/export.json"), 200)
    assert [e["seq"] for e in history["events"]] == list(range(1, report["events"] + 1))
    assert history["events"][0]["prev_hash"] == "0" * 64 and history["chain_head"] == history["events"][-1]["hash"]
    assert history["verification"]["ok"] and history["route"]["id"] == rid
    table = check("get", export_template, auditor.get(f"/api/routes/{rid}/export.csv"), 200).decode("utf-8-sig")
    assert table.splitlines()[0].startswith("seq,at,kind") and len(table.splitlines()) == report["events"] + 1
    check("get", export_template, teacher.get(f"/api/routes/{rid}/export.json"), 403)
    check("get", export_template, auditor.get(f"/api/routes/{rid}/export.xml"), 404)
    check("get", export_template, auditor.get("/api/routes/999999/export.json"), 404)
    certificate_template = "/api/routes/{route_id}/certificate.{fmt}"
    r = auditor.get(f"/api/routes/{rid}/certificate.docx")
    assert check("get", certificate_template, r, 200).startswith(b"PK") and r.mimetype == DOCX
    check("get", certificate_template, teacher.get(f"/api/routes/{rid}/certificate.docx"), 403)
    check("get", certificate_template, auditor.get(f"/api/routes/{rid}/certificate.txt"), 404)

    # Admin interventions: a reason is required; reassigning and cancelling are the admin's.
    other = check("post", "/api/routes", head.post("/api/routes", json={**body, "teacher_id": ids["teacher2"]}), 201)
    draft = other["open_tasks"][0]["id"]
    reassign = "/api/tasks/{task_id}/reassign"
    moved = {"assignee_id": ids["tutor2"], "reason": "Тьютор в отпуске"}
    check("post", reassign, admin.post(f"/api/tasks/{draft}/reassign", json={"assignee_id": ids["tutor2"]}), 422)
    check("post", reassign, head.post(f"/api/tasks/{draft}/reassign", json=moved), 403)
    check("post", reassign, admin.post("/api/tasks/nope/reassign", json=moved), 404)
    assert check("post", reassign, admin.post(f"/api/tasks/{draft}/reassign", json=moved), 200) == {
        "task_id": draft, "assignee_id": ids["tutor2"]}
    card = "/api/routes/{route_id}/card"
    fix = {"pointer": "/info/position", "value": "учитель физики и астрономии", "reason": "Опечатка"}
    check("post", card, admin.post(f"/api/routes/{other['id']}/card", json={**fix, "reason": " "}), 422)
    check("post", card, admin.post(f"/api/routes/{other['id']}/card", json={**fix, "pointer": "/nope/x"}), 422)
    check("post", card, head.post(f"/api/routes/{other['id']}/card", json=fix), 403)
    check("post", card, admin.post("/api/routes/999999/card", json=fix), 404)
    check("post", card, admin.post(f"/api/routes/{other['id']}/card", json=[]), 400)
    edited = check("post", card, admin.post(f"/api/routes/{other['id']}/card", json=fix), 200)
    assert edited == {"route_id": other["id"], "pointer": fix["pointer"], "old": "учитель физики", "new": fix["value"]}
    cancel = "/api/routes/{route_id}/cancel"
    check("post", cancel, admin.post(f"/api/routes/{other['id']}/cancel", json={"reason": ""}), 422)
    check("post", cancel, head.post(f"/api/routes/{other['id']}/cancel", json={"reason": "ошибка"}), 403)
    check("post", cancel, admin.post("/api/routes/999999/cancel", json={"reason": "ошибка"}), 404)
    done = check("post", cancel, admin.post(f"/api/routes/{other['id']}/cancel", json={"reason": "ошибка"}), 200)
    assert done == {"route_id": other["id"], "status": "cancelled"}
    check("post", cancel, admin.post(f"/api/routes/{other['id']}/cancel", json={"reason": "ошибка"}), 409)
    check("post", reassign, admin.post(f"/api/tasks/{draft}/reassign", json=moved), 409)
    replayed = check("get", replay_template, auditor.get(f"/api/routes/{other['id']}/replay"), 200)
    assert replayed["ok"] and replayed["state"]["cancelled"] and replayed["state"]["open_tasks"] == []
    kinds = [e["kind"] for e in check("get", export_template,
                                      auditor.get(f"/api/routes/{other['id']}/export.json"), 200)["events"]]
    assert kinds[-3:] == ["admin_reassigned", "admin_card_edited", "admin_cancelled"]

    # Personal tokens: issued, used, revoked.
    token = check("post", "/api/tokens", tutor.post("/api/tokens", json={"name": "скрипт"}), 201)
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert check("get", "/api/me", anonymous.get("/api/me", headers=bearer), 200)["id"] == ids["tutor1"]
    check("post", "/api/tokens", tutor.post("/api/tokens", json={"name": "x" * 101}), 422)
    check("delete", "/api/tokens/{token_id}", head.delete(f"/api/tokens/{token['id']}"), 404)
    check("delete", "/api/tokens/{token_id}", tutor.delete(f"/api/tokens/{token['id']}"), 204)
    check("get", "/api/me", anonymous.get("/api/me", headers=bearer), 401)

    # Logging out.
    assert check("post", "/api/logout", tutor.post("/api/logout"), 200) == {"ok": True}
    check("get", "/api/me", tutor.get("/api/me"), 401)
