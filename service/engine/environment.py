"""The script engine the workflows run with: restricted expressions, no scripts, and service
tasks dispatched to the handler registry of service/tasks."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from service.domain.errors import StepFailed, UnsafeExpression
from service.domain.json_copy import copy_json
from service.engine import expressions
from service.tasks import DocumentRequest, HandlerRegistry, StepContext


class CardBox:
    """The route card for one engine operation, loaded only if a handler needs it."""

    def __init__(self, load: Callable[[], dict[str, Any]]):
        self._load = load
        self._card: dict[str, Any] | None = None
        self.changed = False

    @property
    def card(self) -> dict[str, Any]:
        if self._card is None:
            self._card = self._load()
        return self._card

    def replace(self, card: dict[str, Any]) -> int:
        card["revision"] = int(self.card.get("revision", 0)) + 1
        self._card = card
        self.changed = True
        return card["revision"]


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, handlers: HandlerRegistry, context: StepContext, card: CardBox, timer_clock=None, *,
                 behaviour: int | None = None):
        super().__init__({})
        self._handlers = handlers
        self._behaviour = behaviour  # the route's handler versions (service/tasks); None: the current ones
        self._context = context
        self._card = card
        self.timer_clock = timer_clock  # what the working-day timers read (engine/timers.py)

    @property
    def documents(self) -> list[DocumentRequest]:
        return self._context.documents

    def evaluate(self, expression, context, external_context=None):
        return expressions.evaluate(expression, {**(external_context or {}), **context})

    def execute(self, script, context, external_context=None):
        raise UnsafeExpression("Скрипты в схеме процесса запрещены")

    def call_service(self, context, operation_name=None, operation_params=None, **kwargs):
        handler = self._handlers.get(operation_name, self._behaviour)
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        step = replace(self._context, params=params)
        try:
            new_card = handler(self._card.card, copy_json(context), step)
        except Exception as exc:  # any handler failure becomes a named error, its cause chained
            raise StepFailed(f"Шаг «{operation_name}» не выполнен: {type(exc).__name__}: {exc}") from exc
        if new_card is None:
            return json.dumps(int(self._card.card.get("revision", 0)))
        return json.dumps(self._card.replace(new_card))


class RestrictedScriptEngine(PythonScriptEngine):
    """Keeps the original error of a failed service call (the stock one loses it)."""

    def call_service(self, task, **kwargs):
        return self.environment.call_service(task.data, **kwargs)
