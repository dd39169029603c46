"""The background worker sending the e-mail outbox to a local SMTP server.

`.venv/bin/python bench/notify.py` (`--pg` for PostgreSQL at IOM_TEST_PG_URL) starts an aiosmtpd
server in this process and two worker processes (the real worker: Huey on SQLite storage, the
polling interval at its default, IOM_WORKER_POLL_SECONDS), then:
1. drain: commits 10,000 pending letters at once and times until the server has them all
   (`notifications_per_s` = 10,000 / seconds from the commit to the last letter received);
2. steady: commits --steady letters (default 3,000) in commits of 20 at --rate per second (default
   250, more than the 200/s target) as requests would, and measures each letter from its commit
   (`created_at`) to its receipt at the server (`commit_to_smtp_p95_ms`).
Duplicates and lost letters are counted by Message-ID over both phases. Last line, JSON:
{"notifications_per_s": A, "commit_to_smtp_p95_ms": B, "duplicates": C, "lost": D}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from service.db.session import make_engine  # noqa: E402
from tests.support.databases import fresh_database  # noqa: E402
from tests.support.outbox_load import (  # noqa: E402
    insert_pending,
    message_id_of,
    prepare_database,
    start_smtp,
    start_worker,
    states,
    worker_env,
)


def wait_for(recorder, wanted: set[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if wanted <= set(recorder.counts()):
            return True
        time.sleep(0.05)
    return False


def run(url: str, work: Path, drain: int, steady: int, rate: float) -> dict:
    user_id = prepare_database(url)
    engine = make_engine(url)
    controller, recorder = start_smtp()
    env = worker_env(url, controller.port, work)
    log = work / "worker.log"
    procs = [start_worker(env, log=log) for _ in range(2)]
    try:
        insert_pending(engine, user_id, ["warm:1"])  # both workers up and connected
        if not wait_for(recorder, {message_id_of("warm:1")}, 60):
            raise SystemExit(f"the worker did not send the warm-up letter; see {log}")
        time.sleep(2)

        keys = [f"n:{i}" for i in range(drain)]
        t0 = time.time()
        insert_pending(engine, user_id, keys)
        wanted = {message_id_of(k) for k in keys}
        wait_for(recorder, wanted, 600)
        got = {m: at for m, at in recorder.received if m in wanted}
        drain_s = (max(got.values()) - t0) if got else float("inf")
        print(f"drain: {len(got)}/{drain} letters in {drain_s:.2f} s", file=sys.stderr)

        skeys, committed = [f"s:{i}" for i in range(steady)], {}
        step, start = 20, time.time()
        for n in range(0, steady, step):
            pause = start + n / rate - time.time()
            if pause > 0:
                time.sleep(pause)
            chunk = skeys[n:n + step]
            now = datetime.now(UTC)
            insert_pending(engine, user_id, chunk, now)
            committed.update({k: time.time() for k in chunk})  # after the commit returned
        swanted = {message_id_of(k): k for k in skeys}
        wait_for(recorder, set(swanted), 300)
        first = {}
        for m, at in recorder.received:
            if m in swanted:
                first.setdefault(m, at)
        lat = sorted((at - committed[swanted[m]]) * 1000 for m, at in first.items())
        p95 = lat[int(0.95 * (len(lat) - 1))] if lat else float("inf")
        print(f"steady: {len(first)}/{steady} at {rate:g}/s offered; latency ms median "
              f"{statistics.median(lat) if lat else 0:.0f}, p95 {p95:.0f}, max {max(lat, default=0):.0f}",
              file=sys.stderr)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
        controller.stop()
    counts = recorder.counts()
    everything = {message_id_of(k) for k in keys + skeys + ["warm:1"]}
    print(f"outbox rows: {dict(states(engine))}", file=sys.stderr)
    engine.dispose()
    return {"notifications_per_s": round(drain / drain_s, 1), "commit_to_smtp_p95_ms": round(p95),
            "duplicates": sum(c - 1 for m, c in counts.items() if m in everything and c > 1),
            "lost": len(everything - set(counts))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", action="store_true", help="PostgreSQL (IOM_TEST_PG_URL) instead of SQLite")
    ap.add_argument("--drain", type=int, default=10_000)
    ap.add_argument("--steady", type=int, default=3_000)
    ap.add_argument("--rate", type=float, default=250.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with fresh_database("postgresql" if args.pg else "sqlite", Path(tmp)) as url:
            result = run(url, Path(tmp), args.drain, args.steady, args.rate)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
