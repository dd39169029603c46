"""The BPMN timers of routes (reminders and escalations; service/engine/timers.py) on the service side.

Every engine operation runs with a `TimerClock` (`clock_for`): the operation's time, the region's
working calendar and zone. After it, `record` writes what the operation reported:

* each timer that fired becomes a `timer_fired` event of the route's chain (boundary event, kind,
  the task it waits on, when it was due, its round), before the completion that may follow in the
  same operation: the history says the timer was due first, and a replay fires it at that point;
* the timers still armed replace the route's `route_timers` rows (the route page shows them), and
  `routes.next_timer_at` becomes the soonest, so the worker finds due routes by an index.

The worker calls `fire_due` on every tick: each route with a timer due gets its own short
transaction; the route state's version makes a completion that runs at the same moment win or
lose cleanly (the loser retries: a user gets 409 only if the retry loses too, the worker just tries
again on its next tick). Notifications for `timer_fired` are decided in notifications.py.
"""

from __future__ import annotations

import copy
from datetime import datetime

import sqlalchemy as sa

from service.db.models import Route, RouteState, RouteTimer, Task
from service.domain.errors import ConcurrentUpdate
from service.domain.route_rules import DUE_DAYS
from service.domain.states import EventKind, RouteStatus, TaskState
from service.engine.timers import TimerClock
from service.services.calendar import calendar_for
from service.services.context import ServiceContext
from service.services.deployments import loaded_spec
from service.services.events import append_event


def clock_for(ctx: ServiceContext, session, now: datetime) -> TimerClock:
    return TimerClock(now, calendar_for(session), ctx.timezone, DUE_DAYS)


def ready_tasks(session, route_id: int) -> dict[str, Task]:
    """The route's waiting task rows by engine task id."""
    return {t.engine_task_id: t for t in session.scalars(
        sa.select(Task).where(Task.route_id == route_id, Task.state == TaskState.READY))}


def record_fired(session, route: Route, fired_timers, now: datetime, tasks: dict[str, Task]) -> None:
    """Each firing as a `timer_fired` event; `tasks`: the rows that were waiting when it fired."""
    for fired in fired_timers:
        task = tasks.get(fired.task_engine_id)
        append_event(session, route_id=route.id, at=now, kind=EventKind.TIMER_FIRED, actor_id=None,
                     task_id=task.id if task else None, task_name=fired.task_name,
                     data={"timer": fired.name, "kind": fired.kind, "title": fired.title,
                           "scheduled_at": fired.scheduled_at, "round": fired.round})


def record(session, route: Route, snap, now: datetime) -> None:
    """Write the firings the operation reported as events, and the timers armed now."""
    tasks = ready_tasks(session, route.id)
    record_fired(session, route, snap.fired, now, tasks)
    arm(session, route, snap.timers, tasks)


def arm(session, route: Route, timers, tasks: dict[str, Task] | None = None) -> None:
    """Replace the route's armed timers (none for a route that is not active)."""
    session.execute(sa.delete(RouteTimer).where(RouteTimer.route_id == route.id))
    if route.status != RouteStatus.ACTIVE:
        route.next_timer_at = None
        return
    if tasks is None:
        tasks = ready_tasks(session, route.id)
    for t in timers:
        task = tasks.get(t.task_engine_id)
        session.add(RouteTimer(route_id=route.id, task_id=task.id if task else None, name=t.name, title=t.title,
                               kind=t.kind, task_name=t.task_name, fire_at=t.fire_at))
    route.next_timer_at = min((t.fire_at for t in timers), default=None)


def due_routes(ctx: ServiceContext, now: datetime, limit: int) -> list[int]:
    with ctx.uow() as uow:
        return list(uow.session.scalars(
            sa.select(Route.id).where(Route.next_timer_at <= now, Route.status == RouteStatus.ACTIVE)
            .order_by(Route.next_timer_at, Route.id).limit(limit)))


def fire_route(ctx: ServiceContext, route_id: int, now: datetime) -> int:
    """Fire the route's due timers in one transaction; the number that fired."""
    with ctx.uow() as uow:
        s = uow.session
        route = s.get(Route, route_id)
        if route is None or route.status != RouteStatus.ACTIVE or route.next_timer_at is None \
                or route.next_timer_at > now:
            return 0  # another worker (or a completion) got there first
        state = s.get(RouteState, route.id)
        spec_hash = loaded_spec(ctx, s, route.spec_id)
        snap = ctx.engine.fire_timers(spec_hash, state.state, clock_for(ctx, s, now),
                                      lambda: copy.deepcopy(route.card), behaviour=route.behaviour)
        state.state, state.data = snap.state, snap.data
        if snap.card is not None:  # a timer's branch changes nothing today; keep what a handler would write
            route.card = snap.card
        record(s, route, snap, now)
        uow.commit()
        return len(snap.fired)


def fire_due(ctx: ServiceContext, now: datetime | None = None, limit: int = 200) -> int:
    """The worker's tick: fire every due timer of up to `limit` routes; the number of firings."""
    now = now or ctx.clock()
    fired = 0
    for route_id in due_routes(ctx, now, limit):
        try:
            fired += fire_route(ctx, route_id, now)
        except ConcurrentUpdate:
            continue  # a completion changed the route meanwhile: its own step re-armed the timers
    return fired


def armed(session, route_id: int) -> list[RouteTimer]:
    """The route's armed timers, soonest first (the route page)."""
    return list(session.scalars(sa.select(RouteTimer).where(RouteTimer.route_id == route_id)
                                .order_by(RouteTimer.fire_at, RouteTimer.id)))
