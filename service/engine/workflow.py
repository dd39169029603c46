"""SpiffWorkflow's workflow classes, finding tasks without walking the whole tree.

SpiffWorkflow finds tasks by walking the task tree (`get_tasks`, `update_waiting_tasks`)
many times a step: every pass of `do_engine_steps`, every task completion, every join. Its
iterator rebuilds each child list from the task dict, hashes UUIDs twice a node and climbs
back up the tree at every leaf to keep a depth counter; at a route's ~40 tasks this walking
was most of a step's cost, and of an auditor's replay. These subclasses give the same
answers in the same order, filtered by SpiffWorkflow's own `BpmnTaskFilter`:

* `get_tasks` / `get_next_task`: the tasks that match are picked from the task dicts (the
  workflow's and its subprocesses'), then each is placed by its path from the start: the
  walk reaches a task when every task above it was expanded (its state at least the query's
  least state — MAYBE for predicted states, FUTURE for definite ones, COMPLETED otherwise —
  or it runs a subprocess) and it is at most 1000 deep, and it visits depth first, a task's
  subprocess before its children. Sorting the paths gives the walk's order. When many tasks
  match, the tree is walked instead (`walk`), with the same rules.
* `update_waiting_tasks`: when the workflow has no WAITING task nothing is walked (an update
  only runs on WAITING tasks, so none can appear); when only working-day timers wait (the
  reminders and escalations of engine/timers.py, whose updates touch nothing but their own task
  and the clock) they are updated without a walk; otherwise it walks as SpiffWorkflow does.

Depth is counted as real depth (SpiffWorkflow's counter drifts when it leaves a subprocess);
loop compaction keeps a route ~40 deep, far from the limit either way. Queries with iterator
options (`end_at_spec`, `max_depth`, `depth_first`, `skip_subprocesses`) go to SpiffWorkflow's
own iterator. `tests/unit/test_engine_workflow.py` checks every query the engine makes
against SpiffWorkflow's answer, at every step of long routes. Serialized state is unchanged:
the classes keep SpiffWorkflow's type names (`serializer.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskFilter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from service.engine.timers import WorkingDayTimer

MAX_DEPTH = 1000  # SpiffWorkflow's iterator default
PLACED_AT_MOST = 6  # more matches than this: one walk costs less than placing each
_FILTER_OPTIONS = frozenset({"state", "updated_ts", "manual", "spec_name", "spec_class", "catches_event", "lane"})


def _least_expanded_state(state: int) -> int:
    """SpiffWorkflow's `TaskIterator.min_state`: below it a task's children cannot match."""
    if state & TaskState.PREDICTED_MASK:
        return TaskState.MAYBE
    if state & TaskState.DEFINITE_MASK:
        return TaskState.FUTURE
    return TaskState.COMPLETED


def _skips_subprocess(owner, state: int) -> bool:
    # SpiffWorkflow's own condition; a single task state is never >= FINISHED_MASK, so in practice it descends
    return owner._state >= TaskState.FINISHED_MASK and state <= TaskState.FINISHED_MASK


def walk(first, state: int, *, into_subprocesses: bool) -> Iterator:
    """Tasks from `first` down in SpiffWorkflow's depth-first order, pruned for a query on
    `state`; like SpiffWorkflow's iterator, a task's children are taken before it is yielded."""
    least = _least_expanded_state(state)
    subprocesses = first.workflow.top_workflow.subprocesses if into_subprocesses else {}
    stack = [(first, 0)]
    while stack:
        task, depth = stack.pop()
        subprocess = subprocesses.get(task.id) if subprocesses else None
        if depth < MAX_DEPTH and (task._children or subprocess is not None) and (
                task._state >= least or subprocess is not None):
            tasks = task.workflow.tasks
            stack.extend([(tasks.get(child), depth + 1) for child in reversed(task._children)])
            if subprocess is not None and not _skips_subprocess(task, state):
                stack.append((subprocess.task_tree, depth + 1))  # visited before the children
        yield task


def task_path(task, start, state: int, least: int, subprocesses: dict) -> list[int] | None:
    """Where the walk from `start` meets `task`: the child index at each level (-1 for a
    subprocess's root), or None when the walk does not reach it."""
    path = []
    while task is not start:
        if task._parent is None:  # a workflow's root: reached from the task that runs the subprocess
            owner_id = task.workflow.parent_task_id
            if owner_id is None:
                return None
            owner = task.workflow.top_workflow.get_task_from_id(owner_id)
            if _skips_subprocess(owner, state):
                return None
            path.append(-1)
            task = owner
            continue
        parent = task.workflow.tasks[task._parent]
        if parent._state < least and parent.id not in subprocesses:
            return None
        path.append(parent._children.index(task.id))
        task = parent
    if len(path) > MAX_DEPTH:
        return None
    path.reverse()
    return path


class QuickFinding:
    """`get_tasks` and `update_waiting_tasks` without a full walk (see the module doc)."""

    def get_tasks_iterator(self, first_task=None, **kwargs):
        if not kwargs.keys() <= _FILTER_OPTIONS:
            return super().get_tasks_iterator(first_task, **kwargs)
        return iter(self._find(first_task or self.task_tree, BpmnTaskFilter(**kwargs)))

    def _find(self, start, task_filter: BpmnTaskFilter) -> list:
        state, matches = task_filter.state, task_filter.matches
        subprocesses = self.top_workflow.subprocesses
        pools = [self.tasks.values()] + [sp.tasks.values() for sp in subprocesses.values() if sp is not self]
        found = [task for pool in pools for task in pool if task._state & state and matches(task)]
        if len(found) > PLACED_AT_MOST:
            return [task for task in walk(start, state, into_subprocesses=True) if matches(task)]
        least = _least_expanded_state(state)
        placed = []
        for task in found:
            path = task_path(task, start, state, least, subprocesses)
            if path is not None:
                placed.append((path, task))
        placed.sort(key=itemgetter(0))
        return [task for _, task in placed]

    def _remove_task(self, task_id) -> None:
        # SpiffWorkflow forgets to drop a removed task from the event manager (a reset over a task
        # with a waiting boundary timer): `refresh_timers` would then update a task with no parent
        task = self.tasks.get(task_id)
        if task is not None:
            self.top_workflow.event_manager.remove_task(task)
        super()._remove_task(task_id)

    def update_waiting_tasks(self) -> None:
        waiting = [task for task in self.tasks.values() if task._state == TaskState.WAITING]
        if not waiting:
            return
        if all(isinstance(getattr(task.task_spec, "event_definition", None), WorkingDayTimer) for task in waiting):
            # only timers wait: each update reads its own task and the clock, so the order is free
            for task in waiting:
                task.task_spec._update(task)
            return
        # SpiffWorkflow walks with its plain iterator here: this workflow only, not its subprocesses
        for task in walk(self.task_tree, TaskState.WAITING, into_subprocesses=False):
            if task._state == TaskState.WAITING:
                task.task_spec._update(task)


class QuickSubWorkflow(QuickFinding, BpmnSubWorkflow):
    """A subprocess (the parallel signatures) that finds its tasks quickly."""


class QuickWorkflow(QuickFinding, BpmnWorkflow):
    """A route's workflow that finds its tasks quickly; its subprocesses do too."""

    def create_subprocess(self, my_task, spec_name):
        subprocess = QuickSubWorkflow(self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess
