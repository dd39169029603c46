"""The quick task finding of `service/engine/workflow.py` answers every query the engine makes
exactly as SpiffWorkflow's own iterator does (same tasks, same order), at every step of
routes that take every path of the BPMN; and the state it writes is SpiffWorkflow's."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import pytest
from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskIterator, TaskState

from service.engine import workflow as quick
from service.engine.serializer import WorkflowCodec
from tests.support.engine_driver import (
    CONCLUSION_SIGNERS,
    CORRECTION_SIGNERS,
    PLAN_SIGNERS,
    Driver,
    example,
    returned,
)


@pytest.fixture
def compared(monkeypatch) -> Counter:
    """Every quick query is answered by SpiffWorkflow's iterator too and must agree."""
    seen: Counter = Counter()
    quick_find = quick.QuickFinding.get_tasks_iterator
    quick_update = quick.QuickFinding.update_waiting_tasks
    walk, path = quick.walk, quick.task_path

    def names(tasks):
        return [t.task_spec.name for t in tasks]

    def get_tasks_iterator(self, first_task=None, **kwargs):
        ours = list(quick_find(self, first_task, **kwargs))
        theirs = list(BpmnBaseWorkflow.get_tasks_iterator(self, first_task, **kwargs))
        assert ours == theirs, (kwargs, names(ours), names(theirs))
        seen["queries"] += 1
        seen["in a subprocess"] += any(t.workflow is not t.workflow.top_workflow for t in ours)
        seen["from an inner task"] += first_task is not None and first_task is not self.task_tree
        return iter(ours)

    def update_waiting_tasks(self):
        theirs = list(TaskIterator(self.task_tree, state=TaskState.WAITING))
        ours = [t for t in walk(self.task_tree, TaskState.WAITING, into_subprocesses=False)
                if t._state == TaskState.WAITING]
        assert ours == theirs, (names(ours), names(theirs))
        seen["waiting found"] += bool(theirs)
        quick_update(self)

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            seen[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(quick.QuickFinding, "get_tasks_iterator", get_tasks_iterator)
    monkeypatch.setattr(quick.QuickFinding, "update_waiting_tasks", update_waiting_tasks)
    monkeypatch.setattr(quick, "walk", counted("walked", walk))
    monkeypatch.setattr(quick, "task_path", counted("placed", path))
    return seen


def _every_path(route: Driver) -> None:
    route.do("draft")
    route.do("plan_signatures_teacher", returned("Не согласен с перечнем мероприятий"))
    route.do("draft")
    route.sign(*PLAN_SIGNERS)
    route.do("agreement", returned())
    route.do("draft")
    route.sign(*PLAN_SIGNERS)
    route.do("agreement")
    route.do("approval", returned())
    route.approve_plan()
    route.do("implementation", {"next": "report", "interim_results": "Первый отчёт"})
    route.do("activity_report")
    for refuser in CORRECTION_SIGNERS:  # each signer refuses once, after another has signed
        route.do("implementation", {"next": "correction"})
        route.do("correction", example("correction", activity_no=route.card["activities"][-1]["no"]))
        route.do(next(s for s in CORRECTION_SIGNERS if s != refuser))
        route.do(refuser, returned("Неверная дата"))
        assert route.ready_names == ["correction"]
        route.do("correction", {"action": "withdraw"})
    for _ in range(4):
        route.correct()
    route.do("implementation", {"next": "conclude"})
    route.do("final_results")
    route.do("conclusions")
    route.do("conclusion_signatures_school_head", returned("Уточнить выводы"))
    route.do("conclusions")
    route.sign(*CONCLUSION_SIGNERS)
    route.do("acknowledge")


def test_every_query_on_a_route_through_every_path_agrees_with_spiffworkflow(route, compared):
    _every_path(route)
    assert route.snap.finished is True
    assert len(route.card["corrections"]) == 4
    # both ways of answering were used, on tasks inside subprocesses and below inner tasks too
    assert compared["queries"] > 500
    assert compared["placed"] > 500 and compared["walked"] > 50
    assert compared["in a subprocess"] > 20
    assert compared["waiting found"] > 10
    assert compared["from an inner task"] > 0


def test_a_prolonged_route_agrees_with_spiffworkflow(route, compared):
    route.approve_plan()
    route.conclude(example("conclusions", outcome="prolong", prolong_reason="Не пройдена стажировка",
                                    prolong_until="2025-12-31"))
    assert route.card["result"] == "prolonged"
    assert compared["queries"] > 50


def test_the_state_keeps_spiffworkflows_type_names_and_loads_as_quick_classes(route):
    route.do("draft")  # the plan signatures run in a subprocess
    state = json.loads(route.snap.state)
    assert state["typename"] == "BpmnWorkflow"
    assert {sp["typename"] for sp in state["subprocesses"].values()} == {"BpmnSubWorkflow"}

    engine = route.engine
    loaded = WorkflowCodec().load(route.snap.state, engine.bundle(route.spec_hash))
    assert type(loaded) is quick.QuickWorkflow
    assert {type(sp) for sp in loaded.subprocesses.values()} == {quick.QuickSubWorkflow}


def test_a_state_written_by_stock_spiffworkflow_loads_and_runs_on(route):
    bundle = route.engine.bundle(route.spec_hash)
    stock = BpmnWorkflow(bundle.spec, bundle.subprocess_specs)
    stock.do_engine_steps()
    codec = WorkflowCodec()
    written = codec.dump(stock)
    assert json.loads(written)["typename"] == "BpmnWorkflow"
    ready = route.engine.ready(route.spec_hash, written)
    assert [t.name for t in ready] == ["draft"]
    route.snap = dataclasses.replace(route.snap, state=written, ready=ready)
    route.do("draft")
    assert sorted(route.ready_names) == sorted(PLAN_SIGNERS)


_STATES = [*TaskState._values, TaskState.FINISHED_MASK, TaskState.DEFINITE_MASK, TaskState.PREDICTED_MASK,
           TaskState.NOT_FINISHED_MASK, TaskState.ANY_MASK]


def _queries(workflow):
    for state in _STATES:
        for manual in (None, True, False):
            yield {"state": state, **({} if manual is None else {"manual": manual})}
    for name in sorted({t.task_spec.name for t in workflow.get_tasks()}):
        yield {"spec_name": name}
        yield {"spec_name": name, "state": TaskState.NOT_FINISHED_MASK}


@pytest.mark.parametrize("placed_at_most", [-1, 10**9], ids=["always walked", "always placed"])
def test_both_ways_of_finding_agree_with_spiffworkflow_on_any_query_at_every_step(deployed, monkeypatch,
                                                                                     placed_at_most):
    """Beyond the queries the engine happens to make: every state and mask, by spec name, from
    the root and from each task that runs a subprocess, at every step of a route."""
    monkeypatch.setattr(quick, "PLACED_AT_MOST", placed_at_most)
    engine, spec_hash = deployed
    bundle, codec = engine.bundle(spec_hash), WorkflowCodec()
    checked = Counter()

    def check(route: Driver) -> None:
        workflow = codec.load(route.snap.state, bundle)
        starts = [None] + [workflow.get_task_from_id(owner) for owner in workflow.subprocesses]
        for first in starts:
            for query in _queries(workflow):
                ours = list(workflow.get_tasks_iterator(first, **query))
                theirs = list(BpmnBaseWorkflow.get_tasks_iterator(workflow, first, **query))
                assert ours == theirs, (query, [t.task_spec.name for t in theirs])
                checked["queries"] += 1
                checked["subprocess and children"] += (
                    any(t.workflow is not workflow for t in ours) and any(t.workflow is workflow for t in ours))

    route = Driver(engine, spec_hash)
    original_do = route.do

    def do_and_check(name, submission=None):
        snap = original_do(name, submission)
        check(route)
        return snap

    route.do = do_and_check
    check(route)
    _every_path(route)
    assert checked["queries"] > 10_000
    assert checked["subprocess and children"] > 1_000


@pytest.mark.parametrize("placed_at_most", [-1, 10**9], ids=["always walked", "always placed"])
def test_a_task_below_one_the_walk_does_not_expand_is_not_found_as_in_spiffworkflow(route, monkeypatch,
                                                                                      placed_at_most):
    """SpiffWorkflow does not look below a task whose state is under the query's least state
    (a READY task, for a query on COMPLETED). Such a tree does not arise on the route, so the
    test makes one: a predicted child of the ready draft is marked COMPLETED by hand."""
    monkeypatch.setattr(quick, "PLACED_AT_MOST", placed_at_most)
    workflow = WorkflowCodec().load(route.snap.state,
                                    route.engine.bundle(route.spec_hash))
    (draft,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    hidden = draft.children[0]
    hidden._state = TaskState.COMPLETED
    theirs = list(BpmnBaseWorkflow.get_tasks_iterator(workflow, state=TaskState.COMPLETED))
    assert hidden not in theirs and theirs
    assert workflow.get_tasks(state=TaskState.COMPLETED) == theirs
    hidden._state = TaskState.MAYBE
    draft._state = TaskState.COMPLETED  # now the walk goes below the draft and finds nothing new
    assert workflow.get_tasks(state=TaskState.COMPLETED) == list(
        BpmnBaseWorkflow.get_tasks_iterator(workflow, state=TaskState.COMPLETED))
