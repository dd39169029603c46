"""Request and response bodies of the delegations API (/api/delegations): a head (or a methodist)
lets a colleague complete their tasks for a date range."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, WithJsonSchema

from service.contracts.base import Date, DateTime, Id, Request, Response, Says
from service.domain.delegation import DELEGATE_ROLES, TASK_KINDS

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DAY_MESSAGE = "Укажите дату в формате ГГГГ-ММ-ДД"
REASON_MAX = 500
DelegatedRole = Literal[tuple(DELEGATE_ROLES)]  # type: ignore[valid-type]
TaskKind = Literal[tuple(TASK_KINDS)]  # type: ignore[valid-type]
ROLE_MESSAGE = "Роль, которую вы поручаете: school_head, cnppm_head или methodist"
KINDS_MESSAGE = "Виды задач — список из: " + ", ".join(TASK_KINDS) + " (пустой — все задачи)"


def _day(value: str) -> str:
    if not ISO_DAY.fullmatch(value):
        raise ValueError(DAY_MESSAGE)
    date.fromisoformat(value)  # 2026-02-30: a ValueError, the field's message
    return value


Day = Annotated[str, AfterValidator(_day), WithJsonSchema({"type": "string", "format": "date"})]


class DelegationRequest(Request):
    """Поручение: кому, какую свою роль, на какие даты и какие виды задач"""

    delegate_id: Annotated[Id, Field(description="Кому поручается (идентификатор пользователя)"),
                           Says("Выберите сотрудника, которому поручаете задачи", missing="Обязательное поле")]
    role: Annotated[DelegatedRole, Field(description="Поручаемая роль поручителя: school_head — руководитель ОО "
                                                     "(заместителю своей школы), cnppm_head — руководитель ЦНППМ "
                                                     "(другому руководителю или тьютору своего центра), methodist "
                                                     "— методист (другому методисту)"),
                    Says(ROLE_MESSAGE, missing="Обязательное поле")]
    unit_id: Annotated[Id | None, Field(description="Организация, в которой поручитель держит роль (можно не "
                                                    "указывать, если такая одна)"),
                       Says("Организация — идентификатор")] = None
    delegator_id: Annotated[Id | None, Field(description="Поручитель (только администратор может указать другого; "
                                                         "по умолчанию — вы)"),
                            Says("Поручитель — идентификатор пользователя")] = None
    starts_on: Annotated[Day, Field(description="Первый день поручения (дата региона, ГГГГ-ММ-ДД)"),
                         Says(DAY_MESSAGE, missing="Обязательное поле")]
    ends_on: Annotated[Day, Field(description="Последний день поручения включительно (не больше года)"),
                       Says(DAY_MESSAGE, missing="Обязательное поле")]
    kinds: Annotated[list[TaskKind], Field(max_length=len(TASK_KINDS),
                                           description="Виды задач: " + ", ".join(
                                               f"{k} — {v}" for k, v in TASK_KINDS.items()) + "; пустой — все"),
                     Says(KINDS_MESSAGE)] = []
    reason: Annotated[str, Field(max_length=REASON_MAX, description="Основание (отпуск, командировка…)"),
                      Says(f"Основание — строка до {REASON_MAX} символов")] = ""


class RevokeRequest(Request):
    """Отзыв поручения"""

    reason: Annotated[str, Field(max_length=REASON_MAX, description="Причина отзыва"),
                      Says(f"Причина — строка до {REASON_MAX} символов")] = ""


class Named(Response):
    """Человек или организация: идентификатор и название"""

    id: int
    name: str


class DelegationRow(Response):
    """Поручение"""

    id: int
    delegator: Named
    delegate: Named
    role: DelegatedRole
    role_title: str
    unit: Annotated[Named | None, Field(description="Организация поручаемой роли (у методиста — регион)")]
    kinds: list[TaskKind]
    kinds_text: Annotated[str, Field(description="Виды задач по-русски («все задачи»)")]
    starts_on: Date
    ends_on: Date
    reason: str
    created_at: DateTime
    granted_on: Annotated[Date, Field(description="Дата поручения (региона): «по поручению от …»")]
    status: Annotated[Literal["active", "scheduled", "ended", "revoked"],
                      Field(description="active — действует сегодня, scheduled — ещё не началось, ended — срок "
                                        "истёк, revoked — отозвано")]
    revoked_at: DateTime | None


class DelegationList(Response):
    """Поручения, которые дали вы и которые даны вам (администратору — все)"""

    given: list[DelegationRow]
    received: list[DelegationRow]
