"""How wide is the window in which a kill -9 of the dispatcher sends a letter twice?

`.venv/bin/python bench/mail_window.py` (`--pg` for PostgreSQL at IOM_TEST_PG_URL): an aiosmtpd
server in this process, and per trial a dispatcher process (send_due in a loop, as the worker runs
it) given six letters. When the fourth letter's DATA ends, the server kills the dispatcher
(SIGKILL) at a chosen moment: before it answers (`-1`: the letter is the server's, the client never
hears 250) or D milliseconds after it sent its 250 (the server then answers the next RCPT 50 ms
late, so no later letter is in its own window when the kill lands). Then this process sends what
is left, as another dispatcher would after the lease (its clock set past it). A duplicate means
the kill landed before the dispatcher had recorded the 250. Last line, JSON:
{"<D ms>": [duplicates, trials], …}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from service.db.session import make_engine, make_session_factory  # noqa: E402
from service.services import mail_dispatch  # noqa: E402
from service.services.context import ServiceContext  # noqa: E402
from tests.support.databases import fresh_database  # noqa: E402
from tests.support.outbox_load import Recorder, free_port, insert_pending, prepare_database  # noqa: E402

LETTERS, VICTIM = 6, 3
DISPATCHER = """
import sys, time
from datetime import timedelta
from service.services import mail_dispatch
mail_dispatch.LEASE = timedelta(seconds=600)
from service.db.session import make_engine, make_session_factory
from service.services.context import ServiceContext
ctx = ServiceContext(make_session_factory(make_engine(sys.argv[1])), None, None)
sender = mail_dispatch.SmtpSender.from_env()
while True:
    if not mail_dispatch.send_due(ctx, sender, limit=50):
        time.sleep(0.02)
"""


class Killer(Recorder):
    """Records letters; kills `pid` around its reply to the DATA of the letter with key `victim`."""

    def __init__(self):
        super().__init__()
        self.pid, self.victim, self.delay_ms = 0, "", 0.0

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        hit = bool(self.victim) and f"X-IOM-Key: {self.victim}".encode() in content
        if hit:
            self.victim = ""  # once: the copy sent after the kill goes through
            self.delay_s = 0.05  # the next letter cannot end within the delays measured (up to 10 ms)
        if hit and self.delay_ms < 0:  # the whole letter is here; the client never hears 250
            os.kill(self.pid, signal.SIGKILL)
        reply = await super().handle_DATA(server, session, envelope)
        if hit and self.delay_ms >= 0:  # the 250 is written as soon as this returns
            asyncio.get_running_loop().call_later(self.delay_ms / 1000, os.kill, self.pid, signal.SIGKILL)
        return reply


def run(url: str, work: Path, delays: list[float], trials: int) -> dict[str, list[int]]:
    user_id = prepare_database(url)
    engine = make_engine(url)
    ctx = ServiceContext(make_session_factory(engine), None, None)
    killer = Killer()
    controller = Controller(killer, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = dict(os.environ, IOM_INSTANCE_DIR=str(work), IOM_SMTP_HOST="127.0.0.1", IOM_SMTP_PORT=str(controller.port),
               IOM_MAIL_FROM="iom@test.example", PYTHONPATH=str(ROOT))
    os.environ["IOM_INSTANCE_DIR"] = str(work)  # this process finds the dead dispatchers' journals
    results: dict[str, list[int]] = {}
    later = datetime.now(UTC)
    try:
        for trial in range(trials):
            for delay in delays:
                keys = [f"w:{delay:g}:{trial}:{i}" for i in range(LETTERS)]
                insert_pending(engine, user_id, keys)
                killer.victim, killer.delay_ms, killer.delay_s = keys[VICTIM], delay, 0.0
                proc = subprocess.Popen([sys.executable, "-c", DISPATCHER, url], env=env, cwd=ROOT)
                killer.pid = proc.pid
                if proc.wait(120) != -signal.SIGKILL:
                    raise SystemExit(f"the dispatcher ended with {proc.returncode}, not killed")
                later += timedelta(hours=1)  # past the dead one's lease
                sender = mail_dispatch.SmtpSender(host="127.0.0.1", port=controller.port, mail_from="iom@test.example")
                while mail_dispatch.send_due(ctx, sender, limit=50, now=later):
                    pass
                sender.close()
                counts = Counter(mid for mid, _ in killer.received)
                mids = [mail_dispatch.message_id(k, "iom@test.example") for k in keys]
                missing = [k for k, m in zip(keys, mids, strict=True) if not counts[m]]
                if missing:
                    raise SystemExit(f"lost: {missing}")
                extra = sum(counts[m] - 1 for m in mids)
                cell = results.setdefault(f"{delay:g}", [0, 0])
                cell[0], cell[1] = cell[0] + extra, cell[1] + 1
            print(f"after trial {trial + 1}: {results}", file=sys.stderr)
    finally:
        controller.stop()
        engine.dispose()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", action="store_true", help="PostgreSQL (IOM_TEST_PG_URL) instead of SQLite")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--delays", default="-1,0,0.1,0.3,1,3,10", help="ms after the 250; -1: before it")
    args = ap.parse_args()
    delays = [float(d) for d in args.delays.split(",")]
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        with fresh_database("postgresql" if args.pg else "sqlite", Path(tmp)) as url:
            result = run(url, Path(tmp), delays, args.trials)
    print(f"{time.monotonic() - started:.0f} s", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
