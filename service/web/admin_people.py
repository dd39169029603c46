"""People pages (admin; a CNPPM head within the centre): list, create, edit, roles, password resets.
Each form is read into the same body the JSON API takes and handed to the same service."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.domain.errors import FormRejected
from service.services import people_admin
from service.web.blueprint import bp, ctx, login_required, me

CREDENTIAL_TITLES = {"temporary": "временный пароль", "link": "одноразовая ссылка (72 часа)"}


def _arg_int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None  # beyond range: refused before the view


def _form_int(name: str) -> int | str | None:
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else (value or None)


@bp.get("/people", endpoint="people")
@login_required
def people_list():
    """People within my reach: search by name, login or e-mail; filter by unit, role and state."""
    active = {"1": True, "0": False}.get(request.args.get("active", ""))
    role = request.args.get("role") or None
    data = people_admin.list_people(ctx(), me(), text=request.args.get("q"), unit_id=_arg_int("unit"),
                                    role=role, active=active, page=_arg_int("page") or 1)
    return render_template("web/people.html", r=data, args=request.args,
                           units=people_admin.reachable_units(ctx(), me()),
                           roles=people_admin.grantable_roles(ctx(), me()), active="people")


def _new_page(problems=None, asked=None, status: int = 200):
    return render_template("web/person_new.html", problems=problems, asked=asked or {},
                           units=people_admin.reachable_units(ctx(), me()),
                           roles=people_admin.grantable_roles(ctx(), me()), active="people"), status


@bp.get("/people/new")
@login_required
def person_new():
    """The form for a new person (place of work preselected with ?unit=)."""
    return _new_page(asked={"org_unit_id": _arg_int("unit")})


def _person_body() -> dict:
    body = {"login": request.form.get("login", ""), "full_name": request.form.get("full_name", ""),
            "email": request.form.get("email", ""), "position": request.form.get("position", ""),
            "org_unit_id": _form_int("org_unit_id"), "credential": request.form.get("credential", "temporary")}
    role = request.form.get("role", "")
    if role:
        body["roles"] = [{"role": role, "org_unit_id": _form_int("role_unit_id")}]
    return body


@bp.post("/people/new")
@login_required
def person_create():
    """Create the person; the page shows their temporary password or reset link once."""
    body = _person_body()
    try:
        made = people_admin.create_person(ctx(), me(), body)
    except FormRejected as exc:
        return _new_page(exc.problems, body, 422)
    flash("Человек добавлен.", "success")
    return _person_page(made["person"]["id"], credential=made["credential"], created=True)


def _person_page(user_id: int, problems=None, status: int = 200, credential=None, created: bool = False):
    person = people_admin.person(ctx(), me(), user_id)
    link = request.host_url.rstrip("/") + credential["link"] if credential and credential.get("link") else None
    return render_template("web/person.html", p=person, problems=problems, credential=credential, link=link,
                           created=created,
                           units=people_admin.reachable_units(ctx(), me()),
                           roles=people_admin.grantable_roles(ctx(), me()), credential_titles=CREDENTIAL_TITLES,
                           active="people"), status


@bp.get("/people/<int:user_id>")
@login_required
def person(user_id: int):
    """A person: their details, roles, state; edit, grant, revoke, deactivate, reset the password."""
    return _person_page(user_id)


def _act(user_id: int, action, done: str):
    try:
        action()
    except FormRejected as exc:
        return _person_page(user_id, exc.problems, 422)
    flash(done, "success")
    return redirect(url_for("web.person", user_id=user_id))


@bp.post("/people/<int:user_id>/edit")
@login_required
def person_edit(user_id: int):
    body = {"full_name": request.form.get("full_name", ""), "email": request.form.get("email", "").strip() or None,
            "position": request.form.get("position", ""), "org_unit_id": _form_int("org_unit_id")}
    return _act(user_id, lambda: people_admin.update_person(ctx(), me(), user_id, body), "Изменения сохранены.")


@bp.post("/people/<int:user_id>/state")
@login_required
def person_state(user_id: int):
    active = request.form.get("active") == "1"
    return _act(user_id, lambda: people_admin.set_person_active(ctx(), me(), user_id, active),
                "Учётная запись снова действует." if active else
                "Учётная запись отключена: сессии и токены API завершены.")


@bp.post("/people/<int:user_id>/roles")
@login_required
def person_grant(user_id: int):
    body = {"role": request.form.get("role", ""), "org_unit_id": _form_int("org_unit_id")}
    return _act(user_id, lambda: people_admin.grant_role(ctx(), me(), user_id, body), "Роль выдана.")


@bp.post("/people/<int:user_id>/roles/<int:grant_id>/revoke")
@login_required
def person_revoke(user_id: int, grant_id: int):
    return _act(user_id, lambda: people_admin.revoke_role(ctx(), me(), user_id, grant_id), "Роль отозвана.")


@bp.post("/people/<int:user_id>/password")
@login_required
def person_reset(user_id: int):
    """Issue a temporary password or a one-time link; the page shows it once."""
    mode = request.form.get("mode", "")
    try:
        credential = people_admin.issue_reset(ctx(), me(), user_id, {"mode": mode})
    except FormRejected as exc:
        return _person_page(user_id, exc.problems, 422)
    return _person_page(user_id, credential=credential)

