"""The teacher's information sheet (информационная справка): read and edit."""

from __future__ import annotations

from flask import Blueprint

from service.api.openapi import ID, _body, _json, _path_param, _responses
from service.api.util import actor, body_as, ctx, reply
from service.contracts.profiles import SheetRequest, SheetView
from service.services import profiles

bp = Blueprint("profiles", __name__, url_prefix="/api/teachers")


@bp.get("/<int:teacher_id>/sheet")
def sheet(teacher_id: int):
    """The teacher's information sheet."""
    return reply(SheetView, profiles.sheet(ctx(), actor(), teacher_id))


@bp.put("/<int:teacher_id>/sheet")
def save(teacher_id: int):
    """Replace the teacher's information sheet (the teacher or their tutor)."""
    who = actor()
    asked = body_as(SheetRequest)
    return reply(SheetView, profiles.save_sheet(ctx(), who, teacher_id, asked.info))


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    teacher_id = _path_param("teacher_id", ID, "Идентификатор педагога")
    return {"/api/teachers/{teacher_id}/sheet": {
        "get": {
            "tags": ["teachers"], "operationId": "getTeacherSheet", "summary": "Информационная справка о педагоге",
            "description": "Читают сам педагог, тьютор и все, кто видит один из его маршрутов, руководитель ЦНППМ "
                           "его центра и администратор.",
            "parameters": [teacher_id],
            "responses": _responses(("200", _json(out(SheetView), "Справка")), "401", "403", "404",
                                    e403="Справка педагога вне вашей зоны доступа", e404="Педагог не найден"),
        },
        "put": {
            "tags": ["teachers"], "operationId": "saveTeacherSheet", "summary": "Изменение справки о педагоге",
            "description": "Изменяют сам педагог и тьютор любого его маршрута. Справка проверяется по схеме раздела "
                           "info формы draft. Проект нового маршрута заполняется из текущей справки; карты уже "
                           "подписанных маршрутов и их документы не меняются. Изменение не записывается в историю "
                           "маршрутов.",
            "parameters": [teacher_id],
            "requestBody": _body(inp(SheetRequest)),
            "responses": _responses(("200", _json(out(SheetView), "Справка сохранена")),
                                    "400", "401", "403", "404", "413", "415", "422",
                                    e403="Изменять справку могут педагог и его тьютор",
                                    e404="Педагог не найден",
                                    e422="Справка не соответствует форме (problems — ошибки по полям /info/…)"),
        },
    }}
