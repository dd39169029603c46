"""Delegated signatures and versioned documents: documents issued before delegation came in (format
2) re-render to their recorded SHA-256 and replay ok; a new document (format 3) signed by a deputy
for the head prints «<deputy>, за <head>, по поручению от <дата>» on its signature sheet, and its
route replays ok with documents. Runs on SQLite and PostgreSQL (`database_url`)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from service.db.models import Document, Task
from service.documents.context import FORMAT_DELEGATION, FORMAT_LOCAL, signature_rows
from service.domain.access import OPERATOR
from service.domain.states import TaskState
from service.samples import VALID
from service.services import accounts, audit_replay, delegations, demo, routes, views
from service.services import documents as documents_service
from service.services.demo import PASSWORD
from tests.support.app import FakeClock, ready_app
from tests.support.audit_routes import drive, new_route
from tests.support.docx_text import docx_text as _text
from tests.support.docx_text import issued_documents as _issued

HEAD, DEPUTY = "Директорова Елена Викторовна", "Завучева Ольга Николаевна"


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock())


def _approve_as_deputy(app, rid: int) -> None:
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    deputy = accounts.load_actor(ctx, ids["deputy_gym"])
    with ctx.uow() as uow:
        task_id = uow.session.scalar(sa.select(Task.id).where(Task.route_id == rid, Task.name == "approval",
                                                              Task.state == TaskState.READY))
    view = views.task_view(ctx, deputy, task_id)
    assert view["delegated_for"]["person"]["name"] == HEAD
    signature = {"password": PASSWORD, "document_sha256": view["signs"]["document"]["content_sha256"]}
    routes.complete_task(ctx, deputy, task_id, {"decision": "accept", "comment": "Утверждаю"}, signature)


def test_old_documents_replay_unchanged_and_a_delegated_signature_shows_on_a_new_sheet(app, monkeypatch):
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    with monkeypatch.context() as old:  # before the change: format 2, no delegation on the sheet
        old.setattr(documents_service, "formatting", lambda timezone: {"format": FORMAT_LOCAL, "timezone": timezone})
        before_rid = new_route(app)
        drive(app, before_rid)
    before = _issued(app, before_rid)
    assert before and all(data["format"] == FORMAT_LOCAL for data, _, _ in before.values())

    assert audit_replay.rerender_documents(ctx, before_rid) == []
    assert audit_replay.replay(ctx, OPERATOR, before_rid, documents=True)["ok"] is True
    with ctx.uow() as uow:
        for doc_id, (_, issued, sha) in before.items():
            again = documents_service.render_issued(ctx, uow.session, uow.session.get(Document, doc_id))
            assert again == issued and hashlib.sha256(again).hexdigest() == sha

    head = accounts.load_actor(ctx, ids["head_gym"])
    today = ctx.clock().date().isoformat()
    delegations.grant(ctx, head, {"delegate_id": ids["deputy_gym"], "role": "school_head", "starts_on": today,
                                  "ends_on": today, "kinds": ["approve"]})
    rid = new_route(app)
    for name, data in [("draft", VALID["draft"]), ("plan_signatures_methodist", VALID["sign"]),
                       ("plan_signatures_teacher", VALID["sign"]), ("agreement", VALID["review"])]:
        demo.complete_as_assignee(ctx, rid, name, data)
    _approve_as_deputy(app, rid)
    karta = [(data, issued) for data, issued, _ in _issued(app, rid).values() if data["document"]["kind"] == "karta"]
    assert karta and karta[-1][0]["format"] >= FORMAT_DELEGATION  # 3 and later print the delegation
    on = date.fromisoformat(today).strftime("%d.%m.%Y")
    assert f"{DEPUTY}, за {HEAD}, по поручению от {on}" in _text(karta[-1][1])
    assert audit_replay.replay(ctx, OPERATOR, rid, documents=True)["ok"] is True
    assert audit_replay.replay(ctx, OPERATOR, before_rid, documents=True)["ok"] is True
    assert all(_issued(app, before_rid)[k][2] == before[k][2] for k in before)


def test_only_format_3_prints_the_delegation_on_the_sheet():
    signed = SimpleNamespace(role="school_head", signer_name=DEPUTY, action="approve", sha256="a" * 64,
                             signed_at=datetime(2026, 9, 1, 9, 0, tzinfo=UTC), delegation_id=7,
                             on_behalf_name=HEAD, delegated_on=date(2026, 8, 31))
    zone = "Europe/Moscow"
    assert signature_rows([signed], {"format": 2, "timezone": zone})[0]["full_name"] == DEPUTY
    assert signature_rows([signed], {})[0]["full_name"] == DEPUTY
    assert signature_rows([signed], {"format": 3, "timezone": zone})[0]["full_name"] == (
        f"{DEPUTY}, за {HEAD}, по поручению от 31.08.2026")
