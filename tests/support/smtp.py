"""A real SMTP server in the test process (aiosmtpd), collecting what it receives.

    with smtp_server() as box:            # listening on 127.0.0.1:<free port>
        sender = box.sender()             # an SmtpSender pointed at it
        ...
        box.messages                      # email.message.EmailMessage objects, in arrival order
        box.refuse("x@example.ru")        # 550 to RCPT for that address (a bounce)
        box.fail_next(1)                  # 451 to the next DATA (a temporary failure)

Shared by the notification tests, the worker's crash test and bench/notify.py."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from service.services.mail_dispatch import SmtpSender


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """The aiosmtpd handler: keeps every accepted message; refuses chosen addresses for good;
    answers 451 to a chosen number of DATA commands."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.port = 0
        self._refused: dict[str, str] = {}
        self._fail_next = 0
        self._lock = threading.Lock()

    # -- control ---------------------------------------------------------------------------------
    def refuse(self, address: str, reply: str = "550 5.1.1 Mailbox unavailable: no such user") -> None:
        self._refused[address.lower()] = reply

    def fail_next(self, count: int = 1) -> None:
        self._fail_next = count

    def sender(self, **kw) -> SmtpSender:
        return SmtpSender(host="127.0.0.1", port=self.port, mail_from="iom@test.local", **kw)

    def env(self) -> dict[str, str]:
        """IOM_SMTP_* variables pointing a process at this server."""
        return {"IOM_SMTP_HOST": "127.0.0.1", "IOM_SMTP_PORT": str(self.port), "IOM_MAIL_FROM": "iom@test.local"}

    # -- what arrived ----------------------------------------------------------------------------
    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def message_ids(self) -> Counter:
        with self._lock:
            return Counter(str(m["Message-ID"]) for m in self.messages)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    # -- aiosmtpd hooks --------------------------------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self._refused.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self._fail_next > 0:
                self._fail_next -= 1
                return "451 4.3.0 Try again later"
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def parts(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a letter."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (text.get_content() if text else "", html.get_content() if html else "")
