"""The task forms: JSON Schemas in forms/*.json, validated with Russian messages
(:mod:`.catalog`, :mod:`.messages`), shown and read back as HTML forms (:mod:`.html`).
Their "$ref"s are resolved in one place (:mod:`.refs`), their JSON pointers written in one
place (:mod:`.pointers`)."""

from service.forms.catalog import SCHEMA_DIALECT, FieldError, FormCatalog, UnknownForm
from service.forms.html import (
    Field,
    build_fields,
    html_id,
    offer_choices,
    parse_form,
    to_form_data,
    unplaced_errors,
)

__all__ = [
    "SCHEMA_DIALECT",
    "Field",
    "FieldError",
    "FormCatalog",
    "UnknownForm",
    "build_fields",
    "html_id",
    "offer_choices",
    "parse_form",
    "to_form_data",
    "unplaced_errors",
]
