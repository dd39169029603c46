"""The delegations page (Поручения): what I gave and what was given to me, a form to give one
(my roles that may be delegated, the colleagues who may take them), revoking."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.domain.delegation import DelegationClosed
from service.domain.errors import FormRejected
from service.services import delegations as service
from service.services.delegated import region_today
from service.web.blueprint import bp, ctx, login_required, me

STATUS_TITLES = {"active": "действует", "scheduled": "ещё не началось", "ended": "срок истёк", "revoked": "отозвано"}


def _page(problems: list | None = None, asked: dict | None = None, status: int = 200):
    today = region_today(ctx())
    return render_template("web/delegations.html", view=service.list_view(ctx(), me()),
                           options=service.options(ctx(), me()), problems=problems or [], asked=asked or {},
                           today=today.isoformat(), status_titles=STATUS_TITLES, view_all=me().is_admin,
                           active="delegations"), status


@bp.get("/delegations")
@login_required
def delegations():
    """My delegations, given and received, and the form to give one."""
    return _page()


def _number(value: str):
    return int(value) if value.isascii() and value.isdigit() and len(value) < 11 else value  # else: the field's message


@bp.post("/delegations")
@login_required
def grant_delegation():
    unit = request.form.get("unit_id", "")
    form = {"delegate_id": _number(request.form.get("delegate_id", "")), "role": request.form.get("role", ""),
            "unit_id": _number(unit) if unit else None, "starts_on": request.form.get("starts_on", ""),
            "ends_on": request.form.get("ends_on", ""), "kinds": request.form.getlist("kinds"),
            "reason": request.form.get("reason", "")}
    try:
        done = service.grant(ctx(), me(), form)
    except FormRejected as exc:
        return _page(exc.problems, {**request.form.to_dict(), "kinds": request.form.getlist("kinds")}, 422)
    flash(f"Поручение дано: {done['delegate']['name']}, {done['kinds_text']}, с {_ru(done['starts_on'])} по "
          f"{_ru(done['ends_on'])}.", "success")
    return redirect(url_for("web.delegations"), 303)


def _ru(iso: str) -> str:
    return f"{iso[8:10]}.{iso[5:7]}.{iso[0:4]}"


@bp.post("/delegations/<int:delegation_id>/revoke")
@login_required
def revoke_delegation(delegation_id: int):
    try:
        done = service.revoke(ctx(), me(), delegation_id, {"reason": request.form.get("reason", "")})
    except FormRejected as exc:
        return _page(exc.problems, {}, 422)
    except DelegationClosed as exc:
        flash(exc.message, "error")
        return redirect(url_for("web.delegations"), 303)
    flash(f"Поручение № {done['id']} отозвано: {done['delegate']['name']} больше не видит ваших задач.", "success")
    return redirect(url_for("web.delegations"), 303)
