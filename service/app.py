"""The app factory: everything (database engine, workflow engine, forms) is built here."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from service.config import ROOT, database_url
from service.db.session import make_engine, make_session_factory
from service.domain.access import WORKFLOW_ROLES
from service.engine.adapter import WorkflowEngine
from service.forms import FormCatalog
from service.services.context import ServiceContext
from service.tasks import default_handlers


def _secret_key(instance: Path) -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def build_context(url: str, clock=None) -> ServiceContext:
    """The service context alone (CLI, benchmarks, tests without HTTP)."""
    forms = FormCatalog(ROOT / "forms")
    engine = WorkflowEngine(default_handlers(), set(WORKFLOW_ROLES), set(forms.names()))
    ctx = ServiceContext(make_session_factory(make_engine(url)), engine, forms)
    if clock is not None:
        ctx.clock = clock
    return ctx


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"))
    app.config.update(
        DATABASE_URL=database_url(),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))
    app.json.ensure_ascii = False
    app.extensions["iom"] = build_context(app.config["DATABASE_URL"], app.config.get("CLOCK"))

    from service import cli, web
    from service.api import init_app as init_api

    init_api(app)
    web.init_app(app)
    cli.init_app(app)
    return app


def services(app: Flask) -> ServiceContext:
    return app.extensions["iom"]
