"""The parts every service needs, built once by the app factory and passed explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from service.engine.adapter import WorkflowEngine
from service.forms import FormCatalog
from service.services.replay_cache import ReplayCache
from service.services.stats_columns import FactsHolder
from service.services.uow import UnitOfWork


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Client:
    """Where a request came from: recorded with a signature, a session, a failed password."""

    ip: str = ""
    user_agent: str = ""


NO_CLIENT = Client()  # calls from the CLI, the demo and benchmarks


@dataclass
class ServiceContext:
    sessions: sessionmaker[Session]
    engine: WorkflowEngine
    forms: FormCatalog
    clock: Callable[[], datetime] = field(default=utc_now)  # the time events and documents record
    auth_clock: Callable[[], datetime] = field(default=utc_now)  # attempt limits, sessions, token expiry
    templates: dict[str, Any] = field(default_factory=dict)  # template SHA-256 → loaded template
    timezone: str = "Europe/Moscow"  # the region's (IOM_TIMEZONE): pages, and documents of format 2+
    jobs: Any = None  # service.jobs.Jobs: hands long work (a replay with documents) to the worker
    replays: ReplayCache = field(default_factory=ReplayCache)  # engine replays by chain head (replay_cache.py)
    stats: FactsHolder = field(default_factory=FactsHolder)  # the statistics facts in memory (stats_columns.py)
    spec_hashes: dict[int, str] = field(default_factory=dict)  # workflow spec id → content hash (rows never change)
    queue_reach: dict[Any, Any] = field(default_factory=dict)  # a queue's filter lists (queues._reach)
    school_names: Any = None  # (kept until, the region's schools by name, their ids): school_names.py

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)
