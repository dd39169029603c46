"""Request and response bodies of the organisation API (/api/org): the region's centres and schools."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from service.contracts.base import Id, Request, Response, Says

UNIT_KINDS = ("region", "centre", "school")
UnitName = Annotated[str, Field(min_length=1, max_length=300, pattern=r"\S"),
                     Says("Укажите название — от 1 до 300 символов", missing="Обязательное поле")]


class UnitCreateRequest(Request):
    """Новый ЦНППМ (в регионе) или новая ОО (в ЦНППМ)"""

    kind: Annotated[Literal["centre", "school"], Field(description="centre — ЦНППМ, school — ОО"),
                    Says("Вид — centre (ЦНППМ) или school (ОО)", missing="Обязательное поле")]
    name: Annotated[UnitName, Field(description="Название")]
    parent_id: Annotated[Id, Field(description="Для ЦНППМ — регион, для ОО — ЦНППМ"),
                         Says("Укажите вышестоящую организацию (идентификатор)", missing="Обязательное поле")]


class UnitRenameRequest(Request):
    """Новое название организации"""

    name: Annotated[UnitName, Field(description="Новое название")]


class UnitRow(Response):
    """Организация: регион, ЦНППМ или ОО"""

    id: int
    kind: Literal[UNIT_KINDS]  # type: ignore[valid-type]
    name: str
    parent_id: int | None
    is_active: Annotated[bool, Field(description="Отключённая организация не принимает новых людей и маршрутов")]
    accepts_new: Annotated[bool, Field(description="Активна она сама и все вышестоящие")]
    people: Annotated[int, Field(description="Людей, связанных с организацией (место работы или роль в ней)")]
    active_routes: Annotated[int, Field(description="Маршрутов в работе")]


class UnitList(Response):
    """Организации региона: регионы, ЦНППМ и их ОО"""

    units: list[UnitRow]


class UnitPersonRole(Response):
    """Роль человека в этой организации"""

    role: str
    title: str


class UnitPerson(Response):
    """Человек организации с его ролями в ней"""

    id: int
    name: str
    login: str
    position: str
    is_active: bool
    roles: list[UnitPersonRole]


class UnitView(Response):
    """Организация с вложенными и людьми"""

    unit: UnitRow
    children: list[UnitRow]
    people: list[UnitPerson]
