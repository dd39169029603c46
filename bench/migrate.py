"""Cost of moving a version's running routes to a new workflow version (issue 14).

Run from the repo root:  .venv/bin/python bench/migrate.py [--routes 1000] [--db sqlite|pg] [--quick]

1. A fresh database: a SQLite file in a temp dir, or (`--db pg`) a schema of its own in the
   PostgreSQL database of IOM_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
   dropped at the end. The workflows and templates are deployed, the demo organisation set up
   (one-round PBKDF2 password hashes, as in bench/engine.py), plus one teacher per route.
2. N routes on the current version, driven honestly through the service
   (`demo.complete_as_assignee`, signing where a step signs; no copied rows), in a mix of stages:
   4 in 10 wait for the tutor's draft, 3 in 10 for the CNPPM head's agreement (draft written, plan
   signed), 3 in 10 are in implementation with one correction waiting for its three signatures.
   The generation time is reported, not part of the figures.
3. The `with_review` variant of iom_route.bpmn is deployed (a methodist's review between the
   agreement and the approval). The variant is built by `tests/support/bpmn_variants.py`, imported
   from the repo root: the bench and the migration tests migrate to the same version.
4. Timed:
   * A = preview_ms_per_route: `route_migration.preview_version` over all N routes, per route;
     `preview_route` for every route is timed too (per-call p50/p95);
   * B = migrate_ms_per_route: a batch (`route_migration_batches.run_here`, in this process: the
     worker's `run`, each route its own transaction) over the version, per route;
   * C = replay_ok: `audit_replay.replay(ctx, auditor, route_id, documents=True)` for every migrated
     route (the events replayed on the versions they ran on, the migration included, and every
     document version rendered again), the number that came out ok; its time is reported.

The last line of stdout is JSON: preview_ms_per_route, migrate_ms_per_route, replay_ok, then
extra keys. Progress goes to stderr. Targets: A <= 20, B <= 50, C = N; the script says whether
each is met and exits 0 either way. `--quick` is 50 routes.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from service.app import build_service_context  # noqa: E402
from service.db import migrate  # noqa: E402
from service.db.models import OrgUnit, Route, TeacherProfile, WorkflowSpec  # noqa: E402
from service.samples import VALID  # noqa: E402
from service.services import (  # noqa: E402
    accounts,
    audit_replay,
    demo,
    deployments,
    documents,
    people,
    pep,
    route_migration,
    route_migration_batches,
    routes,
)
from tests.support.bpmn_variants import with_review  # noqa: E402
from tests.support.databases import fresh_database  # noqa: E402

CHEAP_HASH = generate_password_hash(demo.PASSWORD, "pbkdf2:sha256:1")
TARGET_PREVIEW_MS, TARGET_MIGRATE_MS = 20.0, 50.0
TO_AGREEMENT = [
    ("draft", VALID["draft"]),
    ("plan_signatures_methodist", VALID["sign"]),
    ("plan_signatures_teacher", VALID["sign"]),
]
TO_CORRECTION_SIGNATURES = TO_AGREEMENT + [
    ("agreement", VALID["review"]),
    ("approval", {"decision": "accept", "comment": "Утверждаю"}),
    ("implementation", {"next": "correction"}),
    ("correction", VALID["correction"]),
]
# stage of the route → (its share in 10, the steps that bring it there)
MIX = {"draft": (4, []), "agreement": (3, TO_AGREEMENT), "correction_signatures": (3, TO_CORRECTION_SIGNATURES)}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@contextmanager
def database(db: str):
    """The URL of an empty database (a temp SQLite file, or a fresh PostgreSQL schema of
    IOM_TEST_PG_URL, as the tests make theirs), removed after."""
    with tempfile.TemporaryDirectory(prefix="iom-migrate-bench-") as tmp:
        with fresh_database("postgresql" if db == "pg" else "sqlite", Path(tmp)) as url:
            yield url


def setup(ctx) -> dict[str, int]:
    migrate.upgrade(ctx.sessions.kw["bind"])
    deployments.deploy(ctx, deployments.read_workflow_files())
    documents.deploy_templates(ctx, documents.read_template_files())
    ids = demo.setup_people(ctx, password_hash=CHEAP_HASH)
    pep.record_acceptances(ctx, ids.values())
    return ids


def add_teachers(ctx, ids: dict[str, int], n: int) -> list[int]:
    """One teacher per route, in the demo gymnasium, with teacher1's information sheet."""
    with ctx.uow() as uow:
        s = uow.session
        gym = s.scalar(sa.select(OrgUnit).where(OrgUnit.kind == "school").order_by(OrgUnit.id))
        info = s.get(TeacherProfile, ids["teacher1"]).info
        made = [people.add_teacher(s, f"bench_teacher_{k}", f"Переводова Анна {k}", demo.PASSWORD, gym, dict(info),
                                   "учитель", password_hash=CHEAP_HASH) for k in range(n)]
        s.flush()
        teacher_ids = [u.id for u in made]
        uow.commit()
    pep.record_acceptances(ctx, teacher_ids)
    return teacher_ids


def stage_plan(n: int) -> list[str]:
    """The stage each route is brought to, interleaved (4 draft, 3 agreement, 3 correction per 10)."""
    pattern = [stage for stage, (share, _) in MIX.items() for _ in range(share)]
    return [pattern[k % len(pattern)] for k in range(n)]


def drive(ctx, ids: dict[str, int], teachers: list[int]) -> dict[int, str]:
    """Create the routes and bring each to its stage through the service; route id → stage."""
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    made: dict[int, str] = {}
    t0 = time.perf_counter()
    for k, (teacher, stage) in enumerate(zip(teachers, stage_plan(len(teachers)), strict=True), start=1):
        rid = routes.create_route(ctx, head, routes.NewRoute(teacher, ids["tutor1"], ids["methodist"]))
        for name, data in MIX[stage][1]:
            if name == "correction":  # the newest activity (never "выполнено"), as bench/audit.py does
                with ctx.uow() as uow:
                    data = {**copy.deepcopy(data), "activity_no": len(uow.session.get(Route, rid).card["activities"])}
            demo.complete_as_assignee(ctx, rid, name, data)
        made[rid] = stage
        if k % 50 == 0 or k == len(teachers):
            log(f"[drive] {k}/{len(teachers)} routes, {time.perf_counter() - t0:.0f}s")
    return made


def deploy_review(ctx) -> int:
    files = deployments.read_workflow_files()
    spec_hash, _ = deployments.deploy(ctx, {**files, "iom_route.bpmn": with_review().encode("utf-8")})
    with ctx.uow() as uow:
        return uow.session.scalar(sa.select(WorkflowSpec.id).where(WorkflowSpec.content_hash == spec_hash))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(db: str, n: int) -> dict:
    """Build, drive, migrate and replay on one fresh database; the figures."""
    with database(db) as url:
        ctx = build_service_context(url)
        t0 = time.perf_counter()
        ids = setup(ctx)
        teachers = add_teachers(ctx, ids, n)
        made = drive(ctx, ids, teachers)
        generation_s = time.perf_counter() - t0
        admin = accounts.load_actor(ctx, ids["admin"])
        auditor = accounts.load_actor(ctx, ids["auditor"])
        with ctx.uow() as uow:
            from_id = uow.session.scalar(sa.select(sa.func.min(WorkflowSpec.id)))
        to_id = deploy_review(ctx)
        body = {"to_spec_id": to_id, "mapping": {}}
        log(f"[{db}] {n} routes driven in {generation_s:.1f}s; version {from_id} → {to_id}")

        gc.collect()
        t, cpu = time.perf_counter(), time.process_time()
        whole = route_migration.preview_version(ctx, admin, from_id, body)
        preview_version_s, preview_cpu_s = time.perf_counter() - t, time.process_time() - cpu
        assert whole["total"] == n, whole["total"]
        single = []
        for rid in made:
            t = time.perf_counter()
            route_migration.preview_route(ctx, admin, rid, body)
            single.append(time.perf_counter() - t)
        log(f"[{db}] preview: version {preview_version_s:.2f}s, routes {sum(single):.2f}s")

        gc.collect()
        t, cpu = time.perf_counter(), time.process_time()
        batch = route_migration_batches.run_here(
            ctx, admin, {**body, "from_spec_id": from_id, "reason": "Рецензирование плана (bench)"},
            lambda done, total: done % 100 == 0 and log(f"[{db}] migrated {done}/{total}"))
        migrate_s, migrate_cpu_s = time.perf_counter() - t, time.process_time() - cpu
        migrated = [r["route_id"] for r in batch["report"] if r["ok"]]
        failures = [r for r in batch["report"] if not r["ok"]]

        t = time.perf_counter()
        replay_ok, first_bad = 0, None
        for k, rid in enumerate(migrated, start=1):
            result = audit_replay.replay(ctx, auditor, rid, documents=True)
            replay_ok += bool(result["ok"])
            if not result["ok"] and first_bad is None:
                first_bad = {"route_id": rid, "divergence": result["divergence"]}
            if k % 100 == 0:
                log(f"[{db}] replayed {k}/{len(migrated)}")
        replay_s = time.perf_counter() - t
        ctx.sessions.kw["bind"].dispose()

    stages = {stage: sum(1 for s in made.values() if s == stage) for stage in MIX}
    return {"db": db, "routes": n, "stages": stages, "generation_s": generation_s,
            "preview_version_s": preview_version_s, "can_migrate": whole["can_migrate"],
            "preview_ms_per_route": preview_version_s * 1000 / n,
            "preview_cpu_ms_per_route": preview_cpu_s * 1000 / n,
            "preview_route_p50_ms": statistics.median(single) * 1000,
            "preview_route_p95_ms": percentile(single, 0.95) * 1000,
            "migrate_s": migrate_s, "migrate_ms_per_route": migrate_s * 1000 / n,
            "migrate_cpu_ms_per_route": migrate_cpu_s * 1000 / n,
            "migrated": len(migrated), "failed": len(failures), "first_failure": failures[0] if failures else None,
            "replay_s": replay_s, "replay_ok": replay_ok, "first_divergence": first_bad}


def report(r: dict) -> None:
    n = r["routes"]
    per_replay = r['replay_s'] * 1000 / max(1, r['migrated'])
    rows = [
        ("routes (draft / agreement / correction signatures)",
         f"{n} ({' / '.join(str(v) for v in r['stages'].values())}), driven in {r['generation_s']:.1f} s"),
        ("preview_version, all routes", f"{r['preview_version_s']:.2f} s -> {r['preview_ms_per_route']:.2f} ms/route "
                                        f"(this process's CPU {r['preview_cpu_ms_per_route']:.2f}); "
                                        f"can migrate {r['can_migrate']}"),
        ("preview_route, each", f"p50 {r['preview_route_p50_ms']:.2f} ms, p95 {r['preview_route_p95_ms']:.2f} ms"),
        ("batch migration (run_here)", f"{r['migrate_s']:.2f} s -> {r['migrate_ms_per_route']:.2f} ms/route "
                                       f"(CPU {r['migrate_cpu_ms_per_route']:.2f}); "
                                       f"migrated {r['migrated']}, failed {r['failed']}"),
        ("replay(documents=True), migrated", f"{r['replay_s']:.1f} s ({per_replay:.0f} ms/route); "
                                            f"ok {r['replay_ok']}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"\n[{r['db']}]")
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    if r["first_failure"]:
        print(f"  first failed migration: {r['first_failure']}")
    if r["first_divergence"]:
        print(f"  first replay divergence: {r['first_divergence']}")
    print(f"  preview_ms_per_route = {r['preview_ms_per_route']:.2f}   target <= {TARGET_PREVIEW_MS:.0f}: "
          f"{'MET' if r['preview_ms_per_route'] <= TARGET_PREVIEW_MS else 'MISSED'}")
    print(f"  migrate_ms_per_route = {r['migrate_ms_per_route']:.2f}   target <= {TARGET_MIGRATE_MS:.0f}: "
          f"{'MET' if r['migrate_ms_per_route'] <= TARGET_MIGRATE_MS else 'MISSED'}")
    print(f"  replay_ok            = {r['replay_ok']}   target = {n}: {'MET' if r['replay_ok'] == n else 'MISSED'}",
          flush=True)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--routes", type=int, default=1000, help="routes on the old version")
    ap.add_argument("--db", choices=("sqlite", "pg"), default="sqlite")
    ap.add_argument("--quick", action="store_true", help="50 routes")
    args = ap.parse_args(argv)
    n = 50 if args.quick else args.routes
    t_start = time.perf_counter()
    r = run(args.db, n)
    report(r)
    print(f"total run time {time.perf_counter() - t_start:.1f} s")
    result = {"preview_ms_per_route": round(r["preview_ms_per_route"], 2),
              "migrate_ms_per_route": round(r["migrate_ms_per_route"], 2), "replay_ok": r["replay_ok"],
              "db": r["db"], "routes": n, "migrated": r["migrated"], "failed": r["failed"],
              "preview_route_p50_ms": round(r["preview_route_p50_ms"], 2),
              "preview_route_p95_ms": round(r["preview_route_p95_ms"], 2),
              "preview_cpu_ms_per_route": round(r["preview_cpu_ms_per_route"], 2),
              "migrate_cpu_ms_per_route": round(r["migrate_cpu_ms_per_route"], 2),
              "migrate_s": round(r["migrate_s"], 2), "replay_s": round(r["replay_s"], 1),
              "generation_s": round(r["generation_s"], 1), "stages": r["stages"]}
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


if __name__ == "__main__":
    main()
