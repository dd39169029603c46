"""The HTTP JSON API under /api."""

from __future__ import annotations

from flask import Flask

from service.api import audit, auth, documents, openapi, routes, tasks


def init_app(app: Flask) -> None:
    for module in (auth, tasks, routes, documents, audit, openapi):
        app.register_blueprint(module.bp)
