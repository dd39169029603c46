"""The background worker (`flask --app service worker`): a Huey consumer that sends the e-mail outbox,
queues the daily digests, fires the routes' BPMN timers and records expired delegations, and runs the
jobs the web app hands over (a replay with documents: service/jobs.py).

Storage (IOM_WORKER): `sqlite` (default: <instance>/worker.sqlite3, no server needed), `redis`
(IOM_REDIS_URL, default redis://127.0.0.1:6379/0) or `immediate` (in memory, tasks run at once: tests).

Why not `huey.periodic_task`: its resolution is one minute and every consumer enqueues it, so two
worker processes would run it twice. Instead each consumer process runs a pulse thread that, every
IOM_WORKER_POLL_SECONDS (default 1), claims the current time slot with an atomic counter in Huey's
storage and enqueues the `iom.tick` task only if it was first: one tick per slot however many workers
run. The tick runs under a lease lock (also in Huey's storage) so two ticks never overlap; a lock left
by a killed process is taken over when its owner's pid is gone (same host) or its lease expired.
Exactly-once delivery of each letter rests on the outbox itself (send_due leases its rows) and on a local
journal in which each server's 250 is noted before the row is marked (service/services/mail_journal.py).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from service import jobs
from service.config import database_url, instance_dir

log = logging.getLogger("iom.worker")

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
LEASE_SECONDS = 60.0  # a tick longer than this may overlap with the next (send_due's row leases still hold)
SLOTS_KEPT = 120  # old slot counters are deleted behind the pulse


def batch_size() -> int:
    """Letters per send_due call (IOM_WORKER_BATCH, default 200); a tick repeats it while full
    batches come back. A killed worker's claimed batch waits for its lease (IOM_MAIL_LEASE_SECONDS,
    120 s) before another sends it; a worker on the same host first marks sent the letters the server
    had already accepted, from the dead worker's journal (mail_journal.py)."""
    return max(1, int(os.environ.get("IOM_WORKER_BATCH", "") or 200))


def poll_seconds() -> float:
    return max(0.05, float(os.environ.get("IOM_WORKER_POLL_SECONDS", "") or 1.0))


def make_huey(kind: str | None = None) -> Huey:
    """The Huey instance IOM_WORKER asks for (see the module docstring)."""
    kind = (kind or os.environ.get("IOM_WORKER", "") or "sqlite").strip().lower()
    if kind == "redis":
        return RedisHuey("iom", url=os.environ.get("IOM_REDIS_URL", "") or DEFAULT_REDIS_URL, results=False)
    if kind == "immediate":
        return MemoryHuey("iom", immediate=True, results=False)
    if kind != "sqlite":
        raise ValueError(f"IOM_WORKER must be sqlite, redis or immediate, not {kind!r}")
    path = instance_dir() / "worker.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("iom", filename=str(path), results=False)


def where(huey: Huey) -> str:
    """Where the jobs are stored, for people."""
    storage = huey.storage
    if isinstance(huey, RedisHuey):
        kw = storage.conn.connection_pool.connection_kwargs
        return f"Redis {kw.get('host', '?')}:{kw.get('port', '?')}/{kw.get('db', 0)}"
    if isinstance(huey, SqliteHuey):
        return f"SQLite {storage.filename}"
    return "память процесса (immediate)"


def run_timers(ctx: Any) -> int:
    """Fire the routes' due BPMN timers (reminders, escalations: service/services/timers.py); one
    indexed query when nothing is due."""
    from service.services import timers

    return timers.fire_due(ctx)


def expire_delegations(ctx: Any) -> int:
    """Record the end of delegations whose date range is over (one event each)."""
    from service.services import delegations

    return delegations.expire_due(ctx)


_pruned_at = 0.0  # monotonic time of this process's last pruning


def prune_notifications(ctx: Any, every_s: float = 3600.0) -> int:
    """Delete notifications read longer ago than the retention period (at most once an hour per
    worker process: the query scans the table when there is nothing to delete)."""
    global _pruned_at
    from service.services import notification_retention

    if _pruned_at and time.monotonic() - _pruned_at < every_s:
        return 0
    _pruned_at = time.monotonic()
    return notification_retention.prune(ctx)


def send_mail(ctx: Any, limit: int | None = None, budget_s: float = LEASE_SECONDS / 2) -> int:
    """Send due letters over one SMTP connection, claiming again while letters keep coming (up to
    `budget_s`): under load the next letter waits for the current batch, not for the next poll."""
    from service.services import mail_dispatch

    sender, limit = mail_dispatch.SmtpSender.from_env(), limit or batch_size()
    sent, started = 0, time.monotonic()
    try:
        while True:
            n = mail_dispatch.send_due(ctx, sender, limit=limit)
            sent += n
            if n == 0 or time.monotonic() - started > budget_s:
                return sent
    finally:
        sender.close()


def queue_digests(ctx: Any) -> None:
    from service.services import digests

    digests.queue_due_digests(ctx)


def refresh_stats(ctx: Any) -> int:
    """Rebuild the statistics facts of the routes changed since the last tick (stats_facts.py)."""
    from service.services import stats_facts

    return stats_facts.refresh_stale(ctx, budget_s=LEASE_SECONDS / 4)


def periodic_work(ctx: Any) -> None:
    """One tick: send due letters, queue due digests, fire timers, expire delegations, prune old
    notifications, refresh the statistics facts; a failing step does not stop the others."""
    for step in (send_mail, queue_digests, run_timers, expire_delegations, prune_notifications, refresh_stats):
        try:
            step(ctx)
        except Exception:  # the next tick retries; the failure is in the worker's log
            log.exception("worker step %s failed", step.__name__)


class LeaseLock:
    """A lock in Huey's storage that a crashed holder cannot keep forever: the holder records
    host, pid and lease end; a taker on the same host whose pid is gone, or after the lease, steals it."""

    def __init__(self, huey: Huey, name: str, lease_s: float = LEASE_SECONDS):
        self.storage, self.name, self.lease_s = huey.storage, name, lease_s
        self._missing_since: float | None = None

    def _owner_key(self) -> str:
        return f"{self.name}.owner"

    def _take(self) -> bool:
        me = f"{socket.gethostname()} {os.getpid()} {time.time() + self.lease_s}"
        self.storage.put_data(self._owner_key(), me.encode())
        return True

    def acquire(self) -> bool:
        if self.storage.incr(self.name) == 1:
            self._missing_since = None
            return self._take()
        raw = self.storage.peek_data(self._owner_key())
        if not isinstance(raw, bytes | str):  # taken a moment ago, or the taker died before writing
            self._missing_since = self._missing_since or time.monotonic()
            stale = time.monotonic() - self._missing_since > self.lease_s
            return stale and self._steal(f"missing {int(time.time() // self.lease_s)}")
        self._missing_since = None
        owner = raw.decode() if isinstance(raw, bytes) else raw
        host, pid, until = owner.split(" ")
        dead = host == socket.gethostname() and not _alive(int(pid))
        return (dead or time.time() > float(until)) and self._steal(owner)

    def _steal(self, owner: str) -> bool:
        if self.storage.incr(f"{self.name}.steal.{owner}") != 1:
            return False
        log.warning("lock %s taken over from %s", self.name, owner)
        self._missing_since = None
        return self._take()

    def release(self) -> None:
        self.storage.pop_data(self._owner_key())
        self.storage.delete_counter(self.name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _context_factory() -> Callable[[], Any]:
    cache: dict[str, Any] = {}

    def get() -> Any:
        if "ctx" not in cache:
            from service.app import build_service_context

            cache["ctx"] = build_service_context(database_url())
        return cache["ctx"]

    return get


class Worker:
    """The tasks on one Huey instance, the pulse that schedules them, and the consumer that runs them."""

    def __init__(self, huey: Huey | None = None, work: Callable[[Any], Any] = periodic_work,
                 context: Callable[[], Any] | None = None, poll_s: float | None = None,
                 lease_s: float = LEASE_SECONDS):
        self.huey = huey or make_huey()
        self.work, self.context = work, context or _context_factory()
        self.poll_s = poll_s or poll_seconds()
        self.lock = LeaseLock(self.huey, "iom.dispatch", lease_s)
        self._lock_guard = threading.Lock()  # one LeaseLock per process; threads share it
        self.tick = self.huey.task(name="iom.tick")(self._tick)
        self.replay = jobs.register(self.huey, self.context)  # replays the web app hands over (service/jobs.py)

    def _tick(self, slot: int) -> bool:
        """Run the periodic work unless another tick holds the lock (then this slot is skipped)."""
        with self._lock_guard:
            if not self.lock.acquire():
                return False
        try:
            self.work(self.context())
        finally:
            self.lock.release()
        return True

    def pulse_once(self, now: float | None = None) -> bool:
        """Enqueue the tick of the current slot if no other pulse did; True if this one did."""
        slot = int((time.time() if now is None else now) // self.poll_s)
        if self.huey.storage.incr(f"iom.slot.{slot}") != 1:
            return False
        self.huey.storage.delete_counter(f"iom.slot.{slot - SLOTS_KEPT}")
        self.tick(slot)
        return True

    def pulse_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.pulse_once()
            except Exception:  # a storage hiccup must not stop the pulse
                log.exception("worker pulse failed")
            stop.wait(self.poll_s - time.time() % self.poll_s)

    def run(self, workers: int = 2) -> None:
        """Run the consumer (threads) and the pulse until SIGINT/SIGTERM."""
        stop = threading.Event()
        pulse = threading.Thread(target=self.pulse_forever, args=(stop,), name="iom-pulse", daemon=True)
        consumer = Consumer(self.huey, workers=workers, worker_type="thread", periodic=False,
                            initial_delay=0.05, max_delay=min(0.2, self.poll_s), backoff=1.15)
        pulse.start()
        try:
            consumer.run()
        finally:
            stop.set()


def main(workers: int = 2) -> None:
    """Run the worker with `workers` threads: what `flask --app service worker` does."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("huey").setLevel(logging.WARNING)  # not two lines per tick; failures still show
    logging.getLogger("huey.consumer").setLevel(logging.INFO)  # start and stop
    worker = Worker()
    print(f"Задания хранятся: {where(worker.huey)}; опрос каждые {worker.poll_s:g} с; потоков: {workers}.",
          flush=True)
    worker.run(workers)
