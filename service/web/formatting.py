"""How pages show times, dates and numbers: the region's local time (`IOM_TIMEZONE`, default
Europe/Moscow) and one date format, ДД.ММ.ГГГГ. Documents keep their own, versioned formatting
(service/documents/context.py): pages may change, issued documents may not."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app

from service.config import ConfigurationError

DEFAULT_TIMEZONE = "Europe/Moscow"


def region_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"IOM_TIMEZONE={name!r}: нет такого часового пояса (например, Europe/Moscow, "
                                 f"Asia/Yekaterinburg)") from None


def _zone() -> ZoneInfo:
    return current_app.config["IOM_ZONE"]


def local(value: datetime | str) -> datetime:
    """A UTC datetime (or its ISO text, as read models carry it) in the region's zone."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_zone())


def local_dt(value: datetime | str | None) -> str:
    """«02.12.2026 14:05» in the region's time."""
    return local(value).strftime("%d.%m.%Y %H:%M") if value else ""


def local_date(value: datetime | date | str | None) -> str:
    """«02.12.2026»: a date as it is; a datetime as the region's date; an ISO date string converted."""
    if not value:
        return ""
    if isinstance(value, datetime) or (isinstance(value, str) and len(value) > 10 and value[10:11] == "T"):
        return local(value).strftime("%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return str(value)


def ru_number(value: int | float | None) -> str:
    """12 345,5 — the Russian grouping (a narrow no-break space) and decimal comma."""
    if value is None:
        return ""
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
    return text.replace(",", "\u202f").replace(".", ",")


def init_app(app: Flask) -> None:
    import os

    app.config.setdefault("IOM_TIMEZONE", os.environ.get("IOM_TIMEZONE", "").strip() or DEFAULT_TIMEZONE)
    app.config["IOM_ZONE"] = region_zone(app.config["IOM_TIMEZONE"])  # a wrong name stops the start, saying so
    app.extensions["iom"].timezone = app.config["IOM_TIMEZONE"]  # documents of format 2+ print this zone
    app.add_template_filter(local_dt, "local_dt")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(ru_number, "ru_number")
