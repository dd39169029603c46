"""The error body of every API error, and request validation that ends in it (422)."""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from service.contracts.base import Response, Says, absent
from service.domain.errors import FieldProblem as Problem
from service.domain.errors import FormRejected
from service.forms.pointers import join

M = TypeVar("M", bound=BaseModel)
FALLBACK = "Неверное значение"


class FieldProblem(Response):
    """Ошибка в конкретном поле отправленных данных"""

    pointer: Annotated[str, Field(description="JSON Pointer на поле (\"\" — вся форма), например /info/full_name")]
    message: Annotated[str, Field(description="Сообщение по-русски")]


class Error(Response):
    """Тело любого ответа с ошибкой"""

    error: Annotated[str, Field(description="Сообщение об ошибке по-русски")]
    status: Annotated[int, Field(description="HTTP-статус ответа")]
    problems: list[FieldProblem] = absent(description="Только у 422: ошибки по полям")


def parse(model: type[M], data: Any) -> M:
    """`data` as `model`, or FormRejected (422) with a Russian message at each field's pointer."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormRejected(problems(model, exc)) from None


def problems(model: type[BaseModel], exc: ValidationError) -> list[Problem]:
    """One problem per field (the first error of each), at the field's JSON pointer, in the words
    its `Says` annotation gives."""
    out: dict[str, Problem] = {}
    for error in exc.errors(include_url=False, include_input=False):
        pointer, says = _field(model, error["loc"])
        if pointer not in out:
            out[pointer] = Problem(pointer, says.text(error["type"]) if says else FALLBACK)
    return list(out.values())


def _field(model: type[BaseModel], loc: tuple) -> tuple[str, Says | None]:
    """The pointer of the deepest field of `loc` (a union member's name is not a field) and the
    nearest `Says` on the way there."""
    tokens: list[Any] = []
    says = None
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            info = current.model_fields[part]
            says = next((m for m in info.metadata if isinstance(m, Says)), says)
            current = _model_in(info.annotation)
            tokens.append(part)
        else:
            break
    return join(tokens), says


def _model_in(annotation: Any) -> Any:
    """The model inside `X | None`, or the annotation itself."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        models = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if len(models) == 1 else None
    return annotation
