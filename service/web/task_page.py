"""A task page: the form built from forms/<form>.json, remarks to address, the document to
sign, save-a-draft; a refused form comes back with the user's values and messages at the fields."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.domain.errors import DocumentChanged, FormRejected, ServiceError, SignatureRefused
from service.domain.route_rules import is_return
from service.forms import build_fields, offer_choices, parse_form
from service.http.auth import client
from service.services import drafts, routes, views
from service.web.blueprint import bp, ctx, login_required, me


def _page(view: dict, value: dict | None, errors: dict[str, str], status: int = 200, error: str | None = None,
          draft_saved_at=None):
    fields = offer_choices(build_fields(view["schema"], value or {}, errors), _choices(view))
    field_names = {f.name for top in fields for f in top.walk()}
    elsewhere = [m for p, m in errors.items() if p not in field_names and not p.startswith(tuple(field_names))]
    return render_template("web/task.html", task=view, fields=fields, errors=errors, error=error,
                           elsewhere=elsewhere, draft_saved_at=draft_saved_at, active="inbox"), status


def _activity_options(card: dict, open_only: bool) -> list[tuple[str, str]]:
    """The card's activities as «№ N — title»; `open_only`: those that may still be replaced."""
    return [(str(a.get("no")), f"№ {a.get('no')} — {a.get('title', '')}") for a in card.get("activities", [])
            if not open_only or a.get("status") not in ("заменено", "выполнено")]


def _choices(view: dict) -> dict[str, list[tuple[str, str]]]:
    """Fields that pick one of the card's activities instead of typing its number."""
    card = view.get("card") or {}
    if view["form"] == "correction":
        return {"/activity_no": _activity_options(card, open_only=True)}
    if view["form"] == "activity_report":
        return {"/reports/*/activity_no": _activity_options(card, open_only=False)}
    return {}


def _after(result: dict, data) -> tuple[str, str | None]:
    """Where the route went (a flash) and the task to open next: one the completion opened for me
    (the correction form after «Внести корректировку»), else none (back to the inbox)."""
    if not result.get("opened"):
        return "", None
    try:
        waiting = views.route_view(ctx(), me(), result["route_id"])["open_tasks"]
    except ServiceError:  # someone who may complete a task but not see the route: just the inbox
        return "", None
    opened = [t for t in waiting if t["id"] in result["opened"]]
    mine = next((t["id"] for t in opened if t["assignee"]["id"] == me().user_id), None)
    where = ""
    if isinstance(data, dict) and is_return(data) and opened:
        where = "Возвращено на доработку: " + "; ".join(
            f"«{t['title']}», исполнитель: {t['assignee']['name']}" for t in opened) + "."
    return where, mine


@bp.get("/tasks/<task_id>")
@login_required
def task(task_id: str):
    """Show the task with its form (my saved draft, else the prefill)."""
    view = views.task_view(ctx(), me(), task_id)
    draft = drafts.load_draft(ctx(), me(), task_id) if view["state"] == "ready" else None
    value = draft["data"] if draft else view["prefill"]
    return _page(view, value, {}, draft_saved_at=draft["saved_at"] if draft else None)


@bp.post("/tasks/<task_id>")
@login_required
def submit(task_id: str):
    """Save a draft, or complete the task (signing with the password where the task signs)."""
    view = views.task_view(ctx(), me(), task_id)
    data = parse_form(view["schema"], request.form)
    if request.form.get("action") == "draft":
        drafts.save_draft(ctx(), me(), task_id, data)
        flash("Черновик сохранён.", "success")
        return redirect(url_for("web.task", task_id=task_id))
    signature = None
    if "password" in request.form:
        signature = {"password": request.form.get("password", ""),
                     "document_sha256": request.form.get("document_sha256", "")}
    try:
        result = routes.complete_task(ctx(), me(), task_id, data, signature, client())
    except FormRejected as exc:
        errors = {p.pointer: p.message for p in exc.problems}
        return _page(view, data, errors, 422, error="Форма заполнена с ошибками: исправьте отмеченные поля.")
    except SignatureRefused as exc:
        return _page(view, data, {}, 403, error=exc.message)
    except DocumentChanged as exc:
        return _page(views.task_view(ctx(), me(), task_id), data, {}, 409, error=exc.message)
    drafts.discard_draft(ctx(), me(), task_id)
    flash(f"Готово: «{view['title']}».", "success")
    where, mine = _after(result, data)
    if where:
        flash(where, "info")
    return redirect(url_for("web.task", task_id=mine) if mine else url_for("web.inbox"))
