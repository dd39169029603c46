"""Working days on the Russian production calendar, plus the days the region marks itself.

The federal calendar comes from the `holidays` package (RU, in Russian): public holidays, the New
Year holidays 1–8 January, days off transferred by the government's decree ("Выходной (перенесено
с 04.01.2025)") and working Saturdays (`weekend_workdays`, e.g. Saturday 2025-11-01). The package
knows the decrees up to the current year or so; later years get the holidays and weekends only
until the package is updated. A region day (`region_days`) overrides everything: an extra day off
or an extra working day, with a reason.

Deadline rule (`add_working_days`): a task created at any hour of day D (in the region's local
calendar, working day or not) is due at the end of the n-th working day after D, i.e. at 23:59:59
local time of that day, stored in UTC. "Waiting N days" (`working_days_between`) counts the
working days after the local date of the start up to and including the local date of the end:
created today → 0, created on Friday and looked at on Monday → 1.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

FIRST_YEAR, LAST_YEAR = 1991, 2100  # the years the package's RU calendar covers
MAX_SPAN_DAYS = 366 * 20  # no count walks further than this (a deadline or a wait of 20 years)
END_OF_DAY = time(23, 59, 59)
_TRANSFER = re.compile(r"перенесено с (\d{2})\.(\d{2})\.(\d{4})")


@dataclass(frozen=True)
class DayMark:
    """Why a day is what it is: kind is one of holiday, transfer (a transferred day off),
    working_weekend (a working Saturday by decree), region_off, region_working."""

    day: date
    is_working: bool
    kind: str
    reason: str


class _Federal:
    """The package's calendar, loaded a year at a time (thread-safe: pages are served by threads)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._years: dict[int, dict[date, DayMark]] = {}

    def year(self, year: int) -> dict[date, DayMark]:
        marks = self._years.get(year)
        if marks is None:
            with self._lock:
                marks = self._years.get(year)
                if marks is None:
                    marks = self._years[year] = self._load(year)
        return marks

    @staticmethod
    def _load(year: int) -> dict[date, DayMark]:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            return {}
        ru = holidays.country_holidays("RU", years=[year], language="ru")
        marks: dict[date, DayMark] = {}
        moved_to: dict[date, date] = {}
        for day, name in sorted(ru.items()):
            found = _TRANSFER.search(name)
            if found:
                moved_to[date(int(found[3]), int(found[2]), int(found[1]))] = day
            marks[day] = DayMark(day, False, "transfer" if found else "holiday", name)
        for day in sorted(ru.weekend_workdays):
            if day.year == year:
                to = moved_to.get(day)
                reason = f"Рабочий день: выходной перенесён на {to:%d.%m.%Y}" if to else "Рабочий день (перенос)"
                marks[day] = DayMark(day, True, "working_weekend", reason)
        return marks


FEDERAL = _Federal()


class WorkingCalendar:
    """The federal calendar with the region's own days on top (day → (is_working, reason))."""

    def __init__(self, region_days: Mapping[date, tuple[bool, str]] | None = None):
        self.region = {d: DayMark(d, w, "region_working" if w else "region_off", r)
                       for d, (w, r) in (region_days or {}).items()}
        self._totals: dict[int, list[int]] = {}  # year → running working-day counts (see _running)

    def mark(self, day: date) -> DayMark | None:
        """What sets this day apart from a plain weekday or weekend, if anything."""
        return self.region.get(day) or FEDERAL.year(day.year).get(day)

    def federal_mark(self, day: date) -> DayMark | None:
        return FEDERAL.year(day.year).get(day)

    def is_working(self, day: date) -> bool:
        mark = self.mark(day)
        return mark.is_working if mark else day.weekday() < 5

    def add_working_days(self, start: datetime, n: int, zone: str) -> datetime:
        """The end (23:59:59 local, as UTC) of the n-th working day after the local date of `start`."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day, counted = start.astimezone(ZoneInfo(zone)).date(), 0
        for _ in range(MAX_SPAN_DAYS):
            day += timedelta(days=1)
            counted += self.is_working(day)
            if counted == n:
                return datetime.combine(day, END_OF_DAY, tzinfo=ZoneInfo(zone)).astimezone(UTC)
        raise ValueError("no such working day within the span")

    def working_days_between(self, a: datetime, b: datetime, zone: str) -> int:
        """Working days after the local date of `a` up to and including that of `b` (0 if b ≤ a).
        Counted from per-year running totals, so a queue export of thousands of rows stays cheap."""
        tz = ZoneInfo(zone)
        first, last = a.astimezone(tz).date(), b.astimezone(tz).date()
        if last <= first:
            return 0
        if (last - first).days > MAX_SPAN_DAYS:
            first = last - timedelta(days=MAX_SPAN_DAYS)
        if first.year == last.year:
            return self._upto(last) - self._upto(first)
        middle = sum(self._running(y)[-1] for y in range(first.year + 1, last.year))
        return self._running(first.year)[-1] - self._upto(first) + middle + self._upto(last)

    def _running(self, year: int) -> list[int]:
        """[0, working days through 1 January, through 2 January, …] of the year."""
        totals = self._totals.get(year)
        if totals is None:
            totals, day = [0], date(year, 1, 1)
            while day.year == year:
                totals.append(totals[-1] + self.is_working(day))
                if day == date.max:
                    break
                day += timedelta(days=1)
            self._totals[year] = totals
        return totals

    def _upto(self, day: date) -> int:
        return self._running(day.year)[day.timetuple().tm_yday]

    def waiting_cutoff(self, now: datetime, n: int, zone: str) -> datetime:
        """The instant before which a thing must have started to have waited at least n working days
        by `now`: the start (local midnight, as UTC) of the n-th most recent working day up to today."""
        tz = ZoneInfo(zone)
        day, counted = now.astimezone(tz).date(), 0
        for _ in range(MAX_SPAN_DAYS):
            counted += self.is_working(day)
            if counted >= n:
                break
            day -= timedelta(days=1)
        return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)

    def year_marks(self, year: int) -> list[DayMark]:
        """Every day of the year that is not a plain weekday or weekend, in order."""
        marks = dict(FEDERAL.year(year))
        marks.update({d: m for d, m in self.region.items() if d.year == year})
        return [marks[d] for d in sorted(marks)]
