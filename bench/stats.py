"""The statistics page and its exports at a region's size (issue 15), on the scale bench's databases.

Run from the repo root, after `bench/scale.py` has made its databases (it is run first if not):

    .venv/bin/python bench/stats.py                 # SQLite and PostgreSQL, 100,000 routes
    .venv/bin/python bench/stats.py --db sqlite --routes 20000 --reps 5

On each database: the statistics facts are built once if missing (`stats_facts.rebuild_all`, what
the worker keeps current incrementally; its time is reported), then under gunicorn (the production
server, `scale.Server`, whose workers load the facts into memory at start: their log lines, with the
time, are printed) the page `/stats` is requested by the region's auditor, a CNPPM head and a school
head with their default filters and with a period, a stage and a subject filter, `--reps` rounds
each; in every other round 20 routes change before each request (their facts rebuilt, as the worker
does), so the page also pays for reading changed routes again. p50/p95 per request and over all.
Then the largest table's .xlsx (`by_tutor` for the auditor: every tutor of the region) and the .docx
report are downloaded and timed. Last line, JSON:
{"stats_page_p95_ms_sqlite": A, "stats_page_p95_ms_pg": B, "xlsx_export_s": C, ...}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

import bench.scale as scale  # noqa: E402
from service.app import build_service_context  # noqa: E402
from service.db.models import Route, StatsRoute  # noqa: E402
from service.services import stats_facts  # noqa: E402


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def facts(url: str) -> dict[str, Any]:
    """Build the facts if this database has none (the first run); how long it took."""
    ctx = build_service_context(url)
    bind = ctx.sessions.kw["bind"]
    with bind.connect() as c:
        have = c.scalar(sa.text("SELECT count(*) FROM stats_routes"))
        routes = c.scalar(sa.text("SELECT count(*) FROM routes"))
    out: dict[str, Any] = {"routes": routes, "facts_built_s": None}
    if have < routes:
        log(f"building statistics facts for {routes} routes (once; the worker keeps them current after)")
        started = time.perf_counter()
        stats_facts.rebuild_all(ctx)
        out["facts_built_s"] = round(time.perf_counter() - started, 1)
        log(f"facts built in {out['facts_built_s']} s")
    bind.dispose()
    return out


def people(url: str, meta: dict) -> dict[str, str]:
    """Logins: the auditor (region), the demo CNPPM head (a centre of ~10,000 routes), the head of
    that centre's largest school."""
    bind = sa.create_engine(url)
    ids = meta["ids"]
    with bind.connect() as c:
        head = c.scalar(sa.text("SELECT login FROM users WHERE id = :u"), {"u": ids["head_cnppm"]})
        school_head = c.scalar(sa.text(
            "SELECT u.login FROM role_grants g JOIN users u ON u.id = g.user_id WHERE g.role = 'school_head' "
            "AND g.org_unit_id = (SELECT school_id FROM routes WHERE centre_id = (SELECT org_unit_id FROM role_grants "
            "WHERE user_id = :u AND role = 'cnppm_head' LIMIT 1) GROUP BY school_id ORDER BY count(*) DESC LIMIT 1) "
            "LIMIT 1"), {"u": ids["head_cnppm"]})
        subject = c.scalar(sa.text("SELECT subject FROM stats_routes GROUP BY subject ORDER BY count(*) DESC LIMIT 1"))
    bind.dispose()
    return {"auditor": "auditor", "cnppm_head": head, "school_head": school_head, "subject": subject or ""}


def requests_for(who: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    year = time.strftime("%Y")
    filtered = [({}, "default"), ({"from": f"{int(year) - 1}-01-01", "to": f"{int(year) - 1}-12-31"}, "last year"),
                ({"stage": "implementation"}, "stage"), ({"subject": who["subject"]}, "subject")]
    return [(role, f"{role} {label}", params) for role in ("auditor", "cnppm_head", "school_head")
            for params, label in filtered]


class Changes:
    """Routes changing while the pages are read, as in a working region: before a request, CHANGED
    routes get a new updated_at and their facts are rebuilt (what the worker does every tick), so the
    page's process reads those routes again (stats_columns.FactsHolder)."""

    CHANGED = 20

    def __init__(self, url: str):
        self.ctx = build_service_context(url)
        with self.ctx.uow() as uow:
            self.ids = list(uow.session.scalars(sa.select(StatsRoute.route_id).order_by(StatsRoute.route_id)))
        self.next = 0

    def touch(self) -> None:
        ids = [self.ids[(self.next + i * 997) % len(self.ids)] for i in range(self.CHANGED)]
        self.next += 1
        with self.ctx.uow() as uow:
            uow.session.execute(sa.update(Route).where(Route.id.in_(ids)).values(updated_at=self.ctx.clock()))
            uow.commit()
        stats_facts.refresh_stale(self.ctx)

    def close(self) -> None:
        self.ctx.sessions.kw["bind"].dispose()


def measure(base: str, url: str, who: dict[str, str], reps: int) -> dict[str, Any]:
    sessions = {role: scale.session_for(base, who[role]) for role in ("auditor", "cnppm_head", "school_head")}
    timings: dict[str, list[float]] = {}
    statuses: dict[str, set[int]] = {}
    changes = Changes(url)
    for rep in range(reps):
        for role, label, params in requests_for(who):
            if rep % 2:  # every other round, routes changed before each request
                changes.touch()
                label += " (routes changed)"
            started = time.perf_counter()
            r = sessions[role].get(base + "/stats", params=params, timeout=300)
            timings.setdefault(label, []).append((time.perf_counter() - started) * 1000)
            statuses.setdefault(label, set()).add(r.status_code)
    changes.close()
    pages = {label: {"p50": statistics.median(v), "p95": scale.p(v, 0.95), "status": sorted(statuses[label])}
             for label, v in timings.items()}
    every = [t for v in timings.values() for t in v]
    exports = {}
    for name, path, params in (("xlsx by_tutor (region)", "/stats/export.xlsx", {"table": "by_tutor"}),
                               ("xlsx by_school (region)", "/stats/export.xlsx", {"table": "by_school"}),
                               ("docx report (region)", "/stats/report.docx", {})):
        started = time.perf_counter()
        r = sessions["auditor"].get(base + path, params=params, timeout=600)
        exports[name] = {"s": round(time.perf_counter() - started, 2), "status": r.status_code, "bytes": len(r.content)}
    return {"pages": pages, "p95_all": scale.p(every, 0.95), "p50_all": statistics.median(every), "exports": exports}


def run_db(db: str, n: int, rev: str, args) -> dict[str, Any]:
    url, meta = scale.prepare(db, n, rev, args)
    res = {"db": db, **facts(url)}
    who = people(url, meta)
    with scale.Server(url, warm_stats=True) as server:
        res["worker_start"] = server.wait_for_stats()
        log(f"[{db}] " + "; ".join(res["worker_start"]))
        for role in ("auditor", "cnppm_head", "school_head"):  # warm-up, untimed: each worker's first page
            scale.session_for(server.base, who[role]).get(server.base + "/stats", timeout=300)
        log(f"[{db}] /stats: {args.reps} rounds of {len(requests_for(who))} requests")
        res.update(measure(server.base, url, who, args.reps))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", choices=("sqlite", "pg", "both"), default="both")
    ap.add_argument("--routes", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    args.fresh = args.skip_generate = False  # what scale.prepare reads
    args.doc_sample = 50
    rev = scale.schema_revision()
    results = [run_db(db, args.routes, rev, args) for db in (["sqlite", "pg"] if args.db == "both" else [args.db])]
    for res in results:
        print(f"\n== {res['db']}: {res['routes']} routes; facts built: {res['facts_built_s'] or 'kept'} s")
        for line in res["worker_start"]:
            print("worker start: " + line.split("] ", 1)[-1])
        print(f"{'request':36} {'p50 ms':>8} {'p95 ms':>8}  status")
        for label, v in res["pages"].items():
            print(f"{label:36} {v['p50']:8.1f} {v['p95']:8.1f}  {v['status']}")
        print(f"{'all /stats requests':36} {res['p50_all']:8.1f} {res['p95_all']:8.1f}")
        for name, v in res["exports"].items():
            print(f"{name:36} {v['s']:8.2f} s  {v['bytes']} bytes  {v['status']}")
    by = {r["db"]: r for r in results}
    out = {"stats_page_p95_ms_sqlite": round(by["sqlite"]["p95_all"], 1) if "sqlite" in by else None,
           "stats_page_p95_ms_pg": round(by["pg"]["p95_all"], 1) if "pg" in by else None,
           "xlsx_export_s": max(v["s"] for r in results for k, v in r["exports"].items() if k.startswith("xlsx")),
           "docx_report_s": {r["db"]: r["exports"]["docx report (region)"]["s"] for r in results},
           "facts_built_s": {r["db"]: r["facts_built_s"] for r in results}}
    print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
