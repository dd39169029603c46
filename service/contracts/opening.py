"""Opening routes from the pages: the people pickers' answers, and a batch of routes opened with
one order assigning the tutors."""

from __future__ import annotations

import typing
from typing import Annotated

from pydantic import BaseModel, Field, ValidationError

from service.contracts.base import Date, DateTime, Request, Response, Says
from service.contracts.errors import FALLBACK
from service.contracts.requests import UserId
from service.domain.errors import FieldProblem, FormRejected
from service.forms.pointers import join

MAX_BATCH = 50

IsoDate = Annotated[Date, Says("Дата в формате ГГГГ-ММ-ДД", missing="Обязательное поле")]


class PickedPerson(Response):
    """Человек, которого можно выбрать"""

    id: int
    full_name: str
    unit: Annotated[str, Field(description="Школа педагога; центр тьютора; центр или регион методиста")]
    position: str


class PickerList(Response):
    people: Annotated[list[PickedPerson], Field(description="До 20 совпадений по части ФИО, по алфавиту")]


class BatchTeacher(Request):
    """Педагог и его тьютор"""

    teacher_id: Annotated[UserId, Field(description="Педагог")]
    tutor_id: Annotated[UserId, Field(description="Тьютор, закрепляемый за педагогом")]


class BatchPeriod(Request):
    """Период реализации маршрутов"""

    start: Annotated[IsoDate, Field(description="Начало")]
    end: Annotated[IsoDate, Field(description="Окончание")]


class RouteBatchRequest(Request):
    """Открытие маршрутов нескольким педагогам одним распорядительным актом"""

    teachers: Annotated[list[BatchTeacher], Field(min_length=1, max_length=MAX_BATCH,
                                                  description=f"От 1 до {MAX_BATCH} педагогов, каждый один раз"),
                        Says(f"Укажите от 1 до {MAX_BATCH} педагогов (список объектов teacher_id, tutor_id)",
                             missing="Обязательное поле")]
    methodist_id: Annotated[UserId, Field(description="Региональный методист всех маршрутов")]
    period: Annotated[BatchPeriod, Field(description="Период; записывается в карту каждого маршрута"),
                      Says("Период — объект {start, end}", missing="Обязательное поле")]


class OrderRef(Response):
    """Распорядительный акт о закреплении тьюторов"""

    id: int
    number: Annotated[str, Field(description="Номер, например «7/ИОМ»")]
    date: Date
    created_at: DateTime
    document_id: Annotated[int, Field(description="Версия документа «Распорядительный акт» первого маршрута")]
    assignments: Annotated[list[dict[str, str]], Field(description="Педагог, школа, тьютор — строки акта")]


class OpenedRoute(Response):
    id: int
    title: str
    teacher: str
    tutor: str


class RouteBatch(Response):
    """Открытые маршруты и их распорядительный акт"""

    order: OrderRef
    routes: list[OpenedRoute]


def parse_batch(data: object) -> RouteBatchRequest:
    """The request as RouteBatchRequest, or FormRejected whose pointers reach into the list of
    teachers (/teachers/2/tutor_id), each with its field's Russian message."""
    try:
        return RouteBatchRequest.model_validate(data)
    except ValidationError as exc:
        out: dict[str, FieldProblem] = {}
        for error in exc.errors(include_url=False, include_input=False):
            pointer, says = _where(error["loc"])
            out.setdefault(pointer, FieldProblem(pointer, says.text(error["type"]) if says else FALLBACK))
        raise FormRejected(list(out.values())) from None


def _where(loc: tuple) -> tuple[str, Says | None]:
    """Like service.contracts.errors, and through list indices into the items' models."""
    tokens: list[object] = []
    says, current = None, RouteBatchRequest
    for part in loc:
        if isinstance(part, int) and typing.get_origin(current) is list:
            current = typing.get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            info = current.model_fields[part]
            says = next((m for m in info.metadata if isinstance(m, Says)), says)
            current = info.annotation
        else:
            break
        tokens.append(part)
    return join(tokens), says
