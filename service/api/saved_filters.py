"""A user's named filters of the list pages (/queue, /inbox): list, save, delete one's own."""

from __future__ import annotations

from flask import Blueprint

from service.api.openapi import ID, _body, _json, _path_param, _responses
from service.api.util import actor, body_as, ctx, reply
from service.contracts.saved_filters import SavedFilter, SavedFilterList, SavedFilterRequest
from service.services import saved_filters

bp = Blueprint("saved_filters", __name__, url_prefix="/api/saved-filters")


@bp.get("")
def list_filters():
    """My saved filters, by page and name."""
    return reply(SavedFilterList, {"filters": saved_filters.list_filters(ctx(), actor())})


@bp.post("")
def create_filter():
    """Save a filter of a page under a name."""
    who = actor()
    return reply(SavedFilter, saved_filters.create_filter(ctx(), who, body_as(SavedFilterRequest)), 201)


@bp.delete("/<int:filter_id>")
def delete_filter(filter_id: int):
    """Delete one of my saved filters."""
    saved_filters.delete_filter(ctx(), actor(), filter_id)
    return "", 204


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    filter_id = _path_param("filter_id", ID, "Идентификатор сохранённого фильтра")
    return {
        "/api/saved-filters": {"get": {
            "tags": ["queues"], "operationId": "listSavedFilters", "summary": "Мои сохранённые фильтры",
            "description": "Фильтры очереди согласований и моих задач, сохранённые под названиями; строка запроса "
                           "каждого проверена заново (оставлены только известные параметры).",
            "responses": _responses(("200", _json(out(SavedFilterList), "Список фильтров")), "401"),
        }, "post": {
            "tags": ["queues"], "operationId": "createSavedFilter", "summary": "Сохранить фильтр под названием",
            "description": "Название — до 100 символов, своё на каждой странице; не больше 50 фильтров у "
                           "пользователя. Строка запроса — только параметры фильтра этой страницы.",
            "requestBody": _body(inp(SavedFilterRequest)),
            "responses": _responses(("201", _json(out(SavedFilter), "Фильтр сохранён")), "400", "401", "413",
                                    "415", "422",
                                    e422="Неизвестная страница, пустое или слишком длинное название, такое название "
                                         "уже есть, больше 50 фильтров, неизвестный параметр фильтра"),
        }},
        "/api/saved-filters/{filter_id}": {"delete": {
            "tags": ["queues"], "operationId": "deleteSavedFilter", "summary": "Удалить свой сохранённый фильтр",
            "parameters": [filter_id],
            "responses": _responses(("204", {"description": "Фильтр удалён"}), "401", "404",
                                    e404="Фильтр не найден (или принадлежит другому пользователю)"),
        }},
    }
