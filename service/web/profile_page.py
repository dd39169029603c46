"""The teacher's information sheet page: read it, and (the teacher, their tutor) edit it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.domain.errors import FormRejected
from service.forms import build_fields, parse_form
from service.services import profiles
from service.web.blueprint import bp, ctx, login_required, me


def _page(view: dict, value: dict, errors: dict[str, str], status: int = 200):
    schema = profiles.sheet_schema(ctx())
    fields = build_fields(schema, value, errors) if view["can_edit"] else []
    return render_template("web/teacher_sheet.html", sheet=view, fields=fields, errors=errors,
                           active="sheet"), status


@bp.get("/teachers/<int:teacher_id>/sheet")
@login_required
def teacher_sheet(teacher_id: int):
    """The sheet; a form when the caller may edit it."""
    view = profiles.sheet(ctx(), me(), teacher_id)
    return _page(view, {"info": view["info"]}, {})


@bp.post("/teachers/<int:teacher_id>/sheet")
@login_required
def save_teacher_sheet(teacher_id: int):
    """Save the sheet; a refused one comes back with the typed values and the messages at the fields."""
    data = parse_form(profiles.sheet_schema(ctx()), request.form)
    try:
        profiles.save_sheet(ctx(), me(), teacher_id, data.get("info", {}))
    except FormRejected as exc:
        view = profiles.sheet(ctx(), me(), teacher_id)
        return _page(view, data, {p.pointer: p.message for p in exc.problems}, 422)
    flash("Справка сохранена. Новые проекты маршрутов заполнятся из неё; подписанные карты не меняются.", "success")
    return redirect(url_for("web.teacher_sheet", teacher_id=teacher_id))
