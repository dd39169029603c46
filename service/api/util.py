"""Small request helpers shared by the API blueprints."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_login import current_user
from werkzeug.exceptions import UnsupportedMediaType

from service.domain.access import Actor
from service.domain.errors import BadRequestBody, NotAuthenticated
from service.services.context import ServiceContext


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
