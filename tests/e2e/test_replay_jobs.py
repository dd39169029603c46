"""The replay with documents off the request: the request enqueues a job for the background worker
(here a Huey queue the test drains by hand, as the worker's consumer would), the job writes its
progress, the result is kept by the route's chain head (asked again: answered at once, nothing
enqueued), a new event makes a new head and so a new job, and a document changed behind the
record is still found when the job runs again. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from huey import MemoryHuey

from service.db.models import Document, Event, ReplayResult
from service.domain.access import OPERATOR
from service.services import replay_jobs
from tests.support.app import FakeClock, people_of, ready_app, route_opener
from tests.support.audit_routes import DOCUMENTS, as_intruder, drive, new_route

JOBS = ReplayResult.__table__


@pytest.fixture
def queue():
    return MemoryHuey("test-jobs", immediate=False, results=False)


@pytest.fixture
def app(database_url, queue):
    yield from ready_app(database_url, CLOCK=FakeClock(), JOBS=queue)


@pytest.fixture
def people(app):
    return people_of(app)


@pytest.fixture
def rid(app) -> int:
    route_id = new_route(app)
    drive(app, route_id)
    return route_id


def _drain(queue) -> int:
    """Run what is queued, as the worker's consumer does; how many messages ran."""
    ran = 0
    while (task := queue.dequeue()) is not None:
        queue.execute(task)
        ran += 1
    return ran


def _counts(app, rid: int) -> tuple[int, int]:
    with app.extensions["iom"].sessions() as s:
        events = s.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.route_id == rid))
        docs = s.scalar(sa.select(sa.func.count()).select_from(Document).where(Document.route_id == rid))
    return events, docs


def test_a_replay_with_documents_is_queued_followed_and_then_kept_by_the_chain_head(app, people, queue, rid):
    auditor = people("auditor")
    r = auditor.get(f"/api/routes/{rid}/replay?documents=1")
    assert r.status_code == 202, r.get_json()
    job = r.get_json()
    assert job["state"] == "queued" and job["current"] is True and job["documents"] is True and "result" not in job
    location = r.headers["Location"]
    assert location.endswith(f"/api/routes/{rid}/replay-jobs/{job['id']}")
    assert auditor.get(f"/api/routes/{rid}/replay?documents=1").status_code == 202  # asked again: the same job
    assert queue.pending_count() == 1

    assert _drain(queue) == 1
    r = auditor.get(location)
    assert r.status_code == 200
    done = r.get_json()
    events, docs = _counts(app, rid)
    assert done["state"] == "done" and done["done"] == done["total"] == events + docs and done["percent"] == 100
    assert done["result"]["ok"] is True and done["result"]["documents"] == []
    assert done["result"]["chain"]["head"] == done["chain_head"]

    r = auditor.get(f"/api/routes/{rid}/replay?documents=1")  # kept: answered at once, nothing queued
    assert r.status_code == 200 and r.get_json() == done["result"]
    assert queue.pending_count() == 0


def test_progress_is_written_while_the_job_runs(app, rid, monkeypatch):
    ctx = app.extensions["iom"]
    monkeypatch.setattr(replay_jobs, "PROGRESS_EVERY_S", 0.0)  # every step written
    seen: list[tuple[int, int]] = []

    def watch(done: int, total: int) -> None:
        with ctx.sessions() as s:  # what a poller reads, from another connection
            row = s.execute(sa.select(JOBS.c.state, JOBS.c.done, JOBS.c.total)).one()
        seen.append((row.done, row.total))
        assert row.state == "running"

    job_id, started = replay_jobs._claim(ctx, OPERATOR, rid, True, False)
    assert started and replay_jobs.run(ctx, job_id, echo=watch)
    events, docs = _counts(app, rid)
    dones = [d for d, _ in seen]  # each read sees the step before it written
    assert dones == sorted(dones) and len(set(dones)) > (events + docs) // 2  # per event and per document
    assert {t for _, t in seen[1:]} == {events + docs}
    with ctx.sessions() as s:
        assert s.execute(sa.select(JOBS.c.state, JOBS.c.done, JOBS.c.total)).one() == ("done", events + docs,
                                                                                        events + docs)
    assert replay_jobs.run(ctx, job_id) is False  # a duplicate message finds it taken


def test_a_new_event_makes_the_kept_result_stale_and_a_new_job(app, people, queue):
    rid = route_opener(app, people)()
    auditor = people("auditor")
    first = auditor.get(f"/api/routes/{rid}/replay?documents=1").get_json()
    _drain(queue)
    assert auditor.get(f"/api/routes/{rid}/replay?documents=1").status_code == 200

    people("tutor1").do(rid, "draft")  # a new event: a new chain head
    stale = auditor.get(f"/api/routes/{rid}/replay-jobs/{first['id']}").get_json()
    assert stale["current"] is False and stale["state"] == "done"
    r = auditor.get(f"/api/routes/{rid}/replay?documents=1")
    assert r.status_code == 202 and r.get_json()["chain_head"] != first["chain_head"]
    assert auditor.get(f"/api/routes/{rid}/replay-jobs/{first['id']}").status_code == 404  # the old head's row is gone
    _drain(queue)
    assert auditor.get(f"/api/routes/{rid}/replay?documents=1").get_json()["ok"] is True


def test_a_document_changed_behind_the_record_is_found_when_the_job_runs_again(app, people, queue, rid):
    auditor = people("auditor")
    auditor.get(f"/api/routes/{rid}/replay?documents=1")
    _drain(queue)
    assert auditor.get(f"/api/routes/{rid}/replay?documents=1").get_json()["ok"] is True
    with app.extensions["iom"].sessions() as s:
        doc = s.scalar(sa.select(Document).where(Document.route_id == rid, Document.kind == "korrektirovka"))
        doc_id, data = doc.id, copy.deepcopy(doc.data)
    data["correction"]["reason"] = "Причина, которой не было"
    as_intruder(app, sa.update(DOCUMENTS).where(DOCUMENTS.c.id == doc_id).values(data=data))

    r = auditor.post(f"/api/routes/{rid}/replay-jobs", {"documents": True})  # the same head, run anew
    assert r.status_code == 202 and r.get_json()["state"] == "queued"
    _drain(queue)
    body = auditor.get(f"/api/routes/{rid}/replay?documents=1").get_json()
    assert body["ok"] is False and f"документ {doc_id} (korrektirovka" in body["divergence"]["where"]
    assert len(body["documents"]) == 2


def test_a_lost_job_is_handed_over_again_and_a_failed_one_on_the_next_ask(app, people, queue, rid):
    auditor = people("auditor")
    job = auditor.get(f"/api/routes/{rid}/replay?documents=1").get_json()
    queue.flush()  # the message is lost (a Redis restart)
    engine = app.extensions["iom"].sessions.kw["bind"]
    with engine.begin() as c:
        c.execute(JOBS.update().values(requested_at=datetime.now(UTC) - timedelta(minutes=6)))
    assert auditor.get(f"/api/routes/{rid}/replay?documents=1").status_code == 202
    assert queue.pending_count() == 1 and _drain(queue) == 1
    assert auditor.get(f"/api/routes/{rid}/replay-jobs/{job['id']}").get_json()["state"] == "done"
    with engine.begin() as c:
        c.execute(JOBS.update().values(state="failed", error="x"))
    assert auditor.get(f"/api/routes/{rid}/replay?documents=1").status_code == 202 and _drain(queue) == 1


def test_only_auditors_and_admins_may_ask_or_follow(app, people, queue, rid):
    job = people("auditor").get(f"/api/routes/{rid}/replay?documents=1").get_json()
    for login in ("head_cnppm", "tutor1", "teacher1"):
        assert people(login).get(f"/api/routes/{rid}/replay-jobs/{job['id']}").status_code == 403
        assert people(login).post(f"/api/routes/{rid}/replay-jobs").status_code == 403
    assert people("admin").get(f"/api/routes/{rid}/replay-jobs/{job['id']}").status_code == 202
    assert people("admin").get(f"/api/routes/{rid + 1000}/replay-jobs/{job['id']}").status_code == 404
    assert app.test_client().get(f"/api/routes/{rid}/replay-jobs/{job['id']}").status_code == 401


def test_the_audit_page_starts_the_job_and_shows_its_progress_then_its_result(app, people, queue, rid):
    auditor = people("auditor")
    page = auditor.get(f"/routes/{rid}/audit").get_data(as_text=True)
    assert "Запустить повтор с документами" in page and 'id="replay-progress"' not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = auditor.client.post(f"/routes/{rid}/audit/replay", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/routes/{rid}/audit#replay-documents")

    page = auditor.get(f"/routes/{rid}/audit").get_data(as_text=True)
    poll = re.search(r'data-poll="([^"]+)"', page).group(1)
    assert 'id="replay-progress"' in page and "В очереди" in page and 'id="replay-refresh"' in page
    small = auditor.get(poll).get_json()
    assert small["state"] == "queued" and set(small) == {"id", "state", "done", "total", "percent"}

    _drain(queue)
    assert auditor.get(poll).get_json()["state"] == "done"
    page = auditor.get(f"/routes/{rid}/audit").get_data(as_text=True)
    assert "Повтор и документы совпадают с историей" in page and "data-poll" not in page
    assert "Проверить заново" in page
    assert people("head_cnppm").get(poll).status_code == 403


def test_the_cli_replays_here_with_progress_and_keeps_the_result(app, people, queue, rid):
    out = app.test_cli_runner().invoke(args=["replay", str(rid), "--documents"])
    assert out.exit_code == 0, out.output
    events, docs = _counts(app, rid)
    assert f"Повтор: {events + docs}/{events + docs}" in out.output and "Повтор совпал с историей" in out.output
    r = people("auditor").get(f"/api/routes/{rid}/replay?documents=1")
    assert r.status_code == 200 and r.get_json()["ok"] is True and queue.pending_count() == 0


def test_the_job_answers_match_the_published_contract(app, people, queue, rid):
    from tests.support.contract_check import Documented

    check, auditor = Documented(), people("auditor")
    replay, jobs, job = ("/api/routes/{route_id}/replay", "/api/routes/{route_id}/replay-jobs",
                         "/api/routes/{route_id}/replay-jobs/{job_id}")
    queued = check("get", replay, auditor.get(f"/api/routes/{rid}/replay?documents=1"), 202)
    check("get", job, auditor.get(f"/api/routes/{rid}/replay-jobs/{queued['id']}"), 202)
    check("get", job, people("tutor1").get(f"/api/routes/{rid}/replay-jobs/{queued['id']}"), 403)
    check("get", job, auditor.get(f"/api/routes/{rid}/replay-jobs/{queued['id'] + 99}"), 404)
    _drain(queue)
    assert check("get", job, auditor.get(f"/api/routes/{rid}/replay-jobs/{queued['id']}"), 200)["result"]["ok"]
    check("get", replay, auditor.get(f"/api/routes/{rid}/replay?documents=1"), 200)
    check("post", jobs, auditor.post(f"/api/routes/{rid}/replay-jobs"), 202)
    check("post", jobs, auditor.post(f"/api/routes/{rid}/replay-jobs", {"documents": "да"}), 422)
