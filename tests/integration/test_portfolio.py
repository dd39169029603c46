"""The teacher's portfolio (service/services/portfolio.py) on a real database: every file taken
out of the archive is one `documents.verify` accepts (and a changed byte is refused), the cover
list names every document with its signers (a delegate's signature with its delegation) and hash,
the archive is the same bytes on every build, and who takes which routes. Runs on SQLite and
PostgreSQL (`module_database_url`)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from service.db.models import Document, Task
from service.domain.access import Actor
from service.domain.errors import NotAllowed, NotFound
from service.domain.states import TaskState
from service.samples import VALID
from service.services import accounts, delegations, demo, portfolio, routes, views
from service.services import documents as documents_service
from service.services.demo import PASSWORD
from tests.support.app import FakeClock, ready_app
from tests.support.docx_text import docx_text

HEAD, DEPUTY = "Директорова Елена Викторовна", "Завучева Ольга Николаевна"
ODD_TITLE = 'ИОМ: «проект» / часть 2: "итоги"?'


@pytest.fixture(scope="module")
def app(module_database_url):
    yield from ready_app(module_database_url, CLOCK=FakeClock())


def _as(app, login: str) -> Actor:
    return accounts.load_actor(app.extensions["iom"], app.config["PEOPLE"][login])


def _approve_as_deputy(app, rid: int) -> None:
    ctx = app.extensions["iom"]
    deputy = _as(app, "deputy_gym")
    with ctx.uow() as uow:
        task_id = uow.session.scalar(sa.select(Task.id).where(Task.route_id == rid, Task.name == "approval",
                                                              Task.state == TaskState.READY))
    view = views.task_view(ctx, deputy, task_id)
    signature = {"password": PASSWORD, "document_sha256": view["signs"]["document"]["content_sha256"]}
    routes.complete_task(ctx, deputy, task_id, {"decision": "accept", "comment": "Утверждаю"}, signature)


@pytest.fixture(scope="module")
def world(app):
    """teacher1: an approved route (tutor1; approved by the deputy for the head) with one signed
    correction, and a just-opened route with tutor2; teacher2: a route with tutor1."""
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    today = ctx.clock().date().isoformat()
    delegations.grant(ctx, _as(app, "head_gym"), {"delegate_id": ids["deputy_gym"], "role": "school_head",
                                                  "starts_on": today, "ends_on": today, "kinds": ["approve"]})
    head = _as(app, "head_cnppm")
    first = routes.create_route(ctx, head, routes.NewRoute(ids["teacher1"], ids["tutor1"], ids["methodist"]))
    for name, data in [("draft", VALID["draft"]), ("plan_signatures_methodist", VALID["sign"]),
                       ("plan_signatures_teacher", VALID["sign"]), ("agreement", VALID["review"])]:
        demo.complete_as_assignee(ctx, first, name, data)
    _approve_as_deputy(app, first)
    for name, data in [("implementation", {"next": "correction"}), ("correction", VALID["correction"]),
                       ("correction_signatures_teacher", VALID["sign"]), ("correction_signatures_tutor", VALID["sign"]),
                       ("correction_signatures_methodist", VALID["sign"])]:
        demo.complete_as_assignee(ctx, first, name, data)
    second = routes.create_route(ctx, head, routes.NewRoute(ids["teacher1"], ids["tutor2"], ids["methodist"],
                                                            title=ODD_TITLE))
    other = routes.create_route(ctx, head, routes.NewRoute(ids["teacher2"], ids["tutor1"], ids["methodist"]))
    return {"first": first, "second": second, "other": other}


def _issued(app, route_ids) -> dict[str, str]:
    """SHA-256 of each issued version of the routes → its kind."""
    with app.extensions["iom"].sessions() as s:
        return dict(s.execute(sa.select(Document.issued_sha256, Document.kind).where(
            Document.route_id.in_(route_ids), Document.issued_sha256.is_not(None))).all())


def _members(archive: portfolio.Portfolio) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zf:
        assert zf.testzip() is None
        return {info.filename: zf.read(info) for info in zf.infolist()}


def test_every_file_taken_out_of_the_archive_is_verified_and_a_changed_byte_is_refused(app, world):
    ctx = app.extensions["iom"]
    archive = portfolio.build(ctx, _as(app, "teacher1"), app.config["PEOPLE"]["teacher1"])
    members = _members(archive)
    files = {name: data for name, data in members.items() if name.endswith(".docx") and name != portfolio.OPIS}
    expected = _issued(app, [world["first"], world["second"]])
    assert len(files) == len(expected) >= 5  # two orders, the approved Карта, the correction sheet, the new Карта
    for name, data in files.items():
        answer = documents_service.verify(ctx, data)
        assert answer["status"] == "issued", (name, answer)
        assert answer["route"]["id"] in (world["first"], world["second"])
        assert name.split("/", 1)[0].startswith(f"{answer['route']['id']}_")
        assert name.endswith(f"/{answer['document']['kind']}-v{answer['document']['version']}.docx")
    data = bytearray(next(iter(files.values())))
    data[len(data) // 2] ^= 0x01
    assert documents_service.verify(ctx, bytes(data))["status"] == "unknown"


def test_the_manifest_and_the_cover_list_name_every_document_with_its_signers_and_hash(app, world):
    ctx = app.extensions["iom"]
    archive = portfolio.build(ctx, _as(app, "teacher1"), app.config["PEOPLE"]["teacher1"])
    members = _members(archive)
    manifest = json.loads(members[portfolio.MANIFEST])
    assert manifest == archive.manifest
    assert manifest["scope"] == "all" and manifest["count"] == len(manifest["documents"])
    assert {r["id"] for r in manifest["routes"]} == {world["first"], world["second"]}
    for entry in manifest["documents"]:
        assert entry["intact"] and documents_service.sha256(members[entry["file"]]) == entry["sha256"]
        assert entry["issued_at_local"].startswith("01.09.2026 ") and "МСК" in entry["issued_at_local"]
    karta = [e for e in manifest["documents"] if e["kind"] == "karta" and e["route"]["id"] == world["first"]]
    approval = [s for s in karta[0]["signatures"] if s["action"] == "approve"][0]
    assert approval["signer"]["name"] == DEPUTY and approval["delegation"].startswith(f"за {HEAD}, по поручению от ")
    assert {s["role"] for s in karta[0]["signatures"]} >= {"methodist", "teacher", "cnppm_head"}

    opis = docx_text(members[portfolio.OPIS])
    assert "Опись документов портфолио педагога" in opis and "Иванова Мария Петровна" in opis
    for entry in manifest["documents"]:
        assert entry["sha256"] in opis and entry["file"] in opis
    assert f"{DEPUTY}, за {HEAD}, по поручению от" in opis and "утвердил(а)" in opis
    assert "Лист корректировки ИОМ, версия 1" in opis
    odd = [r for r in manifest["routes"] if r["id"] == world["second"]][0]["folder"]
    assert odd == f"{world['second']}_ИОМ «проект» часть 2 итоги"  # nothing a file system refuses


def test_the_archive_is_the_same_bytes_on_every_download(app, world):
    ctx, teacher = app.extensions["iom"], app.config["PEOPLE"]["teacher1"]
    one, two = portfolio.build(ctx, _as(app, "teacher1"), teacher), portfolio.build(ctx, _as(app, "auditor"), teacher)
    assert one.data == two.data and one.sha256 == two.sha256
    with zipfile.ZipFile(io.BytesIO(one.data)) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos[:2]] == [portfolio.OPIS, portfolio.MANIFEST]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("login", ["teacher1", "auditor", "admin"])
def test_the_teacher_an_auditor_and_an_admin_take_every_route(app, world, login):
    archive = portfolio.build(app.extensions["iom"], _as(app, login), app.config["PEOPLE"]["teacher1"])
    assert {r["id"] for r in archive.manifest["routes"]} == {world["first"], world["second"]}
    assert archive.manifest["scope"] == "all"


@pytest.mark.parametrize(("login", "route"), [("tutor1", "first"), ("tutor2", "second")])
def test_a_tutor_takes_only_the_routes_they_accompany(app, world, login, route):
    archive = portfolio.build(app.extensions["iom"], _as(app, login), app.config["PEOPLE"]["teacher1"])
    assert [r["id"] for r in archive.manifest["routes"]] == [world[route]]
    assert archive.manifest["scope"] == "tutor"
    assert {e["route"]["id"] for e in archive.manifest["documents"]} == {world[route]}


@pytest.mark.parametrize("login", ["teacher2", "methodist", "head_gym", "head_cnppm"])
def test_anyone_else_is_refused(app, world, login):
    ctx, teacher = app.extensions["iom"], app.config["PEOPLE"]["teacher1"]
    with pytest.raises(NotAllowed):
        portfolio.build(ctx, _as(app, login), teacher)
    assert portfolio.may_take(ctx, _as(app, login), teacher) is False


def test_tutor2_is_refused_the_portfolio_of_a_teacher_they_do_not_accompany(app, world):
    with pytest.raises(NotAllowed):
        portfolio.build(app.extensions["iom"], _as(app, "tutor2"), app.config["PEOPLE"]["teacher2"])


@pytest.mark.parametrize("who", [987_654, "tutor1"])
def test_an_unknown_teacher_is_not_found(app, world, who):
    teacher_id = app.config["PEOPLE"][who] if isinstance(who, str) else who
    with pytest.raises(NotFound):
        portfolio.build(app.extensions["iom"], _as(app, "admin"), teacher_id)


def test_more_documents_than_one_archive_holds_are_refused_before_any_is_read(app, world, monkeypatch):
    monkeypatch.setattr(portfolio, "MAX_DOCUMENTS", 2)
    with pytest.raises(portfolio.PortfolioTooLarge, match="не более 2 документов"):
        portfolio.build(app.extensions["iom"], _as(app, "teacher1"), app.config["PEOPLE"]["teacher1"])
