"""Request and response bodies of my notifications (/api/notifications)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from service.contracts.base import DateTime, Id, Request, Response, Says

Kind = Literal["task_ready", "returned", "document_issued", "route_finished", "reminder", "escalation"]
Mode = Literal["instant", "digest", "off"]


class NotificationView(Response):
    """Уведомление"""

    id: Id
    kind: Annotated[Kind, Field(description="Вид: новая задача, возврат с замечаниями, выпущен документ, маршрут "
                                            "завершён или продлён, напоминание, эскалация")]
    title: str
    body: str
    link: Annotated[str, Field(description="Путь в сервисе: /tasks/… или /routes/…")]
    route_id: Id | None
    created_at: DateTime
    read_at: DateTime | None
    unread: bool


class NotificationList(Response):
    notifications: list[NotificationView]
    unread: Annotated[int, Field(ge=0, description="Непрочитанных всего")]
    total: Annotated[int, Field(ge=0)]
    page: Annotated[int, Field(ge=1)]
    pages: Annotated[int, Field(ge=1)]


class MarkedRead(Response):
    marked: Annotated[int, Field(ge=0, description="Сколько уведомлений отмечено прочитанными")]


class KindSetting(Response):
    kind: Kind
    label: str
    mode: Mode


class NotificationSettings(Response):
    """Мои настройки: как присылать на почту каждый вид уведомлений"""

    digest_hour: Annotated[int, Field(ge=0, le=23, description="Час ежедневной сводки, время региона")]
    email: Annotated[str | None, Field(description="Адрес для писем; null — только в сервисе")]
    email_bounced: Annotated[bool, Field(description="Почтовый сервер не принимает адрес: письма не отправляются")]
    kinds: list[KindSetting]


class NotificationSettingsRequest(Request):
    """Новые настройки уведомлений"""

    digest_hour: Annotated[int, Field(ge=0, le=23, description="Час ежедневной сводки (0–23), время региона"),
                           Says("Час сводки — целое число от 0 до 23", missing="Обязательное поле")]
    modes: Annotated[dict[Kind, Mode],
                     Field(description="Вид уведомления → instant (сразу), digest (в сводке), off (не присылать "
                                       "на почту); не названные виды не меняются"),
                     Says("Объект «вид → способ»: виды task_ready, returned, document_issued, route_finished, "
                          "reminder, escalation; способы instant, digest, off")] = Field(default_factory=dict)
