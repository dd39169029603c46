"""Cost of the audit: replaying a long route, re-rendering its documents, verifying many chains.

Run from the repo root:  .venv/bin/python bench/audit.py [--corrections 50] [--routes 10000] [--reps 7]

Everything runs on one SQLite file in a temp dir, in one run (~1-2 min on 2 CPUs):

* A = replay_ms_50_corrections: a route driven through the service (`demo.complete_as_assignee`: the assignee
  completes the task, signing where it signs) to approval, then through N correction rounds
  (implementation {"next": "correction"}, correction of the newest activity, three
  signatures). Timed: `audit_replay.replay(ctx, route_id)` (chain check, engine replay of every
  completion on the route's BPMN version, comparison with the stored state; documents are not
  re-rendered). Median of --reps runs, gc.collect() before each. Target <= 200 ms.
* C = rerender_over_render: `audit_replay.rerender_documents(ctx, route_id)` (every version's content
  and issued copy rendered again from its recorded data, SHA-256 compared) over the time the
  service's own renders of the same documents take. The denominator: while the route is driven,
  the `render` that `service.services.documents` calls (`_new_version`, `render_issued`) is
  wrapped to record each call's template and context; after the drive those exact calls are
  replayed with `service.documents.render.render`. This is the first render's work (same
  templates, same context dicts), measured under the same conditions as the re-render (warm
  compile cache, no engine or database work interleaved, same GC state, same repetitions), so
  the ratio isolates what re-rendering adds: loading the rows, looking the templates up,
  hashing. The sum of the wrapped calls' own times during the drive is reported too
  (rerender_over_drive_render); it is one sample per render and includes the templates' first
  compilation and GC pauses caused by engine work, so it is noisier. Medians of 3, the two
  sides alternating. Target <= 1.1.
* B = verify_routes_per_s: --routes routes whose chains `audit.verify_chains(ctx)` checks.
  They are generated, not driven: each copies one of two real routes (approved at once, or
  returned once first; both then corrected once), its row with a new id and its first 10-15
  events (the same kinds and payloads: the card, the draft submissions, document and
  signature events), with the times shifted and the task ids renewed, hashed with `service.domain.audit.chain_hash`
  over `event_fields`, inserted with executemany. Only verify_chains is timed (median of 3).
  Target >= 2,000 routes/s.

The last line of stdout is JSON: replay_ms_50_corrections, rerender_over_render,
verify_routes_per_s, then extra keys. When A misses its target a cProfile of one replay (top
15 by cumulative time) is printed. The script says whether each target is met and exits 0
either way.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import io
import json
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

import service.services.documents as documents_service  # noqa: E402
from service.app import build_service_context as build_context  # noqa: E402
from service.db import migrate  # noqa: E402
from service.db.models import Document, Event, Route  # noqa: E402
from service.documents import render as render_module  # noqa: E402
from service.domain.access import OPERATOR  # noqa: E402
from service.domain.audit import GENESIS, chain_hash, event_fields  # noqa: E402
from service.samples import VALID  # noqa: E402
from service.services import accounts, audit, audit_replay, demo, deployments, documents, pep, routes  # noqa: E402

TARGET_REPLAY_MS, TARGET_RERENDER, TARGET_VERIFY = 200.0, 1.1, 2000.0
APPROVAL = [
    ("draft", VALID["draft"]),
    ("plan_signatures_methodist", VALID["sign"]),
    ("plan_signatures_teacher", VALID["sign"]),
    ("agreement", VALID["review"]),
    ("approval", {"decision": "accept", "comment": "Утверждаю"}),
]
WITH_RETURN = [
    ("draft", VALID["draft"]),
    ("plan_signatures_methodist", VALID["sign"]),
    ("plan_signatures_teacher", {"decision": "return", "comment": "Уточните сроки стажировки"}),
] + APPROVAL
SIGNATURES = ("correction_signatures_teacher", "correction_signatures_tutor", "correction_signatures_methodist")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def timed(fn) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


class RenderRecorder:
    """Wraps the `render` that the document service calls, keeping each call and its time."""

    def __init__(self):
        self.calls: list[tuple[object, dict]] = []
        self.seconds = 0.0
        self._original = documents_service.render

    def __enter__(self):
        def recording(template, context):
            t0 = time.perf_counter()
            out = self._original(template, context)
            self.seconds += time.perf_counter() - t0
            self.calls.append((template, context))
            return out

        documents_service.render = recording
        return self

    def __exit__(self, *exc):
        documents_service.render = self._original


class Bench:
    def __init__(self, workdir: Path):
        self.ctx = build_context(f"sqlite:///{workdir / 'audit.sqlite3'}")
        self.bind = self.ctx.sessions.kw["bind"]
        migrate.upgrade(self.bind)
        deployments.deploy(self.ctx, deployments.read_workflow_files())
        documents.deploy_templates(self.ctx, documents.read_template_files())
        self.ids = demo.setup_people(self.ctx)
        pep.record_acceptances(self.ctx, self.ids.values())  # signers accept the Положение о ПЭП first

    def new_route(self) -> int:
        head = accounts.load_actor(self.ctx, self.ids["head_cnppm"])
        return routes.create_route(self.ctx, head, routes.NewRoute(self.ids["teacher1"], self.ids["tutor1"],
                                                                   self.ids["methodist"]))

    def do(self, rid: int, name: str, data: dict) -> None:
        demo.complete_as_assignee(self.ctx, rid, name, data)

    def card(self, rid: int) -> dict:
        with self.ctx.uow() as uow:
            return uow.session.get(Route, rid).card

    def correction_round(self, rid: int) -> None:
        self.do(rid, "implementation", {"next": "correction"})
        sub = copy.deepcopy(VALID["correction"])
        sub["activity_no"] = len(self.card(rid)["activities"])  # the newest activity: never "выполнено"
        self.do(rid, "correction", sub)
        for name in SIGNATURES:
            self.do(rid, name, VALID["sign"])

    def long_route(self, corrections: int) -> int:
        rid = self.new_route()
        for name, data in APPROVAL:
            self.do(rid, name, data)
        for n in range(1, corrections + 1):
            self.correction_round(rid)
            if n % 10 == 0:
                log(f"[drive] {n} corrections done")
        return rid

    def template_routes(self) -> list[int]:
        """The routes the generated ones copy: one approved at once, one returned once before
        approval; both then through one correction."""
        made = []
        for steps in (APPROVAL, WITH_RETURN):
            rid = self.new_route()
            for name, data in steps:
                self.do(rid, name, data)
            self.correction_round(rid)
            made.append(rid)
        return made

    # ---- B: many generated routes ----
    def generate(self, sources: list[int], count: int, seed: int = 2026) -> int:
        rng = random.Random(seed)
        routes_t, events_t = Route.__table__, Event.__table__
        templates = []
        with self.bind.connect() as conn:
            for source in sources:
                route_row = dict(conn.execute(sa.select(routes_t).where(routes_t.c.id == source)).mappings().one())
                source_events = [dict(r) for r in conn.execute(
                    sa.select(events_t).where(events_t.c.route_id == source).order_by(events_t.c.seq)).mappings()]
                assert len(source_events) >= 15, len(source_events)
                templates.append((route_row, source_events))
            next_id = conn.scalar(sa.select(sa.func.max(routes_t.c.id))) + 1
        total_events = 0
        batch = 1000
        for start in range(0, count, batch):
            route_rows, event_rows = [], []
            for rid in range(next_id + start, next_id + min(start + batch, count)):
                route_row, source_events = rng.choice(templates)
                shift = timedelta(days=rng.randrange(0, 700), seconds=rng.randrange(0, 86400))
                renamed: dict[str, str] = {}

                def fresh(task_id, renamed=renamed):
                    if task_id is None:
                        return None
                    return renamed.setdefault(task_id, str(uuid.UUID(int=rng.getrandbits(128), version=4)))

                prev = GENESIS
                for e in source_events[:rng.randint(10, 15)]:
                    data = copy.deepcopy(e["data"])
                    for t in data.get("opened", []):
                        t["id"] = fresh(t["id"])
                    if "cancelled" in data:
                        data["cancelled"] = [fresh(t) for t in data["cancelled"]]
                    fields = event_fields(route_id=rid, seq=e["seq"], at=e["at"] + shift, actor_id=e["actor_id"],
                                          on_behalf_of_id=e["on_behalf_of_id"], kind=e["kind"],
                                          task_id=fresh(e["task_id"]), task_name=e["task_name"], data=data)
                    digest = chain_hash(prev, fields)
                    event_rows.append({**fields, "prev_hash": prev, "hash": digest})
                    prev = digest
                route_rows.append({**route_row, "id": rid, "title": f"{route_row['title']} ({rid})",
                                   "created_at": route_row["created_at"] + shift,
                                   "updated_at": route_row["updated_at"] + shift, "chain_head": prev})
            with self.bind.begin() as conn:
                conn.execute(routes_t.insert(), route_rows)
                conn.execute(events_t.insert(), event_rows)
            total_events += len(event_rows)
        return total_events


def profile_replay(ctx, rid: int, top: int = 15) -> str:
    prof = cProfile.Profile()
    prof.enable()
    audit_replay.replay(ctx, OPERATOR, rid)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corrections", type=int, default=50, help="correction rounds of the replayed route")
    ap.add_argument("--routes", type=int, default=10_000, help="generated routes for verify_chains")
    ap.add_argument("--reps", type=int, default=7, help="replay repetitions (median)")
    ap.add_argument("--profile", action="store_true", help="cProfile one replay even if A meets its target")
    args = ap.parse_args()
    t_start = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="iom-audit-bench-") as tmp:
        bench = Bench(Path(tmp))
        ctx = bench.ctx

        # ---- drive the long route, recording the service's own renders ----
        t0 = time.perf_counter()
        with RenderRecorder() as first:
            rid = bench.long_route(args.corrections)
        with ctx.uow() as uow:
            n_events = uow.session.scalar(sa.select(sa.func.count()).where(Event.route_id == rid))
            n_docs = uow.session.scalar(sa.select(sa.func.count()).where(Document.route_id == rid))
            activities = len(uow.session.get(Route, rid).card["activities"])
        log(f"[drive] route {rid}: {args.corrections} corrections, {n_events} events, {n_docs} document versions, "
            f"{len(first.calls)} renders in {time.perf_counter() - t0:.1f}s")

        # ---- A: replay ----
        check = audit_replay.replay(ctx, OPERATOR, rid)
        assert check["ok"], check["divergence"]
        samples = [timed(lambda: audit_replay.replay(ctx, OPERATOR, rid)) for _ in range(args.reps)]
        replay_ms = median_ms(samples)
        chain_ms = median_ms([timed(lambda: audit.verify_route(ctx, OPERATOR, rid, documents=False))
                              for _ in range(args.reps)])
        print(f"A  replay of a route with {args.corrections} corrections ({n_events} events, "
              f"{activities} activities): median {replay_ms:.1f} ms of {args.reps} "
              f"(min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f}); "
              f"verify_route(documents=False) alone {chain_ms:.1f} ms", flush=True)

        # ---- C: re-render vs first render ----
        assert audit_replay.rerender_documents(ctx, rid) == [], "a re-rendered document differs"

        def direct() -> None:
            for template, context in first.calls:
                render_module.render(template, context)

        rerender_s, direct_s = [], []
        for _ in range(3):
            rerender_s.append(timed(lambda: audit_replay.rerender_documents(ctx, rid)))
            direct_s.append(timed(direct))
        rerender, direct_render = statistics.median(rerender_s), statistics.median(direct_s)
        ratio = rerender / direct_render
        ratio_drive = rerender / first.seconds
        print(f"C  rerender_documents {rerender * 1000:.0f} ms ({n_docs} versions); the service's own "
              f"{len(first.calls)} render calls replayed {direct_render * 1000:.0f} ms -> {ratio:.3f}; "
              f"the same calls' time while driving {first.seconds * 1000:.0f} ms -> {ratio_drive:.3f}", flush=True)

        # ---- B: verify many chains ----
        sources = bench.template_routes()
        t0 = time.perf_counter()
        generated_events = bench.generate(sources, args.routes)
        with ctx.uow() as uow:
            n_routes = uow.session.scalar(sa.select(sa.func.count()).select_from(Route))
        log(f"[generate] {args.routes} routes, {generated_events} events in {time.perf_counter() - t0:.1f}s")
        failures = audit.verify_chains(ctx)
        assert failures == [], [f.as_dict() for f in failures[:3]]
        verify_s = statistics.median(timed(lambda: audit.verify_chains(ctx)) for _ in range(3))
        per_s = n_routes / verify_s
        print(f"B  verify_chains over {n_routes} routes ({generated_events} generated events + the driven ones): "
              f"{verify_s:.2f} s -> {per_s:.0f} routes/s", flush=True)

        print()
        print(f"replay_ms_50_corrections = {replay_ms:.1f}   target <= {TARGET_REPLAY_MS:.0f}: "
              f"{'MET' if replay_ms <= TARGET_REPLAY_MS else 'MISSED'}")
        print(f"rerender_over_render     = {ratio:.3f}   target <= {TARGET_RERENDER}: "
              f"{'MET' if ratio <= TARGET_RERENDER else 'MISSED'}")
        print(f"verify_routes_per_s      = {per_s:.0f}   target >= {TARGET_VERIFY:.0f}: "
              f"{'MET' if per_s >= TARGET_VERIFY else 'MISSED'}")
        if replay_ms > TARGET_REPLAY_MS or args.profile:
            print(f"\ncProfile of one replay (top 15 by cumulative time, {n_events} events):")
            print(profile_replay(ctx, rid))
        bench.bind.dispose()
        print(f"total run time {time.perf_counter() - t_start:.1f} s")

    result = {
        "replay_ms_50_corrections": round(replay_ms, 1),
        "rerender_over_render": round(ratio, 3),
        "verify_routes_per_s": round(per_s),
        "corrections": args.corrections,
        "replay_events": n_events,
        "chain_check_ms": round(chain_ms, 1),
        "rerender_ms": round(rerender * 1000),
        "first_render_ms": round(direct_render * 1000),
        "rerender_over_drive_render": round(ratio_drive, 3),
        "document_versions": n_docs,
        "verify_routes": n_routes,
        "verify_s": round(verify_s, 3),
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
