"""People (admin; a CNPPM head within the centre): list, create, edit, deactivate, roles, password
resets; and changing one's own password."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from service.api.util import actor, ctx, json_body, reply
from service.contracts.people import (
    Credential,
    GrantRequest,
    PasswordChanged,
    PasswordChangeRequest,
    PersonCreated,
    PersonCreateRequest,
    PersonList,
    PersonUpdateRequest,
    PersonView,
    ResetRequest,
)
from service.domain.errors import FieldProblem, FormRejected
from service.http.auth import client
from service.services import passwords, people_admin

bp = Blueprint("people", __name__, url_prefix="/api/people")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    if not value:
        return None
    if not value.isdigit() or int(value[:20]) < 1:
        raise FormRejected([FieldProblem(f"?{name}", "Ожидается идентификатор (целое от 1)")])
    return int(value)


def _active_arg() -> bool | None:
    value = request.args.get("active", "")
    if value not in ("", "1", "0"):
        raise FormRejected([FieldProblem("?active", "active — 1 (активные) или 0 (отключённые)")])
    return None if value == "" else value == "1"


@bp.get("")
def list_people():
    """People within my reach, searched and filtered, a page at a time."""
    return reply(PersonList, people_admin.list_people(
        ctx(), actor(), text=request.args.get("q"), unit_id=_int_arg("unit"), role=request.args.get("role") or None,
        active=_active_arg(), page=_int_arg("page") or 1))


@bp.post("")
def create_person():
    """A new person with roles; the temporary password or the reset link is in the answer, once."""
    return reply(PersonCreated, people_admin.create_person(ctx(), actor(), json_body()), 201)


@bp.get("/<int:user_id>")
def get_person(user_id: int):
    return reply(PersonView, people_admin.person(ctx(), actor(), user_id))


@bp.patch("/<int:user_id>")
def update_person(user_id: int):
    """Change the given fields only."""
    return reply(PersonView, people_admin.update_person(ctx(), actor(), user_id, json_body()))


@bp.post("/<int:user_id>/deactivate")
def deactivate_person(user_id: int):
    """Their sessions and API tokens end at once; routes and history stay."""
    return reply(PersonView, people_admin.set_person_active(ctx(), actor(), user_id, False))


@bp.post("/<int:user_id>/reactivate")
def reactivate_person(user_id: int):
    return reply(PersonView, people_admin.set_person_active(ctx(), actor(), user_id, True))


@bp.post("/<int:user_id>/roles")
def grant_role(user_id: int):
    return reply(PersonView, people_admin.grant_role(ctx(), actor(), user_id, json_body()), 201)


@bp.delete("/<int:user_id>/roles/<int:grant_id>")
def revoke_role(user_id: int, grant_id: int):
    return reply(PersonView, people_admin.revoke_role(ctx(), actor(), user_id, grant_id))


@bp.post("/<int:user_id>/password-reset")
def reset_password(user_id: int):
    """A temporary password or a one-time link (72 hours), shown once; their sessions end."""
    return reply(Credential, people_admin.issue_reset(ctx(), actor(), user_id, json_body()), 201)


@bp.post("/me/password")
def change_my_password():
    """Replace my own password (also the way out of a temporary one)."""
    passwords.change_own_password(ctx(), actor(), json_body(), client(),
                                  getattr(current_user, "session_token", None))
    return reply(PasswordChanged, {"ok": True})


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    from service.api.openapi import ID, STR, _body, _json, _path_param, _responses

    user_id = _path_param("user_id", ID, "Идентификатор человека")
    grant_id = _path_param("grant_id", ID, "Идентификатор роли (grant)")
    scope = {"e403": "Доступно администратору и руководителю ЦНППМ (в пределах своего центра и его ОО); "
                     "человека с ролями вне центра изменяет только администратор",
             "e404": "Человек не найден (или вне вашей зоны доступа)"}

    def query(name: str, schema: dict, description: str) -> dict:
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}

    def person_op(op: str, summary: str, description: str, body=None, status: str = "200",
                  params=None, e422: str | None = None, model=PersonView) -> dict:
        codes = ["401", "403", "404", *(("400", "413", "415", "422") if body else ("422",) if e422 else ())]
        extra = {"e422": e422} if e422 else {}
        operation = {"tags": ["people"], "operationId": op, "summary": summary, "description": description,
                     "parameters": params or [user_id],
                     "responses": _responses((status, _json(out(model), "Готово")), *codes, **scope, **extra)}
        if body:
            operation["requestBody"] = _body(inp(body))
        return operation

    return {
        "/api/people": {"get": {
            "tags": ["people"], "operationId": "listPeople", "summary": "Люди в моей зоне (поиск, фильтры, страницы)",
            "description": "Администратор видит всех; руководитель ЦНППМ — людей своего центра и его ОО (место "
                           f"работы или роль там). По {people_admin.PAGE_SIZE} на странице, по ФИО.",
            "parameters": [query("q", STR, "Часть ФИО, логина или e-mail"),
                           query("unit", ID, "Организация (место работы или роль в ней)"),
                           query("role", {"type": "string", "enum": list(people_admin.ROLES)}, "Роль"),
                           query("active", {"type": "string", "enum": ["1", "0"]}, "1 — активные, 0 — отключённые"),
                           query("page", ID, "Страница")],
            "responses": _responses(("200", _json(out(PersonList), "Страница списка")), "401", "403", "422",
                                    e403=scope["e403"],
                                    e422="Неверный фильтр: организация вне зоны, неизвестная роль, не число"),
        }, "post": {
            "tags": ["people"], "operationId": "createPerson", "summary": "Новый человек с ролями",
            "description": "Логин и e-mail уникальны; место работы и организации ролей — в вашей зоне и активны. "
                           "Руководитель ЦНППМ выдаёт только роли педагога, тьютора, руководителя и заместителя "
                           "руководителя ОО. В ответе — временный пароль или одноразовая ссылка (72 часа); "
                           "показываются один раз. При любой ошибке ничего не записывается.",
            "requestBody": _body(inp(PersonCreateRequest)),
            "responses": _responses(("201", _json(out(PersonCreated), "Человек создан")),
                                    "400", "401", "403", "413", "415", "422", e403=scope["e403"],
                                    e422="Неверные поля (problems): логин или e-mail заняты, организация вне зоны "
                                         "или отключена, роль недоступна или не в той организации"),
        }},
        "/api/people/{user_id}": {
            "get": person_op("getPerson", "Человек: данные и роли", "Роли вне вашей зоны не показываются."),
            "patch": person_op("updatePerson", "Изменение данных человека",
                               "Меняются только переданные поля; событие `user_updated` хранит старые и новые "
                               "значения.", PersonUpdateRequest),
        },
        "/api/people/{user_id}/deactivate": {"post": person_op(
            "deactivatePerson", "Отключение человека",
            "Сессии и токены API человека сразу перестают действовать; маршруты и история остаются. Себя "
            "отключить нельзя.")},
        "/api/people/{user_id}/reactivate": {"post": person_op(
            "reactivatePerson", "Повторное включение человека", "Событие `user_reactivated`.")},
        "/api/people/{user_id}/roles": {"post": person_op(
            "grantRole", "Выдача роли в организации", "Событие `role_granted`. Роль педагога создаёт "
            "информационную справку с его ОО, если её не было.", GrantRequest, "201")},
        "/api/people/{user_id}/roles/{grant_id}": {"delete": person_op(
            "revokeRole", "Отзыв роли", "Свою роль администратора и роль последнего администратора отозвать "
            "нельзя. Событие `role_revoked`.", params=[user_id, grant_id])},
        "/api/people/{user_id}/password-reset": {"post": person_op(
            "resetPassword", "Сброс пароля: временный пароль или ссылка",
            "temporary — временный пароль, который нужно сменить при входе; link — одноразовая ссылка "
            "/password/reset/<token> на 72 часа (хранится только её SHA-256). Показывается один раз; открытые "
            "сессии человека завершаются. Событие `password_reset_issued` (без пароля и ссылки).",
            ResetRequest, "201", model=Credential)},
        "/api/people/me/password": {"post": {
            "tags": ["people"], "operationId": "changeMyPassword", "summary": "Смена своего пароля",
            "description": "Нужен текущий пароль; новый — не короче 10 символов и не равен логину. Другие сессии "
                           "завершаются. После входа по временному паролю остальные запросы API отвечают 403, "
                           "пока пароль не сменён.",
            "requestBody": _body(inp(PasswordChangeRequest)),
            "responses": _responses(("200", _json(out(PasswordChanged), "Пароль изменён")),
                                    "400", "401", "413", "415", "422", "429",
                                    e422="Текущий пароль неверен, или новый короче 10 символов / равен логину"),
        }},
    }
