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


def register(huey: Huey, context: Callable[[], Any]) -> Callable[[int], Any]:
    """Declare the jobs on `huey`; what enqueues a replay job. `context()` gives the service
    context the task runs with (built once per worker process)."""

    def replay(job_id: int) -> None:
        from service.services import replay_jobs

        replay_jobs.run(context(), job_id)

    return huey.task(name=REPLAY)(replay)


class Jobs:
    """The app's side: Huey made on first use (a page that never starts a job opens no storage)."""

    def __init__(self, make: Callable[[], Huey], context: Callable[[], Any]):
        self._make, self._context = make, context
        self._replay: Callable[[int], Any] | None = None
        self.huey: Huey | None = None

    def replay(self, job_id: int) -> None:
        """Have the worker run replay job `job_id` (services/replay_jobs.run)."""
        if self._replay is None:
            self.huey = self._make()
            self._replay = register(self.huey, self._context)
        self._replay(job_id)
