"""Session login (Flask-Login) and personal Bearer tokens."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, session
from flask_login import LoginManager, UserMixin, login_user, logout_user

from service.api.util import actor, ctx, json_body
from service.domain.access import Actor
from service.domain.errors import FieldProblem, FormRejected, NotAuthenticated, TooManyAttempts
from service.services import accounts

bp = Blueprint("auth", __name__, url_prefix="/api")


class LoginUser(UserMixin):
    def __init__(self, who: Actor):
        self.actor = who
        self.id = str(who.user_id)


def init_app(app: Flask) -> None:
    manager = LoginManager(app)

    @manager.user_loader
    def _load(user_id: str):
        who = accounts.load_actor(app.extensions["iom"], int(user_id))
        return LoginUser(who) if who else None

    @manager.request_loader
    def _from_token(req):
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        who = accounts.actor_for_token(app.extensions["iom"], header.removeprefix("Bearer ").strip())
        return LoginUser(who) if who else None

    @manager.unauthorized_handler
    def _unauthorized():
        raise NotAuthenticated("Требуется вход в систему")


def _me(who: Actor) -> dict:
    grants = sorted(who.grants, key=lambda g: (g[0], g[1] or 0))
    return {"id": who.user_id, "name": who.full_name, "roles": [{"role": r, "org_unit_id": u} for r, u in grants]}


@bp.post("/login")
def login():
    """Log in with login and password; the session cookie carries the login."""
    body = json_body()
    problems = [FieldProblem(f"/{name}", "Обязательное поле") for name in ("login", "password")
                if not isinstance(body.get(name), str) or not body.get(name)]
    if problems:
        raise FormRejected(problems)
    logout_user()  # a failed attempt must not leave an earlier login in place
    session.clear()
    limiter = current_app.extensions["iom_login_limiter"]
    if wait := limiter.locked_for(body["login"]):
        raise TooManyAttempts(f"Слишком много неудачных попыток входа. Повторите через {wait // 60 + 1} мин.")
    try:
        who = accounts.authenticate(ctx(), body["login"], body["password"])
    except NotAuthenticated:
        limiter.failed(body["login"])
        raise
    limiter.succeeded(body["login"])
    login_user(LoginUser(who))
    return jsonify(_me(who))


@bp.post("/logout")
def logout():
    """End the session."""
    logout_user()
    return jsonify({"ok": True})


@bp.get("/me")
def me():
    """Who is logged in, with role grants."""
    return jsonify(_me(actor()))


@bp.post("/tokens")
def create_token():
    """Issue a personal API token; the token is shown once."""
    body = json_body()
    name = body.get("name", "")
    if not isinstance(name, str) or len(name) > 100:
        raise FormRejected([FieldProblem("/name", "Название токена — строка до 100 символов")])
    return jsonify(accounts.issue_token(ctx(), actor(), name)), 201


@bp.delete("/tokens/<int:token_id>")
def revoke_token(token_id: int):
    """Revoke one of my tokens."""
    accounts.revoke_token(ctx(), actor(), token_id)
    return "", 204

