"""The region's working calendar: the Russian production calendar with the region's own days
(region_days), and the admin's changes to those days (each an event of the system chain).

Caching: each process keeps the calendar per database (engine). A reader checks the version of
region_days (count and latest created_at: one small query) at most once a minute; a change made
in this process drops the cache at once. So another worker process sees an admin's change within
a minute, and a due date computed in that minute may miss it (the admin is told so on the page).
"""

from __future__ import annotations

import threading
import time as monotonic
import weakref
from datetime import date
from typing import Any

import sqlalchemy as sa

from service.contracts import parse
from service.contracts.calendar import RegionDayRemoveRequest, RegionDayRequest, calendar_day
from service.db.models import RegionDay
from service.domain.access import Actor, require_admin
from service.domain.calendar import FIRST_YEAR, LAST_YEAR, WorkingCalendar
from service.domain.errors import NotFound
from service.domain.states import EventKind
from service.services.context import ServiceContext
from service.services.events import append_event

RECHECK_SECONDS = 60.0
_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary[Any, tuple[float, tuple, WorkingCalendar]] = weakref.WeakKeyDictionary()


def _version(session) -> tuple:
    return tuple(session.execute(sa.select(sa.func.count(), sa.func.max(RegionDay.created_at))).one())


def calendar_for(session) -> WorkingCalendar:
    """The working calendar of the session's database (cached; see the module's docstring)."""
    key = session.get_bind()
    now = monotonic.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached and now - cached[0] < RECHECK_SECONDS:
        return cached[2]
    version = _version(session)
    if cached and cached[1] == version:
        calendar = cached[2]
    else:
        rows = session.execute(sa.select(RegionDay.day, RegionDay.is_working, RegionDay.reason)).all()
        calendar = WorkingCalendar({d: (w, r) for d, w, r in rows})
    with _lock:
        _cache[key] = (now, version, calendar)
    return calendar


def forget(session) -> None:
    """Drop this process's cached calendar of the session's database (after a change)."""
    with _lock:
        _cache.pop(session.get_bind(), None)


def working_calendar(ctx: ServiceContext) -> WorkingCalendar:
    with ctx.uow() as uow:
        return calendar_for(uow.session)


# ---- reading -----------------------------------------------------------------------------------
def year_view(ctx: ServiceContext, year: int) -> dict[str, Any]:
    """The year's special days (holidays, transfers, working Saturdays, region days) and its totals.
    Anyone signed in may read it (due dates are computed from it)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFound(f"Календарь есть только на {FIRST_YEAR}–{LAST_YEAR} годы")
    calendar = working_calendar(ctx)
    first = date(year, 1, 1)
    length = (date(year + 1, 1, 1) - first).days
    working = sum(calendar.is_working(date.fromordinal(first.toordinal() + i)) for i in range(length))
    days = []
    for m in calendar.year_marks(year):
        federal = calendar.federal_mark(m.day) if m.kind.startswith("region") else None
        if m.kind.startswith("region"):
            federal_text = federal.reason if federal else ("выходной" if m.day.weekday() >= 5 else "рабочий день")
        else:
            federal_text = None
        days.append({"day": m.day.isoformat(), "is_working": m.is_working, "kind": m.kind, "reason": m.reason,
                     "federal": federal_text})
    return {"year": year, "working_days": working, "days_off": length - working, "days": days}


def region_days(ctx: ServiceContext, actor: Actor) -> list[dict[str, Any]]:
    require_admin(actor)
    with ctx.uow() as uow:
        rows = uow.session.scalars(sa.select(RegionDay).order_by(RegionDay.day)).all()
        return [_row(r) for r in rows]


def _row(r: RegionDay) -> dict[str, Any]:
    return {"day": r.day.isoformat(), "is_working": r.is_working, "reason": r.reason}


# ---- changes (admin) ---------------------------------------------------------------------------
def set_day(ctx: ServiceContext, actor: Actor, body: Any) -> dict[str, Any]:
    """Mark a day of the region as a day off or a working day (replacing an earlier mark of that day)."""
    require_admin(actor)
    asked = parse(RegionDayRequest, body)
    day, reason = date.fromisoformat(asked.day), asked.reason.strip()
    now = ctx.clock()
    with ctx.uow() as uow:
        s = uow.session
        row = s.get(RegionDay, day)
        before = _row(row) if row else None
        if row is None:
            row = RegionDay(day=day)
            s.add(row)
        row.is_working, row.reason, row.created_at, row.created_by_id = asked.is_working, reason, now, actor.user_id
        s.flush()
        append_event(s, route_id=None, at=now, kind=EventKind.REGION_DAY_SET, actor_id=actor.user_id,
                     data={"day": day.isoformat(), "is_working": asked.is_working, "reason": reason,
                           "before": before})
        uow.commit()
        forget(s)
        return _row(row)


def remove_day(ctx: ServiceContext, actor: Actor, day_text: str, body: Any) -> None:
    """Remove the region's mark of a day: the federal calendar decides it again. A reason is required."""
    require_admin(actor)
    day = calendar_day(day_text)
    if day is None:
        raise NotFound("День региона не найден")
    why = parse(RegionDayRemoveRequest, body).reason.strip()
    with ctx.uow() as uow:
        s = uow.session
        row = s.get(RegionDay, day)
        if row is None:
            raise NotFound("День региона не найден")
        before = _row(row)
        s.delete(row)
        append_event(s, route_id=None, at=ctx.clock(), kind=EventKind.REGION_DAY_REMOVED, actor_id=actor.user_id,
                     data={"day": day.isoformat(), "reason": why, "before": before})
        uow.commit()
        forget(s)
