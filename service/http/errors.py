"""Every error, for the API and the pages alike: a JSON body under /api, an error page elsewhere,
with a Russian message; nothing leaks a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from service.contracts.errors import Error, FieldProblem
from service.domain.errors import FormRejected, ServiceError

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: "Некорректный запрос", 401: "Требуется вход в систему", 403: "Доступ запрещён",
    404: "Не найдено", 405: "Метод не поддерживается", 413: "Слишком большой запрос",
    415: "Ожидается JSON (Content-Type: application/json)", 500: "Внутренняя ошибка сервера",
}


def error_body(message: str, status: int, problems=None):
    """The API's error body, as the `Error` contract declares it."""
    body = Error(error=message, status=status,
                 **({} if problems is None else
                    {"problems": [FieldProblem(pointer=p.pointer, message=p.message) for p in problems]}))
    return jsonify(body.model_dump(mode="json", exclude_unset=True)), status


PAGE_HEADINGS = {
    400: "Некорректный запрос", 401: "Требуется вход", 403: "Доступ запрещён", 404: "Страница не найдена",
    409: "Действие не выполнено", 413: "Слишком большой запрос", 422: "Данные не приняты",
    429: "Слишком много попыток", 500: "Ошибка сервера", 501: "Недоступно", 503: "Сервис временно недоступен",
}
DATABASE_GONE = "Нет связи с базой данных. Ничего не сохранено; повторите через несколько секунд."


def _wants_page() -> bool:
    return not request.path.startswith("/api")


def error_page(message: str, status: int, problems=None):
    heading = PAGE_HEADINGS.get(status, "Ошибка")
    return render_template("web/error.html", status=status, heading=heading, message=message,
                           problems=problems), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _route_error(exc: ServiceError):
        if exc.status >= 500:
            log.error("step failed on %s: %s", request.path, exc.message, exc_info=exc)
        problems = exc.problems if isinstance(exc, FormRejected) else None
        if _wants_page():
            return error_page(exc.message, exc.status, problems)
        return error_body(exc.message, exc.status, problems)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        message = "Форма устарела или отправлена не со страницы сервиса (нет CSRF-токена). Обновите страницу."
        return error_page(message, 400) if _wants_page() else error_body(message, 400)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if _wants_page():
            return error_page(HTTP_MESSAGES.get(status, exc.name), status)
        return error_body(HTTP_MESSAGES.get(status, exc.name), status)

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError):
        """The database dropped the connection (a restart, a failover): 503, and the pool is renewed
        (SQLAlchemy invalidated it). Any other database error is the server's own: 500."""
        if not exc.connection_invalidated:
            raise exc
        log.warning("database connection lost on %s: %s", request.path, exc.orig)
        response, status = error_page(DATABASE_GONE, 503) if _wants_page() else error_body(DATABASE_GONE, 503)
        return response, status, {"Retry-After": "5"}
