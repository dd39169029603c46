"""bench/migrate.py at a tiny size (SQLite only): the routes it drives all preview as movable, all
migrate in the batch, all replay ok, and the last line is the JSON the issue asks for."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "migrate.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_migrate", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_a_tiny_run_migrates_and_replays_every_route_and_ends_with_the_json(capsys):
    result = _bench().main(["--routes", "10", "--db", "sqlite"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == result
    assert list(result)[:3] == ["preview_ms_per_route", "migrate_ms_per_route", "replay_ok"]
    assert result["stages"] == {"draft": 4, "agreement": 3, "correction_signatures": 3}
    assert result["migrated"] == 10 and result["failed"] == 0
    assert result["replay_ok"] == 10
    assert result["preview_ms_per_route"] > 0 and result["migrate_ms_per_route"] > 0
