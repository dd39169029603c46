from __future__ import annotations

import copy
import json
from pathlib import Path

import lxml.html
import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.datastructures import MultiDict

from service.forms import FormCatalog
from service.forms.html import (
    CHOOSE,
    Field,
    build_fields,
    parse_form,
    to_form_data,
    unplaced_errors,
)
from service.samples import VALID

ROOT = Path(__file__).resolve().parents[2]
FORMS_DIR = ROOT / "forms"
FORM_NAMES = sorted(path.stem for path in FORMS_DIR.glob("*.json"))


@pytest.fixture(scope="module")
def catalog() -> FormCatalog:
    return FormCatalog(FORMS_DIR)


@pytest.fixture(scope="module")
def macros():
    env = Environment(loader=FileSystemLoader(ROOT / "service" / "templates"), autoescape=select_autoescape())
    return env.get_template("web/_fields.html").module


def schema(name: str) -> dict:
    return json.loads((FORMS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def example(name: str) -> dict:
    return copy.deepcopy(VALID[name])


def by_name(fields: list[Field]) -> dict[str, Field]:
    return {f.name: f for top in fields for f in top.walk()}


def errors_of(catalog: FormCatalog, name: str, data: dict) -> dict[str, str]:
    return {e.pointer: e.message for e in catalog.validate(name, data)}


def posted_inputs(html: str) -> list[tuple[str, str]]:
    """The name/value pairs a browser posts for the rendered fields."""
    doc = lxml.html.fragment_fromstring(html, create_parent="form")
    pairs = []
    for element in doc.iter("input", "select", "textarea"):
        name = element.get("name")
        if not name or any(a.tag == "template" for a in element.iterancestors()):
            continue  # a <template>'s content is inert: never posted
        if element.tag == "textarea":
            text = element.text or ""
            pairs.append((name, text[1:] if text.startswith("\n") else text))  # as the browser parses it
        elif element.tag == "select":
            options = element.findall(".//option")
            chosen = [o for o in options if o.get("selected") is not None] or options[:1]
            pairs.extend((name, o.get("value", o.text or "")) for o in chosen)
        elif element.get("type") == "checkbox":
            if element.get("checked") is not None:
                pairs.append((name, element.get("value", "on")))
        elif element.get("type") not in ("button", "submit"):
            pairs.append((name, element.get("value", "")))
    return pairs


# --- round trip ------------------------------------------------------------------------------


def test_every_form_has_an_example():
    assert FORM_NAMES
    assert set(FORM_NAMES) <= set(VALID)


@pytest.mark.parametrize("name", FORM_NAMES)
def test_round_trip_of_every_form(catalog, name):
    assert catalog.validate(name, VALID[name]) == []
    form = to_form_data(schema(name), example(name))
    assert all(isinstance(k, str) and k.startswith("/") and isinstance(v, str) for k, v in form.items())
    assert parse_form(schema(name), form) == VALID[name]


@pytest.mark.parametrize("name", FORM_NAMES)
def test_round_trip_through_a_multidict_with_other_fields(name):
    form = MultiDict(to_form_data(schema(name), example(name)))
    form.add("csrf_token", "abc")
    form.add("action", "submit")
    form.add("/unknown", "x")
    assert parse_form(schema(name), form) == VALID[name]


@pytest.mark.parametrize("name", FORM_NAMES)
def test_build_fields_shows_every_posted_value(name):
    """Every pointer a browser posts for the example has a field (or a table cell) showing it."""
    fields = by_name(build_fields(schema(name), example(name)))
    for pointer, text in to_form_data(schema(name), example(name)).items():
        field = fields[pointer]
        assert field.value is True if field.kind == "checkbox" else field.value == text, pointer


def test_rendered_draft_posts_the_draft_back(macros):
    html = str(macros.render_fields(build_fields(schema("draft"), example("draft"))))
    pairs = posted_inputs(html)
    names = {name for name, _ in pairs}
    assert {"/info/full_name", "/info/education", "/info/category", "/activities/1/level"} <= names
    assert not any("__i__" in name for name in names)
    assert ("/info/category", "первая") in pairs  # the selected option
    assert ("/info/education", VALID["draft"]["info"]["education"]) in pairs  # a textarea
    assert ("/info/courses/0/hours", "36") in pairs
    assert parse_form(schema("draft"), MultiDict(pairs)) == VALID["draft"]


def test_rendered_form_structure(macros):
    html = str(macros.render_fields(build_fields(schema("draft"), example("draft"))))
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    assert doc.xpath("//fieldset/legend[starts-with(normalize-space(.), 'Сведения о педагоге')]")
    full_name = doc.get_element_by_id("f-info-full_name")
    assert full_name.get("name") == "/info/full_name"
    assert doc.xpath("//label[@for='f-info-full_name']")[0].text_content().strip() == "ФИО педагога *"
    assert doc.get_element_by_id("f-period-start").get("type") == "date"
    assert doc.get_element_by_id("f-info-experience_years").get("type") == "number"
    table = doc.xpath("//table[@class='edit-table'][@data-table='/activities']")[0]
    headers = [th.text_content().strip() for th in table.xpath(".//thead//th")]
    assert headers[0] == "Название мероприятия *"
    assert len(table.xpath("./tbody/tr")) == 2
    assert len(table.xpath(".//button[@class='row-remove secondary']")) == 2
    assert doc.xpath("//button[contains(@class,'row-add')][@data-table='/activities']")[0].text == "Добавить строку"
    template = doc.xpath("//template[@data-table='/activities']")[0]
    assert template.xpath(".//*[@name='/activities/__i__/title'][@id='f-activities-__i__-title']")


def test_rendered_acknowledge_checkbox(macros):
    html = str(macros.render_fields(build_fields(schema("acknowledge"), example("acknowledge"))))
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    box = doc.get_element_by_id("f-acknowledged")
    assert box.get("type") == "checkbox" and box.get("checked") is not None
    assert parse_form(schema("acknowledge"), MultiDict(posted_inputs(html))) == VALID["acknowledge"]


# --- coercion and the values shown back ------------------------------------------------------


def test_invalid_integer_is_kept_as_typed_and_shown_back(catalog, macros):
    form = to_form_data(schema("draft"), example("draft"))
    form["/info/experience_years"] = "14 лет"
    data = parse_form(schema("draft"), form)
    assert data["info"]["experience_years"] == "14 лет"
    errors = errors_of(catalog, "draft", data)
    assert errors == {"/info/experience_years": "Ожидается целое число"}

    fields = build_fields(schema("draft"), data, errors)
    field = by_name(fields)["/info/experience_years"]
    assert (field.value, field.error) == ("14 лет", "Ожидается целое число")
    assert field.input_type == "text"  # a number input would show it blank

    doc = lxml.html.fragment_fromstring(str(macros.render_fields(fields)), create_parent="div")
    shown = doc.get_element_by_id("f-info-experience_years")
    assert shown.get("value") == "14 лет"
    assert shown.get("aria-invalid") == "true" and "invalid" in shown.get("class").split()
    error = shown.getnext()
    assert error.get("class") == "field-error" and error.get("role") == "alert"
    assert error.text == "Ожидается целое число"


def test_integers_and_numbers_are_coerced():
    form = to_form_data(schema("draft"), example("draft"))
    form["/info/experience_years"] = " 7 "
    form["/info/courses/0/hours"] = "1,5"
    data = parse_form(schema("draft"), form)
    assert data["info"]["experience_years"] == 7
    assert data["info"]["courses"][0]["hours"] == "1,5"  # not an integer: kept as typed
    number = {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}
    assert parse_form(number, {"/x": "1,5", "/y": "2"}) == {"x": 1.5, "y": 2}
    assert parse_form(number, {"/x": "nan", "/y": "1e999"}) == {"x": "nan", "y": "1e999"}


def test_blank_optional_date_is_dropped(catalog):
    form = to_form_data(schema("draft"), example("draft"))
    form["/info/attestation_date"] = ""
    data = parse_form(schema("draft"), form)
    assert "attestation_date" not in data["info"]
    assert catalog.validate("draft", data) == []


def test_blank_optional_free_text_is_kept():
    """An empty text is valid for an optional comment: kept, as the examples have it (sign: comment "")."""
    assert parse_form(schema("sign"), {"/decision": "sign", "/comment": ""}) == {"decision": "sign", "comment": ""}
    assert parse_form(schema("conclusions"), {"/outcome": "effective", "/text": "Да", "/prolong_until": ""}) == {
        "outcome": "effective",
        "text": "Да",
    }


def test_blank_required_field_is_kept_and_reported(catalog):
    form = to_form_data(schema("draft"), example("draft"))
    form["/info/full_name"] = ""
    form["/activities/1/start"] = ""
    data = parse_form(schema("draft"), form)
    assert data["info"]["full_name"] == ""
    assert data["activities"][1]["start"] == ""
    errors = errors_of(catalog, "draft", data)
    assert set(errors) == {"/info/full_name", "/activities/1/start"}

    fields = by_name(build_fields(schema("draft"), data, errors))
    assert fields["/info/full_name"].error == errors["/info/full_name"]
    assert fields["/activities/1/start"].error == errors["/activities/1/start"]
    assert fields["/activities/0/start"].error is None


def test_blank_required_select_is_kept_and_shows_the_placeholder(catalog):
    form = to_form_data(schema("review"), example("review"))
    form["/decision"] = ""
    data = parse_form(schema("review"), form)
    assert data["decision"] == ""
    assert "/decision" in errors_of(catalog, "review", data)
    field = by_name(build_fields(schema("review"), data))["/decision"]
    assert field.kind == "select"
    assert field.options == [("", CHOOSE), ("accept", "Согласовать / утвердить"), ("return", "Вернуть на доработку")]
    filled = by_name(build_fields(schema("review"), VALID["review"]))["/decision"]
    assert filled.options == [("accept", "Согласовать / утвердить"), ("return", "Вернуть на доработку")]


def test_line_breaks_are_normalised_and_text_kept_exactly():
    data = parse_form(schema("review"), {"/decision": "return", "/comment": "  Раз\r\nДва  "})
    assert data["comment"] == "  Раз\nДва  "


# --- tables ----------------------------------------------------------------------------------


def rows_renumbered(form: dict[str, str], table: str, numbers: dict[int, int]) -> dict[str, str]:
    """``form`` with the rows of ``table`` renumbered old → new (rows not in ``numbers`` removed)."""
    result = {k: v for k, v in form.items() if not k.startswith(table + "/")}
    for old, new in numbers.items():
        prefix = f"{table}/{old}/"
        result.update({f"{table}/{new}/" + k[len(prefix) :]: v for k, v in form.items() if k.startswith(prefix)})
    return result


def test_deleted_middle_row_reindexes():
    data = example("draft")
    first, second = data["activities"]
    third = {**first, "title": "Третье мероприятие"}
    data["activities"] = [first, second, third]
    form = to_form_data(schema("draft"), data)
    without_middle = rows_renumbered(form, "/activities", {0: 0, 2: 2})
    assert parse_form(schema("draft"), without_middle)["activities"] == [first, third]
    # Indices are ordered as numbers, not as text ("10" after "9"), and re-numbered from 0.
    shuffled = rows_renumbered(form, "/activities", {0: 9, 1: 10, 2: 100})
    assert parse_form(schema("draft"), shuffled)["activities"] == [first, second, third]


def test_all_empty_row_is_dropped():
    form = to_form_data(schema("draft"), example("draft"))
    for column in ("title", "level", "organizer", "start", "end", "presentation_form"):
        form[f"/activities/5/{column}"] = ""
    form["/info/courses/3/hours"] = ""
    assert parse_form(schema("draft"), form) == VALID["draft"]


def test_partly_filled_row_is_kept(catalog):
    form = to_form_data(schema("draft"), example("draft"))
    form["/activities/5/title"] = "Семинар"
    form["/activities/5/start"] = ""
    data = parse_form(schema("draft"), form)
    assert data["activities"][2] == {"title": "Семинар", "start": ""}
    errors = errors_of(catalog, "draft", data)
    assert {"/activities/2/level", "/activities/2/start"} <= set(errors)


def test_table_without_rows(catalog):
    form = {k: v for k, v in to_form_data(schema("draft"), example("draft")).items() if "/courses/" not in k}
    form = {k: v for k, v in form.items() if not k.startswith("/activities/")}
    data = parse_form(schema("draft"), form)
    assert "courses" not in data["info"]  # optional: left out
    assert data["activities"] == []  # required: reported as too short
    assert errors_of(catalog, "draft", data) == {"/activities": "Нужно не меньше 1 элемента"}
    table = by_name(build_fields(schema("draft"), data))["/activities"]
    assert (table.kind, table.rows, table.required) == ("table", [], True)
    assert [c.name for c in table.columns][0] == "/activities/__i__/title"


def test_unchecked_checkbox_in_a_row_is_false():
    form = to_form_data(schema("activity_report"), example("activity_report"))
    assert "/reports/1/done" not in form
    form["/reports/1/done"] = "on"
    assert parse_form(schema("activity_report"), form)["reports"][1]["done"] is True
    del form["/reports/0/done"]
    assert parse_form(schema("activity_report"), form)["reports"][0]["done"] is False


# --- checkboxes and nested objects -----------------------------------------------------------


def test_absent_acknowledge_checkbox_is_false_and_refused(catalog):
    data = parse_form(schema("acknowledge"), {"/comment": "", "csrf_token": "x"})
    assert data == {"acknowledged": False, "comment": ""}
    assert errors_of(catalog, "acknowledge", data) == {"/acknowledged": "Требуется подтверждение"}
    field = by_name(build_fields(schema("acknowledge"), data))["/acknowledged"]
    assert (field.kind, field.value, field.required) == ("checkbox", False, True)
    for on in ("on", "1", "true"):
        assert parse_form(schema("acknowledge"), {"/acknowledged": on})["acknowledged"] is True


def test_nested_object_stays_a_fieldset_and_blank_optional_object_is_dropped(catalog):
    fields = by_name(build_fields(schema("correction"), example("correction")))
    replacement = fields["/replacement"]
    assert (replacement.kind, replacement.label) == ("object", "Новое мероприятие")
    assert [c.name for c in replacement.children][:2] == ["/replacement/title", "/replacement/level"]
    assert fields["/replacement/level"].kind == "select"  # $ref resolved
    assert fields["/reason"].kind == "textarea"

    blank = {k: "" for k in to_form_data(schema("correction"), example("correction"))}
    data = parse_form(schema("correction"), {**blank, "/action": "withdraw"})
    assert data == {"action": "withdraw", "reason": ""}
    assert catalog.validate("correction", data) == []


def test_field_kinds_and_labels():
    fields = by_name(build_fields(schema("draft"), None))
    assert fields["/info"].kind == "object"
    assert fields["/info/education"].kind == "textarea"
    assert fields["/info/full_name"].kind == "text" and fields["/info/full_name"].max_length == 300
    assert fields["/info/experience_years"].kind == "integer"
    assert fields["/info/attestation_date"].kind == "date"
    assert fields["/info/category"].kind == "select" and fields["/info/category"].value == ""
    assert fields["/entry_diagnostics"].label == "Входная диагностика"
    deficits = fields["/entry_diagnostics/deficits"]
    assert deficits.kind == "table" and deficits.required
    assert [c.label for c in deficits.columns] == ["Область компетенций", "Дефицит", "Уровень дефицита"]
    report = by_name(build_fields(schema("activity_report"), None))["/reports"]
    assert [c.kind for c in report.columns][:2] == ["integer", "checkbox"]


def test_objects_in_table_rows_are_flattened():
    row_schema = {
        "type": "object",
        "properties": {
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "n": {"type": "integer", "title": "N"},
                        "who": {
                            "type": "object",
                            "title": "Кто",
                            "properties": {"name": {"type": "string", "title": "Имя"}},
                            "required": ["name"],
                        },
                    },
                },
            }
        },
    }
    table = build_fields(row_schema, {"rows": [{"n": 1, "who": {"name": "Аня"}}]})[0]
    assert [(c.name, c.label) for c in table.columns] == [("/rows/__i__/n", "N"), ("/rows/__i__/who/name", "Кто: Имя")]
    assert [c.value for c in table.rows[0]] == ["1", "Аня"]
    assert parse_form(row_schema, {"/rows/0/n": "1", "/rows/0/who/name": "Аня"}) == {
        "rows": [{"n": 1, "who": {"name": "Аня"}}]
    }


# --- errors ----------------------------------------------------------------------------------


def test_errors_are_put_on_the_right_field(catalog):
    data = example("draft")
    data["entry_diagnostics"]["deficits"][1]["deficit"] = " "
    del data["period"]["end"]
    errors = catalog.validate("draft", data)
    pointers = {e.pointer for e in errors}
    assert pointers == {"/entry_diagnostics/deficits/1/deficit", "/period/end"}

    fields = by_name(build_fields(schema("draft"), data, errors))  # FieldError list accepted too
    assert fields["/entry_diagnostics/deficits/1/deficit"].error == "Поле не может быть пустым"
    assert fields["/period/end"].error == "Обязательное поле"
    assert fields["/period/end"].value == ""
    flagged = {name for name, f in fields.items() if f.error}
    assert flagged == pointers


def test_errors_without_a_field_of_their_own():
    errors = {"/activities/0": "Ожидается объект", "/activities": "Нужно не меньше 1 элемента", "": "Ошибка"}
    fields = by_name(build_fields(schema("draft"), example("draft"), errors))
    assert fields["/activities/0/title"].error == "Ожидается объект"  # first field of the row
    assert fields["/activities"].error == "Нужно не меньше 1 элемента"
    assert unplaced_errors(schema("draft"), errors) == {"": "Ошибка"}


def test_error_is_rendered_at_a_table_cell(macros):
    errors = {"/activities/1/title": "Поле не может быть пустым"}
    html = str(macros.render_fields(build_fields(schema("draft"), example("draft"), errors)))
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    cell = doc.get_element_by_id("f-activities-1-title")
    assert cell.get("aria-invalid") == "true"
    assert cell.getparent().xpath("./div[@role='alert']")[0].text == "Поле не может быть пустым"
    assert len(doc.xpath("//*[@aria-invalid='true']")) == 1


# --- free text -------------------------------------------------------------------------------

# What every form showed as a <textarea> before the free-text fields were marked in the schemas
# (a field name list used to decide it); the rendered forms were compared whole, before and after.
TEXTAREAS = {
    "acknowledge": ["/comment"],
    "activity_report": ["/reports/__i__/reason_not_done", "/reports/__i__/result"],
    "conclusions": ["/prolong_reason", "/text"],
    "correction": ["/reason"],
    "draft": ["/entry_diagnostics/deficits/__i__/deficit", "/info/awards", "/info/education", "/info/titles"],
    "final_results": ["/final_diagnostics/deficits/__i__/deficit", "/final_events/__i__/note"],
    "implementation": ["/interim_results"],
    "review": ["/comment"],
    "sign": ["/comment"],
}


def _marked_free_text(node: object) -> int:
    """How many schemas below `node` carry "x-free-text": true (each must be a string)."""
    if isinstance(node, list):
        return sum(_marked_free_text(item) for item in node)
    if not isinstance(node, dict):
        return 0
    here = node.get("x-free-text") is True
    assert not here or node.get("type") == "string", node
    return here + sum(_marked_free_text(value) for value in node.values())


@pytest.mark.parametrize("name", FORM_NAMES)
def test_the_free_text_fields_of_every_form_are_marked_and_shown_as_textareas(name):
    fields = build_fields(schema(name), None)
    everything = [f for top in fields for f in top.walk()]
    everything += [c for f in everything for c in f.columns]
    assert sorted(f.name for f in everything if f.kind == "textarea") == TEXTAREAS[name]
    assert _marked_free_text(schema(name)) == len(TEXTAREAS[name])  # a mark per field, none elsewhere


def test_a_string_is_a_textarea_when_marked_free_text_or_longer_than_300_characters():
    custom = {
        "type": "object",
        "properties": {
            "note": {"type": "string", "x-free-text": True},
            "name": {"type": "string"},
            "short": {"type": "string", "maxLength": 300},
            "long": {"type": "string", "maxLength": 301},
            "referenced": {"$ref": "#/$defs/remark", "title": "Замечание"},
        },
        "$defs": {"remark": {"type": "string", "x-free-text": True}},
    }
    kinds = {f.name: f.kind for f in build_fields(custom, None)}
    assert kinds == {"/note": "textarea", "/name": "text", "/short": "text", "/long": "textarea",
                     "/referenced": "textarea"}


def test_a_free_text_mark_is_ignored_by_validation(tmp_path):
    form = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "properties": {"note": {"type": "string", "x-free-text": True}}}
    (tmp_path / "noted.json").write_text(json.dumps(form), encoding="utf-8")
    assert FormCatalog(tmp_path).validate("noted", {"note": "строка\nещё строка"}) == []
