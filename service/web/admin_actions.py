"""Admin interventions from the route page: reassign a waiting task, cancel the route, correct a
card value. Each needs a reason and an explicit confirmation; a refusal is shown in the route page's
admin block (with what was typed), a success is flashed."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for

from service.domain.errors import ConcurrentUpdate, FormRejected, ServiceError, TaskAlreadyDone
from service.services import interventions
from service.web import route_page
from service.web.blueprint import bp, ctx, login_required, me

# Refusals shown in the admin block; others (not an admin, no such route) are the error page.
SHOWN_INLINE = (FormRejected, TaskAlreadyDone, ConcurrentUpdate)


def _confirmed() -> bool:
    return request.form.get("confirm") == "yes"


def _int(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) <= 10 else None


def _refused(route_id: int, action: str, exc: ServiceError):
    """The route page again, its admin block showing the refusal next to the form used."""
    g.admin_action = {"action": action, "message": exc.message, "problems": getattr(exc, "problems", None) or [],
                      "form": request.form}
    body = route_page.route(route_id)
    return body, exc.status


def _done(route_id: int, message: str):
    flash(message)
    return redirect(url_for("web.route", route_id=route_id) + "#admin-actions")


@bp.post("/routes/<int:route_id>/admin/reassign")
@login_required
def admin_reassign(route_id: int):
    """Give a waiting task to another person holding its role."""
    try:
        done = interventions.reassign(ctx(), me(), route_id, request.form.get("task_id", ""), _int("assignee_id"),
                                      request.form.get("reason", ""), _confirmed())
    except SHOWN_INLINE as exc:
        return _refused(route_id, "reassign", exc)
    return _done(route_id, f"Задача «{done['task_title']}» передана: {done['assignee']}.")


@bp.post("/routes/<int:route_id>/admin/cancel")
@login_required
def admin_cancel(route_id: int):
    """Cancel the route: its waiting tasks are withdrawn, its history stays."""
    try:
        interventions.cancel(ctx(), me(), route_id, request.form.get("reason", ""), _confirmed())
    except SHOWN_INLINE as exc:
        return _refused(route_id, "cancel", exc)
    return _done(route_id, "Маршрут отменён; ожидавшие задачи сняты.")


@bp.post("/routes/<int:route_id>/admin/card")
@login_required
def admin_edit_card(route_id: int):
    """Correct one value of the route card."""
    try:
        done = interventions.edit_card(ctx(), me(), route_id, request.form.get("pointer", "").strip(),
                                       request.form.get("value", ""), request.form.get("reason", ""), _confirmed())
    except SHOWN_INLINE as exc:
        return _refused(route_id, "card", exc)
    return _done(route_id, f"Карта исправлена: {done['pointer']} — «{done['old']}» → «{done['new']}».")


@bp.app_context_processor
def _admin_panel():
    """`admin_actions_panel(route_id)` and the last refusal for web/_admin_actions.html."""

    def panel(route_id: int):
        return interventions.panel(ctx(), me(), route_id)

    return {"admin_actions_panel": panel, "admin_action": g.get("admin_action")}
