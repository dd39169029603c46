"""Request and response bodies of the people API (/api/people): people, their roles, password resets."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from service.contracts.base import Id, Request, Response, Says, absent
from service.domain.access import ROLES

LOGIN_PATTERN = r"^[a-z0-9][a-z0-9._@-]{1,99}$"
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$"
MIN_PASSWORD = 10



def _trimmed_lower(value):
    """Logins and e-mail addresses are kept lower-cased, without surrounding spaces."""
    return value.strip().lower() if isinstance(value, str) else value


Login = Annotated[str, BeforeValidator(_trimmed_lower), Field(pattern=LOGIN_PATTERN, max_length=100),
                  Says("Логин — от 2 до 100 символов: строчные латинские буквы, цифры, точка, дефис, _ и @",
                       missing="Обязательное поле")]
FullName = Annotated[str, Field(min_length=1, max_length=300, pattern=r"\S"),
                     Says("Укажите ФИО — до 300 символов", missing="Обязательное поле")]
Email = Annotated[str, BeforeValidator(_trimmed_lower), Field(max_length=254, pattern=EMAIL_PATTERN),
                  Says("Адрес электронной почты вида name@example.ru, до 254 символов", missing="Обязательное поле")]
Position = Annotated[str, Field(max_length=300), Says("Должность — строка до 300 символов")]
UnitId = Annotated[Id, Says("Организация — идентификатор (целое от 1)")]
Role = Annotated[Literal[ROLES], Says("Неизвестная роль; допустимо: " + ", ".join(ROLES),  # type: ignore[valid-type]
                                      missing="Обязательное поле")]
CredentialMode = Annotated[Literal["temporary", "link"],
                           Field(description="temporary — временный пароль (сменить при входе); link — "
                                             "одноразовая ссылка на 72 часа"),
                           Says("Способ — temporary (временный пароль) или link (ссылка)")]


class GrantRequest(Request):
    """Роль и организация, в которой она действует"""

    role: Annotated[Role, Field(description="Роль")]
    org_unit_id: Annotated[UnitId | None, Field(description="Организация роли (у администратора — нет)")] = None


class PersonCreateRequest(Request):
    """Новый человек"""

    login: Annotated[Login, Field(description="Логин (строчными)")]
    full_name: Annotated[FullName, Field(description="ФИО")]
    email: Annotated[Email, Field(description="Электронная почта (уникальна; хранится строчными)")]
    position: Annotated[Position, Field(description="Должность")] = ""
    org_unit_id: Annotated[UnitId, Field(description="Место работы: ЦНППМ или ОО"),
                           Says("Укажите место работы (организацию)", missing="Обязательное поле")]
    roles: Annotated[list[GrantRequest], Field(max_length=20, description="Роли с организациями"),
                     Says("Роли — список (до 20) объектов {role, org_unit_id}: role — одна из "
                          + ", ".join(ROLES) + "; org_unit_id — идентификатор организации")] = []
    credential: Annotated[CredentialMode, Field(description="Как человек получит пароль")] = "temporary"


class PersonUpdateRequest(Request):
    """Изменение данных человека: только переданные поля"""

    full_name: Annotated[FullName | None, Field(description="ФИО")] = None
    email: Annotated[Email | None, Field(description="Электронная почта")] = None
    position: Annotated[Position | None, Field(description="Должность")] = None
    org_unit_id: Annotated[UnitId | None, Field(description="Место работы")] = None


class ResetRequest(Request):
    """Сброс пароля"""

    mode: Annotated[CredentialMode, Field(description="Способ сброса"), Says(
        "Способ — temporary (временный пароль) или link (ссылка)", missing="Обязательное поле")]


class PasswordChangeRequest(Request):
    """Смена своего пароля"""

    current_password: Annotated[str, Field(min_length=1, max_length=1000), Says("Введите текущий пароль")]
    new_password: Annotated[str, Field(max_length=1000), Says("Новый пароль — строка до 1000 символов")]


class GrantView(Response):
    """Роль человека"""

    id: int
    role: str
    title: str
    org_unit_id: int | None
    unit_name: str | None


class PersonRow(Response):
    """Человек в списке"""

    id: int
    login: str
    name: str
    email: str | None
    position: str
    org_unit_id: int | None
    unit_name: str | None
    is_active: bool
    roles: list[GrantView]


class PersonList(Response):
    """Страница списка людей"""

    items: list[PersonRow]
    total: int
    page: int
    pages: int


class PersonView(PersonRow):
    """Человек: данные, роли, что можно с ним сделать"""

    must_change_password: bool
    created_at: str
    manageable: Annotated[bool, Field(description="Вызывающий может изменять этого человека")]


class Credential(Response):
    """Пароль или ссылка для сброса — показываются один раз"""

    mode: Literal["temporary", "link"]
    password: str | None = absent(description="Временный пароль (mode=temporary)")
    link: str | None = absent(description="Путь одноразовой ссылки (mode=link), например /password/reset/…")
    expires_at: str | None = absent(description="Ссылка действует до (mode=link)")


class PersonCreated(Response):
    """Созданный человек и его пароль или ссылка (показываются один раз)"""

    person: PersonView
    credential: Credential


class PasswordChanged(Response):
    """Пароль изменён"""

    ok: bool
