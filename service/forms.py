"""JSON Schema forms of the ИОМ workflow and their server-side validation.

Every ``forms/<name>.json`` is a draft 2020-12 JSON Schema. :class:`FormCatalog` loads and
checks them once and turns validation errors into :class:`FieldError` values: a JSON pointer to
the offending field and a Russian, user-facing message.
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

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

MSG_REQUIRED = "Обязательное поле"
MSG_OBJECT = "Ожидается объект"
MSG_EMPTY = "Поле не может быть пустым"
MSG_UNKNOWN_FIELD = "Неизвестное поле"
MSG_DATE = "Ожидается дата в формате ГГГГ-ММ-ДД"
MSG_CONTROL_CHAR = "Недопустимый управляющий символ"
MSG_BAD_CHAR = "Недопустимый символ"
MSG_CONFIRM = "Требуется подтверждение"
MSG_INVALID = "Недопустимое значение"

_TYPE_NAMES = {
    "string": "строка",
    "integer": "целое число",
    "number": "число",
    "boolean": "да/нет",
    "array": "список",
    "object": "объект",
    "null": "пустое значение",
}

_FORMAT_MESSAGES = {
    "date": MSG_DATE,
    "date-time": "Ожидается дата и время",
    "time": "Ожидается время",
    "email": "Ожидается адрес электронной почты",
}

# Patterns that only say "must contain something other than white space".
_NON_BLANK_PATTERNS = {"\\S", "\\S+", ".*\\S.*", "[^\\s]"}

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
        self._validators: dict[str, Draft202012Validator] = {}
        for path in sorted(forms_dir.glob("*.json")):
            schema = _load_schema(path)
            self._schemas[path.stem] = schema
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
        schema = self._get(name, self._schemas)
        return _fit(schema, schema, value)

    def validate(self, name: str, data: object) -> list[FieldError]:
        validator = self._get(name, self._validators)
        if not isinstance(data, dict):
            return [FieldError("", MSG_OBJECT)]
        found: set[FieldError] = set()
        for error in validator.iter_errors(data):
            for leaf in _leaves(error):
                found.update(_to_field_errors(leaf, validator.schema))
        found.update(_character_errors(data))
        return sorted(found, key=lambda e: (e.pointer, e.message))

    @staticmethod
    def _get(name: str, table: dict[str, Any]) -> Any:
        try:
            return table[name]
        except (KeyError, TypeError):
            raise UnknownForm(name) from None


# --- loading -------------------------------------------------------------------------------


def _load_schema(path: Path) -> dict:
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
    for ref in _refs(schema):
        if not ref.startswith("#") or _resolve(schema, ref) is None:
            raise broken(f"неразрешимая ссылка $ref {ref!r}: допустимы только ссылки внутри файла")
    return schema


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


def _resolve(root: dict, ref: str) -> Any:
    """Resolve a local "#/a/b" reference (JSON pointer fragment); None when it does not exist."""
    node: Any = root
    fragment = ref[1:]
    if not fragment:
        return root
    if not fragment.startswith("/"):
        return None
    for token in fragment[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


# --- error mapping -------------------------------------------------------------------------


def _pointer(path: Any) -> str:
    return "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in path)


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


def _to_field_errors(error: ValidationError, root: dict) -> Iterator[FieldError]:
    keyword = error.validator
    path = list(error.absolute_path)
    if keyword in ("required", "dependentRequired"):
        instance = error.instance if isinstance(error.instance, dict) else {}
        for name in error.validator_value:
            if name not in instance:
                field = [*path, name]
                yield FieldError(_pointer(field), _x_error(root, field) or MSG_REQUIRED)
        return
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        for name in _additional_properties(error.instance, error.schema):
            yield FieldError(_pointer([*path, name]), MSG_UNKNOWN_FIELD)
        return
    yield FieldError(_pointer(path), _x_error(root, path) or _message(error))


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


def _message(error: ValidationError) -> str:
    keyword, value = error.validator, error.validator_value
    if keyword == "type":
        types = _as_list(value)
        return "Ожидается " + " или ".join(_TYPE_NAMES.get(t, t) for t in types)
    if keyword == "enum":
        titles = error.schema.get("x-enum-titles") if isinstance(error.schema, dict) else None
        return "Допустимые значения: " + ", ".join(titles or [_display(v) for v in value])
    if keyword == "const":
        return MSG_CONFIRM if value is True else MSG_INVALID
    if keyword == "minLength":
        return MSG_EMPTY if value <= 1 else f"Не меньше {value} {_plural(value, 'символа', 'символов')}"
    if keyword == "maxLength":
        return f"Не больше {value} {_plural(value, 'символа', 'символов')}"
    if keyword == "pattern":
        return MSG_EMPTY if value in _NON_BLANK_PATTERNS else "Значение не соответствует формату"
    if keyword == "minItems":
        return f"Нужно не меньше {value} {_plural(value, 'элемента', 'элементов')}"
    if keyword == "maxItems":
        return f"Не больше {value} {_plural(value, 'элемента', 'элементов')}"
    if keyword == "minimum":
        return f"Не меньше {_display(value)}"
    if keyword == "maximum":
        return f"Не больше {_display(value)}"
    if keyword == "exclusiveMinimum":
        return f"Должно быть больше {_display(value)}"
    if keyword == "exclusiveMaximum":
        return f"Должно быть меньше {_display(value)}"
    if keyword == "format":
        return _FORMAT_MESSAGES.get(value, "Неверный формат значения")
    if keyword in ("anyOf", "oneOf") and error.context:
        types = [t for sub in error.context if sub.validator == "type" for t in _as_list(sub.validator_value)]
        if len(types) == len(error.context):
            return "Ожидается " + " или ".join(_TYPE_NAMES.get(t, t) for t in dict.fromkeys(types))
    if keyword == "uniqueItems":
        return "Элементы списка не должны повторяться"
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        return MSG_UNKNOWN_FIELD
    return MSG_INVALID


def _as_list(value: Any) -> list:
    return [value] if isinstance(value, str) else list(value)


def _plural(number: Any, genitive_singular: str, genitive_plural: str) -> str:
    """Noun after "не меньше/не больше N": 1, 21, 101 → "символа"; 2, 5, 11, 300 → "символов"."""
    if isinstance(number, int) and number % 10 == 1 and number % 100 != 11:
        return genitive_singular
    return genitive_plural


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "да" if value else "нет"
    if value is None:
        return "пусто"
    return str(value)


def _x_error(root: dict, path: list) -> str | None:
    """The "x-error" override declared on the schema of the field at ``path``, if any."""
    nodes: list[Any] = [root]
    for token in path:
        nodes = [child for node in nodes for child in _children(root, node, token)]
        if not nodes:
            return None
    for node in nodes:
        for candidate in _expand(root, node):
            message = candidate.get("x-error")
            if isinstance(message, str) and message:
                return message
    return None


def _expand(root: dict, node: Any, depth: int = 0) -> Iterator[dict]:
    """The node itself, then what it references and the subschemas applied alongside it."""
    if not isinstance(node, dict) or depth > 20:
        return
    yield node
    if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        yield from _expand(root, _resolve(root, node["$ref"]), depth + 1)
    for key in ("then", "else"):
        yield from _expand(root, node.get(key), depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key) or ():
            yield from _expand(root, sub, depth + 1)


def _children(root: dict, node: Any, token: Any) -> Iterator[Any]:
    for schema in _expand(root, node):
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
            message = _bad_character(value)
            if message:
                yield FieldError(_pointer(path), message)
        elif isinstance(value, dict):
            for key, child in value.items():
                key_message = _bad_character(key) if isinstance(key, str) else None
                if key_message:
                    yield FieldError(_pointer([*path, key]), key_message)
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


def _deref(root: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while isinstance(schema, dict) and "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _fit(root: dict[str, Any], schema: dict[str, Any], value: Any) -> Any:
    schema = _deref(root, schema)
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        return {k: _fit(root, props[k], v) for k, v in value.items() if k in props}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_fit(root, schema["items"], v) for v in value]
    return value
