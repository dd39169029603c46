"""What the dispatcher does right after the SMTP server's 250: it notes the letter in its journal
before any database work, so a dispatcher killed between the 250 and its `sent` mark, or whose
mark failed, does not send the letter again; a letter whose final dot got no reply is sent again
(it is never lost) and its row says the server may have it."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.exc import OperationalError

from service.db.models import EmailOutbox
from service.db.session import make_engine, make_session_factory
from service.services import mail_dispatch
from service.services.context import ServiceContext
from tests.support.outbox_load import ROOT, insert_pending, prepare_database
from tests.support.smtp import free_port, smtp_server

# A dispatcher that dies (SIGKILL) the moment it would write its first `sent` mark.
DIES_AFTER_THE_250 = """
import os, signal, sys
from service.services import mail_dispatch
from service.db.session import make_engine, make_session_factory
from service.services.context import ServiceContext
mail_dispatch._Marks.sent = lambda self, *a: os.kill(os.getpid(), signal.SIGKILL)
ctx = ServiceContext(make_session_factory(make_engine(sys.argv[1])), None, None)
mail_dispatch.send_due(ctx, mail_dispatch.SmtpSender.from_env(), limit=10)
"""


def _setup(url: str, keys: list[str]) -> ServiceContext:
    user_id = prepare_database(url)
    engine = make_engine(url)
    insert_pending(engine, user_id, keys)
    return ServiceContext(make_session_factory(engine), None, None)


def _rows(ctx: ServiceContext) -> list[tuple[str, str, int]]:
    with ctx.uow() as uow:
        return [tuple(r) for r in uow.session.execute(
            sa.select(EmailOutbox.key, EmailOutbox.state, EmailOutbox.attempts).order_by(EmailOutbox.id))]


def test_a_dispatcher_killed_right_after_the_servers_250_does_not_send_the_letter_again(
        database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("IOM_MAIL_JOURNAL_DIR", str(tmp_path / "journal"))
    ctx = _setup(database_url, ["k:1", "k:2", "k:3"])
    with smtp_server() as box:
        env = {**box.env(), "IOM_MAIL_JOURNAL_DIR": str(tmp_path / "journal"), "PYTHONPATH": str(ROOT)}
        child = subprocess.run([sys.executable, "-c", DIES_AFTER_THE_250, database_url], env=env, cwd=ROOT,
                               timeout=120, check=False)
        assert child.returncode == -signal.SIGKILL
        assert len(box.messages) == 1  # the first letter reached the server; its row is still pending
        assert [s for _, s, _ in _rows(ctx)] == ["pending"] * 3
        after_lease = datetime.now(UTC) + mail_dispatch.LEASE + timedelta(seconds=1)
        assert mail_dispatch.send_due(ctx, box.sender(), now=after_lease) == 2
        ids = box.message_ids()
    assert len(ids) == 3 and set(ids.values()) == {1}
    assert _rows(ctx) == [("k:1", "sent", 1), ("k:2", "sent", 1), ("k:3", "sent", 1)]
    files = list((tmp_path / "journal").glob("*.log"))  # the dead one's is gone; ours is empty
    assert len(files) == 1 and files[0].stat().st_size == 0


def test_a_sent_mark_that_failed_is_written_before_the_next_claim(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("IOM_MAIL_JOURNAL_DIR", str(tmp_path / "journal"))
    ctx = _setup(database_url, ["f:1", "f:2"])

    def database_gone(self, *args):
        raise OperationalError("UPDATE email_outbox …", {}, Exception("server closed the connection"))

    with smtp_server() as box:
        with monkeypatch.context() as m:
            m.setattr(mail_dispatch._Marks, "sent", database_gone)
            m.setattr(mail_dispatch.time, "sleep", lambda s: None)
            try:
                mail_dispatch.send_due(ctx, box.sender(), limit=1)
            except OperationalError:
                pass
        assert len(box.messages) == 1
        after_lease = datetime.now(UTC) + mail_dispatch.LEASE + timedelta(seconds=1)
        assert mail_dispatch.send_due(ctx, box.sender(), now=after_lease) == 1
        ids = box.message_ids()
    assert len(ids) == 2 and set(ids.values()) == {1}
    assert _rows(ctx) == [("f:1", "sent", 1), ("f:2", "sent", 1)]


class _HangsUpAfterTheDot:
    """Takes the whole letter, then drops the connection without a reply."""

    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        server.transport.abort()
        return "250 OK"


def test_a_letter_whose_final_dot_got_no_reply_is_sent_again_saying_the_server_may_have_it(database_url):
    ctx = _setup(database_url, ["h:1"])
    handler = _HangsUpAfterTheDot()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        sender = mail_dispatch.SmtpSender(host="127.0.0.1", port=controller.port, timeout=5)
        assert mail_dispatch.send_due(ctx, sender) == 0
    finally:
        controller.stop()
    assert handler.count == 1
    with ctx.uow() as uow:
        row = uow.session.execute(sa.select(EmailOutbox.state, EmailOutbox.attempts, EmailOutbox.last_error)).one()
    assert row.state == "pending" and row.attempts == 1
    assert row.last_error.startswith(mail_dispatch.MAYBE_ACCEPTED)
