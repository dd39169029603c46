from __future__ import annotations

import copy
import importlib
import json
import sys
from pathlib import Path

import pytest

from service.forms import FieldError, FormCatalog, UnknownForm
from service.forms import pointers as json_pointer
from service.forms.refs import SchemaRefs

ROOT = Path(__file__).resolve().parents[2]
FORMS_DIR = ROOT / "forms"
FORM_NAMES = [
    "draft",
    "sign",
    "review",
    "implementation",
    "activity_report",
    "correction",
    "final_results",
    "conclusions",
    "acknowledge",
]

if str(ROOT) not in sys.path:  # "tests" is not an installed package; make tests/form_examples.py importable
    sys.path.insert(0, str(ROOT))
VALID: dict[str, dict] = importlib.import_module("tests.support.form_examples").VALID


@pytest.fixture(scope="module")
def catalog() -> FormCatalog:
    return FormCatalog(FORMS_DIR)


def example(name: str) -> dict:
    return copy.deepcopy(VALID[name])


def pointers(errors: list[FieldError]) -> list[str]:
    return [e.pointer for e in errors]


# --- the catalog ----------------------------------------------------------------------------


def test_catalog_lists_every_form(catalog):
    assert catalog.names() == sorted(FORM_NAMES)


def test_examples_cover_every_form():
    assert sorted(VALID) == sorted(FORM_NAMES)


@pytest.mark.parametrize("name", FORM_NAMES)
def test_valid_example_passes(catalog, name):
    assert catalog.validate(name, example(name)) == []


def test_draft_example_has_two_activities_and_one_final_event():
    assert len(VALID["draft"]["activities"]) == 2
    assert len(VALID["draft"]["final_events"]) == 1


def test_schema_returns_a_copy_that_does_not_change_validation(catalog):
    schema = catalog.schema("sign")
    assert schema["properties"]["decision"]["title"] == "Решение"
    schema["properties"].clear()
    schema["additionalProperties"] = True
    assert catalog.validate("sign", {"decision": "sign", "extra": 1}) == [
        FieldError("/extra", "Неизвестное поле")
    ]


@pytest.mark.parametrize("call", ["schema", "validate"])
def test_unknown_form_raises_unknown_form(catalog, call):
    args = ("nope",) if call == "schema" else ("nope", {})
    with pytest.raises(UnknownForm, match="nope"):
        getattr(catalog, call)(*args)


def test_unknown_form_is_a_lookup_error():
    assert issubclass(UnknownForm, LookupError)


@pytest.mark.parametrize(
    "content",
    [
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "objekt"}',
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",',
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "#/$defs/missing"}',
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "https://example.org/x.json"}',
        '{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}',
        "[]",
    ],
    ids=["bad-type", "bad-json", "dangling-ref", "remote-ref", "other-dialect", "not-an-object"],
)
def test_broken_schema_file_raises_at_construction_naming_the_file(tmp_path, content):
    (tmp_path / "good.json").write_text(json.dumps(VALID_SCHEMA_MINIMAL), encoding="utf-8")
    (tmp_path / "broken_form.json").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="broken_form.json"):
        FormCatalog(tmp_path)


def test_missing_forms_directory_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        FormCatalog(tmp_path / "absent")


VALID_SCHEMA_MINIMAL = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
}


# --- conventions every form file follows -----------------------------------------------------


def _walk(node, path=""):
    """Yield (path, schema) for every subschema, skipping if/then/else (they only re-constrain)."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key in ("if", "then", "else", "enum", "const", "required"):
                continue
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    yield from _walk(sub, f"{path}/{key}/{name}")
            else:
                yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


@pytest.mark.parametrize("name", FORM_NAMES)
def test_form_file_follows_the_conventions(name):
    schema = json.loads((FORMS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    problems = []
    for path, node in _walk(schema):
        if node.get("type") == "object" and node.get("additionalProperties") is not False:
            problems.append(f"{path}: additionalProperties must be false")
        for prop, sub in node.get("properties", {}).items():
            if not any("а" <= ch.lower() <= "я" for ch in sub.get("title", "")):
                problems.append(f"{path}/properties/{prop}: needs a Russian title")
        if node.get("type") == "string" and "format" not in node and node.get("maxLength") not in (300, 4000):
            problems.append(f"{path}: string needs maxLength 300 or 4000")
        if node.get("type") == "array" and node.get("maxItems") != 200:
            problems.append(f"{path}: array needs maxItems 200")
    assert problems == []


# --- messages -------------------------------------------------------------------------------


def _set(data: dict, pointer: str, value) -> dict:
    *parents, last = pointer.strip("/").split("/")
    node = data
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def _delete(data: dict, pointer: str) -> dict:
    *parents, last = pointer.strip("/").split("/")
    node = data
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]
    del node[last]
    return data


@pytest.mark.parametrize(
    ("form", "pointer", "value", "message"),
    [
        ("draft", "/info/full_name", 42, "Ожидается строка"),
        ("draft", "/info/experience_years", "14", "Ожидается целое число"),
        ("draft", "/info/experience_years", 14.5, "Ожидается целое число"),
        ("draft", "/info/experience_years", True, "Ожидается целое число"),
        ("draft", "/info/experience_years", 71, "Не больше 70"),
        ("draft", "/info/experience_years", -1, "Не меньше 0"),
        ("draft", "/info/courses/0/hours", 0, "Не меньше 1"),
        ("draft", "/info/courses", {}, "Ожидается список"),
        ("draft", "/period", "2024-2025", "Ожидается объект"),
        ("final_results", "/final_events/0/done", "да", "Ожидается да/нет"),
        ("draft", "/period/start", "01.09.2024", "Ожидается дата в формате ГГГГ-ММ-ДД"),
        ("draft", "/activities/0/start", "2024-02-30", "Ожидается дата в формате ГГГГ-ММ-ДД"),
        ("draft", "/info/attestation_date", "20211220", "Ожидается дата в формате ГГГГ-ММ-ДД"),
        (
            "draft",
            "/info/category",
            "вторая",
            "Допустимые значения: без категории, соответствие занимаемой должности, первая, высшая",
        ),
        (
            "draft",
            "/activities/1/level",
            "районный",
            "Допустимые значения: федеральный, региональный, муниципальный, уровень ОО",
        ),
        ("sign", "/decision", "approve", "Допустимые значения: Подписать, Вернуть на доработку"),
        ("draft", "/info/full_name", "", "Поле не может быть пустым"),
        ("draft", "/info/full_name", " \n\t ", "Поле не может быть пустым"),
        ("draft", "/info/full_name", "Я" * 301, "Не больше 300 символов"),
        ("conclusions", "/text", "я" * 4001, "Не больше 4000 символов"),
        ("draft", "/activities", [], "Нужно не меньше 1 элемента"),
        ("draft", "/entry_diagnostics/deficits", [], "Нужно не меньше 1 элемента"),
        ("draft", "/final_events", [], "Нужно не меньше 1 элемента"),
        ("acknowledge", "/acknowledged", False, "Требуется подтверждение"),
        ("acknowledge", "/acknowledged", "true", "Требуется подтверждение"),
        ("activity_report", "/reports/0/activity_no", 0, "Не меньше 1"),
    ],
)
def test_bad_value_gets_a_russian_message_at_its_pointer(catalog, form, pointer, value, message):
    data = _set(example(form), pointer, value)
    assert catalog.validate(form, data) == [FieldError(pointer, message)]


def test_too_many_items_are_refused(catalog):
    data = example("draft")
    data["activities"] = data["activities"] * 101
    assert catalog.validate("draft", data) == [FieldError("/activities", "Не больше 200 элементов")]


@pytest.mark.parametrize(
    ("form", "pointer"),
    [
        ("draft", "/info"),
        ("draft", "/info/full_name"),
        ("draft", "/info/courses/0/hours"),
        ("draft", "/period/end"),
        ("draft", "/entry_diagnostics/deficits/1/level"),
        ("draft", "/activities/1/presentation_form"),
        ("draft", "/final_events/0/form"),
        ("sign", "/decision"),
        ("review", "/decision"),
        ("implementation", "/next"),
        ("activity_report", "/reports/0/done"),
        ("correction", "/replacement/organizer"),
        ("final_results", "/final_diagnostics/form"),
        ("final_results", "/final_events/0/title"),
        ("conclusions", "/text"),
        ("acknowledge", "/acknowledged"),
    ],
)
def test_missing_required_field_points_to_that_field(catalog, form, pointer):
    data = _delete(example(form), pointer)
    assert catalog.validate(form, data) == [FieldError(pointer, "Обязательное поле")]


def test_optional_fields_may_be_left_out(catalog):
    data = example("draft")
    for field in ("courses", "attestation_date", "titles", "awards"):
        del data["info"][field]
    assert catalog.validate("draft", data) == []


def test_every_missing_field_is_reported_in_pointer_order(catalog):
    data = example("draft")
    data["activities"][1] = {"title": "Семинар"}
    assert catalog.validate("draft", data) == [
        FieldError("/activities/1/end", "Обязательное поле"),
        FieldError("/activities/1/level", "Обязательное поле"),
        FieldError("/activities/1/organizer", "Обязательное поле"),
        FieldError("/activities/1/presentation_form", "Обязательное поле"),
        FieldError("/activities/1/start", "Обязательное поле"),
    ]


@pytest.mark.parametrize(
    ("form", "pointer"),
    [
        ("draft", "/surname"),
        ("draft", "/info/phone"),
        ("draft", "/activities/0/hours"),
        ("sign", "/signature"),
        ("acknowledge", "/acknowledged_at"),
    ],
)
def test_unknown_field_is_refused_at_its_own_pointer(catalog, form, pointer):
    data = _set(example(form), pointer, "x")
    assert catalog.validate(form, data) == [FieldError(pointer, "Неизвестное поле")]


def test_each_unknown_field_gets_its_own_error(catalog):
    data = {"decision": "sign", "a": 1, "b/c": 2, "d~e": 3}
    assert catalog.validate("sign", data) == [
        FieldError("/a", "Неизвестное поле"),
        FieldError("/b~1c", "Неизвестное поле"),
        FieldError("/d~0e", "Неизвестное поле"),
    ]


@pytest.mark.parametrize("data", [None, [], "text", 1, True])
def test_data_that_is_not_an_object_is_refused_as_a_whole(catalog, data):
    assert catalog.validate("sign", data) == [FieldError("", "Ожидается объект")]


# --- conditional rules ----------------------------------------------------------------------


@pytest.mark.parametrize("form", ["sign", "review"])
def test_return_without_comment_points_to_comment(catalog, form):
    assert catalog.validate(form, {"decision": "return"}) == [FieldError("/comment", "Обязательное поле")]


@pytest.mark.parametrize("form", ["sign", "review"])
@pytest.mark.parametrize("comment", ["", "   ", "\n\t", "\u00a0"])
def test_return_with_blank_comment_is_refused(catalog, form, comment):
    errors = catalog.validate(form, {"decision": "return", "comment": comment})
    assert errors == [FieldError("/comment", "Поле не может быть пустым")]


@pytest.mark.parametrize(("form", "decision"), [("sign", "sign"), ("review", "accept")])
def test_positive_decision_needs_no_comment(catalog, form, decision):
    assert catalog.validate(form, {"decision": decision}) == []
    assert catalog.validate(form, {"decision": decision, "comment": "  "}) == []


def test_return_with_comment_is_accepted(catalog):
    assert catalog.validate("review", {"decision": "return", "comment": "Уточните сроки"}) == []


def test_correction_withdraw_needs_nothing_else(catalog):
    assert catalog.validate("correction", {"action": "withdraw"}) == []


def test_correction_submit_needs_date_reason_activity_and_replacement(catalog):
    assert catalog.validate("correction", {"action": "submit"}) == [
        FieldError("/activity_no", "Обязательное поле"),
        FieldError("/date", "Обязательное поле"),
        FieldError("/reason", "Обязательное поле"),
        FieldError("/replacement", "Обязательное поле"),
    ]


def test_correction_submit_with_blank_reason_is_refused(catalog):
    data = _set(example("correction"), "/reason", " ")
    assert catalog.validate("correction", data) == [FieldError("/reason", "Поле не может быть пустым")]


def test_activity_not_done_without_reason_points_to_the_reason(catalog):
    data = {"reports": [{"activity_no": 1, "done": False}]}
    assert catalog.validate("activity_report", data) == [
        FieldError("/reports/0/reason_not_done", "Обязательное поле")
    ]


def test_activity_not_done_with_blank_reason_is_refused(catalog):
    data = {
        "reports": [
            {"activity_no": 1, "done": True},
            {"activity_no": 2, "done": False, "reason_not_done": ""},
        ]
    }
    assert catalog.validate("activity_report", data) == [
        FieldError("/reports/1/reason_not_done", "Поле не может быть пустым")
    ]


def test_activity_done_needs_no_reason(catalog):
    assert catalog.validate("activity_report", {"reports": [{"activity_no": 3, "done": True}]}) == []


def test_conclusions_prolong_needs_reason_and_date(catalog):
    data = {"outcome": "prolong", "text": "Маршрут реализован частично"}
    assert catalog.validate("conclusions", data) == [
        FieldError("/prolong_reason", "Обязательное поле"),
        FieldError("/prolong_until", "Обязательное поле"),
    ]


def test_conclusions_prolong_with_reason_and_date_is_accepted(catalog):
    data = {
        "outcome": "prolong",
        "text": "Маршрут реализован частично",
        "prolong_reason": "Длительный больничный",
        "prolong_until": "2025-12-31",
    }
    assert catalog.validate("conclusions", data) == []


def test_conclusions_prolong_with_blank_reason_and_bad_date_is_refused(catalog):
    data = {"outcome": "prolong", "text": "Выводы", "prolong_reason": "\t", "prolong_until": "31.12.2025"}
    assert catalog.validate("conclusions", data) == [
        FieldError("/prolong_reason", "Поле не может быть пустым"),
        FieldError("/prolong_until", "Ожидается дата в формате ГГГГ-ММ-ДД"),
    ]


def test_conclusions_text_must_not_be_blank(catalog):
    assert catalog.validate("conclusions", {"outcome": "effective", "text": "  "}) == [
        FieldError("/text", "Поле не может быть пустым")
    ]


def test_acknowledge_false_is_refused(catalog):
    assert catalog.validate("acknowledge", {"acknowledged": False}) == [
        FieldError("/acknowledged", "Требуется подтверждение")
    ]


# --- text content ---------------------------------------------------------------------------

TRICKY_TEXT = "ООО «Рога & копыта» <b>не</b> \"тег\" 'кавычки'\nвторая строка\r\nтретья\tс табуляцией"


@pytest.mark.parametrize(
    ("form", "pointer"),
    [
        ("draft", "/info/awards"),
        ("draft", "/activities/0/title"),
        ("sign", "/comment"),
        ("conclusions", "/text"),
    ],
)
def test_text_with_markup_quotes_and_new_lines_is_accepted_unchanged(catalog, form, pointer):
    data = _set(example(form), pointer, TRICKY_TEXT)
    before = copy.deepcopy(data)
    assert catalog.validate(form, data) == []
    assert data == before


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_control_character_is_refused(catalog, char):
    data = _set(example("draft"), "/activities/1/organizer", f"МБОУ{char}СОШ")
    assert catalog.validate("draft", data) == [
        FieldError("/activities/1/organizer", "Недопустимый управляющий символ")
    ]


def test_nul_is_refused_at_any_depth_even_in_unknown_fields(catalog):
    data = {"decision": "return", "comment": "a\x00b", "extra": ["ok", "\x00"]}
    assert catalog.validate("sign", data) == [
        FieldError("/comment", "Недопустимый управляющий символ"),
        FieldError("/extra", "Неизвестное поле"),
        FieldError("/extra/1", "Недопустимый управляющий символ"),
    ]


def test_lone_surrogate_is_refused(catalog):
    assert catalog.validate("sign", {"decision": "return", "comment": "a\ud800"}) == [
        FieldError("/comment", "Недопустимый символ")
    ]


# --- generic mapping, on a schema of the test's own ------------------------------------------


@pytest.fixture
def custom_catalog(tmp_path) -> FormCatalog:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "snils": {
                "type": "string",
                "title": "СНИЛС",
                "pattern": "^[0-9]{11}$",
                "x-error": "Неверный СНИЛС",
            },
            "code": {"type": "string", "title": "Код", "pattern": "^[A-Z]+$"},
            "tags": {"type": "array", "title": "Метки", "uniqueItems": True, "minItems": 2, "maxItems": 21},
            "day": {"$ref": "#/$defs/day", "title": "День", "x-error": "Укажите день"},
            "name": {"type": "string", "title": "Имя", "minLength": 3},
            "hours": {
                "title": "Часы",
                "anyOf": [
                    {"type": "integer"},
                    {
                        "type": "object",
                        "properties": {"from": {"type": "string", "format": "date"}},
                        "required": ["from"],
                        "additionalProperties": False,
                    },
                ],
            },
        },
        "required": ["day"],
        "additionalProperties": False,
        "$defs": {"day": {"type": "string", "format": "date"}},
    }
    (tmp_path / "custom.json").write_text(json.dumps(schema), encoding="utf-8")
    return FormCatalog(tmp_path)


def test_x_error_overrides_the_message_of_its_field(custom_catalog):
    assert custom_catalog.validate("custom", {"day": "2024-01-01", "snils": "123"}) == [
        FieldError("/snils", "Неверный СНИЛС")
    ]


def test_x_error_on_a_referencing_property_covers_missing_and_wrong_values(custom_catalog):
    assert custom_catalog.validate("custom", {}) == [FieldError("/day", "Укажите день")]
    assert custom_catalog.validate("custom", {"day": "вчера"}) == [FieldError("/day", "Укажите день")]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "abc", "Значение не соответствует формату"),
        ("tags", ["a", "a"], "Элементы списка не должны повторяться"),
        ("tags", ["a"], "Нужно не меньше 2 элементов"),
        ("tags", [str(i) for i in range(22)], "Не больше 21 элемента"),
        ("name", "Ян", "Не меньше 3 символов"),
    ],
)
def test_other_keywords_get_russian_messages(custom_catalog, field, value, message):
    assert custom_catalog.validate("custom", {"day": "2024-01-01", field: value}) == [
        FieldError(f"/{field}", message)
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("много", [FieldError("/hours", "Ожидается целое число или объект")]),
        ({"from": "вчера"}, [FieldError("/hours/from", "Ожидается дата в формате ГГГГ-ММ-ДД")]),
        ({"from": "2024-01-01", "to": 1}, [FieldError("/hours/to", "Неизвестное поле")]),
        ({}, [FieldError("/hours/from", "Обязательное поле")]),
    ],
)
def test_any_of_reports_the_alternative_that_got_furthest(custom_catalog, value, expected):
    assert custom_catalog.validate("custom", {"day": "2024-01-01", "hours": value}) == expected


# --- JSON pointers and references ------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "pointer"),
    [([], ""), (["info", "full_name"], "/info/full_name"), (["activities", 0, "title"], "/activities/0/title"),
     (["a/b", "c~d", "~1"], "/a~1b/c~0d/~01"), ([""], "/")],
)
def test_json_pointers_escape_and_split_back(tokens, pointer):
    assert json_pointer.join(tokens) == pointer
    assert json_pointer.split(pointer) == [str(t) for t in tokens]


def test_a_json_pointer_joins_below_a_base_and_must_start_with_a_slash():
    assert json_pointer.join(["0", "title"], base="/activities") == "/activities/0/title"
    with pytest.raises(ValueError, match="starts with '/'"):
        json_pointer.split("info")


def test_references_resolve_inside_the_schema_only():
    root = {"$defs": {"a/b": {"type": "string"}, "alias": {"$ref": "#/$defs/a~1b", "title": "Псевдоним"}},
            "prefixItems": [{"const": 1}]}
    refs = SchemaRefs(root)
    assert refs.resolve("#") is root
    assert refs.resolve("#/$defs/a~1b") == {"type": "string"}
    assert refs.resolve("#/prefixItems/0") == {"const": 1}
    assert refs.resolve("#/$defs/missing") is None
    assert refs.resolve("https://example.org/x.json") is None
    assert refs.target({"$ref": "#/$defs/alias"}) == {"type": "string"}
    assert refs.merged({"$ref": "#/$defs/alias", "description": "д"}) == {
        "type": "string", "title": "Псевдоним", "description": "д"}
    with pytest.raises(ValueError, match="only local"):
        refs.merged({"$ref": "https://example.org/x.json"})
    with pytest.raises(ValueError, match="unresolvable"):
        refs.merged({"$ref": "#/$defs/missing"})
