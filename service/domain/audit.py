"""The hash chain of a route's history: plain rules, no storage.

Each event's hash covers the previous event's hash and the event's own canonical JSON, so
changing, removing or reordering any event breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical(fields: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8, datetimes in ISO 8601 (UTC)."""
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=_iso).encode("utf-8")


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return utc.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def event_fields(*, route_id, seq, at, actor_id, on_behalf_of_id, kind, task_id, task_name, data) -> dict[str, Any]:
    return {"route_id": route_id, "seq": seq, "at": at, "actor_id": actor_id, "on_behalf_of_id": on_behalf_of_id,
            "kind": kind, "task_id": task_id, "task_name": task_name, "data": data}


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(fields)).hexdigest()
