"""The background worker: its command, Redis as the broker, one tick per slot and never two at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from huey import SqliteHuey

from service import create_app
from service.db.session import make_engine
from service.worker import LeaseLock, Worker, make_huey
from tests.support.outbox_load import insert_pending, message_id_of, prepare_database, start_smtp, states

REDIS_URL = "redis://127.0.0.1:6379/15"


def test_the_worker_command_is_there_with_its_help():
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "t"})
    result = app.test_cli_runner().invoke(args=["worker", "--help"])
    assert result.exit_code == 0
    assert "Huey" in result.output and "--workers" in result.output


def _fresh_redis_db():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")


def test_a_pending_letter_goes_out_through_redis(database_url, tmp_path, monkeypatch):
    _fresh_redis_db()
    user_id = prepare_database(database_url)
    controller, recorder = start_smtp()
    for name, value in {"DATABASE_URL": database_url, "IOM_INSTANCE_DIR": str(tmp_path), "IOM_WORKER": "redis",
                        "IOM_REDIS_URL": REDIS_URL, "IOM_SMTP_PORT": str(controller.port),
                        "IOM_MAIL_FROM": "iom@test.example"}.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(database_url)
    try:
        insert_pending(engine, user_id, ["n:1"])
        worker = Worker()
        assert worker.huey.storage.conn.connection_pool.connection_kwargs["db"] == 15
        assert worker.pulse_once() and len(worker.huey) == 1  # the tick waits in Redis
        worker.huey.execute(worker.huey.dequeue())  # what a consumer thread does
        assert recorder.counts() == {message_id_of("n:1"): 1}
        assert states(engine) == {"sent": 1}
    finally:
        controller.stop()
        engine.dispose()


def _two_consumers(tmp_path, work):
    """Two workers on the same job store, as two consumer processes would be."""
    return [Worker(SqliteHuey("iom", filename=str(tmp_path / "jobs.sqlite3"), results=False), work=work,
                   context=lambda: None, poll_s=1.0) for _ in range(2)]


def test_two_consumers_never_run_the_periodic_work_at_once(tmp_path):
    running, most, runs, guard = [0], [0], [0], threading.Lock()

    def work(_ctx):
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
            runs[0] += 1
        time.sleep(0.02)
        with guard:
            running[0] -= 1

    workers = _two_consumers(tmp_path, work)

    def consumer_thread(w):
        for slot in range(15):
            w.tick.call_local(slot)

    threads = [threading.Thread(target=consumer_thread, args=(w,)) for w in workers for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1 and runs[0] >= 2


def test_each_slot_is_scheduled_by_one_consumer_only(tmp_path):
    a, b = _two_consumers(tmp_path, lambda _ctx: None)
    now = time.time()
    assert [a.pulse_once(now), b.pulse_once(now)] == [True, False]
    assert b.pulse_once(now + 1) and not a.pulse_once(now + 1)
    assert len(a.huey) == 2  # two ticks queued, one per slot


def test_a_lock_left_by_a_killed_worker_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    huey = SqliteHuey("iom", filename=str(tmp_path / "jobs.sqlite3"), results=False)
    holder = LeaseLock(huey, "iom.dispatch")
    assert holder.acquire()
    assert not LeaseLock(huey, "iom.dispatch").acquire()  # held by a live process (this one)
    owner = huey.storage.peek_data("iom.dispatch.owner").decode().split(" ")
    huey.storage.put_data("iom.dispatch.owner", f"{owner[0]} {dead.pid} {owner[2]}".encode())
    assert LeaseLock(huey, "iom.dispatch").acquire()  # its pid is gone
    assert not LeaseLock(huey, "iom.dispatch").acquire()


def test_the_storage_follows_iom_worker(tmp_path, monkeypatch):
    monkeypatch.setenv("IOM_INSTANCE_DIR", str(tmp_path))
    assert make_huey("sqlite").storage.filename == str(tmp_path / "worker.sqlite3")
    with pytest.raises(ValueError):
        make_huey("rabbit")


def test_in_immediate_mode_a_pulse_runs_the_work_at_once():
    seen = []
    worker = Worker(make_huey("immediate"), work=seen.append, context=lambda: "ctx", poll_s=1.0)
    assert worker.pulse_once(1000.0) and seen == ["ctx"]
    assert not worker.pulse_once(1000.5) and seen == ["ctx"]  # the same slot
