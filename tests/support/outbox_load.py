"""For the worker's tests and bench/notify.py: a recording SMTP server (aiosmtpd in this process),
pending outbox rows inserted in bulk, and the worker run as separate processes."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from service.db.migrate import upgrade
from service.db.models import EmailOutbox, User
from service.db.session import make_engine

ROOT = Path(__file__).resolve().parents[2]

# A worker process for tests: the row lease of a killed dispatcher is shortened (it is 120 s in
# production, IOM_MAIL_LEASE_SECONDS) so the crash test ends in seconds; everything else is the real worker.
WORKER_ENTRY = (
    "import sys; from datetime import timedelta; from service.services import mail_dispatch;"
    "lease = float(sys.argv[1]);"
    "mail_dispatch.LEASE = timedelta(seconds=lease) if lease else mail_dispatch.LEASE;"
    "from service.worker import main; main(int(sys.argv[2]))"
)


class Recorder:
    """Keeps (Message-ID, receipt time) of every letter the server accepted."""

    def __init__(self, delay_s: float = 0.0):
        self.received: list[tuple[str, float]] = []
        self.delay_s = delay_s  # a slower server (at RCPT) keeps letters in flight longer (the crash test)
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.delay_s:  # before DATA: a slow server, without widening the window after the final dot
            await asyncio.sleep(self.delay_s)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        at = time.time()
        mid = ""
        for line in content.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"message-id:"):
                mid = line.split(b":", 1)[1].strip().decode()
        with self._lock:
            self.received.append((mid, at))
        return "250 OK"

    def counts(self) -> Counter:
        with self._lock:
            return Counter(mid for mid, _ in self.received)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp(delay_s: float = 0.0) -> tuple[Controller, Recorder]:
    recorder = Recorder(delay_s)
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, recorder


def prepare_database(url: str) -> int:
    """Migrate and add one person to address the letters to; returns their id."""
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        user_id = conn.execute(sa.insert(User.__table__).values(
            login="mail-load", full_name="Нагрузка Почты", password_hash="!", is_active=True,
            created_at=now, email="load@example.org").returning(User.__table__.c.id)).scalar_one()
    engine.dispose()
    return user_id


def insert_pending(engine: sa.Engine, user_id: int, keys: list[str], now: datetime | None = None) -> None:
    """Pending letters, due now, committed in one transaction."""
    now = now or datetime.now(UTC)
    rows = [dict(key=k, user_id=user_id, to_addr="load@example.org", subject=f"Уведомление {k}",
                 text=f"Текст {k}", html=f"<p>Текст {k}</p>", state="pending", attempts=0,
                 next_attempt_at=now, created_at=now, last_error="") for k in keys]
    with engine.begin() as conn:
        conn.execute(sa.insert(EmailOutbox.__table__), rows)


def states(engine: sa.Engine) -> Counter:
    t = EmailOutbox.__table__
    with engine.connect() as conn:
        return Counter(dict(conn.execute(sa.select(t.c.state, sa.func.count()).group_by(t.c.state)).all()))


def worker_env(url: str, smtp_port: int, instance: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url, IOM_INSTANCE_DIR=str(instance), IOM_SMTP_HOST="127.0.0.1",
               IOM_SMTP_PORT=str(smtp_port), IOM_MAIL_FROM="iom@test.example", PYTHONPATH=str(ROOT))
    env.setdefault("IOM_WORKER", "sqlite")
    env.update(extra)
    return env


def start_worker(env: dict[str, str], lease_s: float = 0, threads: int = 2, log: Path | None = None):
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-c", WORKER_ENTRY, str(lease_s), str(threads)], env=env,
                            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def message_id_of(key: str) -> str:
    from service.services.mail_dispatch import message_id

    return message_id(key, "iom@test.example")
