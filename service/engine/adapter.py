"""The engine adapter: the only place that touches SpiffWorkflow objects.

Everything it returns is plain data (ReadyTask, Snapshot, dicts of JSON values).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from fnmatch import fnmatchcase
from functools import partial
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from service.domain.calendar import WorkingCalendar
from service.domain.errors import MigrationBlocked, NotFound, ServiceError, StepFailed, TaskAlreadyDone
from service.domain.route_rules import DUE_DAYS
from service.engine import migration
from service.engine.compaction import compact
from service.engine.environment import CardBox, RestrictedEnvironment, RestrictedScriptEngine
from service.engine.migration import MigrationPlans, MigrationPreview, SpecChanges
from service.engine.serializer import WorkflowCodec
from service.engine.specs import HumanTaskSpec, SpecBundle, build_bundle
from service.engine.timers import ArmedTimer, FiredTimer, TimerClock, WorkingDayTimer, attached_task
from service.engine.workflow import QuickWorkflow
from service.tasks import DocumentRequest, HandlerRegistry, StepContext


@dataclass(frozen=True)
class ReadyTask:
    """A human task waiting in the engine."""

    engine_id: str
    name: str
    title: str
    role: str
    form: str
    stage: str


@dataclass(frozen=True)
class Snapshot:
    """The state of a route's workflow after an operation."""

    state: str  # serialized workflow (JSON text, spec not included)
    ready: list[ReadyTask]
    data: dict[str, Any]  # the engine's task data: the latest submissions
    finished: bool
    card: dict[str, Any] | None  # the new card, when a handler changed it
    documents: list[DocumentRequest]  # what the service tasks asked to render, in order
    fired: list[FiredTimer] = field(default_factory=list)  # timers that fired in this operation, in order
    timers: list[ArmedTimer] = field(default_factory=list)  # timers armed on the waiting tasks now
    migration: MigrationPreview | None = None  # after `migrate`: what the move found on the state it moved


CardLoader = Callable[[], dict[str, Any]]


def _ready_human_tasks(workflow: BpmnWorkflow) -> list:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def default_clock(today: date) -> TimerClock:
    """A clock for callers that know only the date (tests, tools): noon UTC, the federal calendar."""
    return TimerClock(datetime.combine(today, time(12), tzinfo=UTC), WorkingCalendar(), "Europe/Moscow", DUE_DAYS)


def armed_timers(workflow: BpmnWorkflow) -> list[ArmedTimer]:
    """The working-day timers waiting in the workflow (its subprocesses included), soonest first."""
    out = []
    for task in list(workflow.event_manager.tasks.values()):
        definition = getattr(task.task_spec, "event_definition", None)
        if task.state != TaskState.WAITING or not isinstance(definition, WorkingDayTimer):
            continue
        at = definition.next_fire(task)
        if at is None:
            continue
        attached = attached_task(task)
        out.append(ArmedTimer(task.task_spec.name, definition.kind, task.task_spec.bpmn_name or definition.name,
                              str(attached.id), attached.task_spec.name, at))
    return sorted(out, key=lambda t: (t.fire_at, t.name))


class WorkflowEngine:
    """Deploys specs, starts routes and completes their tasks."""

    def __init__(self, handlers: HandlerRegistry, roles: set[str], forms: set[str],
                 process_id: str = "iom_route"):
        self.handlers = handlers
        self._roles = roles
        self._forms = forms
        self._process_id = process_id
        self._bundles: dict[str, SpecBundle] = {}
        self._lock = threading.Lock()
        self._codec = WorkflowCodec()
        self._plans = MigrationPlans()  # version-to-version diffs (engine/migration.py)

    # ---- specs ---------------------------------------------------------------------------
    def deploy(self, files: dict[str, bytes]) -> str:
        """Validate and load a set of BPMN files; returns the content hash that names them."""
        bundle = build_bundle(files, self._process_id, roles=self._roles, forms=self._forms,
                              handlers=self.handlers)
        with self._lock:
            self._bundles.setdefault(bundle.content_hash, bundle)
        return bundle.content_hash

    def is_loaded(self, spec_hash: str) -> bool:
        return spec_hash in self._bundles

    def unload_all(self) -> None:
        """Forget the loaded specs, as a restart would: each is loaded again from the database."""
        with self._lock:
            self._bundles.clear()

    def human_tasks(self, spec_hash: str) -> dict[str, HumanTaskSpec]:
        return self.bundle(spec_hash).human_tasks

    def bundle(self, spec_hash: str) -> SpecBundle:
        """The loaded spec named by its content hash (the adapter's tests compare its workflows
        with SpiffWorkflow's own iterator)."""
        try:
            return self._bundles[spec_hash]
        except KeyError:
            raise NotFound(f"Версия схемы {spec_hash[:12]} не загружена") from None

    # ---- routes --------------------------------------------------------------------------
    def start(self, spec_hash: str, card: dict[str, Any], today: date, clock: TimerClock | None = None, *,
              behaviour: int | None = None) -> Snapshot:
        """Start a route; `behaviour` (in every call for the route) picks its handler versions
        (service/tasks; None: the current ones)."""
        bundle = self.bundle(spec_hash)
        box = CardBox(lambda: card)
        engine = self._script_engine(box, today, clock, behaviour=behaviour)
        workflow = QuickWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=engine)
        ready = self._advance(workflow, bundle)
        return self._snapshot(workflow, bundle, box, engine, ready)

    def complete(self, spec_hash: str, state: str, engine_task_id: str, submission: dict[str, Any],
                 today: date, load_card: CardLoader, clock: TimerClock | None = None, *,
                 behaviour: int | None = None) -> Snapshot:
        """Complete a ready human task with already validated data and run the engine on. Timers
        that are due fire first (`Snapshot.fired`): they were due before the submission came."""
        bundle = self.bundle(spec_hash)
        box = CardBox(load_card)
        workflow = self._codec.load(state, bundle)
        workflow.script_engine = engine = self._script_engine(box, today, clock, behaviour=behaviour)
        self._guard(workflow.refresh_timers)  # a timer that is due wins over the submission
        task = self._ready_task(workflow, engine_task_id)
        task.data[task.task_spec.name] = copy.deepcopy(submission)
        self._guard(task.run)
        ready = self._advance(workflow, bundle)
        return self._snapshot(workflow, bundle, box, engine, ready)

    def fire_timers(self, spec_hash: str, state: str, clock: TimerClock, load_card: CardLoader, *,
                    behaviour: int | None = None) -> Snapshot:
        """Let the timers that are due by `clock.now` fire (the background worker's call)."""
        bundle = self.bundle(spec_hash)
        box = CardBox(load_card)
        workflow = self._codec.load(state, bundle)
        workflow.script_engine = engine = self._script_engine(box, clock.now.date(), clock, behaviour=behaviour)
        self._guard(workflow.refresh_timers)
        ready = self._advance(workflow, bundle)
        return self._snapshot(workflow, bundle, box, engine, ready)

    def timers(self, spec_hash: str, state: str) -> list[ArmedTimer]:
        return armed_timers(self._codec.load(state, self.bundle(spec_hash)))

    def ready(self, spec_hash: str, state: str) -> list[ReadyTask]:
        bundle = self.bundle(spec_hash)
        return self._ready(_ready_human_tasks(self._codec.load(state, bundle)), bundle)

    def task_data(self, spec_hash: str, state: str, engine_task_id: str) -> dict[str, Any]:
        workflow = self._codec.load(state, self.bundle(spec_hash))
        return copy.deepcopy(self._ready_task(workflow, engine_task_id).data)

    # ---- internals -----------------------------------------------------------------------
    def _script_engine(self, box: CardBox, today: date, clock: TimerClock | None = None, *,
                       behaviour: int | None = None) -> RestrictedScriptEngine:
        clock = clock or default_clock(today)
        return RestrictedScriptEngine(RestrictedEnvironment(self.handlers, StepContext(today), box, clock,
                                                            behaviour=behaviour))

    @staticmethod
    def _ready_task(workflow: BpmnWorkflow, engine_task_id: str):
        try:
            task = workflow.get_task_from_id(UUID(engine_task_id))
        except (ValueError, KeyError, TaskNotFoundException):
            task = None  # not a task id, or a task a refusal or loop round has removed
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskAlreadyDone("Задача уже не ожидает выполнения")
        return task

    def _advance(self, workflow: BpmnWorkflow, bundle: SpecBundle) -> list:
        """Run the engine to the next human tasks, fold loop rounds; returns the ready human tasks."""
        self._guard(workflow.do_engine_steps)
        ready = _ready_human_tasks(workflow)
        while self._guard(partial(compact, workflow, ready)):
            ready = _ready_human_tasks(workflow)
        for task in ready:
            self._clear_earlier_rounds(task.data, bundle.human_tasks[task.task_spec.name], bundle)
        return ready

    @staticmethod
    def _clear_earlier_rounds(data: dict[str, Any], spec: HumanTaskSpec, bundle: SpecBundle) -> None:
        """A task that becomes ready never sees its own earlier submission (unless it keeps it
        for revision), nor the submissions its `clears` patterns name."""
        for key in [k for k in data if k in bundle.human_tasks and k not in spec.keeps]:
            if key == spec.name or any(fnmatchcase(key, pattern) for pattern in spec.clears):
                del data[key]

    @staticmethod
    def _guard(step):
        try:
            return step()
        except SpiffWorkflowException as exc:
            cause = getattr(exc, "exception", None)
            if isinstance(cause, ServiceError):
                raise cause from exc
            raise StepFailed(f"Ошибка выполнения шага процесса: {exc}") from exc

    @staticmethod
    def _ready(tasks: list, bundle: SpecBundle) -> list[ReadyTask]:
        out = []
        for task in tasks:
            spec = bundle.human_tasks[task.task_spec.name]
            out.append(ReadyTask(str(task.id), spec.name, spec.title, spec.role, spec.form, spec.stage))
        return out

    def _snapshot(self, workflow: BpmnWorkflow, bundle: SpecBundle, box: CardBox,
                  engine: RestrictedScriptEngine, tasks: list) -> Snapshot:
        ready = self._ready(tasks, bundle)
        if tasks:
            data = tasks[0].data
        else:
            data = workflow.last_task.data if workflow.last_task is not None else {}
        return Snapshot(
            state=self._codec.dump(workflow),
            ready=ready,
            data=copy.deepcopy(data),
            finished=workflow.completed,
            card=box.card if box.changed else None,
            documents=list(engine.environment.documents),
            fired=sorted(engine.environment.timer_clock.fired, key=lambda f: (f.scheduled_at, f.name)),
            timers=armed_timers(workflow),
        )

    # ---- moving routes between versions (engine/migration.py) -----------------------------
    def migration_changes(self, from_hash: str, to_hash: str) -> SpecChanges:
        """The spec-level diff of two loaded versions (computed once per pair)."""
        return self._plans.changes(self.bundle(from_hash), self.bundle(to_hash))

    def preview_migration(self, from_hash: str, to_hash: str, state: str,
                          mapping: dict[str, str] | None = None) -> MigrationPreview:
        """What moving this route to version `to_hash` would do, and whether it can."""
        changes = self.migration_changes(from_hash, to_hash)
        return migration.preview(changes, self._codec.load(state, changes.source), mapping)

    def migrate(self, from_hash: str, to_hash: str, state: str, mapping: dict[str, str] | None, today: date,
                load_card: CardLoader, clock: TimerClock | None = None, *,
                behaviour: int | None = None) -> Snapshot:
        """Move the route to version `to_hash` and run the engine on; MigrationBlocked when the
        preview says it cannot. Timers that are due fire first, on the old version."""
        changes = self.migration_changes(from_hash, to_hash)
        box = CardBox(load_card)
        workflow = self._codec.load(state, changes.source)
        workflow.script_engine = engine = self._script_engine(box, today, clock, behaviour=behaviour)
        self._guard(workflow.refresh_timers)
        found = self._migrate_loaded(changes, workflow, mapping)
        ready = self._advance(workflow, changes.target)
        return replace(self._snapshot(workflow, changes.target, box, engine, ready), migration=found)

    def _migrate_loaded(self, changes: SpecChanges, workflow: BpmnWorkflow,
                        mapping: dict[str, str] | None) -> MigrationPreview:
        found = migration.preview(changes, workflow, mapping)
        if not found.can_migrate:
            raise MigrationBlocked(found.reason or "Маршрут нельзя перевести на новую версию")
        self._guard(partial(migration.migrate, changes, workflow, dict(mapping or {})))
        return found


class ReplaySession:
    """A workflow kept in memory while an auditor's replay re-executes recorded completions
    (no serialization between steps). Plain data in, plain data out."""

    def __init__(self, engine: WorkflowEngine, spec_hash: str, card: dict[str, Any], today: date,
                 clock: TimerClock | None = None, *, behaviour: int | None = None):
        self._engine = engine
        self._behaviour = behaviour  # the handler versions the route ran with (its route_created event)
        self._bundle = engine.bundle(spec_hash)
        self._before_migrations: list[tuple[SpecBundle, str]] = []  # (version, state) before each migration
        self.card = copy.deepcopy(card)
        self._clock = clock or default_clock(today)
        self._clock.replay = True  # timers fire only where the history says they did (engine/timers.py)
        box = CardBox(lambda: self.card)
        self._workflow = QuickWorkflow(self._bundle.spec, self._bundle.subprocess_specs,
                                       script_engine=engine._script_engine(box, today, self._clock,
                                                                           behaviour=behaviour))
        self._ready_tasks = engine._advance(self._workflow, self._bundle)
        self._take_card(box)

    def _at(self, now: datetime | None) -> TimerClock:
        self._clock.fired.clear()
        self._clock.force.clear()
        if now is not None:
            self._clock.now = now
        return self._clock

    def timers(self) -> list[ArmedTimer]:
        return armed_timers(self._workflow)

    def fire(self, name: str, now: datetime | None = None) -> list[FiredTimer]:
        """Fire the armed timer `name` as the history records; what fired (empty: it was not armed)."""
        clock = self._at(now)
        clock.force.add(name)
        box = CardBox(lambda: self.card)
        self._workflow.script_engine = self._engine._script_engine(box, clock.now.date(), clock,
                                                                   behaviour=self._behaviour)
        self._engine._guard(self._workflow.refresh_timers)
        clock.force.clear()  # fired once: an escalation updated again while the engine runs on must not repeat
        self._ready_tasks = self._engine._advance(self._workflow, self._bundle)
        self._take_card(box)
        return list(clock.fired)

    def _take_card(self, box: CardBox) -> None:
        if box.changed:
            self.card = box.card

    def ready(self) -> list[ReadyTask]:
        return self._engine._ready(self._ready_tasks, self._bundle)

    @property
    def finished(self) -> bool:
        return self._workflow.completed

    def complete(self, name: str, submission: dict[str, Any], today: date,
                 now: datetime | None = None) -> list[DocumentRequest]:
        """Complete the ready task named `name`; TaskAlreadyDone when no such task is ready."""
        ready = [t for t in self._ready_tasks if t.task_spec.name == name]
        if len(ready) != 1:
            raise TaskAlreadyDone(f"задача {name} не ожидала выполнения")
        box = CardBox(lambda: self.card)
        engine = self._engine._script_engine(box, today, self._at(now), behaviour=self._behaviour)
        self._workflow.script_engine = engine
        task = ready[0]
        task.data[name] = copy.deepcopy(submission)
        self._engine._guard(task.run)
        self._ready_tasks = self._engine._advance(self._workflow, self._bundle)
        self._take_card(box)
        return list(engine.environment.documents)

    def migrate(self, to_hash: str, mapping: dict[str, str] | None = None, now: datetime | None = None) -> None:
        """Move the replayed route to version `to_hash` (as the history records); the completions
        after it run on that version."""
        engine = self._engine
        changes = engine.migration_changes(self._bundle.content_hash, to_hash)
        clock = self._at(now)
        box = CardBox(lambda: self.card)
        self._workflow.script_engine = engine._script_engine(box, clock.now.date(), clock,
                                                             behaviour=self._behaviour)
        self._before_migrations.append((self._bundle, engine._codec.dump(self._workflow)))
        engine._migrate_loaded(changes, self._workflow, mapping)
        self._bundle = changes.target
        self._ready_tasks = engine._advance(self._workflow, self._bundle)
        self._take_card(box)

    @property
    def spec_hash(self) -> str:
        """The version the replayed route is on now (migrations move it)."""
        return self._bundle.content_hash

    def revert(self) -> str | None:
        """Undo the last migration as the history records: the workflow from before it comes back (the
        card stays, as the service's revert leaves it); returns the version returned to (None: there
        was no migration to undo)."""
        if not self._before_migrations:
            return None
        bundle, state = self._before_migrations.pop()
        self._workflow = self._engine._codec.load(state, bundle)
        self._bundle = bundle
        self._ready_tasks = _ready_human_tasks(self._workflow)
        return bundle.content_hash
