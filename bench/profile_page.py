"""Where one read path spends its time, in-process: the Flask app on a database the scale bench
made (or any), a user logged in through /api/login, the path fetched --reps times after a
warm-up. Prints wall time p50/p95, the SQL statements of one request with their time, and with
--profile the top functions by cumulative time.

    .venv/bin/python bench/profile_page.py --url sqlite:///bench/.data/scale-100000-0021.sqlite3 \
        --login auditor "/routes?q=Иванов"

The password is the demo and bench one (service.services.demo.PASSWORD) unless --password is given.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--url", required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--password")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--only", metavar="REGEX", help="with --profile: the functions whose file and name match")
    parser.add_argument("--explain", type=float, metavar="MS",
                        help="print the whole text and EXPLAIN ANALYZE of each statement slower than MS")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.url
    os.environ.setdefault("IOM_STATS_WARM", "0")

    from service.app import create_app
    from service.services.demo import PASSWORD

    app = create_app({"SECRET_KEY": "profile", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    r = client.post("/api/login", json={"login": args.login, "password": args.password or PASSWORD})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]

    statements: list[tuple[float, str, object]] = []
    started: dict[int, float] = {}
    recording = [False]

    @sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, params, context, many):
        started[id(cursor)] = time.perf_counter()

    @sa.event.listens_for(sa.engine.Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, params, context, many):
        if recording[0]:
            statements.append(((time.perf_counter() - started.pop(id(cursor), 0)) * 1000, statement, params))

    for _ in range(3):
        status = client.get(args.path).status_code
    times = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        client.get(args.path)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(f"{args.path}: status {status}, p50 {times[len(times) // 2]:.1f} ms, "
          f"p95 {times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]:.1f} ms over {args.reps}")
    recording[0] = True
    t0 = time.perf_counter()
    client.get(args.path)
    wall = (time.perf_counter() - t0) * 1000
    recording[0] = False
    print(f"one request: {wall:.1f} ms, {len(statements)} statements, {sum(t for t, _, _ in statements):.1f} ms in SQL")
    for t, statement, _ in statements:
        print(f"  {t:6.2f} ms  {' '.join(statement.split())[:160]}")
    if args.explain is not None:
        engine = app.extensions["iom"].sessions.kw["bind"]
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
        with engine.connect() as c:
            for t, statement, params in statements:
                if t >= args.explain:
                    print(f"\n{t:.2f} ms: {statement}\n{params}")
                    for row in c.exec_driver_sql(explain + statement, params):
                        print("   ", row[-1])
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.reps):
            client.get(args.path)
        prof.disable()
        stats = pstats.Stats(prof).sort_stats("cumulative")
        stats.print_stats(*([args.only, 60] if args.only else [40]))


if __name__ == "__main__":
    main()
