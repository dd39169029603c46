"""A JSON column stored zlib-compressed on SQLite (issue 13: a route's card, 4.1 KB of JSON text
per route there, 1.5 KB packed); PostgreSQL keeps its JSON, which TOAST already compresses.

Readers and writers of the attribute see the Python value. A stored value that is not zlib data
is taken as the JSON text of rows written before migration 0020 (or by a process still running
the old code during an upgrade), as service/db/state_codec.py does for the engine state.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import sqlalchemy as sa

LEVEL = 6


def pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), LEVEL)


def unpack(stored: bytes | memoryview | str) -> Any:
    if isinstance(stored, str):
        return json.loads(stored)
    data = bytes(stored)
    return json.loads(zlib.decompress(data) if data[:1] == b"x" else data)


class PackedJSON(sa.TypeDecorator):
    """JSON; zlib-compressed bytes on SQLite."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.LargeBinary())
        return dialect.type_descriptor(sa.JSON())

    def process_bind_param(self, value: Any, dialect) -> Any:
        if dialect.name != "sqlite" or value is None:
            return value
        return pack(value)

    def process_result_value(self, value: Any, dialect) -> Any:
        if dialect.name != "sqlite" or value is None:
            return value
        return unpack(value)
