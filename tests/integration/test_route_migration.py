"""Running routes move to a corrected workflow version (issue 14): a route at each stage moves to a
version with an added review step and finishes on it; a route held at a removed task needs a
mapping; a migration is undone while nothing was done after it; a batch reports the routes a
concurrent completion held; replay (with documents) re-executes every version a route ran on, and a
tampered migration event is found. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.db.models import Route, RouteState, Task
from service.domain.access import OPERATOR
from service.domain.errors import ConcurrentUpdate, MigrationBlocked, MigrationNotRevertible
from service.samples import VALID
from service.services import accounts, audit_replay, demo, diagrams, route_migration, route_migration_batches
from tests.support.app import FakeClock, ready_app
from tests.support.audit_routes import new_route, rechain, stored_events
from tests.support.migration_versions import deploy_variant, first_spec_id

ANSWERS = {"draft": VALID["draft"], "agreement": VALID["review"], "review": VALID["review"],
           "approval": {"decision": "accept", "comment": "Утверждаю"}, "implementation": {"next": "conclude"},
           "correction": VALID["correction"], "final_results": VALID["final_results"],
           "conclusions": VALID["conclusions"], "acknowledge": VALID["acknowledge"]}


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock(), WORKER="immediate")


def _ctx(app):
    return app.extensions["iom"]


def _admin(app):
    return accounts.load_actor(_ctx(app), app.config["PEOPLE"]["admin"])


def _ready(app, rid: int) -> list[str]:
    with _ctx(app).sessions() as s:
        return sorted(s.scalars(sa.select(Task.name).where(Task.route_id == rid, Task.state == "ready")))


def _do(app, rid: int, name: str, data: dict | None = None) -> None:
    answer = data if data is not None else ANSWERS.get(name, VALID["sign"])
    demo.complete_as_assignee(_ctx(app), rid, name, answer)


def _finish(app, rid: int) -> list[str]:
    """Complete whatever is ready until the route ends; the task names done, in order."""
    done = []
    for _ in range(80):
        ready = _ready(app, rid)
        if not ready:
            break
        _do(app, rid, ready[0])
        done.append(ready[0])
    return done


def _to(app, rid: int, stage: str) -> None:
    steps = {"draft": [], "agreement": ["draft", "plan_signatures_methodist", "plan_signatures_teacher"]}
    steps["implementation"] = steps["agreement"] + ["agreement", "approval"]
    for name in steps.get(stage, steps["implementation"]):
        _do(app, rid, name)
    if stage == "correction":  # mid-correction: the corrected plan waits for its signatures
        _do(app, rid, "implementation", {"next": "correction"})
        _do(app, rid, "correction")
    if stage == "conclusion":
        _do(app, rid, "implementation", {"next": "conclude"})
        _do(app, rid, "final_results")


def _migrate(app, rid: int, to: int, mapping: dict | None = None, reason: str = "Добавлено рецензирование"):
    return route_migration.migrate_route(_ctx(app), _admin(app), rid,
                                         {"to_spec_id": to, "mapping": mapping or {}, "reason": reason})


def _replay_ok(app, rid: int) -> dict:
    result = audit_replay.replay(_ctx(app), OPERATOR, rid, documents=True)
    assert result["ok"], result["divergence"]
    return result


@pytest.mark.parametrize("stage, ready_before", [
    ("draft", ["draft"]),
    ("agreement", ["agreement"]),
    ("correction", ["correction_signatures_methodist", "correction_signatures_teacher",
                    "correction_signatures_tutor"]),
    ("conclusion", ["conclusions"]),
])
def test_a_route_at_each_stage_moves_to_a_version_with_a_review_step_and_finishes_on_it(app, stage, ready_before):
    rid = new_route(app)
    _to(app, rid, stage)
    assert _ready(app, rid) == ready_before
    with _ctx(app).sessions() as s:
        held = {t.name: t.id for t in s.scalars(sa.select(Task).where(Task.route_id == rid, Task.state == "ready"))}
    review = deploy_variant(app, "review")

    preview = route_migration.preview_route(_ctx(app), _admin(app), rid, {"to_spec_id": review})
    assert preview["can_migrate"] and "review" in preview["added"] and sorted(preview["current"]) == ready_before
    out = _migrate(app, rid, review)
    assert out["opened"] == [] and out["cancelled"] == []  # the people keep the very tasks they hold
    assert _ready(app, rid) == ready_before
    with _ctx(app).sessions() as s:
        assert s.get(Route, rid).spec_id == review
        still = {t.name: t.id for t in s.scalars(sa.select(Task).where(Task.route_id == rid, Task.state == "ready"))}
    assert still == held

    done = _finish(app, rid)
    with _ctx(app).sessions() as s:
        assert s.get(Route, rid).status == "completed"
    assert ("review" in done) == (stage in ("draft", "agreement"))  # the new step runs where it is still ahead
    result = _replay_ok(app, rid)
    assert result["state"]["spec"] != stored_events(app, rid)[0].data["spec"]  # ended on the new version


def test_a_route_held_at_a_removed_task_moves_only_with_a_mapping(app):
    rid = new_route(app)
    _to(app, rid, "agreement")
    target = deploy_variant(app, "no_agreement")
    preview = route_migration.preview_route(_ctx(app), _admin(app), rid, {"to_spec_id": target})
    assert not preview["can_migrate"] and preview["blocked"] == ["agreement"] and "agreement" in preview["reason"]
    with pytest.raises(MigrationBlocked):
        _migrate(app, rid, target)
    assert _ready(app, rid) == ["agreement"] and len(stored_events(app, rid)) == _events_before(app, rid)

    out = _migrate(app, rid, target, {"agreement": "approval"}, "Согласование с ЦНППМ отменено приказом")
    assert _ready(app, rid) == ["approval"] and len(out["opened"]) == 1 and len(out["cancelled"]) == 1
    assert _finish(app, rid)[0] == "approval"
    _replay_ok(app, rid)


def _events_before(app, rid: int) -> int:
    return len([e for e in stored_events(app, rid) if e.kind != "route_migrated"])


def test_a_migration_is_undone_while_nothing_was_done_after_it(app):
    rid = new_route(app)
    _to(app, rid, "agreement")
    source, target = first_spec_id(app), deploy_variant(app, "no_agreement")
    with _ctx(app).sessions() as s:
        state_before = s.get(RouteState, rid).state
    _migrate(app, rid, target, {"agreement": "approval"})
    assert route_migration.history(_ctx(app), _admin(app), rid)["migrations"][0]["revertible"] is True

    out = route_migration.revert(_ctx(app), _admin(app), rid, {"reason": "Переведён по ошибке"})
    assert _ready(app, rid) == ["agreement"] and out["spec"] != ""
    with _ctx(app).sessions() as s:
        route = s.get(Route, rid)
        assert route.spec_id == source and route.stage == "agreement"
        assert s.get(RouteState, rid).state == state_before
    with pytest.raises(MigrationNotRevertible):  # nothing left to undo
        route_migration.revert(_ctx(app), _admin(app), rid, {"reason": "ещё раз"})
    _replay_ok(app, rid)

    _migrate(app, rid, target, {"agreement": "approval"})
    _do(app, rid, "approval")  # a step on the new version: the move is final now
    with pytest.raises(MigrationNotRevertible):
        route_migration.revert(_ctx(app), _admin(app), rid, {"reason": "поздно"})
    assert _finish(app, rid)
    _replay_ok(app, rid)


def test_the_diagram_as_of_an_event_shows_the_version_in_force_then(app):
    rid = new_route(app)
    review = deploy_variant(app, "review")
    _migrate(app, rid, review)
    first = stored_events(app, rid)[0]
    before = diagrams.diagram_as_of(_ctx(app), OPERATOR, rid, 1)
    after = diagrams.diagram_as_of(_ctx(app), OPERATOR, rid, None)
    assert before["version"] == first.data["spec"] and 'id="review"' not in before["xml"]
    assert after["version"] != first.data["spec"] and 'id="review"' in after["xml"]


def test_a_batch_moves_every_route_but_reports_the_two_a_concurrent_completion_held(app, monkeypatch):
    ctx = _ctx(app)
    rids = [new_route(app) for _ in range(50)]
    review = deploy_variant(app, "review")
    held = set(rids[10:12])
    real_migrate = ctx.engine.migrate

    def migrate_while_the_tutor_submits(from_hash, to_hash, state, *args, **kwargs):
        snap = real_migrate(from_hash, to_hash, state, *args, **kwargs)
        with ctx.sessions() as s:  # which route is this? the one whose stored state this is
            rid = s.scalar(sa.select(RouteState.route_id).where(RouteState.route_id.in_(held)).where(
                RouteState.route_id.not_in(done_concurrently)))
        if rid is not None and _state_of(ctx, rid) == state:
            done_concurrently.add(rid)
            _do(app, rid, "draft")  # commits first: the migration's write must lose
        return snap

    done_concurrently: set[int] = set()
    monkeypatch.setattr(ctx.engine, "migrate", migrate_while_the_tutor_submits)
    batch = route_migration_batches.request_batch(ctx, _admin(app), {
        "from_spec_id": first_spec_id(app), "to_spec_id": review, "stage": "draft", "mapping": {},
        "reason": "Добавлено рецензирование"})
    batch = route_migration_batches.batch_view(ctx, _admin(app), batch["id"])
    assert batch["state"] == "done" and batch["total"] == 50 and batch["percent"] == 100
    assert (batch["migrated"], batch["failed"]) == (48, 2)
    failed = {r["route_id"]: r["reason"] for r in batch["report"] if not r["ok"]}
    assert set(failed) == held == done_concurrently
    assert all("измен" in reason.lower() or "повтор" in reason.lower() for reason in failed.values()), failed
    with ctx.sessions() as s:
        specs = dict(s.execute(sa.select(Route.id, Route.spec_id).where(Route.id.in_(rids))).all())
    assert {rid for rid, spec in specs.items() if spec != review} == held  # not half-written
    for rid in held:  # the concurrent completion stood, the route is whole on its old version
        assert _ready(app, rid) == ["plan_signatures_methodist", "plan_signatures_teacher"]
        assert not [e for e in stored_events(app, rid) if e.kind == "route_migrated"]
        _replay_ok(app, rid)
    for rid in set(rids) - held:  # every migrated route replays, with its documents, across both versions
        _replay_ok(app, rid)


def _state_of(ctx, rid: int) -> str:
    with ctx.sessions() as s:
        return s.get(RouteState, rid).state


def test_a_single_migration_racing_a_completion_is_a_conflict_and_writes_nothing(app, monkeypatch):
    ctx = _ctx(app)
    rid = new_route(app)
    review = deploy_variant(app, "review")
    real_migrate = ctx.engine.migrate

    def racing(*args, **kwargs):
        snap = real_migrate(*args, **kwargs)
        _do(app, rid, "draft")
        return snap

    monkeypatch.setattr(ctx.engine, "migrate", racing)
    with pytest.raises(ConcurrentUpdate):
        _migrate(app, rid, review)
    assert not [e for e in stored_events(app, rid) if e.kind == "route_migrated"]
    with ctx.sessions() as s:
        assert s.get(Route, rid).spec_id == first_spec_id(app)


def test_a_tampered_migration_event_is_found_by_the_replay(app):
    rid = new_route(app)
    _to(app, rid, "agreement")
    target = deploy_variant(app, "no_agreement")
    _migrate(app, rid, target, {"agreement": "approval"})
    _do(app, rid, "approval")
    seq = next(e.seq for e in stored_events(app, rid) if e.kind == "route_migrated")
    rechain(app, rid, seq, lambda data: data.update(mapping={"agreement": "draft"}))
    result = audit_replay.replay(_ctx(app), OPERATOR, rid)
    assert result["ok"] is False and result["chain"]["ok"] is True
    assert result["divergence"]["where"] == f"событие № {seq}"


def test_a_versions_preview_beyond_its_engine_budget_judges_routes_by_the_tasks_they_wait_on(app, monkeypatch):
    rids = [new_route(app) for _ in range(5)]
    for rid in rids[:2]:
        _to(app, rid, "agreement")
    target = deploy_variant(app, "no_agreement")
    body = {"to_spec_id": target}
    full = route_migration.preview_version(_ctx(app), _admin(app), first_spec_id(app), body)
    monkeypatch.setattr(route_migration, "PREVIEW_IN_FULL", 1)
    bounded = route_migration.preview_version(_ctx(app), _admin(app), first_spec_id(app), body)
    assert full["estimated"] == 0 and bounded["estimated"] == 3  # 4 beyond the first; one per new task set runs
    for key in ("total", "can_migrate", "cannot_migrate", "blocked_tasks"):
        assert bounded[key] == full[key], key
    assert (full["can_migrate"], full["blocked_tasks"]) == (3, {"agreement": 2})
