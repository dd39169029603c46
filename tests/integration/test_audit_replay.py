"""Replay: a route re-executed from its events on the BPMN version it ran on gives the stored
state; a changed BPMN file or a re-chained, altered submission is a divergence, not a crash or
a silent pass. Runs on SQLite and PostgreSQL (`database_url`)."""

from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa

from service.app import build_service_context
from service.db.models import Document, Route, Task, User, WorkflowSpec
from service.domain.access import OPERATOR
from service.domain.errors import NotFound
from service.services import audit, audit_replay
from service.services.documents import describe
from tests.support.app import FakeClock, ready_app
from tests.support.audit_routes import (
    EVENTS,
    ROUTES,
    as_intruder,
    db_engine,
    drive,
    new_route,
    rechain,
    stored_events,
)

SPECS = WorkflowSpec.__table__
DOCUMENTS = Document.__table__
USERS = User.__table__


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock())


@pytest.fixture
def rid(app) -> int:
    route_id = new_route(app)
    drive(app, route_id)
    return route_id


def _ctx(app):
    return app.extensions["iom"]


def _seq(app, rid, kind: str, task_name: str | None = None, nth: int = 0) -> int:
    found = [e.seq for e in stored_events(app, rid)
             if e.kind == kind and (task_name is None or e.task_name == task_name)]
    return found[nth]


# ---- a clean route --------------------------------------------------------------------------------
def test_a_clean_route_replays_to_its_stored_state(app, rid):
    ctx = _ctx(app)
    result = audit_replay.replay(ctx, OPERATOR, rid)
    assert result["ok"] is True and result["divergence"] is None, result["divergence"]
    assert result["chain"]["ok"] and result["chain"]["events"] == len(stored_events(app, rid))
    state = result["state"]
    with ctx.sessions() as s:
        route = s.get(Route, rid)
        stored_card, chain_head = route.card, route.chain_head
        stored_tasks = sorted((t.name, t.assignee_id, t.id) for t in s.scalars(
            sa.select(Task).where(Task.route_id == rid, Task.state == "ready")))
    assert state["card"] == stored_card and state["card"]["revision"] >= 3
    assert len(state["card"]["corrections"]) == 1
    assert sorted((t["name"], t["assignee_id"], t["task_id"]) for t in state["open_tasks"]) == stored_tasks
    assert [t["name"] for t in state["open_tasks"]] == ["implementation"] and state["finished"] is False
    assert result["chain"]["head"] == chain_head and state["seq"] == len(stored_events(app, rid))


def _document_event(app, rid, kind: str, doc_kind: str, version: int) -> int:
    return next(e.seq for e in stored_events(app, rid) if e.kind == kind and e.data.get("kind") == doc_kind
                and e.data.get("version") == version)


def test_as_of_an_early_event_shows_the_open_tasks_and_documents_then(app, rid):
    ctx, ids = _ctx(app), app.config["PEOPLE"]
    # after the draft: its completion and the karta v1 it prepared
    draft = max(_seq(app, rid, "task_completed", "draft"), _document_event(app, rid, "document_prepared", "karta", 1))
    then = audit_replay.as_of(ctx, OPERATOR, rid, draft)
    assert then["ok"] is True
    state = then["state"]
    assert state["seq"] == draft
    assert [(t["name"], t["assignee_id"]) for t in state["open_tasks"]] == [
        ("plan_signatures_methodist", ids["methodist"]), ("plan_signatures_teacher", ids["teacher1"])]
    assert state["card"]["revision"] == 1 and state["card"]["corrections"] == []
    docs = {(d["kind"], d["version"]): d for d in state["documents"]}
    assert set(docs) == {("prikaz_tutor", 1), ("karta", 1)}  # karta v2, v3 and the correction came later
    assert docs[("karta", 1)]["state"] == "awaiting_signatures" and docs[("karta", 1)]["signatures"] == []
    assert docs[("karta", 1)]["issued_sha256"] is None
    assert docs[("prikaz_tutor", 1)]["state"] == "issued"

    returned = _seq(app, rid, "task_completed", "plan_signatures_teacher")  # the teacher's return
    state = audit_replay.as_of(ctx, OPERATOR, rid, returned)["state"]
    assert [t["name"] for t in state["open_tasks"]] == ["draft"]
    karta = [d for d in state["documents"] if d["kind"] == "karta"]
    assert [(d["version"], [s["action"] for s in d["signatures"]]) for d in karta] == [(1, ["sign"])]

    issued = _document_event(app, rid, "document_issued", "karta", 2)  # the approved plan
    state = audit_replay.as_of(ctx, OPERATOR, rid, issued)["state"]
    assert [t["name"] for t in state["open_tasks"]] == ["implementation"]
    karta = {d["version"]: d for d in state["documents"] if d["kind"] == "karta"}
    assert set(karta) == {1, 2} and karta[1]["state"] == "superseded" and karta[2]["state"] == "issued"
    assert [s["action"] for s in karta[2]["signatures"]] == ["sign", "sign", "agree", "approve"]

    last = len(stored_events(app, rid))
    replayed = audit_replay.replay(ctx, OPERATOR, rid)["state"]["open_tasks"]
    assert audit_replay.as_of(ctx, OPERATOR, rid, last)["state"]["open_tasks"] == replayed
    for outside in (0, last + 1):
        with pytest.raises(NotFound):
            audit_replay.as_of(ctx, OPERATOR, rid, outside)


def test_as_of_shows_a_document_only_from_its_own_event_on(app, rid):
    ctx = _ctx(app)
    events = stored_events(app, rid)
    wrong = []
    for k in range(1, len(events) + 1):
        seen = {e.data["document_id"] for e in events[:k] if e.kind in ("document_prepared", "document_issued")}
        issued = {e.data["document_id"] for e in events[:k] if e.kind == "document_issued"}
        documents = audit_replay.as_of(ctx, OPERATOR, rid, k)["state"]["documents"]
        shown = {d["id"]: d["state"] == "issued" for d in documents}
        if set(shown) != seen or {i for i, is_issued in shown.items() if is_issued} != issued:
            wrong.append(k)
    assert wrong == []


def test_every_document_re_renders_to_its_recorded_sha256(app, rid):
    ctx = _ctx(app)
    assert audit_replay.rerender_documents(ctx, rid) == []
    ctx.templates.clear()  # as after a restart: the templates come back from the database
    assert audit_replay.rerender_documents(ctx, rid) == []
    fresh = build_service_context(app.config["DATABASE_URL"])
    try:
        assert audit_replay.rerender_documents(fresh, rid) == []
    finally:
        fresh.sessions.kw["bind"].dispose()


def test_a_signer_who_changes_their_name_later_leaves_their_signed_documents_as_they_were(app, rid):
    """The signature sheet shows the name the person signed with, so a later change of name (a
    marriage, say) neither alters the issued copies nor makes them fail to re-render."""
    methodist = app.config["PEOPLE"]["methodist"]
    ctx = _ctx(app)
    with ctx.sessions() as s:
        signed_as = s.get(User, methodist).full_name
    with db_engine(app).begin() as conn:
        conn.execute(sa.update(USERS).where(USERS.c.id == methodist).values(full_name="Новая Фамилия Методиста"))
    assert audit_replay.rerender_documents(ctx, rid) == []
    assert audit_replay.replay(ctx, OPERATOR, rid, documents=True)["ok"] is True
    assert audit.verify_route(ctx, OPERATOR, rid).ok
    with ctx.sessions() as s:
        karta = s.scalar(sa.select(Document).where(Document.route_id == rid, Document.kind == "karta",
                                                   Document.issued_sha256.is_not(None)).order_by(Document.id))
        names = {sig["signer"]["name"] for sig in describe(s, karta)["signatures"]
                 if sig["signer"]["id"] == methodist}
    assert names == {signed_as}


def test_a_documents_recorded_data_changed_diverges_at_the_event_that_recorded_it(app, rid):
    """An intruder edits what a document was rendered from (its bytes and row hashes untouched,
    so the record still looks consistent): re-rendering names the event that recorded its hash,
    the engine replay alone passes, and the replay with documents reports it as the divergence."""
    ctx = _ctx(app)
    with ctx.sessions() as s:
        doc = s.scalar(sa.select(Document).where(Document.route_id == rid, Document.kind == "korrektirovka"))
        doc_id, data = doc.id, copy.deepcopy(doc.data)
    (recorded,) = [e for e in stored_events(app, rid)
                   if e.kind == "document_prepared" and e.data["document_id"] == doc_id]
    (issued,) = [e for e in stored_events(app, rid) if e.kind == "document_issued" and e.data["document_id"] == doc_id]
    data["correction"]["reason"] = "Причина, которой не было"
    as_intruder(app, sa.update(DOCUMENTS).where(DOCUMENTS.c.id == doc_id).values(data=data))

    findings = audit_replay.rerender_documents(ctx, rid)
    assert [f.where for f in findings] == [f"событие № {recorded.seq}: документ {doc_id} (korrektirovka, версия 1)",
                                           f"событие № {issued.seq}: документ {doc_id} (korrektirovka, версия 1)"]
    assert "повторная отрисовка даёт" in findings[0].found
    assert audit_replay.replay(ctx, OPERATOR, rid)["ok"] is True  # the engine replay does not read documents
    result = audit_replay.replay(ctx, OPERATOR, rid, documents=True)
    assert result["ok"] is False and result["divergence"] == findings[0].as_dict()

    from tests.support.app import Person

    body = Person(app, "auditor").get(f"/api/routes/{rid}/replay?documents=1").get_json()
    assert body["ok"] is False and body["divergence"]["where"].startswith(f"событие № {recorded.seq}:")
    out = app.test_cli_runner().invoke(args=["replay", str(rid), "--documents"])
    assert out.exit_code == 1 and f"событие № {recorded.seq}: документ {doc_id}" in out.output


# ---- the BPMN changed after the route ran ------------------------------------------------------------
def _no_return_path(text: str) -> str:
    old = 'agreement["decision"] == "return"'
    assert old in text
    return text.replace(old, 'agreement["decision"] == "send_back"', 1)


def _broken(text: str) -> str:
    return text[: len(text) // 2]


@pytest.mark.parametrize("change", [_no_return_path, _broken], ids=["condition-renamed", "truncated-xml"])
def test_a_bpmn_file_changed_in_the_database_is_a_divergence_at_the_first_event(app, rid, change):
    with db_engine(app).connect() as conn:
        spec_id, files = conn.execute(sa.select(SPECS.c.id, SPECS.c.files)).one()
    name = next(n for n in files if n.endswith(".bpmn"))
    changed = dict(files, **{name: change(files[name])})
    as_intruder(app, sa.update(SPECS).where(SPECS.c.id == spec_id).values(files=changed))  # the hash stays

    ctx = _ctx(app)
    ctx.engine.unload_all()  # a restart: the loaded spec is no longer cached
    result = audit_replay.replay(ctx, OPERATOR, rid)
    assert result["ok"] is False and result["chain"]["ok"] is True
    divergence = result["divergence"]
    assert divergence["where"] == "событие № 1"
    if change is _no_return_path:
        assert "файл схемы изменён" in divergence["found"]

    fresh = build_service_context(app.config["DATABASE_URL"])  # the same from a new process
    try:
        assert audit_replay.replay(fresh, OPERATOR, rid)["divergence"] == divergence
    finally:
        fresh.sessions.kw["bind"].dispose()

    ctx.engine.unload_all()
    out = app.test_cli_runner().invoke(args=["replay", str(rid)])
    assert out.exit_code == 1 and "событие № 1:" in out.output


# ---- a submission changed and the chain rebuilt ------------------------------------------------------


def _set(path: list[str], value):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


@pytest.mark.parametrize("task, path, value, ready", [
    ("agreement", ["submission", "decision"], "return", "draft"),
    ("implementation", ["submission", "next"], "conclude", "final_results"),
], ids=["agreement-accept-to-return", "implementation-correction-to-conclude"])
def test_a_rechained_changed_decision_diverges_at_that_step(app, rid, task, path, value, ready):
    seq = _seq(app, rid, "task_completed", task)
    rechain(app, rid, seq, _set(path, value))
    assert audit.verify_route(_ctx(app), OPERATOR, rid).ok  # the chain alone no longer tells

    result = audit_replay.replay(_ctx(app), OPERATOR, rid)
    assert result["ok"] is False and result["chain"]["ok"] is True
    divergence = result["divergence"]
    # the recorded next task is not what the BPMN makes ready: caught at the altered completion itself
    assert divergence["where"] == f"событие № {seq}", divergence
    assert ready in divergence["expected"]

    out = app.test_cli_runner().invoke(args=["replay", str(rid)])
    assert out.exit_code == 1 and f"событие № {seq}:" in out.output


def test_a_rechained_changed_correction_diverges_from_the_stored_card(app, rid):
    seq = _seq(app, rid, "task_completed", "correction")
    rechain(app, rid, seq, _set(["submission", "reason"], "Другая причина"))
    assert audit.verify_route(_ctx(app), OPERATOR, rid).ok
    result = audit_replay.replay(_ctx(app), OPERATOR, rid)
    assert result["ok"] is False
    assert result["divergence"]["where"] == "состояние маршрута" and "карта" in result["divergence"]["found"]


def test_a_rechained_completion_by_someone_else_is_a_divergence(app, rid):
    seq = _seq(app, rid, "task_completed", "approval")
    other = app.config["PEOPLE"]["head_sch"]
    (event,) = [e for e in stored_events(app, rid) if e.seq == seq]
    as_intruder(app, sa.update(EVENTS).where(EVENTS.c.id == event.id).values(actor_id=other))
    rechain(app, rid, seq, lambda data: None)  # re-hash with the new actor
    assert audit.verify_route(_ctx(app), OPERATOR, rid).ok
    result = audit_replay.replay(_ctx(app), OPERATOR, rid)
    assert result["ok"] is False and result["divergence"]["where"] == f"событие № {seq}"
    assert str(other) in result["divergence"]["found"]


# ---- replays kept by chain head (services/replay_cache.py) --------------------------------------------
def test_a_replay_kept_from_an_earlier_view_does_not_hide_a_later_rechained_change(app, rid):
    ctx = _ctx(app)
    assert audit_replay.replay(ctx, OPERATOR, rid)["ok"] is True  # kept by the head it checked
    seq = _seq(app, rid, "task_completed", "agreement")
    rechain(app, rid, seq, _set(["submission", "decision"], "return"))
    result = audit_replay.replay(ctx, OPERATOR, rid)
    assert result["ok"] is False and result["divergence"]["where"] == f"событие № {seq}"


def _change_stored_card(app, rid: int) -> dict:
    """An intruder renames the teacher in the stored card, behind the history; the card written."""
    with _ctx(app).sessions() as s:
        card = copy.deepcopy(s.get(Route, rid).card)
    card["info"]["full_name"] = "Подменённое имя"
    as_intruder(app, sa.update(ROUTES).where(ROUTES.c.id == rid).values(card=card))
    return card


def test_a_replay_kept_from_an_earlier_view_still_compares_with_the_stored_card(app, rid):
    ctx = _ctx(app)
    assert audit_replay.replay(ctx, OPERATOR, rid)["ok"] is True
    _change_stored_card(app, rid)
    result = audit_replay.replay(ctx, OPERATOR, rid)
    assert result["ok"] is False and "карта" in result["divergence"]["found"]


def test_a_kept_replay_is_a_copy_the_caller_may_change(app, rid):
    ctx = _ctx(app)
    first = audit_replay.replay(ctx, OPERATOR, rid)
    first["state"]["card"]["info"]["full_name"] = "изменено вызывающим"
    again = audit_replay.replay(ctx, OPERATOR, rid)
    assert again["state"]["card"]["info"]["full_name"] != "изменено вызывающим"
    assert again == audit_replay.replay(ctx, OPERATOR, rid)


def test_a_card_changed_behind_the_history_still_shows_the_route_as_it_stood_after_its_last_event(app, rid):
    """The page's replay reports the stored card's difference; the as-of view of the last event is
    that replay's state (the events replayed), with its documents, not a second replay."""
    ctx = _ctx(app)
    card = _change_stored_card(app, rid)
    replayed = audit_replay.replay(ctx, OPERATOR, rid)
    assert replayed["ok"] is False and "карта" in replayed["divergence"]["found"]
    last = replayed["state"]["seq"]
    shown = audit_replay.as_of(ctx, OPERATOR, rid, last, replayed)
    assert shown["ok"] is True and shown["state"]["card"] == replayed["state"]["card"] != card
    assert shown["state"]["documents"] and shown == audit_replay.as_of(ctx, OPERATOR, rid, last)
