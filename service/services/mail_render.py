"""The letters' text: one notification, or a person's daily digest, as (subject, plain text, HTML).

Rendered with Jinja (autoescaped HTML) from service/templates/mail/*.txt|html, outside any Flask
request: the dispatcher and the worker have none. Links are absolute: the service's base address is
`IOM_BASE_URL` (default http://127.0.0.1:5000), read by `base_url()` here."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"
_env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def base_url() -> str:
    """`IOM_BASE_URL` without a trailing slash, e.g. https://iom.example.ru."""
    return (os.environ.get("IOM_BASE_URL", "").strip() or DEFAULT_BASE_URL).rstrip("/")


def absolute(link: str) -> str:
    return base_url() + (link if link.startswith("/") else "/" + link)


def _local(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")


def _item(n, timezone: str) -> dict:
    return {"title": n.title, "body": n.body, "url": absolute(n.link), "at": _local(n.created_at, timezone)}


def notification_letter(n, name: str, timezone: str) -> tuple[str, str, str]:
    """(subject, text, html) of one notification to a person called `name`."""
    data = {"name": name, "item": _item(n, timezone), "settings_url": absolute("/notifications/settings")}
    return (f"ИОМ: {n.title}"[:300], _env.get_template("notification.txt").render(data),
            _env.get_template("notification.html").render(data))


def digest_letter(items: list, name: str, on: str, timezone: str) -> tuple[str, str, str]:
    """(subject, text, html) of a daily digest of `items` (notifications) for the local date `on`."""
    data = {"name": name, "on": on, "items": [_item(n, timezone) for n in items],
            "all_url": absolute("/notifications"), "settings_url": absolute("/notifications/settings")}
    subject = f"ИОМ: уведомления за {on} ({len(items)})"
    return (subject, _env.get_template("digest.txt").render(data),
            _env.get_template("digest.html").render(data))
