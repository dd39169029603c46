"""Field types and model bases shared by the request and response models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from service.domain.limits import MAX_ID


class Says:
    """The Russian message a request field's problems get (annotated on the field); keyword
    arguments name pydantic error types with their own message, e.g. ``less_than_equal=...``."""

    __slots__ = ("by_type", "message")

    def __init__(self, message: str, **by_type: str) -> None:
        self.message = message
        self.by_type = by_type

    def __repr__(self) -> str:
        return f"Says({self.message!r})"

    def text(self, error_type: str) -> str:
        return self.by_type.get(error_type, self.message)


class Request(BaseModel):
    """A request body: types as JSON gives them (no "5" for 5, no true for 1); unknown fields are
    ignored, as they always were."""

    model_config = ConfigDict(strict=True, extra="ignore")


class Response(BaseModel):
    """A response body: exactly the documented fields, of the documented types."""

    model_config = ConfigDict(strict=True, extra="forbid")


def _iso_datetime(value: str) -> str:
    datetime.fromisoformat(value)  # a ValueError is a validation error
    return value


def _iso_date(value: str) -> str:
    date.fromisoformat(value)
    return value


# Times and dates are the ISO strings the services give (kept byte for byte, only checked).
DateTime = Annotated[str, AfterValidator(_iso_datetime), WithJsonSchema({"type": "string", "format": "date-time"})]
Date = Annotated[str, AfterValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Sha256 = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
AnyObject = dict[str, Any]


def absent(**kwargs: Any) -> Any:
    """A response field that is sometimes left out (never null): no default in the document."""
    return Field(default=None, json_schema_extra=_no_default, **kwargs)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)
