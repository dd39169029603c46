"""Handlers for the BPMN service tasks, and business checks for user-task submissions.

A service task in the BPMN names a handler (`spiff:serviceTaskOperator id="…"`); the handler
gets the route card, the task data and the step context and returns the new card (or None
when it leaves the card alone, e.g. when it only asks for a document). The engine
records the card's new revision number in the task's result variable. Handlers are plain
functions: no engine, database or Flask objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class DocumentRequest:
    """A handler's request that the service render a document after the engine step:
    `prepare` a new version for signing, or `issue` the signed (or an unsigned) copy."""

    action: str  # prepare | issue
    kind: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepContext:
    """What a handler may know besides the task data: the date of the step, the service
    task's parameters, and where to put document requests."""

    today: date
    params: dict[str, Any] = field(default_factory=dict)
    documents: list[DocumentRequest] = field(default_factory=list)

    def request_document(self, action: str, kind: str, extra: dict[str, Any] | None = None) -> None:
        self.documents.append(DocumentRequest(action, kind, extra or {}))


Handler = Callable[[dict[str, Any], dict[str, Any], StepContext], dict[str, Any] | None]


class HandlerRegistry:
    """Name → handler. The engine refuses to deploy a BPMN that names an unknown handler."""

    def __init__(self, handlers: dict[str, Handler] | None = None):
        self._handlers: dict[str, Handler] = dict(handlers or {})

    def register(self, name: str, handler: Handler) -> None:
        self._handlers[name] = handler

    def __contains__(self, name: object) -> bool:
        return name in self._handlers

    def get(self, name: str) -> Handler:
        return self._handlers[name]

    def names(self) -> list[str]:
        return sorted(self._handlers)


def default_handlers() -> HandlerRegistry:
    """The handlers the route BPMN uses."""
    from service.tasks import card, documents

    return HandlerRegistry({**card.HANDLERS, **documents.HANDLERS})
