"""The working calendar: a year's production calendar with the region's days; the admin marks
and unmarks the region's own days off and working days."""

from __future__ import annotations

from flask import Blueprint

from service.api.util import actor, ctx, json_body, reply
from service.contracts.calendar import CalendarYear, RegionDayRemoveRequest, RegionDayRequest, RegionDayRow
from service.services import calendar

bp = Blueprint("calendar", __name__, url_prefix="/api/calendar")


@bp.get("/<int:year>")
def get_year(year: int):
    """The year's holidays, transferred days off, working Saturdays and region days, with totals."""
    actor()
    return reply(CalendarYear, calendar.year_view(ctx(), year))


@bp.post("/days")
def set_day():
    """Mark a day of the region as a day off or a working day (admin; a reason is required)."""
    return reply(RegionDayRow, calendar.set_day(ctx(), actor(), json_body()), 201)


@bp.delete("/days/<day>")
def remove_day(day: str):
    """Remove the region's mark of a day (admin; the reason in the JSON body)."""
    calendar.remove_day(ctx(), actor(), day, json_body())
    return "", 204


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    from service.api.openapi import _body, _json, _path_param, _responses

    admin_only = {"e403": "Доступно только администратору"}
    return {
        "/api/calendar/{year}": {"get": {
            "tags": ["org"], "operationId": "getCalendarYear", "summary": "Производственный календарь года",
            "description": "Праздники, перенесённые выходные и рабочие субботы по производственному календарю РФ "
                           "и дни, отмеченные регионом; число рабочих и нерабочих дней. По нему считаются сроки "
                           "задач и «ждёт N дн.» (в рабочих днях).",
            "parameters": [_path_param("year", {"type": "integer", "minimum": 1991, "maximum": 2100}, "Год")],
            "responses": _responses(("200", _json(out(CalendarYear), "Календарь года")), "401", "404",
                                    e404="Календаря на этот год нет (только 1991–2100)"),
        }},
        "/api/calendar/days": {"post": {
            "tags": ["org"], "operationId": "setRegionDay", "summary": "День региона: выходной или рабочий "
                                                                     "(администратор)",
            "description": "Отмечает дату дополнительным выходным или рабочим днём региона поверх федерального "
                           "календаря (прежняя отметка этой даты заменяется). Основание обязательно. Записывается "
                           "событием `region_day_set` системной цепочки. Сроки уже открытых задач не меняются; "
                           "другие процессы сервиса видят изменение не позже чем через минуту.",
            "requestBody": _body(inp(RegionDayRequest)),
            "responses": _responses(("201", _json(out(RegionDayRow), "День отмечен")),
                                    "400", "401", "403", "413", "415", "422", **admin_only,
                                    e422="Неверная дата (не ГГГГ-ММ-ДД или вне 1991–2100), нет признака "
                                         "рабочего дня, пустое или слишком длинное основание"),
        }},
        "/api/calendar/days/{day}": {"delete": {
            "tags": ["org"], "operationId": "removeRegionDay", "summary": "Снять отметку дня региона "
                                                                        "(администратор)",
            "description": "День снова определяет федеральный календарь. Основание — в теле запроса; "
                           "записывается событием `region_day_removed` системной цепочки.",
            "parameters": [_path_param("day", {"type": "string", "format": "date"}, "Дата, ГГГГ-ММ-ДД")],
            "requestBody": _body(inp(RegionDayRemoveRequest)),
            "responses": _responses(("204", {"description": "Отметка снята"}),
                                    "400", "401", "403", "404", "413", "415", "422", **admin_only,
                                    e404="Эта дата не отмечена регионом", e422="Пустое или слишком длинное основание"),
        }},
    }
