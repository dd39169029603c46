"""The pages' blueprint and the helpers every page uses."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user

from service.domain.access import Actor
from service.services.context import ServiceContext

bp = Blueprint("web", __name__)


def ctx() -> ServiceContext:
    return current_app.extensions["iom"]


def me() -> Actor:
    return current_user.actor


def login_required(view):
    """Pages send an anonymous visitor to the login page and back afterwards."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None) -> str:
    """Only a local path (no scheme, no host, not `//…`) may be a redirect target."""
    if not target:
        return url_for("web.inbox")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web.inbox")
    return target
