"""Organisation pages (admin): centres and schools, with their people."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.domain.errors import FormRejected
from service.services import org
from service.web.blueprint import bp, ctx, login_required, me


def _form_int(name: str) -> int | str | None:
    """A form's id field: a number stays a number, anything else goes to the service to refuse."""
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else (value or None)


def _org_page(problems=None, status: int = 200, asked=None):
    units = org.list_units(ctx(), me())
    return render_template("web/org.html", units=units, problems=problems, asked=asked or {},
                           kind_titles=org.KIND_TITLES, active="org"), status


@bp.get("/org", endpoint="org")
@login_required
def org_units():
    """Every unit of the region with its people and routes in progress; forms to add a centre or a school."""
    return _org_page()


@bp.post("/org/units")
@login_required
def org_create():
    """Add a centre (under the region) or a school (under a centre)."""
    body = {"kind": request.form.get("kind", ""), "name": request.form.get("name", ""),
            "parent_id": _form_int("parent_id")}
    try:
        unit = org.create_unit(ctx(), me(), body)
    except FormRejected as exc:
        return _org_page(exc.problems, 422, body)
    flash(f"Добавлено: {unit['name']}.", "success")
    return redirect(url_for("web.org_unit", unit_id=unit["id"]))


@bp.get("/org/<int:unit_id>")
@login_required
def org_unit(unit_id: int, problems=None, status: int = 200):
    """A unit: rename, deactivate or reactivate it; the units under it; its people with their roles."""
    page = org.unit_page(ctx(), me(), unit_id)
    return render_template("web/org_unit.html", page=page, problems=problems, kind_titles=org.KIND_TITLES,
                           active="org"), status


@bp.post("/org/<int:unit_id>/rename")
@login_required
def org_rename(unit_id: int):
    try:
        org.rename_unit(ctx(), me(), unit_id, {"name": request.form.get("name", "")})
    except FormRejected as exc:
        return org_unit(unit_id, exc.problems, 422)
    flash("Название изменено.", "success")
    return redirect(url_for("web.org_unit", unit_id=unit_id))


@bp.post("/org/<int:unit_id>/state")
@login_required
def org_state(unit_id: int):
    """Deactivate (no new people or routes there) or reactivate a unit."""
    active = request.form.get("active") == "1"
    try:
        org.set_unit_active(ctx(), me(), unit_id, active)
    except FormRejected as exc:
        return org_unit(unit_id, exc.problems, 422)
    flash("Организация снова действует." if active else "Организация отключена: новые люди и маршруты в ней "
          "не принимаются.", "success")
    return redirect(url_for("web.org_unit", unit_id=unit_id))
