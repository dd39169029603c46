"""Small request helpers shared by the API blueprints."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response, current_app, jsonify, request
from flask_login import current_user
from pydantic import BaseModel
from werkzeug.exceptions import UnsupportedMediaType

from service.contracts import parse
from service.domain.access import Actor
from service.domain.errors import BadRequestBody, NotAuthenticated
from service.services.context import ServiceContext

M = TypeVar("M", bound=BaseModel)


def ctx() -> ServiceContext:
    return current_app.extensions["iom"]


def actor() -> Actor:
    if not current_user.is_authenticated:
        raise NotAuthenticated("Требуется вход в систему")
    return current_user.actor


def json_body() -> dict[str, Any]:
    """The request's JSON object; 415 when it is not JSON, 400 when it is malformed."""
    if not request.is_json:
        raise UnsupportedMediaType()
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequestBody("Тело запроса — не корректный JSON")
    if not isinstance(body, dict):
        raise BadRequestBody("Тело запроса должно быть JSON-объектом")
    return body


def body_as(model: type[M]) -> M:
    """The request's JSON object as `model` (service/contracts), or 422 naming each wrong field."""
    return parse(model, json_body())


def reply(model: type[BaseModel], data: Any, status: int = 200) -> tuple[Response, int]:
    """`data` serialized through its response model (service/contracts): a field the model does
    not declare, or of another type, is an error here rather than an undocumented answer."""
    shown = model.model_validate(data).model_dump(mode="json", by_alias=True, exclude_unset=True)
    return jsonify(shown), status
