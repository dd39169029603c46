"""Server-rendered pages (Russian), built on the same services as the API."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect


def init_app(app: Flask) -> None:
    """Pages, and CSRF protection on every form. The API blueprints are exempt from the form check:
    their cookie-authenticated writes must be JSON or carry `X-CSRFToken` (service/http/auth.py)."""
    from service.web import (  # noqa: F401 — they add routes to bp
        admin_actions,
        admin_org,
        admin_people,
        audit_pages,
        auth,
        calendar_page,
        delegations,
        formatting,
        import_page,
        lists,
        migrations_page,
        nav,
        notifications_page,
        opening_page,
        options,
        password_page,
        pep_page,
        portfolio_page,
        profile_page,
        route_page,
        stats_page,
        task_page,
        tokens_page,
        versions_page,
    )
    from service.web.blueprint import bp

    csrf = CSRFProtect(app)
    for name, blueprint in app.blueprints.items():
        if name != "web":
            csrf.exempt(blueprint)
    app.register_blueprint(bp)
    formatting.init_app(app)
    options.init_app(app)
    nav.init_app(app)
