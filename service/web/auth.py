"""Login and logout pages."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from service.api.auth import LoginUser
from service.domain.errors import NotAuthenticated
from service.services import accounts
from service.web.blueprint import bp, ctx, safe_next


def _limiter():
    return current_app.extensions["iom_login_limiter"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; after five failures a login is locked for a while."""
    next_url = request.args.get("next", "")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(next_url))
        return render_template("web/login.html", next=next_url, login="", error=None)
    login_name = request.form.get("login", "").strip()
    wait = _limiter().locked_for(login_name)
    if wait:
        error = f"Слишком много неудачных попыток входа. Повторите через {wait // 60 + 1} мин."
        return render_template("web/login.html", next=next_url, login=login_name, error=error), 429
    try:
        who = accounts.authenticate(ctx(), login_name, request.form.get("password", ""))
    except NotAuthenticated as exc:
        _limiter().failed(login_name)
        return render_template("web/login.html", next=next_url, login=login_name, error=exc.message), 401
    _limiter().succeeded(login_name)
    session.clear()
    login_user(LoginUser(who))
    return redirect(safe_next(next_url))


@bp.post("/logout")
def logout():
    """Log out and go back to the login page."""
    logout_user()
    session.clear()
    flash("Вы вышли из системы.")
    return redirect(url_for("web.login"))


@bp.get("/")
def home():
    """Start at my tasks (or the login page)."""
    return redirect(url_for("web.inbox"))
