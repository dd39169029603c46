"""The working calendar page (admin): a year's month grids on the Russian production calendar
with the region's own days, a form to mark a day off or a working day, and removing a mark."""

from __future__ import annotations

import calendar as months
from datetime import date
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for

from service.domain.calendar import FIRST_YEAR, LAST_YEAR
from service.domain.errors import FormRejected
from service.services import calendar as service
from service.web.blueprint import bp, ctx, login_required, me

MONTHS = ("Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь",
          "Ноябрь", "Декабрь")
KIND_TITLES = {"holiday": "праздник", "transfer": "перенесённый выходной", "working_weekend": "рабочая суббота",
               "region_off": "выходной региона", "region_working": "рабочий день региона"}


def _year() -> int:
    asked = request.values.get("year", "")
    if asked.isdigit() and len(asked) == 4 and FIRST_YEAR <= int(asked) <= LAST_YEAR:
        return int(asked)
    return ctx().clock().astimezone(ZoneInfo(ctx().timezone)).year  # this year, in the region


def _grids(year: int, marks: dict[str, dict]) -> list[dict]:
    """12 months of weeks (Monday first); each day with its class and title."""
    out = []
    for month in range(1, 13):
        weeks = []
        for week in months.Calendar().monthdatescalendar(year, month):
            row = []
            for day in week:
                if day.month != month:
                    row.append(None)
                    continue
                mark = marks.get(day.isoformat())
                working = mark["is_working"] if mark else day.weekday() < 5
                row.append({"n": day.day, "iso": day.isoformat(), "working": working,
                            "kind": mark["kind"] if mark else ("plain" if working else "weekend"),
                            "title": mark["reason"] if mark else ""})
            weeks.append(row)
        out.append({"title": MONTHS[month - 1], "weeks": weeks})
    return out


def _page(year: int, problems: list | None = None, asked: dict | None = None, status: int = 200):
    region_days = service.region_days(ctx(), me())  # admin only
    view = service.year_view(ctx(), year)
    marks = {d["day"]: d for d in view["days"]}
    return render_template("web/calendar.html", view=view, grids=_grids(year, marks), region_days=region_days,
                           kind_titles=KIND_TITLES, problems=problems or [], asked=asked or {}, year=year,
                           first_year=FIRST_YEAR, last_year=LAST_YEAR, active="calendar"), status


@bp.get("/calendar")
@login_required
def calendar():
    """The year's calendar (`?year=`, this year by default) with the region's days."""
    return _page(_year())


def _is_working(value: str):
    return {"1": True, "0": False}.get(value, value)  # anything else: the field's own message


@bp.post("/calendar/days")
@login_required
def set_calendar_day():
    form = {"day": request.form.get("day", ""), "is_working": _is_working(request.form.get("is_working", "")),
            "reason": request.form.get("reason", "")}
    try:
        done = service.set_day(ctx(), me(), form)
    except FormRejected as exc:
        return _page(_year(), exc.problems, dict(request.form), 422)
    day = date.fromisoformat(done["day"])
    flash(f"{day:%d.%m.%Y} — {'рабочий день' if done['is_working'] else 'выходной'} региона: {done['reason']}")
    return redirect(url_for("web.calendar", year=day.year) + "#region-days", 303)


@bp.post("/calendar/days/<day>/remove")
@login_required
def remove_calendar_day(day: str):
    try:
        service.remove_day(ctx(), me(), day, {"reason": request.form.get("reason", "")})
    except FormRejected as exc:
        return _page(_year(), exc.problems, {}, 422)
    flash(f"Отметка дня {day} снята: день снова определяет федеральный календарь")
    return redirect(url_for("web.calendar", year=request.form.get("year") or None) + "#region-days", 303)
