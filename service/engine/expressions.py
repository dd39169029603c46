"""The expression language of BPMN conditions and service-task parameters.

A small, explicitly allowed subset of Python expressions: literals, names, subscripts,
comparisons, boolean logic, arithmetic without powers, conditional expressions,
comprehensions, a few pure builtins and a few read-only methods. Everything else (imports,
dunder or private names and attributes, lambdas, `open`, `eval`, `getattr`, …) is refused
before anything is evaluated, and evaluation runs with an empty `__builtins__`.

Bounded, so that an expression can neither crash the checker nor exhaust the server:

* statically (at deploy, and again by `evaluate` through the cached `compile_expression`): the
  text is at most MAX_LENGTH characters (checked before parsing), the tree at most MAX_DEPTH
  levels deep and MAX_NODES nodes large, and comprehensions nest at most MAX_GENERATORS `for`
  clauses (counted along any chain of nested comprehensions); a parser that still gives up
  (RecursionError, MemoryError) is a refusal too. A function or method may only be called,
  never passed as a value (`sorted(x, key=str)` would call it out of sight of the budget).
* at evaluation, because the static bounds alone do not suffice: what a comprehension walks,
  and how long a string `str(card)` gives, come from the task data, and a few operations
  amplify a short text (`'%0999999999d' % 1`, `round(1, -10**9)`, `sum(lists, [])`, a chain of
  `+` on a comprehension variable). So the checked tree is rewritten to spend a budget of
  MAX_WORK units per evaluation: every comprehension step costs one, every call, slice, `+` and
  comparison costs the length of its operands and of its result (strings, lists, tuples, dicts,
  sets). `%` works on numbers only (no string formatting), `round` takes at most
  MAX_ROUND_DIGITS digits either way and `sum` starts from a number. The guards are injected
  after the check under names starting with `_`, which an expression itself may not use.
  Lengths are counted one level deep: comparing two deeply nested values once costs their whole
  size, but the data is bounded by the request size and the forms' schemas.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import Any

from service.domain.errors import UnsafeExpression

MAX_LENGTH = 2_000  # characters; the shipped conditions are ~110
MAX_DEPTH = 50  # levels of the syntax tree; a `+` chain of 45 operands still fits
MAX_NODES = 500  # nodes of the syntax tree
MAX_GENERATORS = 2  # `for` clauses along a chain of nested comprehensions
MAX_WORK = 1_000_000  # units per evaluation: comprehension steps, items touched or built
MAX_ROUND_DIGITS = 100


def _round(number, ndigits=None):
    if ndigits is None:
        return round(number)
    if not isinstance(ndigits, int) or abs(ndigits) > MAX_ROUND_DIGITS:
        raise UnsafeExpression(f"round: число знаков — целое не больше {MAX_ROUND_DIGITS} по модулю")
    return round(number, ndigits)


def _sum(iterable, start=0):
    if not isinstance(start, int | float):
        raise UnsafeExpression("sum: начальное значение — только число")
    return sum(iterable, start)


SAFE_FUNCTIONS: dict[str, Any] = {
    "len": len, "str": str, "int": int, "float": float, "bool": bool, "abs": abs, "round": _round,
    "min": min, "max": max, "sum": _sum, "any": any, "all": all, "sorted": sorted,
}
SAFE_METHODS = frozenset({"get", "keys", "values", "items", "lower", "upper", "strip", "startswith",
                          "endswith", "count"})
ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.Mod,  # no * or **: 'x' * 10**10 would exhaust memory
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot,
    ast.IfExp, ast.Name, ast.Load, ast.Store, ast.Constant, ast.Subscript, ast.Slice,
    ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Call, ast.keyword, ast.Attribute,
    ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.comprehension,
)
COMPREHENSIONS = (ast.GeneratorExp, ast.ListComp, ast.SetComp)
# The guards' names start with `_`: an expression itself can never name them.
_ITER, _CALL, _SLICE, _ADD, _MOD, _SIZED = (
    "__iom_iter", "__iom_call", "__iom_slice", "__iom_add", "__iom_mod", "__iom_sized")
_SIZED_TYPES = (str, bytes, list, tuple, dict, set, frozenset,
                type({}.keys()), type({}.values()), type({}.items()))


def _shown(expression: str) -> str:
    return expression if len(expression) <= 120 else expression[:120] + "…"


def _refuse(expression: str, why: str) -> UnsafeExpression:
    return UnsafeExpression(f"Недопустимое выражение «{_shown(expression)}»: {why}")


def _check_node(node: ast.AST, expression: str, called: bool) -> None:
    if not isinstance(node, ALLOWED_NODES):
        raise _refuse(expression, f"конструкция {type(node).__name__} запрещена")
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise _refuse(expression, f"имя {node.id} запрещено")
    if isinstance(node, ast.Attribute) and node.attr not in SAFE_METHODS:
        raise _refuse(expression, f"атрибут {node.attr} запрещён")
    if isinstance(node, ast.Attribute) and not called:
        raise _refuse(expression, f"метод {node.attr} можно только вызвать")
    if isinstance(node, ast.Name) and node.id in SAFE_FUNCTIONS and not called:
        raise _refuse(expression, f"функцию {node.id} можно только вызвать")
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id not in SAFE_FUNCTIONS:
            raise _refuse(expression, f"функция {func.id} запрещена")
        if not isinstance(func, ast.Name | ast.Attribute):
            raise _refuse(expression, "вызов допускается только по имени")


def _check_tree(tree: ast.AST, expression: str) -> None:
    """The allow-list, size, depth and comprehension nesting, walked without recursion."""
    nodes = 0
    stack: list[tuple[ast.AST, int, int, bool]] = [(tree, 1, 0, False)]
    while stack:
        node, depth, generators, called = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise _refuse(expression, f"слишком большое (больше {MAX_NODES} элементов)")
        if depth > MAX_DEPTH:
            raise _refuse(expression, f"слишком глубокая вложенность (больше {MAX_DEPTH} уровней)")
        if isinstance(node, COMPREHENSIONS):
            generators += len(node.generators)
            if generators > MAX_GENERATORS:
                raise _refuse(expression, f"вложенных переборов (for) больше {MAX_GENERATORS}")
        _check_node(node, expression, called)
        stack.extend((child, depth + 1, generators, isinstance(node, ast.Call) and child is node.func)
                     for child in ast.iter_child_nodes(node))


def _guard_call(name: str, *args: ast.expr, keywords=()) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), list(args), list(keywords))


class _Guard(ast.NodeTransformer):
    """Routes what costs time or memory in proportion to the data through the evaluation's budget."""

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = _guard_call(_ITER, node.iter)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        return _guard_call(_CALL, node.func, *node.args, keywords=node.keywords)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.slice, ast.Slice):
            return node
        none = ast.Constant(None)
        parts = [part or none for part in (node.slice.lower, node.slice.upper, node.slice.step)]
        return _guard_call(_SLICE, node.value, *parts)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        name = {ast.Add: _ADD, ast.Mod: _MOD}.get(type(node.op))
        return node if name is None else _guard_call(name, node.left, node.right)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        node.left = _guard_call(_SIZED, node.left)
        node.comparators = [_guard_call(_SIZED, c) for c in node.comparators]
        return node


@lru_cache(maxsize=1024)
def compile_expression(expression: str):
    """Check an expression and compile it; raises UnsafeExpression with a Russian reason."""
    if not isinstance(expression, str) or not expression.strip():
        raise _refuse(str(expression), "пустое выражение")
    if len(expression) > MAX_LENGTH:
        raise _refuse(expression, f"слишком длинное ({len(expression)} символов, допускается до {MAX_LENGTH})")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise _refuse(expression, f"синтаксическая ошибка ({exc.msg})") from None
    except (RecursionError, MemoryError):
        raise _refuse(expression, "слишком сложное для разбора") from None
    _check_tree(tree, expression)
    tree = ast.fix_missing_locations(_Guard().visit(tree))
    return compile(tree, "<bpmn-expression>", "eval")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, _SIZED_TYPES) else 0


class _Budget:
    """What one evaluation may still spend (see the module's docstring)."""

    def __init__(self):
        self.left = MAX_WORK

    def spend(self, units: int) -> None:
        self.left -= units
        if self.left < 0:
            raise UnsafeExpression(f"Выражение требует слишком много вычислений (больше {MAX_WORK} шагов)")

    def sized(self, value):
        self.spend(_size(value))
        return value

    def walk(self, iterable):
        self.spend(1)
        for item in iterable:
            self.spend(1)
            yield item

    def call(self, func, /, *args, **kwargs):
        self.spend(1 + _size(getattr(func, "__self__", None)) + sum(_size(a) for a in args)
                   + sum(_size(a) for a in kwargs.values()))
        return self.sized(func(*args, **kwargs))

    def slice(self, value, lower, upper, step):
        return self.sized(value[lower:upper:step])

    def add(self, left, right):
        if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            self.spend(len(left) + len(right))
        return left + right

    @staticmethod
    def mod(left, right):
        if not isinstance(left, int | float) or not isinstance(right, int | float):
            raise UnsafeExpression("Остаток от деления (%) — только для чисел")
        return left % right

    def scope(self) -> dict[str, Any]:
        return {_ITER: self.walk, _CALL: self.call, _SLICE: self.slice, _ADD: self.add, _MOD: self.mod,
                _SIZED: self.sized}


def evaluate(expression: str, names: dict[str, Any]) -> Any:
    """Evaluate a checked expression against `names` (the task data)."""
    code = compile_expression(expression)
    scope: dict[str, Any] = {k: v for k, v in names.items() if not k.startswith("_")}
    scope.update(SAFE_FUNCTIONS)
    scope.update(_Budget().scope())
    scope["__builtins__"] = {}
    return eval(code, scope)  # the AST was checked against the allow-list and bounds, then guarded
