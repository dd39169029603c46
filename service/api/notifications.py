"""My notifications: the list with the unread count, marking read, my e-mail preferences."""

from __future__ import annotations

from flask import Blueprint, request

from service.api.openapi import ID, _body, _json, _path_param, _responses
from service.api.util import actor, body_as, ctx, reply
from service.contracts.notifications import (
    MarkedRead,
    NotificationList,
    NotificationSettings,
    NotificationSettingsRequest,
    NotificationView,
)
from service.domain.errors import FieldProblem, FormRejected
from service.services import notification_center

bp = Blueprint("notifications", __name__, url_prefix="/api/notifications")


def _page() -> int:
    value = request.args.get("page", "")
    if not value:
        return 1
    if not value.isdigit() or int(value[:20]) < 1:
        raise FormRejected([FieldProblem("?page", "Номер страницы — целое число от 1")])
    return int(value)


@bp.get("")
def list_notifications():
    """My notifications, newest first, a page at a time, with the unread count."""
    return reply(NotificationList, notification_center.list_mine(ctx(), actor(), _page()))


@bp.post("/<int:notification_id>/read")
def read_notification(notification_id: int):
    return reply(NotificationView, notification_center.mark_read(ctx(), actor(), notification_id))


@bp.post("/read-all")
def read_all():
    return reply(MarkedRead, {"marked": notification_center.mark_all_read(ctx(), actor())})


@bp.get("/settings")
def get_settings():
    return reply(NotificationSettings, notification_center.get_settings(ctx(), actor()))


@bp.put("/settings")
def put_settings():
    who = actor()
    asked = body_as(NotificationSettingsRequest)
    return reply(NotificationSettings, notification_center.save_settings(ctx(), who, asked.digest_hour,
                                                                         dict(asked.modes)))


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    notification_id = _path_param("notification_id", ID, "Идентификатор уведомления")
    page = {"name": "page", "in": "query", "required": False, "schema": ID, "description": "Страница (по 20)"}
    mine = "Уведомление не найдено (или адресовано другому пользователю)"
    return {
        "/api/notifications": {"get": {
            "tags": ["notifications"], "operationId": "listNotifications", "summary": "Мои уведомления",
            "description": "Новые сверху, по 20 на странице; unread — сколько непрочитанных всего.",
            "parameters": [page],
            "responses": _responses(("200", _json(out(NotificationList), "Страница уведомлений")), "401", "422",
                                    e422="Номер страницы — не целое число от 1"),
        }},
        "/api/notifications/{notification_id}/read": {"post": {
            "tags": ["notifications"], "operationId": "readNotification", "summary": "Отметить уведомление прочитанным",
            "parameters": [notification_id],
            "responses": _responses(("200", _json(out(NotificationView), "Уведомление")), "401", "404", e404=mine),
        }},
        "/api/notifications/read-all": {"post": {
            "tags": ["notifications"], "operationId": "readAllNotifications",
            "summary": "Отметить все мои уведомления прочитанными",
            "responses": _responses(("200", _json(out(MarkedRead), "Готово")), "401"),
        }},
        "/api/notifications/settings": {"get": {
            "tags": ["notifications"], "operationId": "getNotificationSettings",
            "summary": "Мои настройки уведомлений на почту",
            "responses": _responses(("200", _json(out(NotificationSettings), "Настройки")), "401"),
        }, "put": {
            "tags": ["notifications"], "operationId": "putNotificationSettings",
            "summary": "Изменить настройки уведомлений на почту",
            "description": "Для каждого вида — сразу, в ежедневной сводке (в выбранный час по времени региона) или "
                           "не присылать; в сервисе уведомления видны всегда. Без адреса e-mail или с адресом, "
                           "который не принимает почтовый сервер, письма не отправляются.",
            "requestBody": _body(inp(NotificationSettingsRequest)),
            "responses": _responses(("200", _json(out(NotificationSettings), "Настройки сохранены")), "400", "401",
                                    "413", "415", "422",
                                    e422="Час не от 0 до 23, неизвестный вид уведомления или способ"),
        }},
    }
