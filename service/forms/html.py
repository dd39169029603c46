"""HTML forms from the JSON Schemas in forms/*.json, and posted forms back to JSON.

Every input is named by the JSON pointer of its value ("/info/full_name",
"/activities/0/title"), so a posted form maps straight onto the object the schema describes:

* :func:`build_fields` turns a schema, the current value (a prefill, or what the user posted
  last time, possibly invalid) and the validation errors into a tree of :class:`Field` that
  ``templates/web/_fields.html`` renders;
* :func:`parse_form` turns the posted name/value pairs back into the object, coercing types by
  the schema and keeping whatever cannot be coerced as typed (so validation reports it and the
  page can show it back);
* :func:`to_form_data` is the reverse of :func:`parse_form`: what a browser would post for a
  value (tests, browser tests).

A string is a <textarea> when its schema marks it as free text (``"x-free-text": true``, an
annotation JSON Schema validation ignores) or allows more than TEXTAREA_MIN_LENGTH characters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from service.forms import pointers
from service.forms.messages import CHOOSE
from service.forms.refs import SchemaRefs

__all__ = [
    "CHOOSE",
    "PLACEHOLDER",
    "Field",
    "build_fields",
    "html_id",
    "offer_choices",
    "parse_form",
    "to_form_data",
    "unplaced_errors",
]

PLACEHOLDER = "__i__"  # the row index in the names of a table's template row
FREE_TEXT = "x-free-text"  # the schema annotation of a free-text string (a textarea)
TEXTAREA_MIN_LENGTH = 300  # maxLength above this → textarea

_TRUE = frozenset({"on", "1", "true", "yes", "да"})
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")
_INDEX = re.compile(r"[0-9]{1,9}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RU_DATE = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{4})")  # ДД.ММ.ГГГГ, as a date is typed in Russia
_ROW_INDEX = re.compile(r"/(?:[0-9]+|__i__)(?=/|$)")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class Field:
    name: str  # JSON pointer of the value = the HTML input name, e.g. "/activities/0/title"
    label: str  # the schema "title" (Russian)
    kind: str  # text | textarea | date | integer | number | select | checkbox | object | table
    value: Any = None  # str for inputs, bool for checkbox; the dict / list for object / table
    required: bool = False
    error: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)  # select: (value, label)
    children: list[Field] = field(default_factory=list)  # object: its fields
    columns: list[Field] = field(default_factory=list)  # table: template fields, index "__i__"
    rows: list[list[Field]] = field(default_factory=list)  # table: the fields of every row
    help: str | None = None  # schema "description"
    max_length: int | None = None
    condition: str | None = None  # required only then: "обязательно, если «Решение» — «Вернуть на доработку»"

    @property
    def id(self) -> str:
        """The HTML id: the name with everything but letters, digits, "_" and "-" as "-"."""
        return html_id(self.name)

    @property
    def input_type(self) -> str:
        """The <input type> for text/date/integer/number fields. A value that the typed input
        would not accept (e.g. "abc" typed into a number field and refused by validation) is
        shown in a plain text input, so that the user sees what was posted."""
        if self.kind in ("integer", "number"):
            text = self.value if isinstance(self.value, str) else ""
            shown = not text or ("," not in text and _NUMBER.fullmatch(text.strip()) is not None)
            return "number" if shown else "text"
        if self.kind == "date":
            text = self.value if isinstance(self.value, str) else ""
            return "date" if not text or _ISO_DATE.fullmatch(text) else "text"
        return "text"

    def walk(self) -> Iterator[Field]:
        """This field and every field below it (object children, table cells; not columns)."""
        yield self
        for child in self.children:
            yield from child.walk()
        for row in self.rows:
            for cell in row:
                yield from cell.walk()


def html_id(name: str) -> str:
    return "f" + _UNSAFE_ID.sub("-", name)


# --- schema walking --------------------------------------------------------------------------


def _type(schema: dict) -> str | None:
    types = schema.get("type")
    if isinstance(types, list):
        types = next((t for t in types if t != "null"), None)
    return types if isinstance(types, str) else None


def _kind(schema: dict) -> str:
    if schema.get("const") is True or _type(schema) == "boolean":
        return "checkbox"
    if isinstance(schema.get("enum"), list):
        return "select"
    kind = _type(schema)
    if kind == "object" or (kind is None and isinstance(schema.get("properties"), dict)):
        return "object"
    if kind == "array":
        return "table"
    if kind in ("integer", "number"):
        return kind
    if schema.get("format") == "date":
        return "date"
    if schema.get(FREE_TEXT) is True:
        return "textarea"
    max_length = schema.get("maxLength")
    return "textarea" if isinstance(max_length, int) and max_length > TEXTAREA_MIN_LENGTH else "text"


def _properties(refs: SchemaRefs, schema: dict) -> Iterator[tuple[str, dict, bool]]:
    required = schema.get("required") or []
    for prop, sub in (schema.get("properties") or {}).items():
        yield prop, refs.merged(sub), prop in required


def _items(refs: SchemaRefs, schema: dict) -> dict:
    return refs.merged(schema.get("items"))


def _text(value: Any) -> str:
    """A JSON value as the text of an input."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- build_fields ----------------------------------------------------------------------------


def build_fields(
    schema: dict,
    value: Mapping[str, Any] | None,
    errors: Mapping[str, str] | Iterable[Any] | None = None,
) -> list[Field]:
    """The fields of the form ``schema`` showing ``value``, with ``errors`` at their fields.

    ``errors`` maps JSON pointers to messages, or is a list of objects with ``pointer`` and
    ``message`` (what ``FormCatalog.validate`` returns). An error for a pointer that has no field
    of its own (e.g. "/activities/0") goes to the nearest field that does: the first field inside
    it, else its closest ancestor. Errors for "" (the whole form) are not placed; show them above
    the form (see :func:`unplaced_errors`).
    """
    refs = SchemaRefs(schema)
    fields = _object_fields(refs, refs.merged(schema), value if isinstance(value, Mapping) else {}, "", "", None)
    _place_errors(fields, _error_map(errors))
    return fields


def _object_fields(
    refs: SchemaRefs, schema: dict, value: Mapping[str, Any], pointer: str, prefix: str, row: int | None
) -> list[Field]:
    result = []
    conditions = _conditions(refs, schema)
    for prop, sub, required in _properties(refs, schema):
        name = f"{pointer}/{pointers.escape(prop)}"
        fields = _prop_fields(refs, prop, sub, required, value.get(prop), name, prefix, row)
        if prop in conditions and not required:
            for f in fields:
                f.condition = conditions[prop]
        result.extend(fields)
    return result


def _conditions(refs: SchemaRefs, schema: dict) -> dict[str, str]:
    """Properties required only under a condition (if/then, also inside allOf; dependentRequired),
    each with the condition in words."""
    props = {prop: sub for prop, sub, _ in _properties(refs, schema)}
    out: dict[str, str] = {}
    for part in [schema, *[p for p in schema.get("allOf") or [] if isinstance(p, dict)]]:
        cond, then = part.get("if"), part.get("then")
        when = _when(cond, props) if isinstance(cond, dict) and isinstance(then, dict) else None
        if when:
            for prop in then.get("required") or []:
                out.setdefault(prop, f"обязательно, если {when}")
    dependent = schema.get("dependentRequired")
    for key, needed in (dependent.items() if isinstance(dependent, dict) else []):
        label = props.get(key, {}).get("title") or key
        for prop in needed if isinstance(needed, list) else []:
            out.setdefault(prop, f"обязательно, если заполнено «{label}»")
    return out


def _when(cond: dict, props: dict[str, dict]) -> str | None:
    """An "if" that compares properties with constants, in words; None for anything else."""
    parts = []
    for prop, test in (cond.get("properties") or {}).items():
        if not isinstance(test, dict) or "const" not in test:
            return None
        sub, value = props.get(prop, {}), test["const"]
        label = sub.get("title") or prop
        if value is True or value is False:
            parts.append(f"{'' if value else 'не '}отмечено «{label}»")
            continue
        enum, titles = sub.get("enum"), sub.get("x-enum-titles")
        shown = titles[enum.index(value)] if isinstance(enum, list) and isinstance(titles, list) \
            and value in enum and len(titles) == len(enum) else _text(value)
        parts.append(f"«{label}» — «{shown}»")
    return " и ".join(parts) or None


def offer_choices(fields: list[Field], choices: Mapping[str, list[tuple[str, str]]]) -> list[Field]:
    """Make number or text fields a choice from a list known only at run time (the card's
    activities, say). ``choices`` is keyed by the field's pointer with "*" for a row index
    ("/activity_no", "/reports/*/activity_no"); a value not in the list is kept, selected."""
    if not choices:
        return fields

    def offer(f: Field) -> None:
        options = choices.get(_ROW_INDEX.sub("/*", f.name))
        if options is not None and f.kind in ("integer", "number", "text"):
            f.kind, f.options = "select", list(options)
            text = f.value if isinstance(f.value, str) else _text(f.value)
            if text not in {v for v, _ in f.options}:
                f.options[:0] = [("", CHOOSE)] + ([(text, text)] if text else [])
        for child in [*f.children, *f.columns, *(c for row in f.rows for c in row)]:
            offer(child)

    for top in fields:
        offer(top)
    return fields


def _prop_fields(
    refs: SchemaRefs, prop: str, sub: dict, required: bool, value: Any, name: str, prefix: str, row: int | None
) -> list[Field]:
    """The field(s) of one property. Inside a table row (``row`` is not None) objects are
    flattened into their fields with "Group: Sub" labels."""
    kind = _kind(sub)
    label = prefix + str(sub.get("title") or prop)
    help_text = sub.get("description") if isinstance(sub.get("description"), str) else None
    if kind == "object":
        children = _object_fields(
            refs, sub, value if isinstance(value, Mapping) else {}, name, f"{label}: " if row is not None else "", row
        )
        if row is not None:
            for child in children:
                child.required = child.required and required
            return children
        return [Field(name, label, kind, value, required, children=children, help=help_text)]
    if kind == "table":
        if row is not None:
            raise ValueError(f"arrays inside table rows are not supported: {name}")
        return [_table(refs, sub, required, value, name, label, help_text)]
    if kind == "checkbox":
        # Only a checkbox that must be ticked (const: true, e.g. an acknowledgement) is required:
        # an unticked optional or required boolean is simply False.
        return [Field(name, label, kind, value is True, sub.get("const") is True, help=help_text)]
    text = _text(value)
    result = Field(name, label, kind, text, required, help=help_text)
    if kind == "select":
        titles = sub.get("x-enum-titles") or [_text(v) for v in sub["enum"]]
        result.options = [(_text(v), str(t)) for v, t in zip(sub["enum"], titles, strict=True)]
        if text not in {v for v, _ in result.options}:
            # No value yet, or one that is not allowed: the latter is shown (selected) as posted.
            result.options[:0] = [("", CHOOSE)] + ([(text, text)] if text else [])
    max_length = sub.get("maxLength")
    if isinstance(max_length, int) and not isinstance(max_length, bool):
        result.max_length = max_length
    return [result]


def _table(
    refs: SchemaRefs, schema: dict, required: bool, value: Any, name: str, label: str, help_text: str | None
) -> Field:
    items = _items(refs, schema)
    min_items = schema.get("minItems")
    required = required or (isinstance(min_items, int) and min_items > 0)
    table = Field(name, label, "table", value, required, help=help_text)
    objects = _kind(items) == "object"
    item_label = str(items.get("title") or label)

    def cells(index: str, item: Any) -> list[Field]:
        pointer = f"{name}/{index}"
        if objects:
            return _object_fields(refs, items, item if isinstance(item, Mapping) else {}, pointer, "", 0)
        # Scalar items: one column, labelled by the item's title.
        cell = _prop_fields(refs, "", items, True, item, pointer, "", 0)[0]
        cell.label = item_label
        return [cell]

    table.columns = cells(PLACEHOLDER, None)
    table.rows = [cells(str(i), item) for i, item in enumerate(value)] if isinstance(value, list) else []
    return table


def _error_map(errors: Mapping[str, str] | Iterable[Any] | None) -> dict[str, str]:
    if not errors:
        return {}
    if isinstance(errors, Mapping):
        return {str(k): str(v) for k, v in errors.items()}
    result: dict[str, str] = {}
    for error in errors:
        pointer, message = (error.pointer, error.message) if hasattr(error, "pointer") else error
        result[pointer] = _join(result.get(pointer), message)
    return result


def _join(old: str | None, message: str) -> str:
    if not old:
        return message
    return old if message in old.split("; ") else f"{old}; {message}"


def _place_errors(fields: list[Field], errors: dict[str, str]) -> dict[str, str]:
    everything = [f for top in fields for f in top.walk()]
    by_name = {f.name: f for f in everything}
    unplaced = {}
    for pointer, message in errors.items():
        target = _target(pointer, by_name, everything)
        if target is None:
            unplaced[pointer] = message
        else:
            target.error = _join(target.error, message)
    return unplaced


def _target(pointer: str, by_name: dict[str, Field], everything: list[Field]) -> Field | None:
    while pointer:
        if pointer in by_name:
            return by_name[pointer]
        inside = next((f for f in everything if f.name.startswith(pointer + "/")), None)
        if inside is not None:
            return inside
        pointer = pointer.rpartition("/")[0]
    return None


def unplaced_errors(schema: dict, errors: Mapping[str, str] | Iterable[Any] | None) -> dict[str, str]:
    """The errors :func:`build_fields` shows at no field: in practice only the whole form's
    (pointer ""); show them above the form."""
    return _place_errors(build_fields(schema, None), _error_map(errors))


# --- parse_form ------------------------------------------------------------------------------


class _Node:
    __slots__ = ("children", "values")

    def __init__(self) -> None:
        self.values: list[str] | None = None
        self.children: dict[str, _Node] = {}


def _tree(form: Mapping[str, Any]) -> _Node:
    top = _Node()
    getlist = getattr(form, "getlist", None)
    for key in form.keys():
        if not isinstance(key, str) or not key.startswith("/"):
            continue
        values = getlist(key) if callable(getlist) else [form[key]]
        values = [v if isinstance(v, str) else str(v) for v in values]
        node = top
        for token in pointers.split(key):
            node = node.children.setdefault(token, _Node())
        node.values = (node.values or []) + values
    return top


def parse_form(schema: dict, form: Mapping[str, Any]) -> dict:
    """The object a posted form stands for (``form``: a dict or a werkzeug MultiDict).

    Only names that are JSON pointers to properties of the schema are read (``csrf_token``,
    ``action`` and the like are ignored). Arrays are built from the indices present, in numeric
    order, re-indexed from 0; table rows whose fields are all empty are dropped. Integers and
    numbers are converted when the text is one ("," is accepted as the decimal separator),
    otherwise kept as typed; checkboxes are True when posted, False when not (in any object of
    which something was posted). An empty text is dropped for an optional property when "" would
    not be valid for it anyway (a date, an enum, a number, a non-empty text), and kept otherwise
    (a required field, so validation reports it; an optional free text such as a comment).
    Text is kept as typed except that "\\r\\n" becomes "\\n".
    """
    refs = SchemaRefs(schema)
    return _parse_object(refs, refs.merged(schema), _tree(form))


def _parse_object(refs: SchemaRefs, schema: dict, node: _Node) -> dict:
    result: dict[str, Any] = {}
    for prop, sub, required in _properties(refs, schema):
        child = node.children.get(prop)
        kind = _kind(sub)
        if kind == "checkbox":
            result[prop] = bool(child and child.values and any(v.strip().lower() in _TRUE for v in child.values))
        elif kind == "object":
            if child is None or not child.children:
                continue
            value = _parse_object(refs, sub, child)
            if required or not _blank(value):
                result[prop] = value
        elif kind == "table":
            items = _parse_array(refs, sub, child)
            if items or required:
                result[prop] = items
        elif child is not None and child.values is not None:
            value = _coerce(sub, child.values[0])
            if value != "" or required or _empty_allowed(sub):
                result[prop] = value
    return result


def _parse_array(refs: SchemaRefs, schema: dict, node: _Node | None) -> list:
    if node is None:
        return []
    items = _items(refs, schema)
    indices = sorted((int(k), child) for k, child in node.children.items() if _INDEX.fullmatch(k))
    result = []
    for _, child in indices:
        if _kind(items) == "object":
            value: Any = _parse_object(refs, items, child)
        elif _kind(items) == "checkbox":
            value = bool(child.values and any(v.strip().lower() in _TRUE for v in child.values))
        elif child.values is not None:
            value = _coerce(items, child.values[0])
        else:
            continue
        if not _blank(value):
            result.append(value)
    return result


def _blank(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    return value is None or value is False or value == ""


def _coerce(schema: dict, text: str) -> Any:
    text = text.replace("\r\n", "\n")
    choices = schema.get("enum") if isinstance(schema.get("enum"), list) else None
    if choices is None and "const" in schema:
        choices = [schema["const"]]
    if choices is not None:
        return next((c for c in choices if _text(c) == text and c is not None), text)
    kind = _type(schema)
    stripped = text.strip()
    if schema.get("format") == "date" and (typed := _RU_DATE.fullmatch(stripped)):
        return f"{typed[3]}-{typed[2]}-{typed[1]}"  # ДД.ММ.ГГГГ typed where no date picker is shown
    if kind == "integer" and _INTEGER.fullmatch(stripped):
        try:
            return int(stripped)
        except ValueError:  # more digits than Python converts
            return text
    if kind == "number" and _NUMBER.fullmatch(stripped):
        stripped = stripped.replace(",", ".")
        if _INTEGER.fullmatch(stripped):
            try:
                return int(stripped)
            except ValueError:
                return text
        number = float(stripped)
        return number if math.isfinite(number) else text
    return text


def _empty_allowed(schema: dict) -> bool:
    """Whether "" is valid for the property by its own schema (not counting if/then)."""
    if "enum" in schema or "const" in schema or "format" in schema:
        return False
    kind = schema.get("type")
    if kind is not None and "string" not in (kind if isinstance(kind, list) else [kind]):
        return False
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and min_length > 0:
        return False
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            return re.search(pattern, "") is not None
        except re.error:
            return False
    return True


# --- to_form_data ----------------------------------------------------------------------------


def to_form_data(schema: dict, value: Mapping[str, Any]) -> dict[str, str]:
    """What a browser posts for the form ``schema`` showing ``value``: pointer → text.
    Checked checkboxes post "on", unchecked ones nothing. parse_form(schema, to_form_data(schema,
    v)) == v for every valid v that has no empty optional dates/enums/numbers."""
    result: dict[str, str] = {}
    refs = SchemaRefs(schema)
    _flatten(refs, refs.merged(schema), value, "", result)
    return result


def _flatten(refs: SchemaRefs, schema: dict, value: Any, pointer: str, out: dict[str, str]) -> None:
    kind = _kind(schema)
    if isinstance(value, Mapping) and kind == "object":
        props = dict((p, s) for p, s, _ in _properties(refs, schema))
        for key, item in value.items():
            if key in props:
                _flatten(refs, props[key], item, f"{pointer}/{pointers.escape(key)}", out)
    elif isinstance(value, list) and kind == "table":
        items = _items(refs, schema)
        for index, item in enumerate(value):
            _flatten(refs, items, item, f"{pointer}/{index}", out)
    elif kind == "checkbox":
        if value is True:
            out[pointer] = "on"
    elif value is not None and not isinstance(value, Mapping | list):
        out[pointer] = _text(value)
