"""Events of the system chain (organisation, people, versions, the ПЭП) written at the same moment by
different requests: each gets its own number and the chain stays one chain."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from service.app import build_service_context
from service.db.migrate import upgrade
from service.db.models import Event
from service.domain.errors import ConcurrentUpdate
from service.domain.states import EventKind
from service.services.audit import Report, check_chain
from service.services.events import append_event

WRITERS = 6


def _write_one(ctx, n: int, barrier: threading.Barrier, failures: list) -> None:
    barrier.wait()
    for _ in range(20):  # a writer that lost a race (409) tries again, as a person would
        try:
            with ctx.uow() as uow:
                append_event(uow.session, route_id=None, at=ctx.clock(), kind=EventKind.USER_UPDATED, actor_id=None,
                             data={"n": n})
                uow.commit()
            return
        except ConcurrentUpdate:
            continue
    failures.append(n)


def test_concurrent_system_events_never_fork_the_chain(database_url):
    upgrade(sa.create_engine(database_url))
    ctx = build_service_context(database_url)
    barrier, failures = threading.Barrier(WRITERS), []
    threads = [threading.Thread(target=_write_one, args=(ctx, n, barrier, failures)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with ctx.uow() as uow:
        events = uow.session.scalars(sa.select(Event).where(Event.route_id.is_(None)).order_by(Event.seq)).all()
        assert [e.seq for e in events] == list(range(1, WRITERS + 1))
        assert sorted(e.data["n"] for e in events) == list(range(WRITERS))
        report = Report(None)
        check_chain(events, None, report)
        assert report.ok, report.as_dict()


def test_a_second_system_event_with_a_taken_number_is_refused(database_url):
    """The unique index is the last line: a forked number cannot be stored at all."""
    upgrade(sa.create_engine(database_url))
    ctx = build_service_context(database_url)
    with ctx.uow() as uow:
        append_event(uow.session, route_id=None, at=ctx.clock(), kind=EventKind.USER_UPDATED, actor_id=None)
        uow.commit()
    with pytest.raises(ConcurrentUpdate), ctx.uow() as uow:
        uow.session.add(Event(route_id=None, seq=1, at=ctx.clock(), kind="user_updated", data={}))
        uow.session.flush()
