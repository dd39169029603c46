"""The app factory: everything (database engine, workflow engine, forms) is built here."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask

from service import production
from service.config import database_url, forms_dir, instance_dir
from service.db.session import make_engine, make_session_factory
from service.domain.access import WORKFLOW_ROLES
from service.engine.adapter import WorkflowEngine
from service.forms import FormCatalog
from service.http import auth as http_auth
from service.http import errors, guards, headers
from service.services.context import ServiceContext
from service.tasks import default_handlers


def load_or_create_secret_key(instance: Path) -> str:
    """`SECRET_KEY`, or the key generated once into `<instance>/secret_key` (the demo's).

    Workers that start together must all get the same, whole key: a candidate is written in full
    to a temporary file beside it and hard-linked into place, which fails when the file is already
    there; so the file only ever appears complete, the first writer wins and everyone reads it."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        candidate = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(8)}"
        with open(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process got there first: its key is the key
        except OSError:  # a file system without hard links: create it exclusively, readers wait for the text
            with contextlib.suppress(FileExistsError):
                _exclusive_copy(candidate, path)
        finally:
            candidate.unlink(missing_ok=True)
    for _ in range(50):  # only the no-hard-link fallback can show a file still being written
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise production.ConfigurationError(
        f"{path} пуст: удалите его (ключ будет создан заново) или задайте SECRET_KEY. "
        f"The secret key file {path} is empty: delete it (a new key is generated) or set SECRET_KEY.")


def _exclusive_copy(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "w") as f:
        f.write(source.read_text())


def build_service_context(url: str, clock=None) -> ServiceContext:
    """The service context alone (CLI, benchmarks, tests without HTTP)."""
    forms = FormCatalog(forms_dir())
    engine = WorkflowEngine(default_handlers(), set(WORKFLOW_ROLES), set(forms.names()))
    ctx = ServiceContext(make_session_factory(make_engine(url)), engine, forms,
                         timezone=os.environ.get("IOM_TIMEZONE", "").strip() or "Europe/Moscow")
    if clock is not None:
        ctx.clock = clock
    return ctx


def _jobs(app: Flask):
    """Where the app's background jobs go: config `JOBS` (a Huey instance; tests pass one they
    drain by hand), else config `WORKER` or IOM_WORKER (service/worker.py make_huey)."""
    from service.jobs import Jobs
    from service.worker import make_huey

    given, ctx = app.config.get("JOBS"), app.extensions["iom"]
    return Jobs(lambda: given if given is not None else make_huey(app.config.get("WORKER")), lambda: ctx)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(instance_dir()))
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
    production.configure(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(Path(app.instance_path))
    app.json.ensure_ascii = False
    app.extensions["iom"] = build_service_context(app.config["DATABASE_URL"], app.config.get("CLOCK"))
    if app.config.get("AUTH_CLOCK") is not None:
        app.extensions["iom"].auth_clock = app.config["AUTH_CLOCK"]
    app.extensions["iom"].jobs = _jobs(app)

    from service import cli, web
    from service.api import init_app as init_api

    guards.init_app(app)  # before the blueprints: it replaces the `int` URL converter
    http_auth.init_app(app)
    errors.init_app(app)
    init_api(app)
    web.init_app(app)
    headers.init_app(app)
    cli.init_app(app)
    return app
