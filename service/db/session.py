"""Database engine and sessions, built by the app factory (never at import time)."""

from __future__ import annotations

import json
import time

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)  # Cyrillic as UTF-8, not \uXXXX: half the size


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, json_serializer=_json_dumps)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    engine = sa.create_engine(url, json_serializer=_json_dumps)
    _ping_when_idle(engine)
    _no_parallel_plans(engine)
    return engine


def _no_parallel_plans(engine: sa.Engine) -> None:
    """The service's connections plan without parallel workers (max_parallel_workers_per_gather =
    0). Requests run side by side in several processes and threads, more of them than there are
    cores: a parallel plan only takes a core from another request, and its lower estimated cost
    picked a parallel scan of every person over the trigram index for the route search (31 ms
    against 3 ms at 100,000 routes)."""

    @event.listens_for(engine, "connect")
    def _serial(dbapi_conn, _record):
        cursor = dbapi_conn.cursor()
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        cursor.close()
        dbapi_conn.commit()  # the SET outlives the pool's rollback on return


IDLE_BEFORE_PING_S = 2.0


def _ping_when_idle(engine: sa.Engine) -> None:
    """A pooled connection left idle is pinged before use, and replaced if the server dropped it
    (a restart, a failover, an idle timeout): the page never sees the dead connection. Unlike
    `pool_pre_ping`, a connection handed back a moment ago goes out without the extra round trip:
    a page takes a pooled connection four or five times, and under load those pings were a tenth of
    the inbox's time on PostgreSQL. A connection that died in those last seconds fails one request
    and the pool is refreshed (SQLAlchemy invalidates the pool on a disconnect error)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_conn, record):
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, proxy):
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < IDLE_BEFORE_PING_S:
            return  # just connected, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if not engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise
            alive = False
        if not alive:
            raise sa.exc.DisconnectionError("the pooled connection was dropped by the server")


def make_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
