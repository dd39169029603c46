"""Drive the real route BPMN through the engine adapter, without a database.

Shared by the unit tests (and free for other tests to reuse)::

    engine, spec_hash = deployed_engine()
    route = Driver(engine, spec_hash)
    route.do("draft")                      # the example submission of the task's form
    route.do("plan_signatures_teacher", {"decision": "return", "comment": "Нет подписи"})
    assert route.ready_names == ["draft"]

`Driver` keeps the latest snapshot and the route card the way the service does: the card
lives outside the engine, and a snapshot's `card` (when not None) replaces it. Every
submission is first checked against its JSON Schema form, so the tests only drive the engine
with data the service would accept.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from service.engine.adapter import ReadyTask, Snapshot, WorkflowEngine
from service.forms import FormCatalog
from service.tasks import HandlerRegistry, default_handlers
from tests.support.form_examples import VALID

ROOT = Path(__file__).resolve().parents[2]
BPMN_PATH = ROOT / "workflows" / "iom_route.bpmn"
BPMN_NAME = "iom_route.bpmn"
FORMS_DIR = ROOT / "forms"
ROLES = frozenset({"teacher", "tutor", "methodist", "cnppm_head", "school_head"})
FORM_NAMES = frozenset(p.stem for p in FORMS_DIR.glob("*.json"))
TODAY = date(2024, 9, 2)

PLAN_SIGNERS = ("plan_signatures_teacher", "plan_signatures_methodist")
CORRECTION_SIGNERS = ("correction_signatures_teacher", "correction_signatures_tutor",
                      "correction_signatures_methodist")
CONCLUSION_SIGNERS = ("conclusion_signatures_methodist", "conclusion_signatures_school_head")

_catalog: FormCatalog | None = None


def catalog() -> FormCatalog:
    global _catalog
    if _catalog is None:
        _catalog = FormCatalog(FORMS_DIR)
    return _catalog


def example(form: str, **changes: Any) -> dict[str, Any]:
    """A deep copy of the valid example of `form`, with top-level keys replaced."""
    data = copy.deepcopy(VALID[form])
    data.update(changes)
    return data


def returned(comment: str = "Вернуть с замечаниями: уточнить сроки") -> dict[str, Any]:
    """A signer's or reviewer's return with remarks (valid for both `sign` and `review`)."""
    return {"decision": "return", "comment": comment}


def real_bpmn() -> str:
    return BPMN_PATH.read_text(encoding="utf-8")


def route_files(xml: str | bytes | None = None) -> dict[str, bytes]:
    """The deployment files: the real BPMN, or `xml` under the same file name."""
    if xml is None:
        return {BPMN_NAME: BPMN_PATH.read_bytes()}
    return {BPMN_NAME: xml.encode("utf-8") if isinstance(xml, str) else xml}


def replace_once(text: str, old: str, new: str) -> str:
    """Replace `old` in `text`, insisting that it occurs exactly once (a fixture built from
    the real file must not silently stop changing anything when the file changes)."""
    count = text.count(old)
    assert count == 1, f"{old!r} occurs {count} times in the BPMN; the fixture needs exactly one"
    return text.replace(old, new)


def make_engine(handlers: HandlerRegistry | None = None) -> WorkflowEngine:
    return WorkflowEngine(handlers if handlers is not None else default_handlers(), set(ROLES),
                          set(FORM_NAMES))


def deployed_engine(handlers: HandlerRegistry | None = None,
                    xml: str | bytes | None = None) -> tuple[WorkflowEngine, str]:
    engine = make_engine(handlers)
    return engine, engine.deploy(route_files(xml))


class Driver:
    """One route: the latest snapshot, the card, and completing tasks by name."""

    def __init__(self, engine: WorkflowEngine, spec_hash: str, card: dict[str, Any] | None = None,
                 today: date = TODAY, validate: bool = True):
        self.engine = engine
        self.spec_hash = spec_hash
        self.today = today
        self.validate = validate
        self.card: dict[str, Any] = card if card is not None else {}
        self.snap: Snapshot = engine.start(spec_hash, self.card, today)

    # ---- looking ------------------------------------------------------------------------
    @property
    def ready_names(self) -> list[str]:
        return [t.name for t in self.snap.ready]

    def task(self, name: str) -> ReadyTask:
        for ready in self.snap.ready:
            if ready.name == name:
                return ready
        raise AssertionError(f"task {name!r} is not ready; ready: {self.ready_names}")

    def task_data(self, name: str) -> dict[str, Any]:
        """The engine's data of the ready task `name` (what its form would be prefilled from)."""
        return self.engine.task_data(self.spec_hash, self.snap.state, self.task(name).engine_id)

    # ---- acting -------------------------------------------------------------------------
    def do(self, name: str, submission: dict[str, Any] | None = None) -> Snapshot:
        """Complete the ready task `name` (with its form's example when no submission is given)."""
        task = self.task(name)
        if submission is None:
            submission = example(task.form)
        if self.validate:
            errors = catalog().validate(task.form, submission)
            assert not errors, f"test submission for {name!r} is not a valid {task.form!r}: {errors}"
        self.snap = self.engine.complete(self.spec_hash, self.snap.state, task.engine_id, submission,
                                         self.today, self._load_card)
        if self.snap.card is not None:
            self.card = self.snap.card
        return self.snap

    def _load_card(self) -> dict[str, Any]:
        return self.card

    def sign(self, *names: str, submission: dict[str, Any] | None = None) -> Snapshot:
        for name in names:
            self.do(name, submission)
        return self.snap

    # ---- stretches of the route ---------------------------------------------------------
    def approve_plan(self) -> Snapshot:
        """draft → both plan signatures → agreement → approval: the route is at implementation."""
        self.do("draft")
        self.sign(*PLAN_SIGNERS)
        self.do("agreement")
        self.do("approval")
        assert self.ready_names == ["implementation"], self.ready_names
        return self.snap

    def correct(self, activity_no: int | None = None,
                on_ready: Callable[[Driver], None] | None = None) -> Snapshot:
        """From the implementation hub: one fully signed correction, back at the hub.
        Replaces `activity_no`, by default the newest activity of the card."""
        if activity_no is None:
            activity_no = self.card["activities"][-1]["no"]
        self.do("implementation", {"next": "correction"})
        self.do("correction", example("correction", activity_no=activity_no))
        if on_ready is not None:
            on_ready(self)
        self.sign(*CORRECTION_SIGNERS)
        assert self.ready_names == ["implementation"], self.ready_names
        return self.snap

    def conclude(self, conclusions: dict[str, Any] | None = None) -> Snapshot:
        """From the implementation hub to the end of the route."""
        self.do("implementation", {"next": "conclude"})
        self.do("final_results")
        self.do("conclusions", conclusions)
        self.sign(*CONCLUSION_SIGNERS)
        self.do("acknowledge")
        return self.snap
