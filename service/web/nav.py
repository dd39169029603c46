"""The navigation bar: the pages a person's roles open, with the count of what waits on each."""

from __future__ import annotations

from flask import Flask, current_app, url_for
from flask_login import current_user

from service.domain.access import Actor

# (endpoint, label, active key, who sees it)
ITEMS = (
    ("web.inbox", "Мои задачи", "inbox", lambda a: True),
    ("web.queue", "Очередь согласований", "queue", lambda a: True),
    ("web.completed", "Выполненные мной", "completed", lambda a: True),
    ("web.routes", "Маршруты", "routes", lambda a: True),
    ("web.open_routes", "Открыть маршруты", "open_routes", lambda a: a.is_admin or a.has("cnppm_head")),
    ("web.org", "Организации", "org", lambda a: a.is_admin),
    ("web.people", "Люди", "people", lambda a: a.is_admin or a.has("cnppm_head")),
    ("web.versions", "Шаблоны и схемы", "versions", lambda a: a.is_admin),
    ("web.calendar", "Календарь", "calendar", lambda a: a.is_admin),
    ("web.delegations", "Поручения", "delegations",
     lambda a: a.is_admin or any(a.has(r) for r in ("school_head", "deputy_head", "cnppm_head", "tutor", "methodist"))),
    ("web.teacher_sheet", "Моя справка", "sheet", lambda a: a.has("teacher")),
    ("web.stats_page", "Статистика", "stats",
     lambda a: a.is_admin or any(a.has(r) for r in ("cnppm_head", "school_head", "deputy_head", "auditor"))),
)
ARGS = {"web.teacher_sheet": lambda a: {"teacher_id": a.user_id}}  # links to a page of one's own


def nav_items(actor: Actor) -> list[dict]:
    """The links this person sees; a page not built into the app is left out."""
    endpoints = current_app.view_functions
    return [{"url": url_for(e, **ARGS[e](actor)) if e in ARGS else url_for(e), "label": label, "key": key}
            for e, label, key, show in ITEMS if e in endpoints and show(actor)]


def init_app(app: Flask) -> None:
    @app.context_processor
    def _nav():
        if not current_user.is_authenticated:
            return {"nav_items": [], "nav_counts": {}}
        from service.services import nav_counts

        who = current_user.actor
        return {"nav_items": nav_items(who), "nav_counts": nav_counts.counts(app.extensions["iom"], who)}
