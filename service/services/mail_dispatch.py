"""Sending the e-mail outbox: claim due letters with a lease, send each over SMTP, record the outcome.

Requests never send: they only write `EmailOutbox` rows in the transaction of the event that causes
them (each with a unique `key`: `n:<notification id>` or `d:<user id>:<local date>`, so a letter is
never queued twice). The background worker calls `send_due(ctx, SmtpSender.from_env(), limit=…)`.

Exactly once — what holds and where the window is:
- Claiming: a short transaction sets `locked_until` (a lease) on rows that are pending, due, and
  not leased by a live dispatcher. On PostgreSQL the rows are chosen by `SELECT … FOR UPDATE SKIP
  LOCKED` in that transaction, so two dispatchers never pick the same row; on SQLite one UPDATE
  with a subquery runs under the database's single write lock, so the same holds. The lease is the
  claim's token: every later write of the row is `WHERE locked_until = <our lease>`, so a dispatcher whose
  lease ran out (it hung) can no longer mark a row another one has claimed since.
- Sending, then recording: each row is sent, then marked `sent` in its own short transaction
  (retried if the database is busy for a moment: giving up there would mean sending it again).
  A dispatcher killed before the SMTP server answered 250 leaves the row pending; the lease
  expires (`LEASE`) and another dispatcher sends it: nothing is lost, and the server has not
  accepted the first copy.
- The window that remains: between the server's 250 for DATA and our commit of `sent` (a few
  milliseconds; a kill -9 or a lost database connection exactly there), the letter was accepted but
  the row still says pending, and it is sent again after the lease. No protocol can close that gap
  between two systems without a shared transaction. What we do: every copy of a row carries the
  same `Message-ID` derived from its key, so a receiving server or mail client that drops
  duplicates by Message-ID (some do; not all) shows it once, a person can tell it is the same
  letter, and tests count distinct ids.
- A letter whose sending outlasts the lease (a server that stalls on every command for longer
  than the sender's time-out allows) could be claimed and sent by another dispatcher meanwhile;
  a letter is started only while the lease has four time-outs left, which makes this a
  pathological case, and the Message-ID again marks the copy.
- Temporary failures (4xx, connection errors, time-outs) retry with exponential backoff
  (1, 2, 4 … minutes, at most an hour) up to `MAX_ATTEMPTS`, then the row is `failed`. A permanent
  refusal of the recipient (5xx to RCPT) fails the row and marks the person's address bounced
  (`users.email_bounced_at`): no more letters are queued for it, and its other pending letters fail.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from service.db.models import EmailOutbox, User
from service.domain.errors import ConcurrentUpdate
from service.services.context import ServiceContext

# How long a claimed row is ours: a dead dispatcher's rows wait this long (IOM_MAIL_LEASE_SECONDS).
LEASE = timedelta(seconds=int(os.environ.get("IOM_MAIL_LEASE_SECONDS", "").strip() or 120))
MAX_ATTEMPTS = 8
BACKOFF_CAP = timedelta(hours=1)
BOUNCED_NOTE = "Адрес не принимается почтовым сервером"
IDLE_CHECK_S = 10.0  # a kept SMTP connection idle longer than this is checked (NOOP) before use


class SendFailed(Exception):
    """A letter not sent. `temporary`: try again later; else the server refused it for good, and
    `bounce` says it refused the recipient's address."""

    def __init__(self, reason: str, *, temporary: bool, bounce: bool = False, unreachable: bool = False):
        super().__init__(reason)
        self.reason, self.temporary, self.bounce = reason[:500], temporary, bounce
        self.unreachable = unreachable  # no server to talk to: the rest of the batch waits too


def _env_flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class SmtpSender:
    """Sends `email.message.Message`s over SMTP, keeping one connection per thread between letters."""

    host: str = "127.0.0.1"
    port: int = 25
    user: str = ""
    password: str = ""
    starttls: bool = False
    mail_from: str = "iom@localhost"
    timeout: float = 15.0  # each SMTP command's; a letter's sending stays well inside the lease

    def __post_init__(self) -> None:
        self._local = threading.local()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpSender:
        """IOM_SMTP_HOST (127.0.0.1), IOM_SMTP_PORT (25), IOM_SMTP_USER, IOM_SMTP_PASSWORD,
        IOM_SMTP_STARTTLS (1/true), IOM_MAIL_FROM (iom@localhost); `env` defaults to os.environ."""
        env = os.environ if env is None else env
        return cls(host=env.get("IOM_SMTP_HOST", "").strip() or "127.0.0.1",
                   port=int(env.get("IOM_SMTP_PORT", "").strip() or 25),
                   user=env.get("IOM_SMTP_USER", "").strip(), password=env.get("IOM_SMTP_PASSWORD", ""),
                   starttls=_env_flag(env.get("IOM_SMTP_STARTTLS", "")),
                   mail_from=env.get("IOM_MAIL_FROM", "").strip() or "iom@localhost")

    def _connection(self) -> smtplib.SMTP:
        conn = getattr(self._local, "conn", None)
        if conn is not None and time.monotonic() - getattr(self._local, "used", 0.0) > IDLE_CHECK_S:
            try:  # servers drop idle connections: check before a letter goes out, not halfway
                if conn.noop()[0] != 250:
                    raise smtplib.SMTPServerDisconnected("noop")
            except (smtplib.SMTPException, OSError):
                self._drop()
                conn = None
        if conn is None:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                conn.starttls(context=ssl.create_default_context())
            if self.user:
                conn.login(self.user, self.password)
            self._local.conn = conn
        self._local.used = time.monotonic()
        return conn

    def close(self) -> None:
        conn, self._local.conn = getattr(self._local, "conn", None), None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    def send(self, message: Message) -> None:
        """Send one letter; raise SendFailed saying whether to retry and whether the address bounced."""
        if "From" not in message:
            message["From"] = self.mail_from
        try:
            conn = self._connection()
        except (smtplib.SMTPException, OSError) as e:
            self._drop()
            raise SendFailed(f"{type(e).__name__}: {e}", temporary=True, unreachable=True) from None
        try:
            conn.send_message(message)
            self._local.used = time.monotonic()
        except smtplib.SMTPRecipientsRefused as e:
            self._drop()
            code, text = next(iter(e.recipients.values()), (450, b""))
            reason = f"{code} {_text(text)}"
            raise SendFailed(reason, temporary=code < 500, bounce=code >= 500) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError) as e:  # our configuration
            self._drop()
            raise SendFailed(f"{e.smtp_code} {_text(e.smtp_error)}", temporary=True) from None
        except smtplib.SMTPResponseException as e:
            self._drop()
            raise SendFailed(f"{e.smtp_code} {_text(e.smtp_error)}", temporary=e.smtp_code < 500) from None
        except (smtplib.SMTPException, OSError) as e:
            self._drop()
            raise SendFailed(f"{type(e).__name__}: {e}", temporary=True) from None

    def _drop(self) -> None:
        conn, self._local.conn = getattr(self._local, "conn", None), None
        if conn is not None:
            conn.close()


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def message_id(key: str, mail_from: str = "") -> str:
    """The same for every copy of one outbox row: `<iom.n.17@domain>`."""
    domain = mail_from.rpartition("@")[2].strip("> ") or "iom.local"
    safe = "".join(c if c.isalnum() else "." for c in key)
    return f"<iom.{safe}@{domain}>"


def build_message(row: EmailOutbox, mail_from: str) -> Message:
    """multipart/alternative: the plain text, then the HTML; UTF-8, the Russian subject encoded.
    (The compat32 MIME classes: several times faster to build and flatten than EmailMessage.)"""
    msg = MIMEMultipart("alternative")
    msg["From"] = mail_from
    msg["To"] = row.to_addr
    msg["Subject"] = Header(row.subject, "utf-8")
    msg["Message-ID"] = message_id(row.key, mail_from)
    msg["Date"] = formatdate(localtime=False)
    msg["X-IOM-Key"] = row.key
    msg["Auto-Submitted"] = "auto-generated"
    msg.attach(MIMEText(row.text, "plain", "utf-8"))
    msg.attach(MIMEText(row.html, "html", "utf-8"))
    return msg


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def claim(ctx: ServiceContext, now: datetime, limit: int) -> tuple[datetime, list[int]]:
    """Lease up to `limit` due rows to this call; returns the lease (the claim's token) and ids."""
    lease = now + LEASE
    try:
        return lease, _claim(ctx, now, limit, lease)
    except (ConcurrentUpdate, OperationalError):  # the database is busy: the next round claims them
        return lease, []


def _claim(ctx: ServiceContext, now: datetime, limit: int, lease: datetime) -> list[int]:
    t = EmailOutbox.__table__
    due = sa.and_(t.c.state == "pending", t.c.next_attempt_at <= now,
                  sa.or_(t.c.locked_until.is_(None), t.c.locked_until < now))
    with ctx.uow() as uow:
        s = uow.session
        pick = sa.select(t.c.id).where(due).order_by(t.c.next_attempt_at, t.c.id).limit(limit)
        if s.get_bind().dialect.name == "postgresql":
            # Lock the chosen rows first (skipping rows another dispatcher is claiming), then lease
            # them: a LIMIT … FOR UPDATE subquery inside the UPDATE may be re-run per row by the planner.
            ids = s.scalars(pick.with_for_update(skip_locked=True)).all()
            if ids:
                s.execute(sa.update(t).where(t.c.id.in_(ids)).values(locked_until=lease))
        else:  # SQLite: one statement under the write lock (a read first could not upgrade to a write)
            chosen = sa.select(pick.subquery().c.id)
            ids = s.execute(sa.update(t).where(t.c.id.in_(chosen), due)
                            .values(locked_until=lease).returning(t.c.id)).scalars().all()
        uow.commit()
    return sorted(ids)


def _sent(ctx: ServiceContext, row_id: int, lease: datetime, now: datetime) -> None:
    """Record the server's 250 — retried on a lock or a dropped connection, since giving up here
    would send the letter again after the lease."""
    t = EmailOutbox.__table__
    for attempt in range(5):
        try:
            with ctx.sessions.kw["bind"].begin() as conn:  # a bare connection: the hot path, per letter
                conn.execute(sa.update(t).where(t.c.id == row_id, t.c.locked_until == lease)
                             .values(state="sent", sent_at=now, locked_until=None, attempts=t.c.attempts + 1,
                                     last_error=""))
            return
        except (ConcurrentUpdate, OperationalError):
            if attempt == 4:
                raise
            time.sleep(0.05 * 2 ** attempt)


def _failed(ctx: ServiceContext, row: EmailOutbox, lease: datetime, now: datetime, error: SendFailed) -> None:
    t = EmailOutbox.__table__
    attempts = row.attempts + 1
    final = not error.temporary or attempts >= MAX_ATTEMPTS
    with ctx.uow() as uow:
        s = uow.session
        done = s.execute(sa.update(t).where(t.c.id == row.id, t.c.locked_until == lease).values(
            state="failed" if final else "pending", attempts=attempts, locked_until=None,
            next_attempt_at=now if final else now + backoff(attempts), last_error=error.reason)).rowcount
        if done and error.bounce:
            user = s.get(User, row.user_id)
            if user is not None and user.email and user.email.lower() == row.to_addr.lower():
                user.email_bounced_at, user.email_bounce = now, error.reason
            s.execute(sa.update(t).where(t.c.user_id == row.user_id, t.c.to_addr == row.to_addr,
                                         t.c.state == "pending", t.c.locked_until.is_(None))
                      .values(state="failed", last_error=f"{BOUNCED_NOTE}: {error.reason}"[:500]))
        uow.commit()


def _release(ctx: ServiceContext, ids: list[int], lease: datetime) -> None:
    """Give back rows this call claimed but did not try: due again at once for any dispatcher."""
    if not ids:
        return
    t = EmailOutbox.__table__
    with ctx.uow() as uow:
        uow.session.execute(sa.update(t).where(t.c.id.in_(ids), t.c.locked_until == lease, t.c.state == "pending")
                            .values(locked_until=None))
        uow.commit()


def send_due(ctx: ServiceContext, sender, *, limit: int = 100, now: datetime | None = None) -> int:
    """Send up to `limit` due letters through `sender.send(message)`; returns how many were sent."""
    now = now or ctx.clock()
    lease, ids = claim(ctx, now, limit)
    if not ids:
        return 0
    # Start no letter unless its sending (a handful of SMTP commands, each within the sender's
    # time-out) ends before the lease does; leave the rest to the next claim.
    budget = LEASE.total_seconds() - 4 * float(getattr(sender, "timeout", 15.0))
    stop_at = time.monotonic() + max(budget, LEASE.total_seconds() / 4)
    mail_from = getattr(sender, "mail_from", "") or "iom@localhost"
    sent = 0
    with ctx.uow() as uow:
        rows = {r.id: r for r in uow.session.scalars(sa.select(EmailOutbox).where(EmailOutbox.id.in_(ids)))}
        uow.session.expunge_all()
    for n, row_id in enumerate(ids):
        row = rows.get(row_id)
        if row is None or row.locked_until is None:
            continue
        if time.monotonic() > stop_at:
            _release(ctx, ids[n:], lease)
            break
        try:
            sender.send(build_message(row, mail_from))
        except SendFailed as e:
            _failed(ctx, row, lease, now, e)
            if e.unreachable:  # the server is down: the others wait for the next round, unattempted
                _release(ctx, ids[n + 1:], lease)
                break
            continue
        except (smtplib.SMTPException, OSError) as e:
            _failed(ctx, row, lease, now, SendFailed(f"{type(e).__name__}: {e}", temporary=True))
            continue
        _sent(ctx, row_id, lease, now)
        sent += 1
    return sent
