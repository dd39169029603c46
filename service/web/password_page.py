"""Password pages: the forced change after a temporary password, changing one's own, and the one-time
reset link."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from service.domain.errors import FormRejected, ResetLinkUnusable
from service.http.auth import client, log_out
from service.services import passwords
from service.web.blueprint import bp, ctx, login_required, me


def _change_page(problems=None, status: int = 200):
    return render_template("web/password_change.html", problems=problems, forced=current_user.must_change_password,
                           min_length=passwords.MIN_PASSWORD, active="password"), status


@bp.route("/password/change", methods=["GET", "POST"])
@login_required
def password_change():
    """Change my password (required before anything else after a temporary one)."""
    if request.method == "GET":
        return _change_page()
    body = {"current_password": request.form.get("current_password", ""),
            "new_password": request.form.get("new_password", "")}
    try:
        passwords.change_own_password(ctx(), me(), body, client(), current_user.session_token,
                                      confirm=request.form.get("confirm", ""))
    except FormRejected as exc:
        return _change_page(exc.problems, 422)
    flash("Пароль изменён. Другие сессии завершены.", "success")
    return redirect(url_for("web.inbox"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"], endpoint="password_reset")
def password_reset(token: str):
    """Set a new password through a one-time link (no login needed); a used or expired link says so."""
    try:
        who = passwords.reset_link(ctx(), token[:200])
    except ResetLinkUnusable as exc:
        return render_template("web/password_reset.html", unusable=exc.message, who=None, problems=None), exc.status
    if request.method == "GET":
        return render_template("web/password_reset.html", unusable=None, who=who, problems=None,
                               min_length=passwords.MIN_PASSWORD)
    try:
        passwords.use_reset_link(ctx(), token[:200], request.form.get("new_password", ""),
                                 request.form.get("confirm", ""))
    except FormRejected as exc:
        return render_template("web/password_reset.html", unusable=None, who=who, problems=exc.problems,
                               min_length=passwords.MIN_PASSWORD), 422
    except ResetLinkUnusable as exc:
        return render_template("web/password_reset.html", unusable=exc.message, who=None, problems=None), exc.status
    if current_user.is_authenticated:
        log_out()  # someone else's session in this browser must not carry on
    flash("Пароль установлен. Войдите с новым паролем.", "success")
    return redirect(url_for("web.login"))
