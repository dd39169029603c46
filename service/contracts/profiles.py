"""The teacher's information sheet (информационная справка) over the JSON API."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from service.contracts.base import AnyObject, DateTime, Request, Response, Says
from service.contracts.responses import OrgUnitRef, PersonRef


class SheetRequest(Request):
    """Новая справка педагога целиком"""

    info: Annotated[AnyObject, Field(description="Поля справки по схеме формы draft (properties.info): "
                                                 "position, education, courses, experience_years, category, "
                                                 "attestation_date, titles, awards; full_name и school берутся "
                                                 "из учётных записей и здесь не меняются"),
                    Says("Справка — JSON-объект", missing="Нет справки (поле info)")]


class SheetView(Response):
    """Информационная справка о педагоге"""

    teacher: PersonRef
    school: OrgUnitRef
    info: Annotated[AnyObject, Field(description="Справка в виде раздела info карты ИОМ (с ФИО и школой)")]
    updated_at: Annotated[DateTime | None, Field(description="Когда справку меняли последний раз")]
    updated_by: Annotated[PersonRef | None, Field(description="Кто менял справку последним")]
    can_edit: Annotated[bool, Field(description="Вы можете изменить справку (педагог или его тьютор)")]
