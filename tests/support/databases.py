"""The databases the tests run on: IOM_TEST_DBS (default "sqlite,postgresql"); an SQLite file, or a
schema of its own in the local PostgreSQL (IOM_TEST_PG_URL) that is dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

PG_URL = os.environ.get("IOM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEST_DBS = [d.strip() for d in os.environ.get("IOM_TEST_DBS", "sqlite,postgresql").split(",") if d.strip()]


@contextmanager
def fresh_database(kind: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database of `kind` ("sqlite": a file in `directory`)."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'test.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
