"""Every error is a JSON body with a Russian message; nothing leaks a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from service.domain.errors import FormRejected, RouteError

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: "Некорректный запрос", 401: "Требуется вход в систему", 403: "Доступ запрещён",
    404: "Не найдено", 405: "Метод не поддерживается", 413: "Слишком большой запрос",
    415: "Ожидается JSON (Content-Type: application/json)", 500: "Внутренняя ошибка сервера",
}


def error_body(message: str, status: int, problems=None):
    body = {"error": message, "status": status}
    if problems is not None:
        body["problems"] = [{"pointer": p.pointer, "message": p.message} for p in problems]
    return jsonify(body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(RouteError)
    def _route_error(exc: RouteError):
        if exc.status >= 500:
            log.error("step failed on %s: %s", request.path, exc.message, exc_info=exc)
        return error_body(exc.message, exc.status, exc.problems if isinstance(exc, FormRejected) else None)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        return error_body(HTTP_MESSAGES.get(status, exc.name), status)
