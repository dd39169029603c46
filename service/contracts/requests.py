"""Request bodies of the JSON API, with the Russian message of each field's problems."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from service.contracts.base import MAX_ID, AnyObject, Request, Says

TOKEN_DAYS_DEFAULT, TOKEN_DAYS_MAX = 90, 365

Required = Says("Обязательное поле")
UserId = Annotated[int, Field(ge=1, le=MAX_ID),
                   Says("Укажите идентификатор пользователя",
                        less_than_equal=f"Идентификатор пользователя — целое от 1 до {MAX_ID}")]
# At least one character that is not white space.
Reason = Annotated[str, Field(min_length=1, pattern=r"\S"), Says("Укажите причину вмешательства")]
CardValue = Annotated[str | bool | int | float, Says("Новое значение — строка, число или да/нет")]


class LoginRequest(Request):
    login: Annotated[str, Field(min_length=1), Required]
    password: Annotated[str, Field(min_length=1), Required]


class TokenRequest(Request):
    name: Annotated[str, Field(max_length=100, description="Название токена; пустое — «token»"),
                    Says("Название токена — строка до 100 символов")] = ""
    expires_in_days: Annotated[int, Field(ge=1, le=TOKEN_DAYS_MAX, description="Срок действия в днях"),
                               Says(f"Срок действия — целое число дней от 1 до {TOKEN_DAYS_MAX}")] = TOKEN_DAYS_DEFAULT


class RouteRequest(Request):
    teacher_id: Annotated[UserId, Field(description="Педагог (с информационной справкой)")]
    tutor_id: Annotated[UserId, Field(description="Тьютор")]
    methodist_id: Annotated[UserId, Field(description="Региональный методист")]
    title: Annotated[str, Field(max_length=300, description="Название; пустое — «ИОМ: <ФИО педагога>»"),
                     Says("Название — строка до 300 символов")] = ""


class SignatureRequest(Request):
    """Подпись: пароль и SHA-256 просмотренной версии документа"""

    password: Annotated[str, Field(description="Пароль подписывающего (подтверждение подписи)"),
                        Says("Пароль — строка", missing="Обязательное поле")]
    document_sha256: Annotated[
        str, Field(pattern="^[0-9a-f]{64}$",
                   description="content_sha256 документа, который был показан (GET /api/tasks/{task_id} → "
                               "signs.document)"),
        Says("Хеш документа — строка", missing="Обязательное поле",
             string_pattern_mismatch="Хеш документа — SHA-256: 64 шестнадцатеричные цифры")]


class CompleteRequest(Request):
    data: Annotated[AnyObject, Field(description="Данные формы задачи; схема — GET /api/tasks/{task_id} → schema"),
                    Says("Данные формы — JSON-объект", missing="Нет данных формы (поле data)")]
    signature: Annotated[
        SignatureRequest | None,
        Field(description="Обязательна на задаче подписания (signs не null) при утвердительном решении; "
                          "при возврате на доработку не нужна"),
        Says("Подпись — объект {password, document_sha256}")] = None


class ReassignRequest(Request):
    assignee_id: Annotated[UserId, Field(description="Новый исполнитель (активный пользователь)")]
    reason: Annotated[Reason, Field(description="Причина вмешательства (обязательна)")]


class CancelRequest(Request):
    reason: Annotated[Reason, Field(description="Причина отмены (обязательна)")]


class CardEditRequest(Request):
    pointer: Annotated[str, Field(pattern="^/.", description="JSON Pointer на существующее поле карты, например "
                                                             "/info/full_name"),
                       Says("Укажите поле карты указателем JSON, например /info/full_name")]
    value: Annotated[CardValue, Field(description="Новое значение")]
    reason: Annotated[Reason, Field(description="Причина исправления (обязательна)")]



SpecId = Annotated[int, Field(ge=1, le=MAX_ID),
                   Says("Укажите версию схемы (её номер)", less_than_equal=f"Номер версии — целое от 1 до {MAX_ID}")]
TaskName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$"),
                     Says("Имя задачи схемы — латиница, цифры, _ . - (до 100 символов)")]
TaskMapping = Annotated[dict[TaskName, TaskName], Field(max_length=50),
                        Says("Сопоставление задач — объект {старая задача: задача новой версии}, до 50 пар")]
StageName = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$"),
                      Says("Этап — латиницей, как в списке этапов")]


class MigrationPreviewRequest(Request):
    to_spec_id: Annotated[SpecId, Field(description="Версия схемы, на которую перевести")]
    mapping: Annotated[TaskMapping, Field(description="Текущая задача, которой нет в новой версии → задача новой "
                                                      "версии, на которую её перевести")] = {}


class MigrationRequest(MigrationPreviewRequest):
    reason: Annotated[Reason, Field(description="Причина перевода (обязательна)")]


class MigrationBatchRequest(MigrationRequest):
    from_spec_id: Annotated[SpecId, Field(description="Версия схемы, маршруты которой перевести")]
    stage: Annotated[StageName | None, Field(description="Только маршруты на этом этапе"),
                     Says("Этап — латиницей, как в списке этапов")] = None


class RevertRequest(Request):
    reason: Annotated[Reason, Field(description="Причина отмены перевода (обязательна)")]
