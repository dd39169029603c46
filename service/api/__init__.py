"""The HTTP JSON API under /api."""

from __future__ import annotations

from flask import Flask

from service.api import (
    audit,
    auth,
    calendar,
    delegations,
    documents,
    imports,
    migrations,
    notifications,
    openapi,
    opening,
    org,
    people,
    pep,
    pickers,
    portfolio,
    profiles,
    replay_jobs,
    routes,
    saved_filters,
    tasks,
    versions,
)

# Blueprints that describe their own operations for the OpenAPI document (service/api/openapi.py).
DOCUMENTED = (org, people, imports, opening, pickers, profiles, versions, pep, saved_filters, notifications, calendar,
              delegations, replay_jobs, migrations, portfolio)


def init_app(app: Flask) -> None:
    for module in (auth, tasks, routes, documents, audit, *DOCUMENTED, openapi):
        app.register_blueprint(module.bp)
