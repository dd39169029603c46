"""The statistics facts (models StatsRoute, StatsRouteStage, StatsStep, StatsDeficit, StatsActivity):
small rows per route, stage stretch, step, deficit area and activity, built from the routes, their
tasks, their events and their cards, so that the statistics page (services/stats.py) groups small
indexed tables and never reads a card or the event history.

Freshness: a route's facts carry the routes.updated_at they were built from. `refresh_stale` rebuilds
the routes whose updated_at moved (looking back MARGIN behind the stored watermark, so that a
transaction that committed late is not missed), in batches, oldest change first; the worker runs it
every tick, and the page runs it itself when few routes are stale. `rebuild_all` builds everything
anew (after a change of the region's calendar, whose working days the waits are counted in).
Overdue is not a fact: it is decided at reading time from the steps' due dates.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from service.db.models import (
    Event,
    Route,
    StatsActivity,
    StatsDeficit,
    StatsRoute,
    StatsRouteStage,
    StatsState,
    StatsStep,
    StatsStepTitle,
    Task,
    User,
)
from service.domain.calendar import WorkingCalendar
from service.domain.states import EventKind, RouteStatus, TaskState
from service.services.calendar import calendar_for
from service.services.context import ServiceContext

BATCH = 500
MARGIN = timedelta(minutes=5)
WORK_STAGES = ("draft", "agreement", "approval", "implementation", "conclusion")
FINISHED = (RouteStatus.COMPLETED, RouteStatus.PROLONGED)
END_EVENTS = (EventKind.ROUTE_COMPLETED, EventKind.ROUTE_PROLONGED, EventKind.ADMIN_CANCELLED)
ACTIVITY_STATUS = {"выполнено": "done", "не выполнено": "not_done", "заменено": "replaced"}
NO_SUBJECT = "не указан"
LOCK_KEY = 0x10_5747  # with the schema's hash, the advisory lock of PostgreSQL: one refresher at a time
FACT_TABLES = (StatsRoute, StatsRouteStage, StatsStep, StatsDeficit, StatsActivity)


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def subject_of(card: dict[str, Any], position: str | None) -> str:
    """The teacher's subject: the card's info (a `subject`, else the position), else the profile's position."""
    info = card.get("info") if isinstance(card.get("info"), dict) else {}
    for value in (info.get("subject"), info.get("position"), position):
        if isinstance(value, str) and value.strip():
            return value.strip()[:300]
    return NO_SUBJECT


def deficit_rows(card: dict[str, Any], finished: bool) -> tuple[list[dict[str, Any]], int]:
    """(rows, closed): entry deficits per (area, level); for a finished route with final diagnostics
    also the final ones per area and the closed ones per area (entry minus final, not below 0)."""
    def deficits(section: str) -> list[dict[str, Any]]:
        found = card.get(section)
        items = found.get("deficits") if isinstance(found, dict) else None
        return [d for d in items or [] if isinstance(d, dict)]

    entry = Counter((str(d.get("area") or NO_SUBJECT), str(d.get("level") or ""))
                    for d in deficits("entry_diagnostics"))
    rows = [{"phase": "entry", "area": a, "level": lv, "count": n} for (a, lv), n in sorted(entry.items())]
    if not finished or not isinstance(card.get("final_diagnostics"), dict):
        return rows, 0
    final = Counter(str(d.get("area") or NO_SUBJECT) for d in deficits("final_diagnostics"))
    entry_by_area = Counter()
    for (area, _), n in entry.items():
        entry_by_area[area] += n
    rows += [{"phase": "final", "area": a, "level": "", "count": n} for a, n in sorted(final.items())]
    closed = {a: max(0, n - final.get(a, 0)) for a, n in entry_by_area.items()}
    rows += [{"phase": "closed", "area": a, "level": "", "count": n} for a, n in sorted(closed.items()) if n]
    return rows, sum(closed.values())


def activity_rows(card: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for a in card.get("activities") or []:
        if not isinstance(a, dict):
            continue
        status = ACTIVITY_STATUS.get(a.get("status"), "planned")
        rows.append({"level": str(a.get("level") or "не указан")[:32],
                     "form": str(a.get("presentation_form") or "не указана")[:300], "status": status,
                     "reason": str(a.get("reason_not_done") or "").strip()[:500] if status == "not_done" else ""})
    return rows


def stage_stretches(created_at: datetime, tasks: Iterable[tuple[datetime, str]], end_at: datetime | None
                    ) -> list[tuple[str, datetime, datetime | None]]:
    """(stage, entered, left) of the working stages in order: a stage begins with the first task of it
    after a task of another stage (the first at the route's opening), and ends where the next begins
    or at the route's end."""
    stretches: list[list[Any]] = []
    for at, stage in sorted(tasks):
        if stage not in WORK_STAGES or (stretches and stretches[-1][0] == stage):
            continue
        if stretches:
            stretches[-1][2] = at
        stretches.append([stage, created_at if not stretches else at, None])
    if stretches and end_at is not None:
        stretches[-1][2] = end_at
    return [(s, a, b) for s, a, b in stretches]


def _facts_of(route: Route, tasks: list[Task], returned: set[str], end_at: datetime | None, position: str | None,
              calendar: WorkingCalendar, zone: str, now: datetime, seq: int) -> dict[str, list[dict[str, Any]]]:
    tz = ZoneInfo(zone)
    card = route.card or {}
    finished = route.status in FINISHED
    deficits, closed = deficit_rows(card, finished)
    live = [t for t in tasks if t.state != TaskState.CANCELLED]
    steps = [{"route_id": route.id, "name": t.name, "stage": t.stage,
              "assignee_id": t.assignee_id, "state": t.state, "due_at": t.due_at,
              "completed_on": t.completed_at.astimezone(tz).date() if t.completed_at else None,
              "working_days": calendar.working_days_between(t.created_at, t.completed_at, zone)
              if t.completed_at else None,
              "returned": t.id in returned} for t in live]
    stretches = [{"route_id": route.id, "stage": s,
                  "entered_month": month_index(a.astimezone(tz).date()),
                  "left_month": month_index(b.astimezone(tz).date()) if b else None}
                 for s, a, b in stage_stretches(route.created_at, [(t.created_at, t.stage) for t in tasks], end_at)]
    summary = {
        "route_id": route.id, "centre_id": route.centre_id, "school_id": route.school_id,
        "tutor_id": route.tutor_id, "teacher_id": route.teacher_id, "subject": subject_of(card, position),
        "status": route.status, "stage": route.stage, "created_on": route.created_at.astimezone(tz).date(),
        "end_on": end_at.astimezone(tz).date() if end_at else None,
        "working_days": calendar.working_days_between(route.created_at, end_at, zone) if finished and end_at else None,
        "corrections": len(card.get("corrections") or []), "returns": sum(s["returned"] for s in steps),
        "deficits_closed": closed, "route_updated_at": route.updated_at, "refreshed_at": now, "seq": seq,
    }
    return {"routes": [summary], "stages": stretches, "steps": steps,
            "deficits": [{"route_id": route.id, **d} for d in deficits],
            "activities": [{"route_id": route.id, **a} for a in activity_rows(card)]}


def refresh_routes(session, route_ids: list[int], calendar: WorkingCalendar, zone: str, now: datetime) -> int:
    """Rebuild the facts of these routes (deleted ones lose theirs) under the next sequence number
    (a deleted route bumps the epoch: processes holding the facts in memory load anew); the caller
    commits."""
    if not route_ids:
        return 0
    seq = next_number(session, "seq")
    for table in FACT_TABLES:
        session.execute(sa.delete(table).where(table.route_id.in_(route_ids)))
    routes = session.scalars(sa.select(Route).options(undefer(Route.card))
                             .where(Route.id.in_(route_ids))).all()
    tasks: dict[int, list[Task]] = {}
    for task in session.scalars(sa.select(Task).where(Task.route_id.in_(route_ids))):
        tasks.setdefault(task.route_id, []).append(task)
    decision = Event.data[("submission", "decision")].as_string()
    returned = set(session.scalars(sa.select(Event.task_id).where(
        Event.route_id.in_(route_ids), Event.kind == EventKind.TASK_COMPLETED, decision == "return")))
    ends = dict(session.execute(sa.select(Event.route_id, sa.func.max(Event.at)).where(
        Event.route_id.in_(route_ids), Event.kind.in_(END_EVENTS)).group_by(Event.route_id)).all())
    teachers = {r.teacher_id for r in routes}
    positions = dict(session.execute(sa.select(User.id, User.position).where(User.id.in_(teachers))).all())
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ("routes", "stages", "steps", "deficits", "activities")}
    if len(routes) < len(set(route_ids)):
        next_number(session, "epoch")
    for route in routes:
        end_at = ends.get(route.id) if route.status != RouteStatus.ACTIVE else None
        if route.status != RouteStatus.ACTIVE and end_at is None:  # finished before events named it: its last change
            end_at = route.updated_at
        for key, found in _facts_of(route, tasks.get(route.id, []), returned, end_at, positions.get(route.teacher_id),
                                    calendar, zone, now, seq).items():
            rows[key] += found
    for key, table in zip(rows, FACT_TABLES, strict=True):
        if rows[key]:
            session.execute(sa.insert(table), rows[key])
    _keep_titles(session, [t for found in tasks.values() for t in found if t.state != TaskState.CANCELLED])
    return len(routes)


def _keep_titles(session, tasks: list[Task]) -> None:
    """stats_step_titles: the greatest title seen for each step name (one title a step, whichever
    version of the workflow named it)."""
    titles: dict[str, str] = {}
    for t in tasks:
        titles[t.name] = max(titles.get(t.name, ""), t.title[:300])
    if not titles:
        return
    known = dict(session.execute(sa.select(StatsStepTitle.name, StatsStepTitle.title)
                                 .where(StatsStepTitle.name.in_(titles))).all())
    for name, title in titles.items():
        if name not in known:
            session.add(StatsStepTitle(name=name, title=title))
        elif title > known[name]:
            session.execute(sa.update(StatsStepTitle).where(StatsStepTitle.name == name).values(title=title))
    session.flush()


def _state(session, key: str) -> datetime | None:
    return session.scalar(sa.select(StatsState.value).where(StatsState.key == key))


def _set_state(session, key: str, value: datetime | None) -> None:
    row = session.get(StatsState, key)
    if row is None:
        session.add(StatsState(key=key, value=value))
    else:
        row.value = value


def next_number(session, key: str) -> int:
    """Increment the counter `key` ("seq", "epoch") and return it (the UPDATE takes the write lock first)."""
    found = session.execute(sa.update(StatsState).where(StatsState.key == key)
                            .values(number=sa.func.coalesce(StatsState.number, 0) + 1)
                            .returning(StatsState.number)).scalar()
    if found is None:
        session.add(StatsState(key=key, value=None, number=1))
        session.flush()
        return 1
    return int(found)


def as_of(session) -> datetime | None:
    """When the facts were last refreshed."""
    return _state(session, "refreshed_at")


def _stale(session, limit: int) -> list[tuple[int, datetime]]:
    """Routes whose facts are missing or older than the route, oldest change first."""
    mark = _state(session, "watermark")
    query = (sa.select(Route.id, Route.updated_at).outerjoin(StatsRoute, StatsRoute.route_id == Route.id)
             .where(sa.or_(StatsRoute.route_id.is_(None), StatsRoute.route_updated_at != Route.updated_at)))
    if mark is not None:
        query = query.where(Route.updated_at >= mark - MARGIN)
    return [tuple(r) for r in session.execute(query.order_by(Route.updated_at, Route.id).limit(limit)).all()]


def stale_count(ctx: ServiceContext, cap: int) -> int:
    """How many routes wait for their facts, counted up to `cap` + 1."""
    with ctx.uow() as uow:
        return len(_stale(uow.session, cap + 1))


def _locked(session, wait: bool = False) -> bool:
    """On PostgreSQL: this transaction holds the refresher's lock (else another refresher runs). The
    lock is per schema: deployments (or test databases) in other schemas of one database do not
    wait for each other. `wait`: block until it is free (a full rebuild), else give up at once."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    key = "CAST(:k AS integer), hashtext(current_schema())"
    if wait:
        session.execute(sa.text(f"SELECT pg_advisory_xact_lock({key})"), {"k": LOCK_KEY})
        return True
    return bool(session.scalar(sa.text(f"SELECT pg_try_advisory_xact_lock({key})"), {"k": LOCK_KEY}))


def refresh_stale(ctx: ServiceContext, max_routes: int = 20_000, budget_s: float = 20.0, wait: bool = False) -> int:
    """Rebuild the facts of stale routes in batches (each its own transaction) until none are left,
    `max_routes` are done or `budget_s` has passed; returns how many routes were rebuilt."""
    done, started = 0, time.monotonic()
    while done < max_routes and time.monotonic() - started < budget_s:
        with ctx.uow() as uow:
            s = uow.session
            if not _locked(s, wait):
                return done
            stale = _stale(s, min(BATCH, max_routes - done))
            now = ctx.clock()
            if stale:
                refresh_routes(s, [rid for rid, _ in stale], calendar_for(s), ctx.timezone, now)
                mark = _state(s, "watermark")
                newest = max(at for _, at in stale)
                _set_state(s, "watermark", newest if mark is None else max(mark, newest))
            if stale or as_of(s) is None:
                _set_state(s, "refreshed_at", now)
            uow.commit()
        done += len(stale)
        if len(stale) < BATCH:
            return done
    return done


def refresh_if_few(ctx: ServiceContext, threshold: int = 200) -> bool:
    """Refresh at once when at most `threshold` routes are stale (a page in a small deployment, or a
    test, is then current); more are left to the worker. True if the facts are now current."""
    if stale_count(ctx, threshold) > threshold:
        return False
    refresh_stale(ctx, max_routes=threshold + BATCH)
    return True


def rebuild_all(ctx: ServiceContext) -> int:
    """Build every route's facts anew, a batch per transaction; returns the number of routes."""
    with ctx.uow() as uow:
        s = uow.session
        for table in (*FACT_TABLES, StatsStepTitle):
            s.execute(sa.delete(table))
        _set_state(s, "watermark", None)
        next_number(s, "epoch")
        uow.commit()
    done = refresh_stale(ctx, max_routes=10**9, budget_s=float("inf"), wait=True)
    _analyze(ctx)
    return done


def _analyze(ctx: ServiceContext) -> None:
    """Fresh planner statistics for the fact tables after a bulk build: with the estimates of empty
    tables PostgreSQL joins the waiting steps by nested loops (a CNPPM head's page took 2 minutes at
    100,000 routes before, 0.6 s after)."""
    bind = ctx.sessions.kw["bind"]
    tables = [t.__tablename__ for t in FACT_TABLES]
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        for table in tables:
            c.exec_driver_sql(f"ANALYZE {table}")
