"""Appending to a route's event history (append-only; sequence numbers per route)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from service.db.models import Event


def append_event(session, *, route_id: int, at: datetime, kind: str, actor_id: int | None,
                 on_behalf_of_id: int | None = None, task_id: str | None = None, task_name: str | None = None,
                 data: dict[str, Any] | None = None) -> Event:
    seq = (session.scalar(sa.select(sa.func.max(Event.seq)).where(Event.route_id == route_id)) or 0) + 1
    event = Event(route_id=route_id, seq=seq, at=at, kind=kind, actor_id=actor_id, on_behalf_of_id=on_behalf_of_id,
                  task_id=task_id, task_name=task_name, data=data or {})
    session.add(event)
    session.flush()
    return event
