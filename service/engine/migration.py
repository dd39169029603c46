"""Moving a running route's workflow from one deployed version of the process to another.

SpiffWorkflow aligns two versions by task spec name (`SpecDiff`) and moves a workflow over
(`migrate_workflow`: every task gets its aligned spec, READY and WAITING tasks are reset and
predicted again). The spec-level diff depends only on the two versions, so it is computed once
per pair (`MigrationPlans`) and each route only aligns its own tasks (`WorkflowDiff`).

What SpiffWorkflow leaves to the caller, done here:

* a reset wipes a task's internal data: the schedule of an armed timer (engine/timers.py)
  would be computed again from the migration's time; timers whose spec did not change keep
  theirs, and ready tasks keep their data (and their engine ids: a reset keeps the task);
* a task that runs a subprocess (STARTED) is not reset, so the tasks predicted after it keep
  the old version's shape; they are predicted again;
* the subprocess specs the workflow creates subprocesses from are switched too;
* finished tasks of a removed spec (the route's history) would not load against the new
  version (their spec is looked up by name): they are taken out of the tree, their children
  hung on their parent; the history lives in the service's event log;
* a current task that is removed moves to the task the admin named (`mapping`): the task, or
  the boundary split it waits under, gets the target's spec and is reset there.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import asdict, dataclass

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from service.engine.specs import SpecBundle


@dataclass(frozen=True)
class MigrationPreview:
    """What moving one route to another version would do (plain data)."""

    from_hash: str
    to_hash: str
    unchanged: list[str]  # task spec names: the user tasks first, then the others, each sorted
    changed: list[str]  # aligned specs whose attributes (flows, properties…) changed
    removed: list[str]  # specs of tasks in the route's tree that the new version lacks
    added: list[str]  # specs only the new version has
    current: list[str]  # the ready user tasks now
    blocked: list[str]  # current tasks the new version lacks, with no (usable) mapping
    mapping: dict[str, str]  # current task (old) -> task of the new version, as the admin gave it
    can_migrate: bool
    reason: str | None  # Russian, when it cannot

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SpecChanges:
    """The diff of two versions: the top process and each subprocess spec (None: gone)."""

    source: SpecBundle
    target: SpecBundle
    top: SpecDiff
    subprocesses: dict[str, SpecDiff | None]
    unchanged: list[str]
    changed: list[str]
    added: list[str]
    removed: frozenset  # old spec objects with no counterpart (any process)


def _human_first(names: set[str], human: dict) -> list[str]:
    return sorted(n for n in names if n in human) + sorted(n for n in names if n not in human)


class MigrationPlans:
    """Spec diffs, one per pair of loaded versions (keyed by the bundle objects: a version loaded
    again has new spec objects, and the diff aligns by object)."""

    def __init__(self) -> None:
        self._registry = BpmnWorkflowSerializer.configure(dict(SPIFF_CONFIG))
        self._cache: dict[tuple[int, int], SpecChanges] = {}
        self._lock = threading.Lock()

    def changes(self, source: SpecBundle, target: SpecBundle) -> SpecChanges:
        key = (id(source), id(target))
        with self._lock:
            found = self._cache.get(key)
            if found is not None and found.source is source and found.target is target:
                return found
        built = self._build(source, target)
        with self._lock:
            self._cache[key] = built
        return built

    def _build(self, source: SpecBundle, target: SpecBundle) -> SpecChanges:
        top = SpecDiff(self._registry, source.spec, target.spec)
        subs: dict[str, SpecDiff | None] = {}
        for name, spec in source.subprocess_specs.items():
            new = target.subprocess_specs.get(name)
            subs[name] = SpecDiff(self._registry, spec, new) if new is not None else None
        diffs = [d for d in [top, *subs.values()] if d is not None]
        changed = {ts.name for d in diffs for ts in d.changed}
        unchanged = {ts.name for d in diffs for ts, new in d.alignment.items()
                     if new is not None and ts.name not in changed}
        added = {ts.name for d in diffs for ts in d.added}
        added |= {ts for name in target.subprocess_specs if name not in source.subprocess_specs
                  for ts in target.subprocess_specs[name].task_specs}
        removed = {ts for d in diffs for ts in d.removed}
        removed |= {ts for name, d in subs.items() if d is None
                    for ts in source.subprocess_specs[name].task_specs.values()}
        human = {**source.human_tasks, **target.human_tasks}
        return SpecChanges(source, target, top, subs, _human_first(unchanged, human),
                           _human_first(changed, human), _human_first(added, human), frozenset(removed))


def _all_tasks(workflow: BpmnWorkflow) -> list:
    return [t for wf in [workflow, *workflow.subprocesses.values()] for t in wf.tasks.values()]


def _ready_human(workflow: BpmnWorkflow) -> list:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def _process_of(task, changes: SpecChanges):
    """The new version's spec of the process `task` runs in (None: the process is gone)."""
    if task.workflow is task.workflow.top_workflow:
        return changes.target.spec
    return changes.target.subprocess_specs.get(task.workflow.spec.name)


def preview(changes: SpecChanges, workflow: BpmnWorkflow, mapping: dict[str, str] | None) -> MigrationPreview:
    mapping = dict(mapping or {})
    removed = sorted({t.task_spec.name for t in _all_tasks(workflow) if t.task_spec in changes.removed})
    ready = _ready_human(workflow)
    current = [t.task_spec.name for t in ready]
    blocked, reasons = [], []
    for task in ready:
        name = task.task_spec.name
        if task.task_spec not in changes.removed:
            continue
        process = _process_of(task, changes)
        target = mapping.get(name)
        if target is None:
            reasons.append(f"Текущая задача «{name}» отсутствует в новой версии: укажите, "
                           f"на какую задачу её перевести")
        elif target not in changes.target.human_tasks:
            reasons.append(f"Задачи «{target}», на которую переводится «{name}», нет среди задач новой версии")
        elif process is None or target not in process.task_specs:
            reasons.append(f"Задачу «{name}» можно перевести только на задачу того же подпроцесса")
        else:
            continue
        blocked.append(name)
    kept = {t.task_spec.name for t in ready if t.task_spec not in changes.removed}
    for name in mapping:
        if name not in current:
            reasons.append(f"Задача «{name}» сейчас не ожидает выполнения: её нельзя переводить")
        elif name in kept:
            reasons.append(f"Задача «{name}» есть в новой версии: переводить её не нужно")
    for sp in workflow.subprocesses.values():
        if not sp.completed and changes.subprocesses.get(sp.spec.name) is None:
            reasons.append(f"Подпроцесса «{sp.spec.name}», который сейчас идёт, нет в новой версии")
    if workflow.completed:
        reasons.append("Маршрут завершён: переводить его на новую версию незачем")
    return MigrationPreview(
        changes.source.content_hash, changes.target.content_hash, list(changes.unchanged), list(changes.changed),
        removed, list(changes.added), current, blocked, mapping, not reasons, "; ".join(reasons) or None)


def migrate(changes: SpecChanges, workflow: BpmnWorkflow, mapping: dict[str, str]) -> None:
    """Move `workflow` (in place) to the new version; `preview` must have allowed it. The caller
    runs the engine on afterwards."""
    target = changes.target
    diffs = [(workflow, WorkflowDiff(workflow, changes.top), target.spec)]
    for sp in workflow.subprocesses.values():
        diff = changes.subprocesses.get(sp.spec.name)
        if diff is not None:  # else a finished subprocess of a removed task: dropped with the history
            diffs.append((sp, WorkflowDiff(sp, diff), target.subprocess_specs[sp.spec.name]))
    unchanged = set(changes.unchanged)
    # a task that stays what it was keeps its data; its internal data (a timer's schedule) only
    # when its spec did not change
    kept = {t.id: (t.state, copy.deepcopy(t.data),
                   copy.deepcopy(t.internal_data) if t.task_spec.name in unchanged else None)
            for t in _all_tasks(workflow) if t.state in (TaskState.READY, TaskState.WAITING)}
    moves = [(t, mapping[t.task_spec.name]) for t in _ready_human(workflow) if t.task_spec.name in mapping]

    for wf, diff, spec in diffs:
        migrate_workflow(diff, wf, spec)
    workflow.subprocess_specs = dict(target.subprocess_specs)
    for task_id, (state, data, internal) in kept.items():
        task = workflow.get_task_from_id(task_id) if _exists(workflow, task_id) else None
        if task is not None and task.state == state and task.task_spec not in changes.removed:
            task.data = data
            if internal is not None:
                task.internal_data = internal
    for task in _all_tasks(workflow):
        if task.state == TaskState.STARTED:
            _predict_again(task)
    for task, name in moves:
        _move(workflow, task, name)
    _drop_removed_history(workflow, changes)


def _exists(workflow: BpmnWorkflow, task_id) -> bool:
    return any(task_id in wf.tasks for wf in [workflow, *workflow.subprocesses.values()])


def _predict_again(task) -> None:
    """The not yet started tasks after a running one, predicted from the new version."""
    children = task.children
    if any(c.state not in (TaskState.FUTURE, TaskState.LIKELY, TaskState.MAYBE) for c in children):
        return
    task._drop_children(force=True)
    task._sync_children(task.task_spec.outputs, TaskState.FUTURE)
    for child in task.children:
        child.task_spec._predict(child, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)


def _move(workflow: BpmnWorkflow, task, name: str) -> None:
    """Put the token of the removed ready `task` on the new version's task `name`."""
    process = task.workflow.spec
    new = process.task_specs[name]
    split = next((s for s in new.inputs if isinstance(s, BoundaryEventSplit)), None)
    anchor = task.parent if isinstance(task.parent.task_spec, BoundaryEventSplit) else task
    anchor.task_spec = split or new
    workflow.reset_from_task_id(anchor.id)


def _drop_removed_history(workflow: BpmnWorkflow, changes: SpecChanges) -> None:
    """Finished tasks of removed specs leave the tree; their children hang on their parent."""
    for task in [t for t in _all_tasks(workflow) if t.task_spec in changes.removed]:
        wf = task.workflow
        if task.id not in wf.tasks:
            continue
        if not task.has_state(TaskState.FINISHED_MASK):
            wf._remove_task(task.id)  # a prediction from the old version
            continue
        if task.id in workflow.subprocesses:
            workflow.delete_subprocess(task)
        parent, children = task.parent, list(task._children)
        at = parent._children.index(task.id)
        task._children = []
        wf._remove_task(task.id)
        parent._children[at:at] = children
        for child_id in children:
            wf.tasks[child_id]._parent = parent.id
    if workflow.last_task is not None and not _exists(workflow, workflow.last_task.id):
        workflow.last_task = None
