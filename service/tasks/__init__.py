"""Handlers for the BPMN service tasks, and business checks for user-task submissions.

A service task in the BPMN names a handler (`spiff:serviceTaskOperator id="…"`); the handler
gets the route card, the task data and the step context and returns the new card (or None
when it leaves the card alone, e.g. when it only asks for a document). The engine
records the card's new revision number in the task's result variable. Handlers are plain
functions: no engine, database or Flask objects.

Handlers are versioned, so that a replay re-executes an old route with the code it ran on.
A route records the behaviour version it started with (`CURRENT_BEHAVIOUR` then: the
`route_created` event's `behaviour`, and `routes.behaviour`); every step of it, and its replay,
calls the newest handler registered with `since <= behaviour`. To change what a handler
writes (a field renamed, a date written differently), never edit a released version in place:
add the new function next to the old one, register it in `default_handlers` with
`since=CURRENT_BEHAVIOUR + 1`, and bump `CURRENT_BEHAVIOUR`. Routes started before keep the old
function and replay without a false divergence; routes started after get the new one.
tests/unit/test_handler_versions.py guards the released versions by a hash of their code.
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


CURRENT_BEHAVIOUR = 1  # the handler behaviour version a new route starts with (see above)


class HandlerRegistry:
    """Name → handler versions. The engine refuses to deploy a BPMN that names an unknown handler."""

    def __init__(self, handlers: dict[str, Handler] | None = None):
        self._versions: dict[str, dict[int, Handler]] = {}
        for name, handler in (handlers or {}).items():
            self.register(name, handler)

    def register(self, name: str, handler: Handler, since: int = 1) -> None:
        """`handler` is what `name` does for routes of behaviour `since` and later (until a newer
        version); registering the same `since` again replaces that version."""
        self._versions.setdefault(name, {})[since] = handler

    def __contains__(self, name: object) -> bool:
        return name in self._versions

    def get(self, name: str, behaviour: int | None = None) -> Handler:
        """The newest version of `name` registered with `since <= behaviour` (None: the behaviour
        new routes start with, `CURRENT_BEHAVIOUR`); KeyError when there is none."""
        if behaviour is None:
            behaviour = CURRENT_BEHAVIOUR
        versions = self._versions[name]
        usable = [since for since in versions if since <= behaviour]
        if not usable:
            raise KeyError(f"{name}: no version for behaviour {behaviour}")
        return versions[max(usable)]

    def versions(self, name: str) -> list[int]:
        """The `since` numbers registered for `name`, oldest first."""
        return sorted(self._versions[name])

    def names(self) -> list[str]:
        return sorted(self._versions)


def default_handlers() -> HandlerRegistry:
    """The handlers the route BPMN uses: today's as behaviour 1 (later versions register here
    with their `since`)."""
    from service.tasks import card, documents

    registry = HandlerRegistry()
    for name, handler in {**card.HANDLERS, **documents.HANDLERS}.items():
        registry.register(name, handler, since=1)
    return registry
