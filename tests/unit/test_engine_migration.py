"""Moving running routes between deployed versions of the route BPMN (engine/migration.py):
the real workflows/iom_route.bpmn and variants built from it (tests/support/bpmn_variants.py)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import timedelta

import pytest
from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow

from service.domain.errors import MigrationBlocked
from service.engine import workflow as quick
from service.engine.adapter import ReplaySession
from service.engine.serializer import WorkflowCodec
from tests.support import bpmn_variants as variants
from tests.support.engine_driver import (
    CONCLUSION_SIGNERS,
    CORRECTION_SIGNERS,
    PLAN_SIGNERS,
    TODAY,
    Driver,
    deployed_engine,
    example,
    returned,
    route_files,
)


@pytest.fixture(scope="module")
def versions():
    """One engine with the real route (`a`), the review variant (`review`), the variant
    without the agreement (`no_agreement`) and one with a retitled task (`retitled`)."""
    engine, a = deployed_engine()
    return engine, {
        "a": a,
        "review": engine.deploy(route_files(variants.with_review())),
        "no_agreement": engine.deploy(route_files(variants.without_agreement())),
        "retitled": engine.deploy(route_files(variants.retitled("approval", "Утверждение ИОМ"))),
    }


def migrate(route: Driver, to_hash: str, mapping: dict[str, str] | None = None, days_later: int = 0):
    """Move the driver's route to `to_hash` the way the service would, keeping the card."""
    snap = route.engine.migrate(route.spec_hash, to_hash, route.snap.state, mapping,
                                route.today + timedelta(days=days_later), route._load_card)
    route.snap, route.spec_hash = snap, to_hash
    if snap.card is not None:
        route.card = snap.card
    return snap


def finish(route: Driver) -> list[str]:
    """Complete whatever is ready with its form's example until the route ends (concluding at
    the hub); the names completed, in order."""
    done = []
    for _ in range(60):
        if route.snap.finished:
            return done
        name = route.ready_names[0]
        done.append(name)
        route.do(name, {"next": "conclude"} if name == "implementation" else None)
    raise AssertionError(f"the route did not end: {done}")


def _to_stage(route: Driver, stage: str) -> None:
    if stage == "draft":
        return
    route.do("draft")
    if stage == "plan signatures":
        return
    route.sign(*PLAN_SIGNERS)
    if stage == "agreement":
        return
    route.do("agreement")
    route.do("approval")
    if stage == "implementation":
        route.correct()
    elif stage == "correction refused":  # mid-correction loop: back at the correction after a refusal
        route.do("implementation", {"next": "correction"})
        route.do("correction", example("correction", activity_no=route.card["activities"][-1]["no"]))
        route.do(CORRECTION_SIGNERS[0])
        route.do(CORRECTION_SIGNERS[1], returned("Неверная дата"))
        assert route.ready_names == ["correction"]
    elif stage == "correction signatures":
        route.do("implementation", {"next": "correction"})
        route.do("correction", example("correction", activity_no=route.card["activities"][-1]["no"]))
        route.do(CORRECTION_SIGNERS[0])
    elif stage == "conclusion":
        route.do("implementation", {"next": "conclude"})
        route.do("final_results")
        route.do("conclusions")
        route.do(CONCLUSION_SIGNERS[0])


STAGES = ["draft", "plan signatures", "agreement", "implementation", "correction refused",
          "correction signatures", "conclusion"]
BEFORE_REVIEW = {"draft", "plan signatures", "agreement"}


@pytest.mark.parametrize("stage", STAGES)
def test_a_route_at_any_stage_moves_to_a_version_with_a_review_and_completes_on_it(versions, stage):
    engine, v = versions
    route = Driver(engine, v["a"])
    _to_stage(route, stage)
    before = route.snap
    data_before = {t.name: route.task_data(t.name) for t in before.ready}

    snap = migrate(route, v["review"], days_later=3)

    # the same tasks wait, under the same engine ids, with the same data and the same timers
    assert [(t.name, t.engine_id) for t in snap.ready] == [(t.name, t.engine_id) for t in before.ready]
    assert {t.name: route.task_data(t.name) for t in snap.ready} == data_before
    assert snap.timers == before.timers
    assert snap.fired == []
    done = finish(route)
    assert ("review" in done) == (stage in BEFORE_REVIEW)
    assert route.card["result"] == "completed"


@pytest.mark.parametrize("stage", ["draft", "plan signatures", "implementation", "conclusion"])
def test_a_route_away_from_a_removed_task_moves_and_completes_without_it(versions, stage):
    engine, v = versions
    route = Driver(engine, v["a"])
    _to_stage(route, stage)
    before = route.snap
    snap = migrate(route, v["no_agreement"], days_later=3)
    assert [(t.name, t.engine_id) for t in snap.ready] == [(t.name, t.engine_id) for t in before.ready]
    assert snap.timers == before.timers
    assert "agreement" not in finish(route)
    assert route.card["result"] == "completed"


def test_the_preview_names_the_added_review_and_the_specs_around_it(versions):
    engine, v = versions
    route = Driver(engine, v["a"])
    route.do("draft")
    preview = engine.preview_migration(v["a"], v["review"], route.snap.state)
    assert preview.added == ["review"]
    assert preview.changed == ["agreement_check", "approval.BoundaryEventSplit"]
    assert preview.removed == []
    assert preview.current == list(PLAN_SIGNERS)
    assert preview.blocked == [] and preview.can_migrate and preview.reason is None
    assert {"draft", "agreement", "approval", *PLAN_SIGNERS} <= set(preview.unchanged)
    human = [n for n in preview.unchanged if n in engine.human_tasks(v["a"])]
    assert preview.unchanged[:len(human)] == sorted(human)  # user tasks first
    as_dict = preview.as_dict()
    assert as_dict["from_hash"] == v["a"] and as_dict["to_hash"] == v["review"]
    json.dumps(as_dict)


def test_the_spec_diff_of_a_pair_of_versions_is_computed_once(versions):
    engine, v = versions
    assert engine.migration_changes(v["a"], v["review"]) is engine.migration_changes(v["a"], v["review"])


def test_a_retitled_task_is_changed_and_a_waiting_one_shows_its_new_title(versions):
    engine, v = versions
    route = Driver(engine, v["a"])
    route.approve_plan()
    assert engine.preview_migration(v["a"], v["retitled"], route.snap.state).changed == ["approval"]
    route = Driver(engine, v["a"])
    route.do("draft")
    route.sign(*PLAN_SIGNERS)
    route.do("agreement")
    snap = migrate(route, v["retitled"])
    assert [(t.name, t.title) for t in snap.ready] == [("approval", "Утверждение ИОМ")]


def _at_agreement(engine, a_hash) -> Driver:
    route = Driver(engine, a_hash)
    route.do("draft")
    route.sign(*PLAN_SIGNERS)
    assert route.ready_names == ["agreement"]
    return route


def test_a_removed_current_task_blocks_the_preview_and_the_migration(versions):
    engine, v = versions
    route = _at_agreement(engine, v["a"])
    preview = engine.preview_migration(v["a"], v["no_agreement"], route.snap.state)
    assert preview.current == ["agreement"] and preview.blocked == ["agreement"]
    assert not preview.can_migrate
    assert "«agreement» отсутствует в новой версии" in preview.reason
    assert {"agreement", "agreement_check", "agreement_reminder", "agreement_escalation"} <= set(preview.removed)
    with pytest.raises(MigrationBlocked) as refused:
        migrate(route, v["no_agreement"])
    assert refused.value.status == 409 and refused.value.message == preview.reason


@pytest.mark.parametrize(("mapping", "says"), [
    ({"agreement": "no_such_task"}, "нет среди задач новой версии"),
    ({"agreement": "plan_signatures_teacher"}, "того же подпроцесса"),
    ({"agreement": "approval", "draft": "approval"}, "«draft» сейчас не ожидает выполнения"),
])
def test_a_mapping_that_does_not_fit_is_refused_with_the_reason(versions, mapping, says):
    engine, v = versions
    route = _at_agreement(engine, v["a"])
    preview = engine.preview_migration(v["a"], v["no_agreement"], route.snap.state, mapping)
    assert not preview.can_migrate and says in preview.reason
    with pytest.raises(MigrationBlocked):
        migrate(route, v["no_agreement"], mapping)


def test_a_removed_current_task_moves_to_the_task_the_admin_names(versions):
    engine, v = versions
    route = _at_agreement(engine, v["a"])
    old_id = route.task("agreement").engine_id
    preview = engine.preview_migration(v["a"], v["no_agreement"], route.snap.state, {"agreement": "approval"})
    assert preview.can_migrate and preview.blocked == [] and preview.mapping == {"agreement": "approval"}

    snap = migrate(route, v["no_agreement"], {"agreement": "approval"}, days_later=7)
    assert route.ready_names == ["approval"] and snap.ready[0].engine_id != old_id
    # the timers of the removed task are gone; the moved-to task's are armed from the migration
    assert {t.name for t in snap.timers} == {"approval_reminder", "approval_escalation"}
    assert all(t.task_engine_id == snap.ready[0].engine_id for t in snap.timers)
    assert min(t.fire_at for t in snap.timers).date() > TODAY + timedelta(days=7)
    finish(route)
    assert route.card["result"] == "completed"


def test_a_removed_current_task_may_move_back_to_the_draft(versions):
    engine, v = versions
    route = _at_agreement(engine, v["a"])
    size = len(route.snap.state)
    migrate(route, v["no_agreement"], {"agreement": "draft"})
    assert route.ready_names == ["draft"]
    assert len(route.snap.state) < size  # the round folds back onto the first draft (compaction)
    done = finish(route)
    assert done[:4] == ["draft", *PLAN_SIGNERS, "approval"]


def test_a_route_past_a_removed_task_moves_without_it_and_completes(versions):
    engine, v = versions
    route = Driver(engine, v["a"])
    route.approve_plan()
    route.correct()
    migrate(route, v["no_agreement"])
    assert route.ready_names == ["implementation"]
    state = json.loads(route.snap.state)
    names = {t["task_spec"] for t in state["tasks"].values()}
    assert not names & {"agreement", "agreement_check", "agreement_reminder", "agreement_escalation"}
    route.correct()
    route.conclude()
    assert route.snap.finished and len(route.card["corrections"]) == 2


@pytest.mark.parametrize(("to", "stage", "mapping"), [
    ("review", "plan signatures", None),
    ("review", "correction refused", None),
    ("no_agreement", "agreement", {"agreement": "approval"}),
    ("no_agreement", "implementation", None),
])
def test_the_migrated_state_round_trips_through_the_codec(versions, to, stage, mapping):
    engine, v = versions
    route = Driver(engine, v["a"])
    _to_stage(route, stage)
    migrate(route, v[to], mapping)
    codec = WorkflowCodec()
    assert codec.dump(codec.load(route.snap.state, engine.bundle(v[to]))) == route.snap.state


@pytest.fixture
def compared(monkeypatch) -> Counter:
    """Every quick query is answered by SpiffWorkflow's own iterator too and must agree
    (the approach of tests/unit/test_engine_workflow.py)."""
    seen: Counter = Counter()
    quick_find = quick.QuickFinding.get_tasks_iterator

    def get_tasks_iterator(self, first_task=None, **kwargs):
        ours = list(quick_find(self, first_task, **kwargs))
        theirs = list(BpmnBaseWorkflow.get_tasks_iterator(self, first_task, **kwargs))
        assert ours == theirs, (kwargs, [t.task_spec.name for t in ours], [t.task_spec.name for t in theirs])
        seen["queries"] += 1
        return iter(ours)

    monkeypatch.setattr(quick.QuickFinding, "get_tasks_iterator", get_tasks_iterator)
    return seen


@pytest.mark.parametrize(("to", "stage", "mapping"), [
    ("review", "plan signatures", None),
    ("review", "correction signatures", None),
    ("no_agreement", "agreement", {"agreement": "approval"}),
    ("no_agreement", "conclusion", None),
])
def test_quick_finding_agrees_with_spiffworkflow_after_a_migration(versions, compared, to, stage, mapping):
    engine, v = versions
    route = Driver(engine, v["a"])
    _to_stage(route, stage)
    compared.clear()
    migrate(route, v[to], mapping)
    workflow = WorkflowCodec().load(route.snap.state, engine.bundle(v[to]))
    for state in (1, 2, 4, 8, 16, 32, 64, 128, 256, 0xFFF):
        list(workflow.get_tasks_iterator(state=state))
        list(workflow.get_tasks_iterator(state=state, manual=True))
    finish(route)
    assert compared["queries"] > 50


def test_a_replay_that_migrates_mid_history_ends_as_the_live_route(versions):
    engine, v = versions
    history: list[tuple[str, dict | None]] = []
    live = Driver(engine, v["a"])

    def do(name, submission=None):
        live.do(name, submission)
        history.append((name, submission if submission is not None else example(live_forms[name])))

    live_forms = {n: h.form for n, h in engine.human_tasks(v["review"]).items()}
    do("draft")
    do(PLAN_SIGNERS[0])
    migrate(live, v["review"])
    migrated_at = len(history)
    do(PLAN_SIGNERS[1])
    for name in ("agreement", "review", "approval"):
        do(name)
    do("implementation", {"next": "correction"})
    do("correction", example("correction", activity_no=live.card["activities"][-1]["no"]))
    for name in CORRECTION_SIGNERS:
        do(name)
    do("implementation", {"next": "conclude"})
    for name in ("final_results", "conclusions", *CONCLUSION_SIGNERS):
        do(name)
    assert live.ready_names == ["acknowledge"]

    replay = ReplaySession(engine, v["a"], {}, TODAY)
    for i, (name, submission) in enumerate(history):
        if i == migrated_at:
            replay.migrate(v["review"])
            assert [t.name for t in replay.ready()] == [PLAN_SIGNERS[1]]
        replay.complete(name, submission, TODAY)
    assert [t.name for t in replay.ready()] == live.ready_names
    assert replay.card == live.card


def test_a_replay_refuses_a_migration_the_route_could_not_make(versions):
    engine, v = versions
    replay = ReplaySession(engine, v["a"], {}, TODAY)
    replay.complete("draft", example("draft"), TODAY)
    for name in PLAN_SIGNERS:
        replay.complete(name, example("sign"), TODAY)
    with pytest.raises(MigrationBlocked):
        replay.migrate(v["no_agreement"])
    replay.migrate(v["no_agreement"], {"agreement": "approval"})
    assert [t.name for t in replay.ready()] == ["approval"]


def test_a_snapshot_after_migration_is_plain_data(versions):
    engine, v = versions
    route = _at_agreement(engine, v["a"])
    snap = migrate(route, v["review"])
    assert dataclasses.asdict(snap)["ready"][0]["name"] == "agreement"
    json.loads(snap.state)


def test_a_task_the_new_version_keeps_is_not_moved(versions):
    engine, v = versions
    route = _at_agreement(engine, v["a"])
    preview = engine.preview_migration(v["a"], v["review"], route.snap.state, {"agreement": "review"})
    assert not preview.can_migrate and "переводить её не нужно" in preview.reason


def test_a_finished_route_is_not_migrated(versions):
    engine, v = versions
    route = Driver(engine, v["a"])
    route.approve_plan()
    route.conclude()
    preview = engine.preview_migration(v["a"], v["review"], route.snap.state)
    assert preview.current == [] and not preview.can_migrate and "завершён" in preview.reason
    with pytest.raises(MigrationBlocked):
        migrate(route, v["review"])
