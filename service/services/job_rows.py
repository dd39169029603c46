"""Bookkeeping shared by the jobs the worker runs from a row of their own (a replay in
`replay_results`, a batch migration in `migration_batches`): the wall clock (it is operations, not
history: events use ctx.clock) and taking a queued row, so two workers never run the same job."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from service.domain.states import JobState


def now() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def take_queued(session, model, job_id: int):
    """Mark the job's row running if it is queued (one atomic UPDATE) and return it; None when it
    is not queued — another worker took it, or it is gone. The caller commits."""
    at = now()
    taken = session.execute(sa.update(model).where(model.id == job_id, model.state == JobState.QUEUED)
                            .values(state=JobState.RUNNING, started_at=at, heartbeat_at=at))
    row = session.get(model, job_id)
    return row if taken.rowcount == 1 and row is not None else None
