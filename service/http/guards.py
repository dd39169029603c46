"""Request guards applied before any view: bounded ids, no control characters, bounded JSON.

What they keep from the views and the database (each would otherwise end in a 500 on at least
one of the databases, or be stored as is):

* ids in the path: the `int` URL converter matches 1…2147483647 only (the range of the id
  columns on PostgreSQL), so a larger id, 0 or a non-ASCII digit is a 404 on every path;
* control characters: in the path a 404; in query-string arguments, form fields and JSON
  strings (keys too) a 422 naming the field. Allowed are tab, CR and LF (remarks are
  multi-line); refused are the other C0 characters, DEL and the C1 block (what the forms'
  validator, service/forms/catalog.py, refuses as control characters too: none of them is text).
  Task forms (`data` of `/api/tasks/<id>/complete`, the task page's form) are validated against
  their JSON Schema and may keep any character but NUL here (PostgreSQL cannot store it in
  text; a draft is saved unvalidated). A lone surrogate (`"\\ud800"` in JSON) cannot be encoded
  for any database and is refused anywhere, as are NaN and ±Infinity (not JSON; PostgreSQL's
  jsonb refuses them). A control character in the User-Agent (recorded with signatures) is a 400;
* JSON bodies: at most MAX_JSON_DEPTH levels of nesting, checked on the raw bytes before the
  body is parsed (Python's parser would give up with a RecursionError); a 400;
* numeric query arguments of the pages (`?school=`, `?page=`, …) within their range; a 422.
"""

from __future__ import annotations

import math
import re
from array import array
from itertools import accumulate
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from service.domain.errors import BadRequestBody, FieldProblem, FormRejected
from service.domain.limits import MAX_ID
from service.forms import pointers

MAX_JSON_DEPTH = 64
MAX_PROBLEMS = 20
# Numeric query arguments the pages read, with their upper bounds (min_days: 100 years; a date
# further back than year 1 would overflow).
BOUNDED_ARGS = {"school": MAX_ID, "tutor": MAX_ID, "page": MAX_ID, "unit": MAX_ID, "centre": MAX_ID,
                "as_of": MAX_ID, "min_days": 36_500}

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # not \t \n \r
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")  # what no text column can keep
PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
HEADER_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Task forms, validated by their JSON Schema: only the unstorable characters are refused there.
# API: endpoint → the JSON pointer of the form data; pages: the endpoints posting a task form.
API_FORM_DATA = {"tasks.complete": "/data"}
PAGE_FORMS = frozenset({"web.submit"})

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # as signed bytes: +1 +1 -1 -1


class IdConverter(IntegerConverter):
    """`<int:…>`: an id, 1…2147483647, ASCII digits only."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def json_too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests arrays/objects more than `limit` levels, judged on the bytes
    without parsing: strings are dropped, the brackets left become +1/-1 and the running sum
    is the depth (all in C: 2 MB of brackets take a few tens of milliseconds)."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", data))
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    steps = array("b", brackets.translate(_STEPS))
    return max(accumulate(steps)) > limit


def _char_message(text: str, pattern: re.Pattern) -> str | None:
    """The wording of service/forms/catalog.py, so a form field reads the same whoever refuses it."""
    found = pattern.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"Недопустимый символ (U+{code:04X}, не символ Юникода)"
    return f"Недопустимый управляющий символ (U+{code:04X})"


def json_problems(body: Any, relaxed_under: str | None = None) -> list[FieldProblem]:
    """Control characters, lone surrogates and non-finite numbers anywhere in a parsed JSON
    body, by JSON pointer; under `relaxed_under` only the unstorable characters count."""
    problems: list[FieldProblem] = []

    def refuse(pointer: str, message: str, relaxed: bool) -> None:
        if relaxed:  # the forms' pointers are relative to the form data
            pointer = pointer[len(relaxed_under or ""):] or (relaxed_under or "")
        problems.append(FieldProblem(pointer or "/", message))

    stack: list[tuple[Any, str]] = [(body, "")]
    while stack and len(problems) < MAX_PROBLEMS:
        value, pointer = stack.pop()
        relaxed = relaxed_under is not None and (pointer == relaxed_under or pointer.startswith(relaxed_under + "/"))
        pattern = UNSTORABLE if relaxed else CONTROL
        if isinstance(value, str):
            if message := _char_message(value, pattern):
                refuse(pointer, message, relaxed)
        elif isinstance(value, float) and not math.isfinite(value):
            refuse(pointer, "Число должно быть конечным (NaN и Infinity не допускаются)", relaxed)
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                child = pointers.join([key], pointer)
                child_relaxed = relaxed_under is not None and (
                    child == relaxed_under or child.startswith(relaxed_under + "/"))
                if message := _char_message(key, UNSTORABLE if child_relaxed and relaxed else CONTROL):
                    refuse(child, f"{message} в имени поля", child_relaxed and relaxed)
                stack.append((item, child))
        elif isinstance(value, list):
            stack.extend((item, f"{pointer}/{i}") for i, item in reversed(list(enumerate(value))))
    return problems[:MAX_PROBLEMS]


def _args_problems() -> list[FieldProblem]:
    problems = []
    for name, value in request.args.items(multi=True):
        message = _char_message(name, CONTROL) or _char_message(value, CONTROL)
        if message:
            problems.append(FieldProblem(f"?{name}", message))
        elif name in BOUNDED_ARGS and value.isdigit() and int(value[:20]) > BOUNDED_ARGS[name]:
            problems.append(FieldProblem(f"?{name}", f"Число вне допустимого диапазона (до {BOUNDED_ARGS[name]})"))
    return problems


def _field_pointer(name: str) -> str:
    """A form field's pointer: the task forms name their fields by pointer already."""
    return name if name.startswith("/") else pointers.join([name])


def _form_problems() -> list[FieldProblem]:
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return []
    pattern = UNSTORABLE if request.endpoint in PAGE_FORMS else CONTROL
    problems = []
    for name, value in request.form.items(multi=True):
        if message := _char_message(name, CONTROL) or _char_message(value, pattern):
            problems.append(FieldProblem(_field_pointer(name), message))
    for name, upload in request.files.items(multi=True):
        if message := _char_message(name, CONTROL) or _char_message(upload.filename or "", CONTROL):
            problems.append(FieldProblem(_field_pointer(name), message))
    return problems


def _json_problems() -> list[FieldProblem]:
    if not request.is_json:
        return []
    data = request.get_data(cache=True)
    if not data:
        return []
    if json_too_deep(data):
        raise BadRequestBody(f"Слишком глубокая вложенность JSON (больше {MAX_JSON_DEPTH} уровней)")
    try:
        body = request.get_json(silent=True)
    except (RecursionError, MemoryError):  # pragma: no cover - the depth check above keeps the parser shallow
        raise BadRequestBody("Тело запроса — не корректный JSON") from None
    if body is None:
        return []  # malformed: the view says so (400)
    return json_problems(body, API_FORM_DATA.get(request.endpoint or ""))


def _guard() -> None:
    if PATH_CONTROL.search(request.path) or CONTROL.search(request.path):
        raise NotFound()
    # Recorded with signatures. Headers arrive decoded as Latin-1, so a client's UTF-8 bytes may
    # look like C1 characters: only C0 and DEL are refused here.
    if HEADER_CONTROL.search(request.headers.get("User-Agent", "")):
        raise BadRequestBody("Недопустимые символы в заголовке User-Agent")
    problems = _args_problems() + _form_problems() + _json_problems()
    if problems:
        raise FormRejected(problems[:MAX_PROBLEMS], "Запрос содержит недопустимые символы или значения")


def init_app(app: Flask) -> None:
    """Install the guards; called before any blueprint is registered (URL converters)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(_guard)

