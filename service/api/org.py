"""Centres and schools of the region (admin): list, create, rename, deactivate, reactivate."""

from __future__ import annotations

from flask import Blueprint

from service.api.util import actor, ctx, json_body, reply
from service.contracts.org import UnitCreateRequest, UnitList, UnitRenameRequest, UnitRow, UnitView
from service.services import org

bp = Blueprint("org", __name__, url_prefix="/api/org")


@bp.get("/units")
def list_units():
    """Every unit of the region in tree order, with its people and routes in progress counted."""
    return reply(UnitList, {"units": org.list_units(ctx(), actor())})


@bp.post("/units")
def create_unit():
    """A centre under the region, or a school under a centre."""
    return reply(UnitRow, org.create_unit(ctx(), actor(), json_body()), 201)


@bp.get("/units/<int:unit_id>")
def get_unit(unit_id: int):
    """A unit with the units under it and its people with their roles there."""
    return reply(UnitView, org.unit_page(ctx(), actor(), unit_id))


@bp.post("/units/<int:unit_id>/rename")
def rename_unit(unit_id: int):
    return reply(UnitRow, org.rename_unit(ctx(), actor(), unit_id, json_body()))


@bp.post("/units/<int:unit_id>/deactivate")
def deactivate_unit(unit_id: int):
    """No new people or routes there from now on; nothing is deleted."""
    return reply(UnitRow, org.set_unit_active(ctx(), actor(), unit_id, False))


@bp.post("/units/<int:unit_id>/reactivate")
def reactivate_unit(unit_id: int):
    return reply(UnitRow, org.set_unit_active(ctx(), actor(), unit_id, True))


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    from service.api.openapi import ID, _body, _json, _path_param, _responses

    unit_id = _path_param("unit_id", ID, "Идентификатор организации")
    admin_only = {"e403": "Доступно только администратору"}

    def change(op: str, summary: str, description: str, body=None) -> dict:
        operation = {"tags": ["org"], "operationId": op, "summary": summary, "description": description,
                     "parameters": [unit_id],
                     "responses": _responses(("200", _json(out(UnitRow), "Организация после изменения")),
                                             "401", "403", "404", "422", *(("400", "413", "415") if body else ()),
                                             **admin_only, e404="Организация не найдена",
                                             e422="Пустое или слишком длинное название, такое название уже "
                                                  "есть у соседней организации, или это регион")}
        if body:
            operation["requestBody"] = _body(inp(body))
        return operation

    return {
        "/api/org/units": {"get": {
            "tags": ["org"], "operationId": "listOrgUnits", "summary": "Организации региона (администратор)",
            "description": "Регионы, ЦНППМ и ОО по дереву; у каждой — число людей (место работы или роль в ней) "
                           "и маршрутов в работе. Организации не удаляются: их отключают.",
            "responses": _responses(("200", _json(out(UnitList), "Организации")), "401", "403", **admin_only),
        }, "post": {
            "tags": ["org"], "operationId": "createOrgUnit", "summary": "Новый ЦНППМ или ОО (администратор)",
            "description": "ЦНППМ создаётся в регионе, ОО — в ЦНППМ; вышестоящая должна быть активна. "
                           "Записывается событием `org_unit_created` системной цепочки.",
            "requestBody": _body(inp(UnitCreateRequest)),
            "responses": _responses(("201", _json(out(UnitRow), "Организация создана")),
                                    "400", "401", "403", "413", "415", "422", **admin_only,
                                    e422="Неверные поля: вид, название, вышестоящая организация (не того вида, "
                                         "отключена или не найдена), повтор названия"),
        }},
        "/api/org/units/{unit_id}": {"get": {
            "tags": ["org"], "operationId": "getOrgUnit", "summary": "Организация и её люди (администратор)",
            "parameters": [unit_id],
            "responses": _responses(("200", _json(out(UnitView), "Организация, вложенные и люди с ролями")),
                                    "401", "403", "404", **admin_only, e404="Организация не найдена"),
        }},
        "/api/org/units/{unit_id}/rename": {"post": change(
            "renameOrgUnit", "Переименование организации (администратор)",
            "Событие `org_unit_renamed` хранит старое и новое название.", UnitRenameRequest)},
        "/api/org/units/{unit_id}/deactivate": {"post": change(
            "deactivateOrgUnit", "Отключение организации (администратор)",
            "Отключённая организация (и ОО отключённого ЦНППМ) не принимает новых людей, ролей и маршрутов; "
            "её люди, маршруты и история остаются. Событие `org_unit_deactivated`.")},
        "/api/org/units/{unit_id}/reactivate": {"post": change(
            "reactivateOrgUnit", "Повторное включение организации (администратор)",
            "Событие `org_unit_reactivated`.")},
    }
