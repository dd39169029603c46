"""Moving running routes to another deployed workflow version, and undoing a move (issue 14).

The engine part (SpiffWorkflow's `diff_workflow` / `migrate_workflow`) is in engine/migration.py;
this module is the use cases: preview one route or a version's routes, migrate one route (its own
transaction: a route being completed at that moment gets a clean 409, never a half-migration),
revert the last migration while no step was taken after it. Each migration and revert is a chained
event of the route (`route_migrated`: from and to hashes, the task mapping, who, the reason; replay
applies the same migration at that point). A `route_migrations` row keeps the engine state before
the move, which a revert puts back. Batches: route_migration_batches.py."""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa

from service.contracts import parse
from service.contracts.requests import MigrationPreviewRequest, MigrationRequest, RevertRequest
from service.db.models import Event, Route, RouteMigration, RouteState, Task, WorkflowSpec
from service.domain.access import Actor, require_admin
from service.domain.errors import MigrationNotRevertible, NotFound, RouteNotMigratable
from service.domain.states import EventKind, RouteStatus, TaskState
from service.services import delegated, documents, job_rows, timers
from service.services.assignment import sync_tasks
from service.services.context import ServiceContext
from service.services.deployments import ensure_loaded
from service.services.events import append_event
from service.services.routes import recorded_opened

# what was done on the new version after a migration: then it can no longer be undone
STEPS_AFTER = (EventKind.TASK_COMPLETED, EventKind.TIMER_FIRED, EventKind.ROUTE_MIGRATED,
               EventKind.ADMIN_CANCELLED)


def _spec(s, spec_id: int) -> WorkflowSpec:
    spec = s.get(WorkflowSpec, spec_id)
    if spec is None:
        raise NotFound(f"Версии схемы № {spec_id} нет")
    return spec


def _route(s, route_id: int) -> Route:
    route = s.get(Route, route_id)
    if route is None:
        raise NotFound("Маршрут не найден")
    return route


def _movable(route: Route, to: WorkflowSpec) -> None:
    if route.status != RouteStatus.ACTIVE:
        raise RouteNotMigratable("Маршрут не в работе: переводить нечего")
    if route.spec_id == to.id:
        raise RouteNotMigratable("Маршрут уже на этой версии схемы")


def _version(spec: WorkflowSpec) -> dict[str, Any]:
    return {"id": spec.id, "hash": spec.content_hash}


def _for_route(mapping: dict[str, str], waiting: dict[str, Task]) -> dict[str, str]:
    """A batch's mapping as it applies to one route: only the tasks it waits on now (`waiting`, its
    READY rows: the engine's ready tasks, kept in step by sync_tasks). The engine refuses a mapping
    of a task that is not current, and a batch's routes wait at different tasks."""
    current = {t.name for t in waiting.values()}
    return {old: new for old, new in mapping.items() if old in current}


def _preview(ctx: ServiceContext, s, route: Route, to: WorkflowSpec, mapping: dict[str, str],
             batch: bool = False) -> dict[str, Any]:
    source = _spec(s, route.spec_id)
    from_hash, to_hash = ensure_loaded(ctx, source), ensure_loaded(ctx, to)
    state = s.get(RouteState, route.id)
    if batch:
        mapping = _for_route(mapping, timers.ready_tasks(s, route.id))
    found = ctx.engine.preview_migration(from_hash, to_hash, state.state, mapping).as_dict()
    return {"route_id": route.id, "title": route.title, "stage": route.stage,
            "from": _version(source), "to": _version(to), **found}


def _task_names(ctx: ServiceContext, source: WorkflowSpec, to: WorkflowSpec) -> dict[str, Any]:
    """For the pages' mapping selects and lists: the new version's user tasks (what a blocked task may
    be mapped to) and the titles of both versions' user tasks."""
    old, new = ctx.engine.human_tasks(ensure_loaded(ctx, source)), ctx.engine.human_tasks(ensure_loaded(ctx, to))
    return {"targets": [{"name": t.name, "title": t.title} for t in sorted(new.values(), key=lambda t: t.name)],
            "titles": {t.name: t.title for t in [*old.values(), *new.values()]}}


def preview_route(ctx: ServiceContext, actor: Actor, route_id: int, body: Any) -> dict[str, Any]:
    """What a migration of the route would do: unchanged, changed, removed and added tasks, whether
    it can migrate, and why not."""
    require_admin(actor)
    asked = parse(MigrationPreviewRequest, body)
    with ctx.uow() as uow:
        s = uow.session
        route, to = _route(s, route_id), _spec(s, asked.to_spec_id)
        _movable(route, to)
        return {**_preview(ctx, s, route, to, dict(asked.mapping)), **_task_names(ctx, _spec(s, route.spec_id), to)}


def routes_on(s, spec_id: int, stage: str | None) -> list[int]:
    """The active routes running on a version (at one stage), oldest first."""
    query = sa.select(Route.id).where(Route.spec_id == spec_id, Route.status == RouteStatus.ACTIVE)
    if stage:
        query = query.where(Route.stage == stage)
    return list(s.scalars(query.order_by(Route.id)))


PREVIEW_IN_FULL = 1000  # routes a version's preview runs through the engine; the rest are judged by their tasks
CHUNK = 500


def _waiting_by_route(s, spec_id: int, stage: str | None) -> dict[int, tuple[str, ...]]:
    """The names of the tasks each active route of the version waits on (one query)."""
    query = (sa.select(Task.route_id, Task.name).join(Route, Route.id == Task.route_id)
             .where(Route.spec_id == spec_id, Route.status == RouteStatus.ACTIVE, Task.state == TaskState.READY))
    if stage:
        query = query.where(Route.stage == stage)
    out: dict[int, list[str]] = {}
    for route_id, name in s.execute(query):
        out.setdefault(route_id, []).append(name)
    return {route_id: tuple(sorted(names)) for route_id, names in out.items()}


def preview_version(ctx: ServiceContext, actor: Actor, from_spec_id: int, body: Any,
                    stage: str | None = None, limit: int = 200) -> dict[str, Any]:
    """The preview of every active route on a version (at `stage`): counts, the tasks that block
    routes (for the mapping), and the first `limit` routes' previews. The first PREVIEW_IN_FULL
    routes go through the engine; beyond them a route is judged like the engine judged a route
    waiting on the same tasks (`estimated` counts them), so the request stays bounded at any size."""
    require_admin(actor)
    asked = parse(MigrationPreviewRequest, body)
    mapping = dict(asked.mapping)
    with ctx.uow() as uow:
        s = uow.session
        source, to = _spec(s, from_spec_id), _spec(s, asked.to_spec_id)
        if source.id == to.id:
            raise RouteNotMigratable("Выберите другую версию: маршруты уже на этой")
        ids = routes_on(s, source.id, stage)
        waiting = _waiting_by_route(s, source.id, stage) if len(ids) > PREVIEW_IN_FULL else {}
        rows, blocked, can, estimated = [], {}, 0, 0
        judged: dict[tuple[str, ...], dict[str, Any]] = {}

        def count(found: dict[str, Any]) -> None:
            nonlocal can
            can += bool(found["can_migrate"])
            for name in found["blocked"]:
                blocked[name] = blocked.get(name, 0) + 1

        def engine_preview(route_ids: list[int]) -> list[dict[str, Any]]:
            routes = s.scalars(sa.select(Route).where(Route.id.in_(route_ids)).order_by(Route.id)).all()
            return [_preview(ctx, s, route, to, mapping, batch=True) for route in routes]

        for start in range(0, min(len(ids), PREVIEW_IN_FULL), CHUNK):
            for found in engine_preview(ids[start:min(start + CHUNK, PREVIEW_IN_FULL)]):
                count(found)
                judged.setdefault(waiting.get(found["route_id"], ()), found)
                if len(rows) < limit:
                    rows.append(found)
        for route_id in ids[PREVIEW_IN_FULL:]:
            key = waiting.get(route_id, ())
            if key not in judged:
                judged[key] = engine_preview([route_id])[0]
            else:
                estimated += 1
            count(judged[key])
        return {"from": _version(source), "to": _version(to), "stage": stage, "total": len(ids), "can_migrate": can,
                "cannot_migrate": len(ids) - can, "blocked_tasks": dict(sorted(blocked.items())), "routes": rows,
                "shown": len(rows), "estimated": estimated, **_task_names(ctx, source, to)}


def migrate_route(ctx: ServiceContext, actor: Actor, route_id: int, body: Any) -> dict[str, Any]:
    """Move the route to another version now (an admin's request)."""
    require_admin(actor)
    asked = parse(MigrationRequest, body)
    return apply_migration(ctx, actor.user_id, route_id, asked.to_spec_id, dict(asked.mapping),
                           asked.reason.strip()[:2000])


def apply_migration(ctx: ServiceContext, actor_id: int | None, route_id: int, to_spec_id: int,
                    mapping: dict[str, str], reason: str, batch_id: int | None = None) -> dict[str, Any]:
    """One route's migration in its own transaction; ConcurrentUpdate (409) when the route changed
    meanwhile (its state's version), MigrationBlocked when a held task has no place in the new one."""
    with ctx.uow() as uow:
        s = uow.session
        route, to = _route(s, route_id), _spec(s, to_spec_id)
        _movable(route, to)
        source = _spec(s, route.spec_id)
        from_hash, to_hash = ensure_loaded(ctx, source), ensure_loaded(ctx, to)
        state = s.get(RouteState, route.id)
        waiting = timers.ready_tasks(s, route.id)
        if batch_id is not None:
            mapping = _for_route(mapping, waiting)
        now = ctx.clock()
        snap = ctx.engine.migrate(from_hash, to_hash, state.state, mapping, now.date(),
                                  lambda: copy.deepcopy(route.card), timers.clock_for(ctx, s, now),
                                  behaviour=route.behaviour)
        kept = RouteMigration(route_id=route.id, event_seq=0, from_spec_id=source.id, to_spec_id=to.id,
                              state_before=state.state, data_before=copy.deepcopy(state.data),
                              stage_before=route.stage, batch_id=batch_id, migrated_by_id=actor_id, migrated_at=now)
        preview = snap.migration.as_dict()  # what the move found, on the state it moved
        state.state, state.data = snap.state, snap.data
        timers.record_fired(s, route, snap.fired, now, waiting)
        route.spec_id = to.id
        if snap.card is not None:
            route.card = snap.card
        opened, cancelled = sync_tasks(s, route, snap.ready, now, zone=ctx.timezone)
        if snap.ready:
            route.stage = snap.ready[0].stage
        route.updated_at = now
        event = append_event(s, route_id=route.id, at=now, kind=EventKind.ROUTE_MIGRATED, actor_id=actor_id,
                             data={"from": from_hash, "to": to_hash, "mapping": mapping, "reason": reason,
                                   "unchanged": preview["unchanged"], "changed": preview["changed"],
                                   "removed": preview["removed"], "added": preview["added"],
                                   "opened": recorded_opened(opened), "cancelled": [t.id for t in cancelled],
                                   **({"batch_id": batch_id} if batch_id else {})})
        kept.event_seq = event.seq
        s.add(kept)
        delegated.notify_delegates(ctx, s, event, route, opened)
        documents.apply_requests(ctx, s, route, snap.documents, actor_id, now)
        timers.arm(s, route, snap.timers)
        uow.commit()
        return {"route_id": route.id, "from": from_hash, "to": to_hash, "stage": route.stage, "seq": event.seq,
                "opened": [t.id for t in opened], "cancelled": [t.id for t in cancelled]}


def _last_migration(s, route_id: int) -> RouteMigration | None:
    return s.scalar(sa.select(RouteMigration).where(RouteMigration.route_id == route_id)
                    .order_by(RouteMigration.id.desc()).limit(1))


def revertible(s, route: Route) -> RouteMigration | None:
    """The route's last migration if it can still be undone (nothing was done on the new version since)."""
    last = _last_migration(s, route.id)
    if last is None or last.reverted_at is not None or route.status != RouteStatus.ACTIVE:
        return None
    later = s.scalar(sa.select(Event.id).where(Event.route_id == route.id, Event.seq > last.event_seq,
                                               Event.kind.in_(STEPS_AFTER)).limit(1))
    return None if later is not None else last


def revert(ctx: ServiceContext, actor: Actor, route_id: int, body: Any) -> dict[str, Any]:
    """Undo the route's last migration: the engine state before it comes back, and the tasks with it."""
    require_admin(actor)
    reason = parse(RevertRequest, body).reason.strip()[:2000]
    with ctx.uow() as uow:
        s = uow.session
        route = _route(s, route_id)
        last = revertible(s, route)
        if last is None:
            raise MigrationNotRevertible("Отменить нечего: у маршрута нет перевода, после которого ещё не "
                                         "выполнено ни одного шага")
        source, target = _spec(s, last.from_spec_id), _spec(s, last.to_spec_id)
        from_hash = ensure_loaded(ctx, source)
        state = s.get(RouteState, route.id)
        now = ctx.clock()
        state.state, state.data = last.state_before, copy.deepcopy(last.data_before)
        ready = ctx.engine.ready(from_hash, last.state_before)
        route.spec_id, route.stage, route.updated_at = source.id, last.stage_before, now
        opened, cancelled = sync_tasks(s, route, ready, now, zone=ctx.timezone)
        last.reverted_at = now
        event = append_event(s, route_id=route.id, at=now, kind=EventKind.ROUTE_MIGRATION_REVERTED,
                             actor_id=actor.user_id,
                             data={"migration_seq": last.event_seq, "from": target.content_hash, "to": from_hash,
                                   "reason": reason, "opened": recorded_opened(opened),
                                   "cancelled": [t.id for t in cancelled]})
        delegated.notify_delegates(ctx, s, event, route, opened)
        timers.arm(s, route, ctx.engine.timers(from_hash, last.state_before))
        uow.commit()
        return {"route_id": route.id, "spec": from_hash, "stage": route.stage, "seq": event.seq,
                "opened": [t.id for t in opened], "cancelled": [t.id for t in cancelled]}


def history(ctx: ServiceContext, actor: Actor, route_id: int) -> dict[str, Any]:
    """The route's migrations (newest first) and whether the last can be undone."""
    require_admin(actor)
    with ctx.uow() as uow:
        s = uow.session
        route = _route(s, route_id)
        rows = s.scalars(sa.select(RouteMigration).where(RouteMigration.route_id == route_id)
                         .order_by(RouteMigration.id.desc())).all()
        hashes = dict(s.execute(sa.select(WorkflowSpec.id, WorkflowSpec.content_hash)
                                .where(WorkflowSpec.id.in_({r.from_spec_id for r in rows}
                                                           | {r.to_spec_id for r in rows}))).all()) if rows else {}
        can = revertible(s, route)
        return {"route_id": route_id, "spec_id": route.spec_id,
                "migrations": [{"id": r.id, "seq": r.event_seq, "from": {"id": r.from_spec_id,
                                                                          "hash": hashes.get(r.from_spec_id)},
                                "to": {"id": r.to_spec_id, "hash": hashes.get(r.to_spec_id)},
                                "batch_id": r.batch_id, "migrated_at": job_rows.iso(r.migrated_at),
                                "reverted_at": job_rows.iso(r.reverted_at),
                                "revertible": can is not None and can.id == r.id}
                               for r in rows]}
