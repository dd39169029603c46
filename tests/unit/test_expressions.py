"""The expression language of BPMN conditions: what it allows, and that every way out of it is
refused before anything is evaluated."""

from __future__ import annotations

import pytest
from lxml import etree

from service.domain.errors import UnsafeExpression
from service.engine.expressions import compile_expression, evaluate
from service.engine.specs import EXPRESSION_XPATHS, NS
from tests.support.engine_driver import BPMN_PATH

DATA = {
    "n": 3,
    "flag": False,
    "name": "Иванова",
    "implementation": {"next": "report"},
    "agreement": {"decision": "return", "comment": "Уточнить сроки"},
    "items": [{"no": 1, "done": True}, {"no": 2, "done": False}, {"no": 3, "done": False}],
}

ALLOWED = [
    ("n == 3", True),
    ("n != 3", False),
    ("1 < n <= 3", True),
    ("n >= 4", False),
    ('implementation["next"] == "report"', True),
    ('agreement["decision"] == "return" and agreement["comment"] != ""', True),
    ("flag or n > 2", True),
    ("not flag and not (n < 0)", True),
    ('agreement.get("missing", "нет") == "нет"', True),
    ('implementation.get("next")', "report"),
    ("len(items)", 3),
    ('any(i["done"] for i in items)', True),
    ('all(i["done"] for i in items)', False),
    ('"много" if len(items) > 2 else "мало"', "много"),
    ('"много" if len(items) > 5 else "мало"', "мало"),
    ('[i["no"] for i in items if not i["done"]]', [2, 3]),
    ("items[0]['no'] + n - 10 // 3 % 2", 3),
    ("n in [1, 2, 3] and 4 not in (1, 2)", True),
    ('name.lower().startswith("ив")', True),
    ("sum(i['no'] for i in items) == 6", True),
    ("implementation is not None", True),
]


@pytest.mark.parametrize(("expression", "expected"), ALLOWED, ids=[e for e, _ in ALLOWED])
def test_an_allowed_expression_evaluates_against_the_task_data(expression, expected):
    assert evaluate(expression, DATA) == expected


def _shipped_conditions() -> list[str]:
    root = etree.parse(str(BPMN_PATH)).getroot()
    return [n.text for xp in EXPRESSION_XPATHS for n in root.xpath(xp, namespaces=NS)]


def test_every_condition_of_the_shipped_route_is_inside_the_language():
    conditions = _shipped_conditions()
    assert len(conditions) >= 10
    for condition in conditions:
        compile_expression(condition)


ESCAPES = [
    "__import__('os')",
    "__import__('os').system('true')",
    "open('/etc/passwd')",
    "open('/etc/passwd').read()",
    "eval('1')",
    "exec('x=1')",
    "getattr(x, 'y')",
    "x.__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "[c for c in ().__class__.__mro__]",
    "lambda: 1",
    "2**99999",
    "'x' * 10000000000 == ''",
    "_private",
    "globals()",
    "vars()",
    "locals()",
    "compile('1', '', 'eval')",
    "x.format",
    "'{0.__class__}'.format(x)",
    "type(x)",
    "print('x')",
    "__builtins__",
    "f'{x}'",
    "(y := 1)",
    "(lambda: 1)()",
    "x.get('a')()",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_an_escape_from_the_language_is_refused_when_checked(expression):
    with pytest.raises(UnsafeExpression):
        compile_expression(expression)


class Probe:
    """Records every subscript taken on it: proof that evaluation started."""

    def __init__(self):
        self.touched = []

    def __getitem__(self, key):
        self.touched.append(key)
        return 0


@pytest.mark.parametrize("expression", ESCAPES)
def test_an_escape_is_refused_before_any_part_of_the_expression_is_evaluated(expression):
    probe = Probe()
    with pytest.raises(UnsafeExpression):
        evaluate(f"probe['first'] == 0 and ({expression})", {"probe": probe, "x": {"y": 1}})
    assert probe.touched == []


def test_the_probe_does_notice_evaluation():
    probe = Probe()
    assert evaluate("probe['first'] == 0 and n == 3", {"probe": probe, "n": 3}) is True
    assert probe.touched == ["first"]


@pytest.mark.parametrize("expression", ["", "   ", "\n\t"], ids=["empty", "blanks", "whitespace"])
def test_an_empty_expression_is_refused(expression):
    with pytest.raises(UnsafeExpression, match="пустое выражение"):
        compile_expression(expression)


@pytest.mark.parametrize("expression", ["a ==", "implementation[", "if x: y", "x = 1", "import os"])
def test_a_syntax_error_or_a_statement_is_refused(expression):
    with pytest.raises(UnsafeExpression, match="синтаксическая ошибка"):
        compile_expression(expression)


def test_a_refused_expression_is_named_in_the_russian_message():
    with pytest.raises(UnsafeExpression) as refused:
        evaluate("__import__('os').getcwd()", {})
    message = refused.value.message
    assert message.startswith("Недопустимое выражение «__import__('os').getcwd()»")
    assert "запрещ" in message  # says why: a name, attribute or construct is forbidden
    assert str(refused.value) == message


def test_the_message_of_a_refused_call_names_the_function():
    with pytest.raises(UnsafeExpression, match="функция open запрещена"):
        compile_expression("open('/etc/passwd')")


def test_a_refused_power_names_the_construct():
    with pytest.raises(UnsafeExpression, match="Pow"):
        compile_expression("2**99999")


def test_calling_print_is_refused():
    with pytest.raises(UnsafeExpression, match="print"):
        evaluate("print('pwned')", {})


def test_evaluation_has_no_builtins_in_scope():
    # `print` passes the check as a plain name (it could be a task variable), but with an
    # empty `__builtins__` there is nothing behind it.
    with pytest.raises(NameError):
        evaluate("print", {})
    with pytest.raises(NameError):
        evaluate("[p for p in (print, open)]", {})


def test_only_the_listed_pure_functions_are_available():
    assert evaluate("max(len('abc'), abs(-5), round(2.6))", {}) == 5
    assert evaluate("sorted([3, 1, 2])", {}) == [1, 2, 3]
    assert evaluate("str(int('7') + 1)", {}) == "8"


def test_task_data_cannot_bring_the_builtins_back():
    with pytest.raises(NameError):
        evaluate("open", {"__builtins__": __builtins__})
