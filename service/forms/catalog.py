"""JSON Schema forms of the ИОМ workflow and their server-side validation.

Every ``forms/<name>.json`` is a draft 2020-12 JSON Schema. :class:`FormCatalog` loads and
checks them once and turns validation errors into :class:`FieldError` values: a JSON pointer to
the offending field and a Russian, user-facing message (:mod:`service.forms.messages`).
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry

from service.forms import pointers
from service.forms.messages import (
    MSG_BAD_CHAR,
    MSG_CONTROL_CHAR,
    MSG_OBJECT,
    MSG_REQUIRED,
    MSG_UNKNOWN_FIELD,
    message,
)
from service.forms.refs import SchemaRefs

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_ALLOWED_CONTROL = {"\t", "\n", "\r"}


@dataclass(frozen=True)
class FieldError:
    pointer: str  # JSON pointer of the field, e.g. "/info/full_name"; "" for the whole form
    message: str  # Russian, user-facing


class UnknownForm(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Неизвестная форма: {name!r}")
        self.name = name


class FormCatalog:
    """All forms of a directory, loaded and checked once; validation is read-only afterwards."""

    def __init__(self, forms_dir: Path) -> None:
        forms_dir = Path(forms_dir)
        if not forms_dir.is_dir():
            raise FileNotFoundError(f"Каталог форм не найден: {forms_dir}")
        self._schemas: dict[str, dict] = {}
        self._refs: dict[str, SchemaRefs] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        for path in sorted(forms_dir.glob("*.json")):
            schema, refs = _load_schema(path)
            self._schemas[path.stem] = schema
            self._refs[path.stem] = refs
            self._validators[path.stem] = Draft202012Validator(
                schema,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
                # An empty registry: only the schema's own "#/..." references, never the network.
                registry=Registry(),
            )

    def names(self) -> list[str]:
        return sorted(self._schemas)

    def schema(self, name: str) -> dict:
        """A copy of the form's schema (for the UI); mutating it does not affect validation."""
        return copy.deepcopy(self._get(name, self._schemas))

    def fit(self, name: str, value: Any) -> Any:
        """`value` without the object keys the form does not know (e.g. card fields such as an
        activity's number or status), so that it can prefill the form and be submitted back."""
        refs = self._get(name, self._refs)
        return _fit(refs, refs.root, value)

    def validate(self, name: str, data: object) -> list[FieldError]:
        validator = self._get(name, self._validators)
        refs = self._refs[name]
        if not isinstance(data, dict):
            return [FieldError("", MSG_OBJECT)]
        found: set[FieldError] = set()
        for error in validator.iter_errors(data):
            for leaf in _leaves(error):
                found.update(_to_field_errors(leaf, refs))
        found.update(_character_errors(data))
        return sorted(found, key=lambda e: (e.pointer, e.message))

    @staticmethod
    def _get(name: str, table: dict[str, Any]) -> Any:
        try:
            return table[name]
        except (KeyError, TypeError):
            raise UnknownForm(name) from None


# --- loading -------------------------------------------------------------------------------


def _load_schema(path: Path) -> tuple[dict, SchemaRefs]:
    def broken(reason: str) -> ValueError:
        return ValueError(f"Некорректная схема формы {path.name}: {reason}")

    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise broken(f"не удаётся прочитать JSON ({exc})") from exc
    if not isinstance(schema, dict):
        raise broken("ожидается объект JSON")
    if schema.get("$schema") != SCHEMA_DIALECT:
        raise broken(f'"$schema" должно быть "{SCHEMA_DIALECT}"')
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        raise broken(f"{exc.message} (в {where or 'корне'})") from exc
    refs = SchemaRefs(schema)
    for ref in _refs(schema):
        if not ref.startswith("#") or refs.resolve(ref) is None:
            raise broken(f"неразрешимая ссылка $ref {ref!r}: допустимы только ссылки внутри файла")
    return schema, refs


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


# --- error mapping -------------------------------------------------------------------------


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """Errors to report for one top-level error.

    ``anyOf``/``oneOf`` keep the reasons in ``error.context``; the alternative that got furthest
    into the data (deepest errors, then fewest) is reported instead of the bare "no match".
    When none got past the value itself, the error is reported once, at the value.
    """
    if error.validator in ("anyOf", "oneOf") and error.context:
        base = len(error.absolute_path)
        if all(_depth(sub) == base for sub in error.context):
            yield error
            return
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branch = sub.relative_schema_path[0] if sub.relative_schema_path else None
            branches.setdefault(branch, []).append(sub)
        best = max(branches.values(), key=lambda errs: (max(map(_depth, errs)), -len(errs)))
        for sub in best:
            yield from _leaves(sub)
    else:
        yield error


def _depth(error: ValidationError) -> int:
    """Depth of the pointer the error will be reported at (missing/unknown fields are one deeper)."""
    one_deeper = error.validator in ("required", "dependentRequired", "additionalProperties")
    return len(error.absolute_path) + (1 if one_deeper else 0)


def _to_field_errors(error: ValidationError, refs: SchemaRefs) -> Iterator[FieldError]:
    keyword = error.validator
    path = list(error.absolute_path)
    if keyword in ("required", "dependentRequired"):
        instance = error.instance if isinstance(error.instance, dict) else {}
        for name in error.validator_value:
            if name not in instance:
                field = [*path, name]
                yield FieldError(pointers.join(field), _x_error(refs, field) or MSG_REQUIRED)
        return
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        for name in _additional_properties(error.instance, error.schema):
            yield FieldError(pointers.join([*path, name]), MSG_UNKNOWN_FIELD)
        return
    yield FieldError(pointers.join(path), _x_error(refs, path) or message(error))


def _additional_properties(instance: dict, schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return []
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [
        name
        for name in instance
        if name not in known and not any(re.search(pattern, name) for pattern in patterns)
    ]


def _x_error(refs: SchemaRefs, path: list) -> str | None:
    """The "x-error" override declared on the schema of the field at ``path``, if any."""
    nodes: list[Any] = [refs.root]
    for token in path:
        nodes = [child for node in nodes for child in _children(refs, node, token)]
        if not nodes:
            return None
    for node in nodes:
        for candidate in _expand(refs, node):
            text = candidate.get("x-error")
            if isinstance(text, str) and text:
                return text
    return None


def _expand(refs: SchemaRefs, node: Any, depth: int = 0) -> Iterator[dict]:
    """The node itself, then what it references and the subschemas applied alongside it."""
    if not isinstance(node, dict) or depth > 20:
        return
    yield node
    if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        yield from _expand(refs, refs.resolve(node["$ref"]), depth + 1)
    for key in ("then", "else"):
        yield from _expand(refs, node.get(key), depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key) or ():
            yield from _expand(refs, sub, depth + 1)


def _children(refs: SchemaRefs, node: Any, token: Any) -> Iterator[Any]:
    for schema in _expand(refs, node):
        if isinstance(token, int):
            prefix = schema.get("prefixItems") or []
            if token < len(prefix):
                yield prefix[token]
            elif isinstance(schema.get("items"), dict):
                yield schema["items"]
        else:
            properties = schema.get("properties")
            if isinstance(properties, dict) and token in properties:
                yield properties[token]


# --- characters PostgreSQL (or any sane consumer) cannot take --------------------------------


def _character_errors(data: object) -> Iterator[FieldError]:
    stack: list[tuple[list, object]] = [([], data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            text = _bad_character(value)
            if text:
                yield FieldError(pointers.join(path), text)
        elif isinstance(value, dict):
            for key, child in value.items():
                key_message = _bad_character(key) if isinstance(key, str) else None
                if key_message:
                    yield FieldError(pointers.join([*path, key]), key_message)
                stack.append(([*path, key], child))
        elif isinstance(value, list):
            stack.extend(([*path, index], child) for index, child in enumerate(value))


def _bad_character(text: str) -> str | None:
    for char in text:
        if char.isprintable() or char in _ALLOWED_CONTROL:
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            return MSG_CONTROL_CHAR
        if category == "Cs":  # a lone surrogate: not encodable as UTF-8
            return MSG_BAD_CHAR
    return None


# --- fitting a value to a form ---------------------------------------------------------------


def _fit(refs: SchemaRefs, schema: Any, value: Any) -> Any:
    schema = refs.target(schema)
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        return {k: _fit(refs, props[k], v) for k, v in value.items() if k in props}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_fit(refs, schema["items"], v) for v in value]
    return value
