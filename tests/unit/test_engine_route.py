"""The real route BPMN driven through the engine adapter (no database): the paths people take,
what each task sees, and that the engine neither grows without end nor half-applies a step."""

from __future__ import annotations

import copy
import time
import uuid

import pytest

from service.domain.errors import StepFailed, TaskAlreadyDone
from service.tasks import card as card_handlers
from service.tasks import default_handlers
from tests.support.engine_driver import (
    CONCLUSION_SIGNERS,
    CORRECTION_SIGNERS,
    PLAN_SIGNERS,
    TODAY,
    Driver,
    deployed_engine,
    example,
    real_bpmn,
    replace_once,
    returned,
)


def statuses(card) -> dict[int, str]:
    return {a["no"]: a["status"] for a in card["activities"]}


# ---- the whole route --------------------------------------------------------------------------


def test_a_new_route_waits_for_the_tutors_draft_with_an_untouched_card(route):
    assert route.ready_names == ["draft"]
    assert route.snap.ready[0].role == "tutor"
    assert route.snap.card is None
    assert route.snap.finished is False


def test_the_happy_path_reaches_the_end_with_a_completed_card(route):
    route.do("draft")
    assert route.card["activities"][0]["status"] == "запланировано"
    assert sorted(route.ready_names) == sorted(PLAN_SIGNERS)
    route.sign(*PLAN_SIGNERS)
    assert route.ready_names == ["agreement"]
    route.do("agreement")
    assert route.ready_names == ["approval"]
    assert "started_on" not in route.card
    route.do("approval")
    assert route.card["started_on"] == TODAY.isoformat()
    assert route.ready_names == ["implementation"]

    route.do("implementation", example("implementation", next="report"))
    assert route.ready_names == ["activity_report"]
    route.do("activity_report")
    assert statuses(route.card) == {1: "выполнено", 2: "не выполнено"}
    assert route.card["activities"][1]["reason_not_done"]

    route.do("implementation", {"next": "correction"})
    route.do("correction", example("correction", activity_no=2))
    assert sorted(route.ready_names) == sorted(CORRECTION_SIGNERS)
    assert route.card["corrections"] == []  # nothing changes before everyone has signed
    route.sign(*CORRECTION_SIGNERS)
    assert statuses(route.card) == {1: "выполнено", 2: "заменено", 3: "запланировано"}
    assert len(route.card["corrections"]) == 1
    assert route.card["corrections"][0]["replaced_no"] == 2
    assert route.card["corrections"][0]["replacement_no"] == 3

    route.do("implementation", {"next": "conclude"})
    route.do("final_results")
    assert route.card["final_diagnostics"]["form"] == "экспертная оценка"
    route.do("conclusions", example("conclusions", outcome="effective"))
    assert sorted(route.ready_names) == sorted(CONCLUSION_SIGNERS)
    route.sign(*CONCLUSION_SIGNERS)
    assert route.ready_names == ["acknowledge"]
    assert not route.snap.finished
    route.do("acknowledge")

    assert route.snap.finished is True
    assert route.snap.ready == []
    assert route.card["result"] == "completed"
    assert route.card["ended_on"] == TODAY.isoformat()
    assert route.card["conclusions"]["outcome"] == "effective"
    assert route.card["revision"] == route.snap.data["card_revision"]


def test_a_prolonged_route_ends_with_the_result_prolonged(route):
    route.approve_plan()
    route.conclude(example("conclusions", outcome="prolong", prolong_reason="Не пройдена стажировка",
                           prolong_until="2025-12-31"))
    assert route.snap.finished is True
    assert route.card["result"] == "prolonged"
    assert route.card["conclusions"]["prolong_until"] == "2025-12-31"


# ---- returns and refusals ---------------------------------------------------------------------


@pytest.mark.parametrize("refuser", PLAN_SIGNERS)
def test_a_plan_signers_refusal_cancels_the_other_signature_and_returns_to_draft(route, refuser):
    route.do("draft")
    (other,) = [s for s in PLAN_SIGNERS if s != refuser]
    route.do(refuser, returned("Не согласен с перечнем мероприятий"))
    assert route.ready_names == ["draft"]
    assert other not in route.ready_names
    assert "started_on" not in route.card
    # the tutor revises; both must sign again
    route.do("draft")
    assert sorted(route.ready_names) == sorted(PLAN_SIGNERS)


@pytest.mark.parametrize("reviewer", ["agreement", "approval"])
def test_a_return_with_remarks_at_review_goes_back_to_the_draft(route, reviewer):
    route.do("draft")
    route.sign(*PLAN_SIGNERS)
    if reviewer == "approval":
        route.do("agreement")
    route.do(reviewer, returned())
    assert route.ready_names == ["draft"]
    assert "started_on" not in route.card
    route.approve_plan()  # the second round goes through
    assert route.card["started_on"] == TODAY.isoformat()


def test_a_refused_correction_goes_back_to_the_correction_with_the_earlier_submission(route):
    route.approve_plan()
    route.do("implementation", {"next": "correction"})
    submitted = example("correction", activity_no=2)
    route.do("correction", submitted)
    route.do("correction_signatures_tutor")
    route.do("correction_signatures_teacher", returned("Неверная дата"))

    assert route.ready_names == ["correction"]
    data = route.task_data("correction")
    assert data["correction"] == submitted  # kept for revision
    assert not [k for k in data if k.startswith("correction_signatures_")]
    assert route.card["corrections"] == []
    assert statuses(route.card) == {1: "запланировано", 2: "запланировано"}

    route.do("correction", example("correction", activity_no=2, date="2025-01-16"))
    route.sign(*CORRECTION_SIGNERS)
    assert [c["date"] for c in route.card["corrections"]] == ["2025-01-16"]


def test_a_withdrawn_correction_returns_to_implementation_without_changing_the_card(route):
    route.approve_plan()
    route.do("implementation", {"next": "correction"})
    revision = route.card["revision"]
    route.do("correction", {"action": "withdraw"})
    assert route.ready_names == ["implementation"]
    assert route.card["revision"] == revision
    assert route.card["corrections"] == []


def test_a_refused_conclusion_goes_back_to_the_methodist_with_the_conclusions_kept(route):
    route.approve_plan()
    route.do("implementation", {"next": "conclude"})
    route.do("final_results")
    route.do("conclusions")
    route.do("conclusion_signatures_school_head", returned("Уточнить выводы"))
    assert route.ready_names == ["conclusions"]
    data = route.task_data("conclusions")
    assert data["conclusions"] == example("conclusions")
    assert not [k for k in data if k.startswith("conclusion_signatures_")]


# ---- no leaking between rounds ----------------------------------------------------------------


def test_a_reviewer_does_not_see_their_own_decision_from_the_earlier_round(route):
    route.do("draft")
    route.sign(*PLAN_SIGNERS)
    route.do("agreement", returned("Сроки курсов не совпадают с периодом"))
    route.do("draft")
    route.sign(*PLAN_SIGNERS)
    assert route.ready_names == ["agreement"]
    assert "agreement" not in route.task_data("agreement")
    route.do("agreement", {"decision": "accept"})
    assert route.snap.data["agreement"] == {"decision": "accept"}  # no stale comment


def test_an_approval_without_a_comment_in_round_two_carries_no_comment_from_round_one(deployed):
    engine, _ = deployed
    seen: list[dict] = []

    def spying_start_route(card, data, ctx):
        seen.append(copy.deepcopy(data["approval"]))
        return card_handlers.start_route(card, data, ctx)

    handlers = default_handlers()
    handlers.register("start_route", spying_start_route)
    spy_engine, spec_hash = deployed_engine(handlers)
    route = Driver(spy_engine, spec_hash)
    route.do("draft")
    route.sign(*PLAN_SIGNERS)
    route.do("agreement")
    route.do("approval", returned("Нет подписи методиста на плане"))
    route.do("draft")
    route.sign(*PLAN_SIGNERS)
    route.do("agreement")
    assert "approval" not in route.task_data("approval")
    route.do("approval", {"decision": "accept"})

    assert seen == [{"decision": "accept"}]  # what the process saw after approval
    assert "comment" not in route.snap.data.get("approval", {})
    assert route.ready_names == ["implementation"]


def test_the_implementation_hub_starts_every_round_clean(route):
    route.approve_plan()
    route.do("implementation", {"next": "report", "interim_results": "Первый отчёт"})
    route.do("activity_report")
    assert route.ready_names == ["implementation"]
    data = route.task_data("implementation")
    assert "implementation" not in data
    assert "activity_report" not in data


# ---- stale and garbage task ids ---------------------------------------------------------------


def _complete_with(route: Driver, engine_id: str, submission: dict):
    return route.engine.complete(route.spec_hash, route.snap.state, engine_id, submission, TODAY,
                                 lambda: route.card)


def test_completing_a_task_that_was_already_completed_is_refused(route):
    draft_id = route.task("draft").engine_id
    route.do("draft")
    with pytest.raises(TaskAlreadyDone):
        _complete_with(route, draft_id, example("draft"))


def test_completing_a_task_twice_from_the_same_earlier_state_is_refused_on_the_newer_state(route):
    route.do("draft")
    teacher_id = route.task("plan_signatures_teacher").engine_id
    route.do("plan_signatures_teacher")
    with pytest.raises(TaskAlreadyDone):
        _complete_with(route, teacher_id, example("sign"))


@pytest.mark.parametrize("engine_id", ["garbage", "", "12345"])
def test_completing_with_a_garbage_task_id_is_refused(route, engine_id):
    with pytest.raises(TaskAlreadyDone):
        _complete_with(route, engine_id, example("draft"))


def test_completing_a_task_cancelled_by_a_refusal_is_refused(route):
    route.do("draft")
    methodist_id = route.task("plan_signatures_methodist").engine_id
    route.do("plan_signatures_teacher", returned())  # the round is folded back onto the draft
    with pytest.raises(TaskAlreadyDone):
        _complete_with(route, methodist_id, example("sign"))


def test_completing_with_a_well_formed_unknown_task_id_is_refused(route):
    with pytest.raises(TaskAlreadyDone):
        _complete_with(route, str(uuid.uuid4()), example("draft"))


# ---- the task tree stays the size of one pass -------------------------------------------------


def test_the_state_does_not_grow_with_corrections(route):
    route.approve_plan()
    route.correct()
    after_one = len(route.snap.state)
    for _ in range(59):
        route.correct()
    after_sixty = len(route.snap.state)
    assert len(route.card["corrections"]) == 60
    assert abs(after_sixty - after_one) < 0.1 * after_one, (after_one, after_sixty)


def test_the_state_does_not_grow_with_returns_at_agreement(route):
    route.do("draft")
    route.sign(*PLAN_SIGNERS)
    first = len(route.snap.state)
    for _ in range(30):
        route.do("agreement", returned())
        route.do("draft")
        route.sign(*PLAN_SIGNERS)
    assert route.ready_names == ["agreement"]
    assert abs(len(route.snap.state) - first) < 0.1 * first


@pytest.mark.slow
def test_three_hundred_corrections_complete_without_the_engine_stalling(route):
    """Past tree depth 1000 SpiffWorkflow stops advancing silently; compaction keeps it shallow.
    Also a timing canary: on the reference machine this runs in about 6 s."""
    route.approve_plan()
    started = time.perf_counter()
    sizes = []
    for _ in range(300):
        route.correct()
        sizes.append(len(route.snap.state))
    elapsed = time.perf_counter() - started
    assert len(route.card["corrections"]) == 300
    assert route.card["activities"][-1]["no"] == 302
    assert max(sizes) < 1.1 * min(sizes)
    route.conclude()
    assert route.snap.finished and route.card["result"] == "completed"
    assert elapsed < 60, f"300 corrections took {elapsed:.1f} s"


# ---- a failing step ---------------------------------------------------------------------------


class HandlerBroke(Exception):
    pass


def _broken_record_report(card, data, ctx):
    raise HandlerBroke("база мероприятий недоступна")


@pytest.fixture(scope="module")
def broken_engine():
    handlers = default_handlers()
    handlers.register("record_report", _broken_record_report)
    return deployed_engine(handlers)


def _at_activity_report(deployed) -> Driver:
    engine, spec_hash = deployed
    route = Driver(engine, spec_hash)
    route.approve_plan()
    route.do("implementation", {"next": "report"})
    assert route.ready_names == ["activity_report"]
    return route


def test_a_handler_that_raises_surfaces_as_step_failed(deployed, broken_engine):
    route = _at_activity_report(deployed)
    engine, spec_hash = broken_engine
    with pytest.raises(StepFailed):
        engine.complete(spec_hash, route.snap.state, route.task("activity_report").engine_id,
                        example("activity_report"), TODAY, lambda: route.card)


def test_a_failed_handler_leaves_the_route_where_it_was(deployed, broken_engine):
    route = _at_activity_report(deployed)
    engine, spec_hash = broken_engine
    assert spec_hash == route.spec_hash  # same bytes, same version
    state_before, card_before = route.snap.state, copy.deepcopy(route.card)
    task_id = route.task("activity_report").engine_id

    with pytest.raises(StepFailed):
        engine.complete(spec_hash, state_before, task_id, example("activity_report"), TODAY,
                        lambda: route.card)

    assert route.card == card_before
    assert engine.ready(spec_hash, state_before) == route.snap.ready
    # once the handler works again, the very same state and task id go through
    route.do("activity_report")
    assert route.ready_names == ["implementation"]
    assert statuses(route.card) == {1: "выполнено", 2: "не выполнено"}


def test_a_condition_that_fails_at_run_time_surfaces_as_step_failed(route):
    """A condition can pass the deployment check and still fail on the data (here a key the
    review form never sets): the engine reports StepFailed and the caller keeps its state."""
    xml = replace_once(real_bpmn(), '>agreement["decision"] == "return"<', '>agreement["verdict"] == "return"<')
    engine, spec_hash = deployed_engine(xml=xml)
    broken = Driver(engine, spec_hash)
    broken.do("draft")
    broken.sign(*PLAN_SIGNERS)
    state_before = broken.snap.state
    with pytest.raises(StepFailed, match="verdict"):
        broken.do("agreement")
    assert broken.snap.state == state_before
    assert broken.ready_names == ["agreement"]
