"""Cost of completing one user task: the service layer vs raw SpiffWorkflow, same BPMN.

Run from the repo root:  .venv/bin/python bench/engine.py [--corrections 300] [--reps 30]

The measured step is the signature step `correction_signatures_teacher` (a plain user task, no
card handler) of a correction round started at the implementation hub after N corrections
(N = 1 and N = --corrections). Every repetition starts from the same state:

* service: `service.services.routes.complete_task` on a real SQLite database in a temp dir
  (load from DB, form validation, the signature check against the document awaiting
  signatures, engine step with the project's spec-free codec and loop compaction, persist
  state, task rows, signature and event rows, commit). The signer's password is checked
  against a one-round PBKDF2 hash: the default KDF (scrypt, ~70 ms) is a deliberate fixed
  cost, timed on its own as `password_check_ms`. The database file is copied
  before the step and copied back before each repetition (the pool is disposed around it).
* raw: the stock `BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))`
  (the blob includes the spec, as raw Spiff does): deserialize, complete the task by name,
  do_engine_steps, serialize. No DB, no validation, no loop compaction, so its task tree grows
  with every correction round.

Medians of --reps repetitions (gc.collect() before each, GC left on). The last line of
stdout is JSON. Stock SpiffWorkflow cannot reach N = 300 on this BPMN: without compaction the
tree is ~10 levels deeper per correction round, and past depth ~1000 `Task.is_descendant_of`
recursion overflows (stock recursion limit) or, with a raised limit, `TaskIterator`'s default
max_depth=1000 hides the ready tasks. The bench reports where raw Spiff fails (and measures it
at --mid, default 50) instead of crashing; "raw_ms_at_300" is then null.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import io
import json
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.serializer.default.event_definition import (  # noqa: E402
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from werkzeug.security import check_password_hash, generate_password_hash  # noqa: E402

from service.app import build_service_context as build_context  # noqa: E402
from service.db import migrate  # noqa: E402
from service.db.models import Route, RouteState, Task, User, WorkflowSpec  # noqa: E402
from service.domain.access import WORKFLOW_ROLES  # noqa: E402
from service.engine.environment import CardBox, RestrictedEnvironment, RestrictedScriptEngine  # noqa: E402
from service.engine.specs import build_bundle  # noqa: E402
from service.engine.timers import EscalationTimer, ReminderTimer  # noqa: E402
from service.samples import VALID  # noqa: E402
from service.services import accounts, demo, deployments, documents, pep, routes, views  # noqa: E402
from service.tasks import StepContext, default_handlers  # noqa: E402

MEASURED = "correction_signatures_teacher"
SIGNATURES = ("correction_signatures_teacher", "correction_signatures_tutor", "correction_signatures_methodist")
APPROVAL = [
    ("draft", VALID["draft"]),
    ("plan_signatures_methodist", VALID["sign"]),
    ("plan_signatures_teacher", VALID["sign"]),
    ("agreement", VALID["review"]),
    ("approval", {"decision": "accept", "comment": "Утверждаю"}),
]
OPEN_CORRECTION = {"next": "correction"}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def correction_for(card: dict) -> dict:
    sub = copy.deepcopy(VALID["correction"])
    sub["activity_no"] = len(card["activities"])  # the newest activity: never "выполнено"
    return sub


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


# ---------------------------------------------------------------------------------------------
# Service layer
# ---------------------------------------------------------------------------------------------
class ServiceBench:
    def __init__(self, workdir: Path):
        self.db = workdir / "bench.sqlite3"
        self.snap = workdir / "snapshot"
        self.snap.mkdir()
        self.ctx = build_context(f"sqlite:///{self.db}")
        self.bind = self.ctx.sessions.kw["bind"]
        migrate.upgrade(self.bind)
        deployments.deploy(self.ctx, deployments.read_workflow_files())
        documents.deploy_templates(self.ctx, documents.read_template_files())
        self.ids = demo.setup_people(self.ctx)
        pep.record_acceptances(self.ctx, self.ids.values())  # signers accept the Положение о ПЭП first
        self.stock_password_hash = self._cheap_password_hashes()
        self._actors: dict[int, object] = {}
        head = accounts.load_actor(self.ctx, self.ids["head_cnppm"])
        self.route_id = routes.create_route(
            self.ctx, head, routes.NewRoute(self.ids["teacher1"], self.ids["tutor1"], self.ids["methodist"]))
        self.corrections = 0

    def _cheap_password_hashes(self) -> str:
        """The signing step checks the signer's password with werkzeug's default KDF (scrypt), a
        deliberately slow, fixed cost unrelated to the workflow; the bench users get a one-round
        PBKDF2 hash instead, and the KDF is timed on its own (`password_check_ms`)."""
        with self.ctx.uow() as uow:
            stock = uow.session.scalar(sa.select(User.password_hash).limit(1))
            uow.session.execute(sa.update(User).values(
                password_hash=generate_password_hash(demo.PASSWORD, method="pbkdf2:sha256:1")))
            uow.commit()
        return stock

    def password_check_ms(self, reps: int) -> float:
        samples = []
        for _ in range(reps):
            t0 = time.perf_counter()
            check_password_hash(self.stock_password_hash, demo.PASSWORD)
            samples.append(time.perf_counter() - t0)
        return median_ms(samples)

    def actor(self, user_id: int):
        if user_id not in self._actors:
            self._actors[user_id] = accounts.load_actor(self.ctx, user_id)
        return self._actors[user_id]

    def ready(self, name: str) -> tuple[str, int]:
        with self.ctx.uow() as uow:
            return tuple(uow.session.execute(
                sa.select(Task.id, Task.assignee_id).where(Task.route_id == self.route_id, Task.name == name,
                                                           Task.state == "ready")).one())

    def card(self) -> dict:
        with self.ctx.uow() as uow:
            return uow.session.get(Route, self.route_id).card

    def state_info(self) -> tuple[int, int]:
        """(serialized state length, number of engine tasks in it)"""
        with self.ctx.uow() as uow:
            state = uow.session.get(RouteState, self.route_id).state
        dct = json.loads(state)
        n = len(dct.get("tasks", {})) + sum(len(sp.get("tasks", {})) for sp in dct.get("subprocesses", {}).values())
        return len(state), n

    def do(self, name: str, data: dict) -> None:
        demo.complete_as_assignee(self.ctx, self.route_id, name, data)  # as the assignee, signing where the task signs

    def signature(self, actor, task_id: str) -> dict:
        """What the signer sends: the demo password and the hash of the document shown."""
        shown = views.task_view(self.ctx, actor, task_id)["signs"]["document"]
        return {"password": demo.PASSWORD, "document_sha256": shown["content_sha256"]}

    def approve(self) -> None:
        for name, data in APPROVAL:
            self.do(name, data)

    def open_round(self) -> None:
        self.do("implementation", OPEN_CORRECTION)
        self.do("correction", correction_for(self.card()))

    def finish_round(self) -> None:
        for name in SIGNATURES:
            self.do(name, VALID["sign"])
        self.corrections += 1

    def drive_to(self, n: int, label: str = "service") -> None:
        while self.corrections < n:
            self.open_round()
            self.finish_round()
            if self.corrections % 50 == 0:
                log(f"[{label}] {self.corrections} corrections done")

    # -- snapshot / restore of the SQLite file (WAL mode: take -wal/-shm along if present) --
    def _files(self, base: Path) -> list[Path]:
        return [base.with_name(base.name + suffix) for suffix in ("", "-wal", "-shm")]

    def snapshot(self) -> None:
        self.bind.dispose()  # last connection closed → WAL checkpointed into the main file
        for f in self.snap.iterdir():
            f.unlink()
        for f in self._files(self.db):
            if f.exists():
                shutil.copy(f, self.snap / f.name)

    def restore(self) -> None:
        self.bind.dispose()
        for f in self._files(self.db):
            if f.exists():
                f.unlink()
        for f in self.snap.iterdir():
            shutil.copy(f, self.db.with_name(f.name))

    def measure(self, reps: int) -> tuple[float, float]:
        """At the hub: open a round, then time `MEASURED` `reps` times from the same state.
        Returns (median ms of complete_task, median ms of the engine call alone)."""
        self.open_round()
        self.snapshot()
        full, engine_only = [], []
        submission = VALID["sign"]
        for _ in range(reps):
            self.restore()
            task_id, assignee = self.ready(MEASURED)  # also re-opens a pooled connection (untimed)
            actor = self.actor(assignee)
            data, signature = copy.deepcopy(submission), self.signature(actor, task_id)
            gc.collect()
            t0 = time.perf_counter()
            routes.complete_task(self.ctx, actor, task_id, data, signature)
            full.append(time.perf_counter() - t0)
        # the engine call alone (load state, complete, compaction, dump) on the same state
        self.restore()
        with self.ctx.uow() as uow:
            s = uow.session
            task = s.get(Task, self.ready(MEASURED)[0])
            route = s.get(Route, self.route_id)
            state = s.get(RouteState, self.route_id).state
            spec_hash = deployments.ensure_loaded(self.ctx, s.get(WorkflowSpec, route.spec_id))
            card, engine_task_id = route.card, task.engine_task_id
        for _ in range(reps):
            gc.collect()
            t0 = time.perf_counter()
            self.ctx.engine.complete(spec_hash, state, engine_task_id, copy.deepcopy(submission), date.today(),
                                     lambda: copy.deepcopy(card))
            engine_only.append(time.perf_counter() - t0)
        # leave the route at the hub with one more correction done
        self.restore()
        self.finish_round()
        return median_ms(full), median_ms(engine_only)

    def profile_step(self, top: int = 15) -> str:
        """cProfile one service step (from a fresh hub round)."""
        self.open_round()
        self.snapshot()
        self.restore()
        task_id, assignee = self.ready(MEASURED)
        actor = self.actor(assignee)
        signature = self.signature(actor, task_id)
        prof = cProfile.Profile()
        prof.enable()
        routes.complete_task(self.ctx, actor, task_id, copy.deepcopy(VALID["sign"]), signature)
        prof.disable()
        self.restore()
        self.finish_round()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
        return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Raw SpiffWorkflow
# ---------------------------------------------------------------------------------------------
class RawBench:
    def __init__(self, ctx):
        # the project's parser setup (SpiffBpmnParser + XSD + lint), parsing is not timed
        bundle = build_bundle(deployments.read_workflow_files(), "iom_route", roles=set(WORKFLOW_ROLES),
                              forms=set(ctx.forms.names()), handlers=default_handlers())
        self.handlers = default_handlers()
        # the spec is serialized with the blob: the working-day timers (engine/timers.py) as Spiff's own timers
        config = {**SPIFF_CONFIG, ReminderTimer: TimerConditionalEventDefinitionConverter,
                  EscalationTimer: TimerConditionalEventDefinitionConverter}
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        self.card: dict = {"info": copy.deepcopy(VALID["draft"]["info"]), "revision": 0}
        self.box = CardBox(lambda: self.card)
        self.wf = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=self._engine())
        self.wf.do_engine_steps()
        self.corrections = 0

    def _engine(self) -> RestrictedScriptEngine:
        self.box = CardBox(lambda: self.card)
        return RestrictedScriptEngine(RestrictedEnvironment(self.handlers, StepContext(date.today()), self.box))

    @staticmethod
    def _ready(wf: BpmnWorkflow, name: str):
        for task in wf.get_tasks(state=TaskState.READY, manual=True):
            if task.task_spec.name == name:
                return task
        raise LookupError(f"no ready task {name!r}")

    def do(self, name: str, data: dict) -> None:
        self.wf.script_engine = self._engine()
        task = self._ready(self.wf, name)
        task.data[task.task_spec.name] = copy.deepcopy(data)
        task.run()
        self.wf.do_engine_steps()
        if self.box.changed:
            self.card = self.box.card

    def approve(self) -> None:
        for name, data in APPROVAL:
            self.do(name, data)

    def open_round(self) -> None:
        self.do("implementation", OPEN_CORRECTION)
        self.do("correction", correction_for(self.card))

    def finish_round(self) -> None:
        for name in SIGNATURES:
            self.do(name, VALID["sign"])
        self.corrections += 1

    def drive_to(self, n: int) -> None:
        while self.corrections < n:
            self.open_round()
            self.finish_round()
            if self.corrections % 50 == 0:
                log(f"[raw] {self.corrections} corrections done")

    def tree_size(self) -> int:
        return len(self.wf.tasks) + sum(len(sp.tasks) for sp in self.wf.subprocesses.values())

    def step(self, blob: str) -> str:
        wf = self.serializer.deserialize_json(blob)
        wf.script_engine = RestrictedScriptEngine(
            RestrictedEnvironment(self.handlers, StepContext(date.today()), CardBox(lambda: self.card)))
        task = self._ready(wf, MEASURED)
        task.data[MEASURED] = copy.deepcopy(VALID["sign"])
        task.run()
        wf.do_engine_steps()
        return self.serializer.serialize_json(wf)

    def measure(self, reps: int) -> tuple[float, int]:
        """At the hub: open a round, serialize, then time deserialize+complete+serialize."""
        self.open_round()
        blob = self.serializer.serialize_json(self.wf)
        samples = []
        for _ in range(reps):
            gc.collect()
            t0 = time.perf_counter()
            self.step(blob)
            samples.append(time.perf_counter() - t0)
        self.finish_round()  # continue from the in-memory state (the timed runs left it untouched)
        return median_ms(samples), len(blob)


# ---------------------------------------------------------------------------------------------
def tree_depth(wf: BpmnWorkflow) -> int:
    deepest = 0
    for task in wf.tasks.values():
        d, t = 0, task
        while t.parent is not None:
            t, d = t.parent, d + 1
        deepest = max(deepest, d)
    return deepest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corrections", type=int, default=300, help="the far position (default 300)")
    ap.add_argument("--mid", type=int, default=50, help="an extra position both sides are measured at")
    ap.add_argument("--reps", type=int, default=30, help="repetitions per figure (default 30)")
    ap.add_argument("--profile", action="store_true", help="cProfile one service step even if R <= 3")
    args = ap.parse_args()
    far, mid, reps = args.corrections, args.mid, args.reps
    points = sorted({1, mid, far})
    t_start = time.perf_counter()
    print(f"BPMN: workflows/iom_route.bpmn; measured step: {MEASURED} (sign) at the start of a correction round "
          f"at the implementation hub after N corrections; median of {reps} repetitions from the same state")

    with tempfile.TemporaryDirectory(prefix="iom-bench-") as tmp:
        # --- service ---
        svc = ServiceBench(Path(tmp))
        svc_ms: dict[int, float] = {}
        eng_ms: dict[int, float] = {}
        t0 = time.perf_counter()
        svc.approve()
        for n in points:
            svc.drive_to(n)
            size, ntasks = svc.state_info()
            svc_ms[n], eng_ms[n] = svc.measure(reps)  # the measured round becomes correction n + 1
            print(f"service  N={n:<4} complete_task {svc_ms[n]:8.2f} ms   engine.complete alone {eng_ms[n]:6.2f} ms   "
                  f"state {size / 1024:7.1f} KiB (no spec), {ntasks} engine tasks at the hub", flush=True)
        kdf_ms = svc.password_check_ms(min(reps, 10))
        print(f"service  password check (werkzeug default KDF, not in the figures above) {kdf_ms:.1f} ms", flush=True)
        log(f"[service] done in {time.perf_counter() - t0:.1f}s")

        # --- raw ---
        raw = RawBench(svc.ctx)
        raw_ms: dict[int, float] = {}
        raw_failed: str | None = None
        t0 = time.perf_counter()
        raw.approve()
        for n in points:
            try:
                raw.drive_to(n)
                raw_ms[n], blob = raw.measure(reps)
            except Exception as exc:  # noqa: BLE001 - what stock Spiff does past depth ~1000 is the finding
                raw_failed = (f"at correction {raw.corrections + 1} (tree {raw.tree_size()} tasks, depth "
                              f"{tree_depth(raw.wf)}): {type(exc).__name__}: {str(exc)[:120]}")
                print(f"raw      N={n:<4} NOT REACHED: raw SpiffWorkflow failed {raw_failed}", flush=True)
                break
            print(f"raw      N={n:<4} deserialize+complete+serialize {raw_ms[n]:8.2f} ms   blob {blob / 1024:7.1f} KiB "
                  f"(incl. spec), tree {raw.tree_size()} tasks, depth {tree_depth(raw.wf)}", flush=True)
        log(f"[raw] done in {time.perf_counter() - t0:.1f}s")

        step1, step_far = svc_ms[1], svc_ms[far]
        raw1, raw_far = raw_ms[1], raw_ms.get(far)
        ratio, growth = step1 / raw1, step_far / step1
        print()
        for n in points:
            if n in raw_ms:
                print(f"service / raw at N={n}: {svc_ms[n] / raw_ms[n]:.2f}")
        print(f"service_over_raw (N=1) = {ratio:.2f}   target <= 3:   {'MET' if ratio <= 3 else 'MISSED'}")
        print(f"service N={far} / N=1  = {growth:.2f}   target <= 1.5: {'MET' if growth <= 1.5 else 'MISSED'}")
        if raw_far is not None:
            print(f"raw N={far} / N=1      = {raw_far / raw1:.2f}")
        else:
            print(f"raw N={far}: not reachable with stock SpiffWorkflow on this BPMN (no loop compaction) - "
                  f"failed {raw_failed}")

        if ratio > 3 or args.profile:
            print(f"\ncProfile of one service step (top 15 by cumulative time, after {svc.corrections} corrections):")
            print(svc.profile_step(15))
        svc.bind.dispose()
        print(f"total run time {time.perf_counter() - t_start:.1f} s")

    result = {
        "service_over_raw": round(ratio, 2),
        "step_ms_at_1": round(step1, 2),
        "step_ms_at_300": round(step_far, 2),
        "raw_ms_at_1": round(raw1, 2),
        "raw_ms_at_300": round(raw_far, 2) if raw_far is not None else None,
        "ratio_300_over_1": round(growth, 2),
        "engine_ms_at_1": round(eng_ms[1], 2),
        "engine_ms_at_300": round(eng_ms[far], 2),
        "password_check_ms": round(kdf_ms, 1),
    }
    if mid not in (1, far):
        result[f"step_ms_at_{mid}"] = round(svc_ms[mid], 2)
        result[f"raw_ms_at_{mid}"] = round(raw_ms[mid], 2) if mid in raw_ms else None
    if raw_failed:
        result["raw_failed"] = raw_failed
    if far != 300:
        result["far_corrections"] = far
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
