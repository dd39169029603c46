"""Login and logout pages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from service.domain.errors import NotAuthenticated, TooManyAttempts
from service.http.auth import log_in, log_out
from service.web.blueprint import bp, safe_next


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; repeated failures lock the login from that address for a while."""
    next_url = request.args.get("next", "")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(next_url))
        return render_template("web/login.html", next=next_url, login="", error=None)
    login_name = request.form.get("login", "").strip()
    try:
        log_in(login_name, request.form.get("password", ""))
    except (NotAuthenticated, TooManyAttempts) as exc:
        return render_template("web/login.html", next=next_url, login=login_name, error=exc.message), exc.status
    if current_user.must_change_password:  # a temporary password: replace it before anything else
        return redirect(url_for("web.password_change"))
    return redirect(safe_next(next_url))


@bp.post("/logout")
def logout():
    """Log out (the session ends on the server) and go back to the login page."""
    log_out()
    flash("Вы вышли из системы.")
    return redirect(url_for("web.login"))


@bp.get("/")
def home():
    """Start at my tasks (or the login page)."""
    return redirect(url_for("web.inbox"))
