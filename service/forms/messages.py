"""The Russian messages a refused form shows at its fields, and the labels of the HTML form."""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import ValidationError

MSG_REQUIRED = "Обязательное поле"
MSG_OBJECT = "Ожидается объект"
MSG_EMPTY = "Поле не может быть пустым"
MSG_UNKNOWN_FIELD = "Неизвестное поле"
MSG_DATE = "Ожидается дата в формате ГГГГ-ММ-ДД"
MSG_CONTROL_CHAR = "Недопустимый управляющий символ"
MSG_BAD_CHAR = "Недопустимый символ"
MSG_CONFIRM = "Требуется подтверждение"
MSG_INVALID = "Недопустимое значение"

CHOOSE = "— выберите —"  # the empty choice of a select with no value yet

TYPE_NAMES = {
    "string": "строка",
    "integer": "целое число",
    "number": "число",
    "boolean": "да/нет",
    "array": "список",
    "object": "объект",
    "null": "пустое значение",
}

FORMAT_MESSAGES = {
    "date": MSG_DATE,
    "date-time": "Ожидается дата и время",
    "time": "Ожидается время",
    "email": "Ожидается адрес электронной почты",
}

# Patterns that only say "must contain something other than white space".
NON_BLANK_PATTERNS = {"\\S", "\\S+", ".*\\S.*", "[^\\s]"}


def message(error: ValidationError) -> str:
    """The message for one jsonschema error, by its keyword (a field's "x-error" aside)."""
    keyword, value = error.validator, error.validator_value
    if keyword == "type":
        types = _as_list(value)
        return "Ожидается " + " или ".join(TYPE_NAMES.get(t, t) for t in types)
    if keyword == "enum":
        titles = error.schema.get("x-enum-titles") if isinstance(error.schema, dict) else None
        return "Допустимые значения: " + ", ".join(titles or [display(v) for v in value])
    if keyword == "const":
        return MSG_CONFIRM if value is True else MSG_INVALID
    if keyword == "minLength":
        return MSG_EMPTY if value <= 1 else f"Не меньше {value} {plural(value, 'символа', 'символов')}"
    if keyword == "maxLength":
        return f"Не больше {value} {plural(value, 'символа', 'символов')}"
    if keyword == "pattern":
        return MSG_EMPTY if value in NON_BLANK_PATTERNS else "Значение не соответствует формату"
    if keyword == "minItems":
        return f"Нужно не меньше {value} {plural(value, 'элемента', 'элементов')}"
    if keyword == "maxItems":
        return f"Не больше {value} {plural(value, 'элемента', 'элементов')}"
    if keyword == "minimum":
        return f"Не меньше {display(value)}"
    if keyword == "maximum":
        return f"Не больше {display(value)}"
    if keyword == "exclusiveMinimum":
        return f"Должно быть больше {display(value)}"
    if keyword == "exclusiveMaximum":
        return f"Должно быть меньше {display(value)}"
    if keyword == "format":
        return FORMAT_MESSAGES.get(value, "Неверный формат значения")
    if keyword in ("anyOf", "oneOf") and error.context:
        types = [t for sub in error.context if sub.validator == "type" for t in _as_list(sub.validator_value)]
        if len(types) == len(error.context):
            return "Ожидается " + " или ".join(TYPE_NAMES.get(t, t) for t in dict.fromkeys(types))
    if keyword == "uniqueItems":
        return "Элементы списка не должны повторяться"
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        return MSG_UNKNOWN_FIELD
    return MSG_INVALID


def _as_list(value: Any) -> list:
    return [value] if isinstance(value, str) else list(value)


def plural(number: Any, genitive_singular: str, genitive_plural: str) -> str:
    """Noun after "не меньше/не больше N": 1, 21, 101 → "символа"; 2, 5, 11, 300 → "символов"."""
    if isinstance(number, int) and number % 10 == 1 and number % 100 != 11:
        return genitive_singular
    return genitive_plural


def display(value: Any) -> str:
    """A schema value as the message shows it (booleans in Russian)."""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if value is None:
        return "пусто"
    return str(value)
