"""A task page: the form built from forms/<form>.json, remarks to address, the document to
sign, save-a-draft; a refused form comes back with the user's values and messages at the fields."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.domain.errors import DocumentChanged, FormRejected, SignatureRefused
from service.forms import build_fields, parse_form
from service.http.auth import client
from service.services import drafts, routes, views
from service.web.blueprint import bp, ctx, login_required, me


def _page(view: dict, value: dict | None, errors: dict[str, str], status: int = 200, error: str | None = None,
          draft_saved_at=None):
    fields = build_fields(view["schema"], value or {}, errors)
    field_names = {f.name for top in fields for f in top.walk()}
    elsewhere = [m for p, m in errors.items() if p not in field_names and not p.startswith(tuple(field_names))]
    return render_template("web/task.html", task=view, fields=fields, errors=errors, error=error,
                           elsewhere=elsewhere, draft_saved_at=draft_saved_at, active="inbox"), status


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
        routes.complete_task(ctx(), me(), task_id, data, signature, client())
    except FormRejected as exc:
        errors = {p.pointer: p.message for p in exc.problems}
        return _page(view, data, errors, 422, error="Форма заполнена с ошибками: исправьте отмеченные поля.")
    except SignatureRefused as exc:
        return _page(view, data, {}, 403, error=exc.message)
    except DocumentChanged as exc:
        return _page(views.task_view(ctx(), me(), task_id), data, {}, 409, error=exc.message)
    drafts.discard_draft(ctx(), me(), task_id)
    flash(f"Готово: «{view['title']}».", "success")
    return redirect(url_for("web.inbox"))
