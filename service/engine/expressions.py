"""The expression language of BPMN conditions and service-task parameters.

A small, explicitly allowed subset of Python expressions: literals, names, subscripts,
comparisons, boolean logic, arithmetic without powers, conditional expressions,
comprehensions, a few pure builtins and a few read-only methods. Everything else (imports,
dunder or private names and attributes, lambdas, `open`, `eval`, `getattr`, …) is refused
before anything is evaluated, and evaluation runs with an empty `__builtins__`.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import Any

from service.domain.errors import UnsafeExpression

SAFE_FUNCTIONS: dict[str, Any] = {
    "len": len, "str": str, "int": int, "float": float, "bool": bool, "abs": abs, "round": round,
    "min": min, "max": max, "sum": sum, "any": any, "all": all, "sorted": sorted,
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


def _refuse(expression: str, why: str) -> UnsafeExpression:
    return UnsafeExpression(f"Недопустимое выражение «{expression}»: {why}")


def _check_node(node: ast.AST, expression: str) -> None:
    if not isinstance(node, ALLOWED_NODES):
        raise _refuse(expression, f"конструкция {type(node).__name__} запрещена")
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise _refuse(expression, f"имя {node.id} запрещено")
    if isinstance(node, ast.Attribute) and node.attr not in SAFE_METHODS:
        raise _refuse(expression, f"атрибут {node.attr} запрещён")
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id not in SAFE_FUNCTIONS:
            raise _refuse(expression, f"функция {func.id} запрещена")
        if not isinstance(func, ast.Name | ast.Attribute):
            raise _refuse(expression, "вызов допускается только по имени")


@lru_cache(maxsize=1024)
def compile_expression(expression: str):
    """Check an expression and compile it; raises UnsafeExpression with a Russian reason."""
    if not isinstance(expression, str) or not expression.strip():
        raise _refuse(str(expression), "пустое выражение")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise _refuse(expression, f"синтаксическая ошибка ({exc.msg})") from None
    for node in ast.walk(tree):
        _check_node(node, expression)
    return compile(tree, "<bpmn-expression>", "eval")


def evaluate(expression: str, names: dict[str, Any]) -> Any:
    """Evaluate a checked expression against `names` (the task data)."""
    code = compile_expression(expression)
    scope: dict[str, Any] = {k: v for k, v in names.items() if not k.startswith("_")}
    scope.update(SAFE_FUNCTIONS)
    scope["__builtins__"] = {}
    return eval(code, scope)  # the AST was checked against the allow-list above
