"""Appending to a route's event history: append-only, numbered per route, hash-chained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from service.db.models import Event, Route
from service.domain.audit import GENESIS, chain_hash, event_fields
from service.services.notifications import notify_for_event

SYSTEM_CHAIN_LOCK = 0x494F4D  # "IOM": the advisory lock key of the system chain


def append_event(session, *, route_id: int | None, at: datetime, kind: str, actor_id: int | None,
                 on_behalf_of_id: int | None = None, task_id: str | None = None, task_name: str | None = None,
                 data: dict[str, Any] | None = None) -> Event:
    """Add the next event of the route's chain (route_id None: the system chain — deployments,
    versions, the ПЭП, organisation and people). Callers hold the route's write lock (its state
    version), so a route's chain cannot fork; the system chain has no row to lock, so its writers
    take a transaction-scoped advisory lock on PostgreSQL (SQLite serialises writers anyway), and
    a unique index on its numbers (migration 0009) turns any fork left into a 409."""
    in_chain = Event.route_id.is_(None) if route_id is None else Event.route_id == route_id
    if route_id is None and session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SYSTEM_CHAIN_LOCK})
    last = session.execute(sa.select(Event.seq, Event.hash).where(in_chain).order_by(Event.seq.desc())
                           .limit(1)).first()
    seq, prev = (last.seq + 1, last.hash or GENESIS) if last else (1, GENESIS)
    fields = event_fields(route_id=route_id, seq=seq, at=at, actor_id=actor_id, on_behalf_of_id=on_behalf_of_id,
                          kind=kind, task_id=task_id, task_name=task_name, data=data or {})
    event = Event(**fields, prev_hash=prev, hash=chain_hash(prev, fields))
    session.add(event)
    if route_id is not None:
        route = session.get(Route, route_id)
        if route is not None:
            route.chain_head = event.hash
    session.flush()
    notify_for_event(session, event)  # the notifications it causes, in the same transaction
    return event
