"""How a route's engine state is stored: the engine adapter's JSON text, zlib-compressed into a
binary column (issue 13; measured in bench/state_storage.py, reasons in the README).

The one place that encodes and decodes it: `RouteState.state` is declared with `StateBlob`, so
every reader and writer of the attribute sees the JSON text and the database holds the packed
bytes. A value that is not zlib data is taken as the uncompressed UTF-8 JSON of rows written
before migration 0013 (or by a process still running the old code during an upgrade).
"""

from __future__ import annotations

import zlib

import sqlalchemy as sa

LEVEL = 6  # zlib's default: within a few % of level 9's size at a third of its cost (bench/state_storage.py)


def encode(text: str) -> bytes:
    """The stored form of a state's JSON text."""
    return zlib.compress(text.encode("utf-8"), LEVEL)


def decode(stored: bytes | str) -> str:
    """The JSON text back from its stored form; uncompressed JSON (text or bytes) passes through."""
    if isinstance(stored, str):
        return stored
    data = bytes(stored)
    if data[:1] == b"x":  # a zlib stream's first byte (deflate, 32 KiB window); JSON starts with "{"
        return zlib.decompress(data).decode("utf-8")
    return data.decode("utf-8")


class StateBlob(sa.TypeDecorator):
    """A column of engine state: JSON text in Python, zlib bytes in the database."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> bytes | None:
        return None if value is None else encode(value)

    def process_result_value(self, value: bytes | str | None, dialect) -> str | None:
        return None if value is None else decode(value)
