"""Request and response bodies of the calendar API (/api/calendar): the production calendar of a
year and the region's own days off and working days."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, WithJsonSchema

from service.contracts.base import Date, Request, Response, Says
from service.domain.calendar import FIRST_YEAR, LAST_YEAR

DAY_MESSAGE = f"Укажите дату в формате ГГГГ-ММ-ДД, с {FIRST_YEAR} по {LAST_YEAR} год"
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MARK_KINDS = ("holiday", "transfer", "working_weekend", "region_off", "region_working")


def calendar_day(value: str) -> date | None:
    """A YYYY-MM-DD date of the calendar's years (not a week date, not another form), or None."""
    if not ISO_DAY.fullmatch(value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def _calendar_day(value: str) -> str:
    if calendar_day(value) is None:
        raise ValueError(DAY_MESSAGE)
    return value


CalendarDay = Annotated[str, AfterValidator(_calendar_day), WithJsonSchema({"type": "string", "format": "date"})]


class RegionDayRequest(Request):
    """День региона поверх производственного календаря: дополнительный выходной или рабочий день"""

    day: Annotated[CalendarDay, Field(description="Дата, ГГГГ-ММ-ДД"), Says(DAY_MESSAGE, missing="Обязательное поле")]
    is_working: Annotated[bool, Field(description="true — рабочий день, false — выходной"),
                          Says("Укажите true (рабочий день) или false (выходной)", missing="Обязательное поле")]
    reason: Annotated[str, Field(min_length=1, max_length=300, pattern=r"\S", description="Основание"),
                      Says("Укажите основание — от 1 до 300 символов", missing="Обязательное поле")]


class RegionDayRemoveRequest(Request):
    """Снятие отметки дня региона: день снова определяет федеральный календарь"""

    reason: Annotated[str, Field(min_length=1, max_length=300, pattern=r"\S", description="Основание"),
                      Says("Укажите основание — от 1 до 300 символов", missing="Обязательное поле")]


class CalendarDayRow(Response):
    """Особый день года: праздник, перенесённый выходной, рабочая суббота или день региона"""

    day: Date
    is_working: bool
    kind: Annotated[Literal[MARK_KINDS], Field(  # type: ignore[valid-type]
        description="holiday — праздник, transfer — перенесённый выходной, working_weekend — рабочая суббота "
                    "по постановлению, region_off / region_working — день, отмеченный регионом")]
    reason: str
    federal: Annotated[str | None, Field(description="У дня региона — что этот день по федеральному календарю")]


class CalendarYear(Response):
    """Производственный календарь года с днями региона"""

    year: int
    working_days: Annotated[int, Field(description="Рабочих дней в году")]
    days_off: Annotated[int, Field(description="Выходных и праздничных дней в году")]
    days: Annotated[list[CalendarDayRow], Field(description="Особые дни по порядку (обычные будни и "
                                                            "выходные не перечислены)")]


class RegionDayRow(Response):
    """День региона"""

    day: Date
    is_working: bool
    reason: str
