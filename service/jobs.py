"""Work the web app hands to the background worker (service/worker.py) through Huey's storage
(IOM_WORKER: sqlite, redis, or immediate — run at once in the caller, as tests do).

The app and the worker each register the same task names on their own Huey instance: the app's
call only enqueues a message naming the task, the worker's consumer runs it. The job's own state
lives in the service's database (replay_results), so a message lost with a Redis restart is
re-sent when somebody asks again (services/replay_jobs.py: LOST_AFTER)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huey import Huey

REPLAY = "iom.replay"
MIGRATE_BATCH = "iom.migrate_batch"


def register(huey: Huey, context: Callable[[], Any]) -> Callable[[int], Any]:
    """Declare the jobs on `huey`; what enqueues a replay job (`register_all` gives every job's).
    `context()` gives the service context the task runs with (built once per worker process)."""
    return register_all(huey, context)[REPLAY]


def register_all(huey: Huey, context: Callable[[], Any]) -> dict[str, Callable[[int], Any]]:
    """Declare every job on `huey`; name → what enqueues it."""

    def replay(job_id: int) -> None:
        from service.services import replay_jobs

        replay_jobs.run(context(), job_id)

    def migrate_batch(batch_id: int) -> None:
        from service.services import route_migration_batches

        route_migration_batches.run(context(), batch_id)

    return {REPLAY: huey.task(name=REPLAY)(replay), MIGRATE_BATCH: huey.task(name=MIGRATE_BATCH)(migrate_batch)}


class Jobs:
    """The app's side: Huey made on first use (a page that never starts a job opens no storage)."""

    def __init__(self, make: Callable[[], Huey], context: Callable[[], Any]):
        self._make, self._context = make, context
        self._tasks: dict[str, Callable[[int], Any]] | None = None
        self.huey: Huey | None = None

    def _enqueue(self, name: str, job_id: int) -> None:
        if self._tasks is None:
            self.huey = self._make()
            self._tasks = register_all(self.huey, self._context)
        self._tasks[name](job_id)

    def replay(self, job_id: int) -> None:
        """Have the worker run replay job `job_id` (services/replay_jobs.run)."""
        self._enqueue(REPLAY, job_id)

    def migrate_batch(self, batch_id: int) -> None:
        """Have the worker run batch migration `batch_id` (services/route_migration_batches.run)."""
        self._enqueue(MIGRATE_BATCH, batch_id)
