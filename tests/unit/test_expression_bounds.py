"""Expressions that would crash the checker or exhaust the server are refused quickly, with a
Russian reason, at deployment and at evaluation; ordinary expressions still work."""

from __future__ import annotations

import time

import pytest

from service.domain.errors import UnsafeExpression, WorkflowRejected
from service.engine import expressions
from service.engine.expressions import compile_expression, evaluate
from tests.support.engine_driver import make_engine, real_bpmn, replace_once, route_files

AGREEMENT_CONDITION = 'agreement["decision"] == "return"'
ITEMS = {"items": list(range(10)), "x": 1, "name": "Иванова"}


def _nested_comprehensions(levels: int) -> str:
    return "[" * levels + "0" + "".join(f" for a{i} in items]" for i in range(levels))


BOMBS = {
    "a 200,000-term sum": "+".join(["1"] * 200_000),
    "5,000 chained not": "not " * 5_000 + "x",
    "8 nested comprehensions": _nested_comprehensions(8),
    "8 generators in one comprehension": "[0 " + " ".join(f"for a{i} in items" for i in range(8)) + "]",
    "3 nested comprehensions": _nested_comprehensions(3),
    "a deep tree within the length": "[" * 60 + "1" + "]" * 60,
    "a deep tree of operators": "-" * 100 + "1",
    "too many nodes": "[" + ",".join(["1"] * 600) + "]",
    "a subscript chain": "x" + "[0]" * 300,
}


@pytest.mark.parametrize("expression", BOMBS.values(), ids=BOMBS.keys())
def test_a_bomb_is_refused_with_a_russian_reason_before_evaluation(expression):
    started = time.perf_counter()
    with pytest.raises(UnsafeExpression) as refused:
        compile_expression(expression)
    assert time.perf_counter() - started < 2
    message = refused.value.message
    assert message.startswith("Недопустимое выражение «")
    assert any(word in message for word in ("слишком", "вложенн")), message
    assert len(message) < 400  # a long expression is shown shortened
    with pytest.raises(UnsafeExpression):
        evaluate(expression, ITEMS)


def test_a_long_expression_is_refused_before_it_is_parsed(monkeypatch):
    def no_parse(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(expressions.ast, "parse", no_parse)
    with pytest.raises(UnsafeExpression, match="слишком длинное"):
        compile_expression("1+" * 1_500 + "1")


def test_a_parser_that_gives_up_is_a_refusal(monkeypatch):
    for error in (RecursionError, MemoryError):
        def give_up(*args, error=error, **kwargs):
            raise error()

        monkeypatch.setattr(expressions.ast, "parse", give_up)
        with pytest.raises(UnsafeExpression, match="слишком сложное"):
            compile_expression(f"x == {error.__name__!r}")  # a new text each time: not cached


AMPLIFIERS = {
    "string formatting with a huge width": ("'%0999999999d' % 1", "только для чисел"),
    "round to a billion digits": ("round(1, -1000000000)", "round"),
    "summing lists": ("sum([items for a in items], [])", "sum"),
    "a function passed as a value": ("sorted(items, key=str)", "можно только вызвать"),
    "a method passed as a value": ("max(items, key=name.count)", "можно только вызвать"),
    "walking the data squared": ("len([0 for a in str(big) for b in str(big)])", "слишком много вычислений"),
    "copies of the data": ("len([str(big) for a in big])", "слишком много вычислений"),
    "slices of the data": ("len([s[1:] for a in s])", "слишком много вычислений"),
    "doubling a string": (f"len([{'+'.join(['y'] * 40)} for y in [s]])", "слишком много вычислений"),
    "membership in the data": ("len([a in big for a in big])", "слишком много вычислений"),
}


@pytest.mark.parametrize(("expression", "reason"), AMPLIFIERS.values(), ids=AMPLIFIERS.keys())
def test_an_expression_that_would_exhaust_the_server_stops_with_a_reason(expression, reason):
    data = {"items": list(range(10)), "name": "Иванова", "big": list(range(20_000)), "s": "ж" * 50_000}
    started = time.perf_counter()
    with pytest.raises(UnsafeExpression, match=reason):
        evaluate(expression, data)
    assert time.perf_counter() - started < 5


ORDINARY = [
    ("1+2+3+4+5+6+7+8+9+10+11+12+13+14+15+16+17+18+19+20", 210),
    ('[i["no"] for i in rows if not i["done"]]', [2, 3]),
    ("len([(a, b) for a in rows for b in rows])", 9),
    ("[[b for b in range_] for a in rows]", [[1, 2], [1, 2], [1, 2]]),
    ("sum(i['no'] for i in rows) + sum([0.5, 0.5])", 7.0),
    ("round(2.345, 2) == 2.35 or round(2.345, 2) == 2.34", True),
    ("n % 2 == 1 and 7 // 2 == 3", True),
    ("(name + ' ' + name)[:7].lower()", "иванова"),
    ("sorted([3, 1, 2], reverse=True)", [3, 2, 1]),
    ("max([len(r) for r in rows])", 2),
    ("any(r['done'] for r in rows) and 'Ив' in name", True),
    ('card.get("activities", [])[0]["title"].strip()', "Семинар"),
]


@pytest.mark.parametrize(("expression", "expected"), ORDINARY, ids=[e for e, _ in ORDINARY])
def test_an_ordinary_expression_still_evaluates(expression, expected):
    data = {"n": 3, "name": "Иванова", "range_": [1, 2],
            "rows": [{"no": 1, "done": True}, {"no": 2, "done": False}, {"no": 3, "done": False}],
            "card": {"activities": [{"title": " Семинар "}]}}
    assert evaluate(expression, data) == expected


def test_every_evaluation_has_its_own_budget():
    data = {"big": list(range(200_000))}
    for _ in range(20):  # far more work in total than one evaluation may do
        assert evaluate("len(big) > 0 and big[-1] == 199999", data) is True
        assert evaluate("len(big[:400000])", data) == 200_000


def test_the_bounds_are_reasonable_for_the_shipped_conditions():
    assert expressions.MAX_LENGTH >= 1_000 and expressions.MAX_DEPTH >= 20 and expressions.MAX_NODES >= 200


# ---- at deployment -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine():
    return make_engine()


def test_the_shipped_route_still_deploys(engine):
    assert engine.is_loaded(engine.deploy(route_files()))


@pytest.mark.parametrize("expression", [BOMBS["a 200,000-term sum"], BOMBS["5,000 chained not"],
                                        BOMBS["8 nested comprehensions"]], ids=["sum", "not", "comprehensions"])
def test_a_deployment_with_a_bomb_is_refused_with_the_reason(engine, expression):
    xml = replace_once(real_bpmn(), f">{AGREEMENT_CONDITION}<", f">{expression}<")
    started = time.perf_counter()
    with pytest.raises(WorkflowRejected) as rejected:
        engine.deploy(route_files(xml))
    assert time.perf_counter() - started < 5
    assert len(rejected.value.problems) == 1
    assert "Недопустимое выражение" in rejected.value.problems[0]
    assert any(word in rejected.value.problems[0] for word in ("слишком", "вложенн"))
