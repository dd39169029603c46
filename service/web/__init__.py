"""Server-rendered pages (Russian), built on the same services as the API."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from service.web.limits import LoginLimiter


def init_app(app: Flask) -> None:
    """Pages, CSRF protection on every form (the JSON API is exempt: it takes only JSON bodies or
    multipart uploads with a session or a token), and the login attempt limit."""
    from service.web import audit_pages, auth, lists, route_page, task_page  # noqa: F401 — they add routes to bp
    from service.web.blueprint import bp

    csrf = CSRFProtect(app)
    for name, blueprint in app.blueprints.items():
        if name != "web":
            csrf.exempt(blueprint)
    app.register_blueprint(bp)
    app.extensions["iom_login_limiter"] = LoginLimiter()
