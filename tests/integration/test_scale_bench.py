"""bench/scale.py's generator at a tiny size (SQLite only): the replicated region passes
`flask verify-all` (with documents: every route keeps its document rows at a sample of 1 in 1),
the event count is what the templates times their copies give, every copy replays to its stored
state (the card's dates are its own events' dates), and a copied route can move on."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from service import create_app
from service.db.models import Route, Task
from service.domain.access import OPERATOR
from service.services import accounts, audit_replay, routes

SCALE = Path(__file__).resolve().parents[2] / "bench" / "scale.py"


def _scale():
    spec = importlib.util.spec_from_file_location("bench_scale", SCALE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_small_generated_region_verifies_and_its_copies_can_be_completed(tmp_path):
    scale = _scale()
    url = f"sqlite:///{tmp_path / 'scale.sqlite3'}"
    made = scale.generate(url, 30, doc_sample=1)
    assert made.routes == 30
    expected = sum(f["events"] * (f["clones"] + 1) for f in made.families.values())
    assert made.events == expected >= 30 * 5

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "t"})
    cli = app.test_cli_runner()
    for args in (["verify-all"], ["verify-all", "--documents"]):
        result = cli.invoke(args=args)
        assert result.exit_code == 0, result.output
        assert "Проверено маршрутов: 30; с расхождениями: 0." in result.output

    ctx = app.extensions["iom"]
    with ctx.uow() as uow:
        copies = uow.session.scalars(sa.select(Route.id).where(Route.id.not_in(made.driven_routes))).all()
    assert len(copies) == 30 - len(made.driven_routes)
    diverged = {rid: r["divergence"] for rid in copies if not (r := audit_replay.replay(ctx, OPERATOR, rid))["ok"]}
    assert not diverged, diverged
    with ctx.uow() as uow:  # a copied route at the implementation hub (not one the service drove)
        task_id, assignee = uow.session.execute(
            sa.select(Task.id, Task.assignee_id).where(Task.name == "implementation", Task.state == "ready",
                                                       Task.route_id.not_in(made.driven_routes))
            .order_by(Task.route_id.desc()).limit(1)).one()
    routes.complete_task(ctx, accounts.load_actor(ctx, assignee), task_id, {"next": "correction"}, None)
    result = cli.invoke(args=["verify-all"])
    assert result.exit_code == 0, result.output


def test_the_bytes_reported_are_those_first_measured_not_after_runs_added_completions(tmp_path, monkeypatch):
    scale = _scale()
    monkeypatch.setattr(scale, "DATA_DIR", tmp_path)
    meta: dict = {"routes": 10}
    first = scale.first_measured("sqlite", 10, "0022", meta,
                                 {"events": 130, "bytes_per_route": 29_800, "bytes_per_event": 900})
    grown = scale.first_measured("sqlite", 10, "0022", meta,
                                 {"events": 150, "bytes_per_route": 30_100, "bytes_per_event": 910})
    assert first == grown == {"events": 130, "bytes_per_route": 29_800, "bytes_per_event": 900}
    kept = json.loads(scale.meta_path("sqlite", 10, "0022").read_text())
    assert kept["bytes_first"]["bytes_per_route"] == 29_800  # a later run reads it from the meta file


def test_the_scaling_bound_is_what_one_worker_and_the_whole_machine_use_per_completion(monkeypatch):
    scale = _scale()
    monkeypatch.setattr(scale.os, "cpu_count", lambda: 2)
    runs = {"1w_8c": {"cpu": {"server_ms": 20.0, "clients_ms": 5.0, "rest_ms": 7.0}},
            "4w_8c": {"cpu": {"server_ms": 22.0, "clients_ms": 5.0, "rest_ms": 8.0}}}
    bound = scale.scaling_bound(runs)
    assert bound["bound"] == round(2 * 20 / 35, 2) and bound["total_ms_4w"] == 35.0
    assert scale.scaling_bound({"1w_8c": {"per_s": 40.0}}) is None  # no CPU figures, no bound


def test_the_cpu_split_counts_this_process_as_the_clients():
    from bench.cpu_split import CpuSplit

    with CpuSplit(pgid=-1) as cpu:  # no such process group: no server
        deadline = time.process_time() + 0.2
        while time.process_time() < deadline:
            pass
    figures = cpu.per(10)
    assert figures["server_ms"] == 0 and figures["clients_ms"] >= 15  # 0.2 s over 10 units
