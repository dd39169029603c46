"""The migrated schema, made once per test process instead of once per test.

Running every migration on each test's new database cost 0.2-0.5 s, about a fifth of the suite's
time. The first test of a process runs the real migrations; later ones get the same schema:
- SQLite: a copy of a file migrated once;
- PostgreSQL: the statements the real upgrade issued on an empty schema (read-only ones left out),
  recorded once and run again as one script in one transaction.
Tests of the migrations themselves call `service.db.migrate.upgrade` directly and never come here.
IOM_TEST_SCHEMA_CACHE=0 migrates every database for real."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from service.db.migrate import upgrade

ENABLED = os.environ.get("IOM_TEST_SCHEMA_CACHE", "1") != "0"
_sqlite_template: Path | None = None
_pg_script: str | None = None


def sqlite_path(url: str) -> Path | None:
    """The file of a plain SQLite URL, or None for anything else."""
    prefix = "sqlite:///"
    return Path(url[len(prefix):]) if url.startswith(prefix) and "?" not in url else None


def place_sqlite(url: str) -> bool:
    """Put a migrated copy at the file of a new SQLite database; False when it is not one (already
    there, not SQLite, or the cache is off): the caller then migrates."""
    global _sqlite_template
    path = sqlite_path(url)
    if not ENABLED or path is None or path.exists():
        return False
    if _sqlite_template is None:
        template = Path(tempfile.mkdtemp(prefix="iom-schema-")) / "migrated.sqlite3"
        engine = sa.create_engine(f"sqlite:///{template}")
        upgrade(engine)
        engine.dispose()
        _sqlite_template = template
    shutil.copyfile(_sqlite_template, path)
    return True


def migrate(engine: sa.Engine) -> None:
    """Bring the new, empty database behind `engine` to the head revision."""
    global _pg_script
    if not ENABLED or engine.dialect.name != "postgresql":
        upgrade(engine)
        return
    if _pg_script is not None:
        with engine.begin() as conn:
            if conn.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar() is None:  # empty
                conn.exec_driver_sql(_pg_script)
                return
        upgrade(engine)  # a database that has a schema already: the real upgrade
        return
    issued: list[str] = []
    bound: list[str] = []  # writes with bound parameters: not replayable as a script

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            return
        (bound if parameters else issued).append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        upgrade(engine)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    if not bound:
        _pg_script = ";\n".join(issued)
