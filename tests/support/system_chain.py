"""Reading the system chain (route_id NULL) in tests: its events as plain values, and its check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from service.db.models import Event
from service.services.audit import verify_chains


@dataclass(frozen=True)
class SystemEvent:
    kind: str
    actor_id: int | None
    data: dict[str, Any]


def system_events(app) -> list[SystemEvent]:
    """The system chain's events, oldest first."""
    with app.extensions["iom"].uow() as uow:
        rows = uow.session.execute(sa.select(Event.kind, Event.actor_id, Event.data)
                                   .where(Event.route_id.is_(None)).order_by(Event.seq))
        return [SystemEvent(*row) for row in rows]


def chains_intact(app) -> bool:
    """Every chain, the system chain included, verifies."""
    return verify_chains(app.extensions["iom"]) == []
