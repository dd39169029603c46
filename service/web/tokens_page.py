"""My personal API tokens: list, issue (shown once), revoke."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.domain.errors import FormRejected
from service.http.auth import from_session
from service.services import accounts
from service.web.blueprint import bp, ctx, login_required, me


@bp.get("/tokens")
@login_required
def tokens():
    """The tokens I have issued, with their expiry, last use and state."""
    return render_template("web/tokens.html", tokens=accounts.list_tokens(ctx(), me()), issued=None, problems=None,
                           active="tokens")


@bp.post("/tokens")
@login_required
def issue_token():
    """Issue a token; the page shows it once."""
    days = request.form.get("expires_in_days", "").strip()
    try:
        issued = accounts.issue_token(ctx(), me(), request.form.get("name", ""),
                                      int(days) if days.isdigit() and len(days) < 5 else (days or None),
                                      from_session=from_session())
    except FormRejected as exc:
        return render_template("web/tokens.html", tokens=accounts.list_tokens(ctx(), me()), issued=None,
                               problems=exc.problems), 422
    return render_template("web/tokens.html", tokens=accounts.list_tokens(ctx(), me()), issued=issued, problems=None)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of my tokens."""
    accounts.revoke_token(ctx(), me(), token_id)
    flash("Токен отозван.")
    return redirect(url_for("web.tokens"))
