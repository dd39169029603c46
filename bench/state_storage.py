"""What a route's engine state costs to store, and to load/dump, in each candidate form.

Run from the repo root:  .venv/bin/python bench/state_storage.py [--corrections 30]

Drives one route through the service (bench/engine.py's ServiceBench) to N corrections, takes
its engine state (the JSON text the engine adapter returns), and measures for each candidate:
stored bytes (SQLite: the value's length; PostgreSQL: pg_column_size, i.e. after TOAST's own
compression) and the cost to encode and decode (median of 200). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.engine import ServiceBench  # noqa: E402
from service.db import state_codec  # noqa: E402
from service.db.models import RouteState  # noqa: E402


def _median_ms(fn, reps: int = 200) -> float:
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return round(statistics.median(samples) * 1000, 3)


def _pg_sizes(url: str, text: str) -> dict[str, int]:
    """pg_column_size of the state as text, as JSONB, and as zlib bytes in bytea (TOAST included)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TEMP TABLE s (t text, j jsonb, b bytea)"))
        conn.execute(sa.text("INSERT INTO s VALUES (:t, CAST(:j AS jsonb), :b)"),
                     {"t": text, "j": text, "b": state_codec.encode(text)})
        row = conn.execute(sa.text("SELECT pg_column_size(t), pg_column_size(j), pg_column_size(b) FROM s")).one()
    engine.dispose()
    return {"text": row[0], "jsonb": row[1], "zlib_bytea": row[2]}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--corrections", type=int, default=30)
    p.add_argument("--pg", default=os.environ.get("IOM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench = ServiceBench(Path(tmp))
        bench.approve()
        bench.drive_to(args.corrections)
        with bench.ctx.uow() as uow:
            text = uow.session.get(RouteState, bench.route_id).state
            stored = uow.session.scalar(sa.select(sa.func.length(RouteState.__table__.c.state))
                                        .where(RouteState.route_id == bench.route_id))
    raw = text.encode()
    out: dict[str, object] = {"corrections": args.corrections, "json_bytes": len(raw), "sqlite_stored_bytes": stored}
    for level in (1, 6, 9):
        packed = zlib.compress(raw, level)
        out[f"zlib{level}_bytes"] = len(packed)
        out[f"zlib{level}_compress_ms"] = _median_ms(lambda lv=level: zlib.compress(raw, lv))
    packed = state_codec.encode(text)
    out["decode_ms"] = _median_ms(lambda: state_codec.decode(packed))  # zlib + UTF-8, what a load adds
    out["json_loads_ms"] = _median_ms(lambda: json.loads(text))
    try:
        out["pg"] = _pg_sizes(args.pg, text)
    except sa.exc.OperationalError as exc:
        out["pg"] = f"unavailable: {exc.__class__.__name__}"
    for k, v in out.items():
        print(f"{k:>22}: {v}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
