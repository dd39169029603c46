"""Login, logout, who am I, and personal Bearer tokens."""

from __future__ import annotations

from flask import Blueprint
from flask_wtf.csrf import generate_csrf

from service.api.util import actor, body_as, ctx, json_body, reply
from service.contracts.requests import LoginRequest
from service.contracts.responses import CsrfToken, LogoutResult, Me, Token, TokenList
from service.domain.access import Actor
from service.http.auth import from_session, log_in, log_out
from service.services import accounts

bp = Blueprint("auth", __name__, url_prefix="/api")


def _me(who: Actor) -> dict:
    grants = sorted(who.grants, key=lambda g: (g[0], g[1] or 0))
    return {"id": who.user_id, "name": who.full_name, "roles": [{"role": r, "org_unit_id": u} for r, u in grants]}


@bp.post("/login")
def login():
    """Log in with login and password; the session cookie carries the server-side session."""
    asked = body_as(LoginRequest)
    return reply(Me, _me(log_in(asked.login, asked.password)))


@bp.post("/logout")
def logout():
    """End the session (on the server too: the cookie stops working)."""
    log_out()
    return reply(LogoutResult, {"ok": True})


@bp.get("/me")
def me():
    """Who is logged in, with role grants."""
    return reply(Me, _me(actor()))


@bp.get("/tokens")
def list_tokens():
    """My personal tokens: names and dates, never the tokens themselves."""
    return reply(TokenList, {"tokens": accounts.list_tokens(ctx(), actor())})


@bp.post("/tokens")
def create_token():
    """Issue a personal API token (from a login session only); the token is shown once. The
    service checks the body against TokenRequest (the tokens page issues tokens too)."""
    who = actor()
    body = json_body()
    issued = accounts.issue_token(ctx(), who, body.get("name", ""), body.get("expires_in_days"),
                                  from_session=from_session())
    return reply(Token, issued, 201)


@bp.delete("/tokens/<int:token_id>")
def revoke_token(token_id: int):
    """Revoke one of my tokens."""
    accounts.revoke_token(ctx(), actor(), token_id)
    return "", 204


@bp.get("/csrf")
def csrf_token():
    """The CSRF token a cookie-authenticated POST that is not JSON must carry in `X-CSRFToken`."""
    actor()
    return reply(CsrfToken, {"csrf_token": generate_csrf()})
