"""Who is making the request, for the pages and the API alike.

A login opens a server-side session (`user_sessions`); the signed cookie carries only its token,
so logging out, idleness or the session's lifetime ends it on the server and a kept copy of the
cookie stops working. A personal token (`Authorization: Bearer …`) authenticates API calls.

Cross-site requests: a browser sends the session cookie with a cross-site form post, and a form
can post `multipart/form-data` or `text/plain` (other methods and JSON need CORS, which is not
granted). So a POST to `/api` authenticated by the cookie must be JSON (which no cross-site form
can send) or carry the session's CSRF token (`X-CSRFToken`, from `GET /api/csrf`; the pages have
it too). Token-authenticated calls carry no cookie and need neither.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from service.domain.access import Actor
from service.domain.errors import CrossSiteWriteRefused, NotAllowed, NotAuthenticated
from service.services import accounts
from service.services.context import Client, ServiceContext

CSRF_FREE_API = frozenset({"/api/login", "/api/logout"})  # no session to abuse / nothing worth forging
# What a session with a temporary password may still reach: the rest waits until it is changed.
TEMPORARY_PASSWORD_API = frozenset({"/api/me", "/api/logout", "/api/login", "/api/csrf", "/api/people/me/password"})
TEMPORARY_PASSWORD_PAGES = frozenset({"web.password_change", "web.logout", "web.login", "web.password_reset"})


class LoginUser(UserMixin):
    """Flask-Login's user: the actor, and the session token (its id) or None for a Bearer token."""

    def __init__(self, who: Actor, session_token: str | None, must_change_password: bool = False):
        self.actor = who
        self.session_token = session_token
        self.must_change_password = must_change_password

    def get_id(self) -> str | None:
        return self.session_token


def ctx() -> ServiceContext:
    return current_app.extensions["iom"]


def client() -> Client:
    """The caller's address (after ProxyFix, the client's) and browser."""
    return Client(request.remote_addr or "", request.user_agent.string or "")


def current_actor() -> Actor:
    if not current_user.is_authenticated:
        raise NotAuthenticated("Требуется вход в систему")
    return current_user.actor


def from_session() -> bool:
    """True when the request is authenticated by a login session (not by a personal token)."""
    return current_user.is_authenticated and current_user.session_token is not None


def log_in(login: str, password: str) -> Actor:
    """Check the password within the attempt limits, open a server-side session, set the cookie."""
    log_out()  # a failed attempt must not leave an earlier login in place
    who, token = accounts.log_in(ctx(), login, password, client())
    session.clear()
    login_user(LoginUser(who, token, accounts.must_change_password(ctx(), who.user_id)))
    return who


def log_out() -> None:
    """End the session on the server and drop the cookie's contents."""
    if current_user.is_authenticated and current_user.session_token:
        accounts.log_out(ctx(), current_user.session_token)
    logout_user()
    session.clear()


def _policy(app: Flask) -> accounts.SessionPolicy:
    return accounts.SessionPolicy(idle=timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]),
                                  lifetime=timedelta(hours=app.config["SESSION_LIFETIME_HOURS"]))


def init_app(app: Flask) -> None:
    app.config.setdefault("SESSION_IDLE_MINUTES", 30)
    app.config.setdefault("SESSION_LIFETIME_HOURS", 12)
    manager = LoginManager(app)

    @manager.user_loader
    def _from_session(token: str):
        found = accounts.session_login(app.extensions["iom"], token, _policy(app))
        return LoginUser(found.actor, token, found.must_change_password) if found else None

    @manager.request_loader
    def _from_token(req):
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        who = accounts.actor_for_token(app.extensions["iom"], header.removeprefix("Bearer ").strip())
        return LoginUser(who, None) if who else None

    @manager.unauthorized_handler
    def _unauthorized():
        raise NotAuthenticated("Требуется вход в систему")

    @app.before_request
    def _api_csrf():
        if not request.path.startswith("/api/") or request.method != "POST":  # forms cannot send other methods
            return
        if request.path in CSRF_FREE_API or request.headers.get("Authorization", "").startswith("Bearer "):
            return
        if request.is_json or not session:
            return  # JSON cannot come from a cross-site form; without a cookie there is no one to act as
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError as exc:
            raise CrossSiteWriteRefused("Ожидается JSON (Content-Type: application/json); запрос с cookie сессии "
                                        "в другом формате должен нести токен X-CSRFToken") from exc

    @app.before_request
    def _temporary_password():
        """A session opened with a temporary password reaches only the password change."""
        if request.endpoint == "static" or not current_user.is_authenticated:
            return None
        if not current_user.must_change_password:
            return None
        if request.path.startswith("/api/"):
            if request.path in TEMPORARY_PASSWORD_API:
                return None
            raise NotAllowed("Вход выполнен по временному паролю: сначала смените пароль "
                             "(страница /password/change или POST /api/people/me/password)")
        if request.endpoint in TEMPORARY_PASSWORD_PAGES:
            return None
        return redirect(url_for("web.password_change"))
