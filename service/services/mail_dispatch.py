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
- Sending, then recording: the moment `send` returns (the server's 250 to the end of DATA has
  been read), the dispatcher appends the row to its journal of accepted letters — one `os.write`
  to a file of this process, which the kernel keeps however the process ends (mail_journal.py) —
  and only then marks the row `sent`: one autocommit statement on a connection kept for the batch
  (`_Marks`; once the statement is on its way the database applies it, the process may die). A
  dispatcher killed between the two loses nothing and sends nothing twice: before every claim,
  each dispatcher on the host marks `sent` the rows in the journals of dead dispatchers (their
  `flock` is gone), long before the lease frees those rows; a mark that failed (the database away
  for longer than its retries) is written the same way before this process's next claim. A
  dispatcher killed before the server's 250 leaves the row pending; the lease expires (`LEASE`)
  and another dispatcher sends it: nothing is lost.
- The window that remains: from the server's 250 (it has the whole letter) until the dispatcher
  has read it and made that one write — the reply's way back plus the wait for the CPU: a tenth of
  a millisecond on an idle machine, a few on a loaded one (`bench/mail_window.py` kills the
  dispatcher at chosen moments after the 250 and counts). A kill -9 (or a crash of the machine)
  exactly there sends the letter again after the lease. No client can close that gap (RFC 1047):
  the server has accepted what we have not heard. Every copy carries the same `Message-ID`
  derived from the row's key, so a server or mail client that drops duplicates by Message-ID
  (some do; not all) shows it once, and a person can tell it is the same letter.
- Two hosts (Redis): the journal is local. A dispatcher killed after its write is covered if a
  dispatcher on its own host (its restart, a sibling) claims before the lease runs out; if only
  another host's dispatcher runs, the gap lasts until the mark's one statement has left for the
  database (no pool check-out, ping, BEGIN or COMMIT waits between the 250 and it). The
  hosts' clocks must agree to well within the lease's slack (leases compare them).
- No reply to the final dot (a time-out, a dropped connection): the server may have accepted the
  letter. It is sent again — never lost — and `last_error` starts with `MAYBE_ACCEPTED`. That reply
  is waited for `FINAL_REPLY_TIMEOUTS` times the command time-out (RFC 5321 allows a server 10
  minutes there: content scanning is slow), so a slow server does not make copies routinely.
- A letter whose sending outlasts the lease (a server that stalls on every command for longer
  than the sender's time-out allows) could be claimed and sent by another dispatcher meanwhile;
  a letter is started only while the lease has four time-outs and the final-reply wait left,
  which makes this a pathological case, and the Message-ID again marks the copy.
- Temporary failures (4xx, connection errors, time-outs) retry with exponential backoff
  (1, 2, 4 … minutes, at most an hour) up to `MAX_ATTEMPTS`, then the row is `failed`. A permanent
  refusal of the recipient (5xx to RCPT) fails the row and marks the person's address bounced
  (`users.email_bounced_at`): no more letters are queued for it, and its other pending letters fail.
"""

from __future__ import annotations

import logging
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
from service.services.mail_journal import Accepted, AcceptedJournal, drop_orphan, journal_for, take_orphan

log = logging.getLogger("iom.mail")

# How long a claimed row is ours: a dead dispatcher's rows wait this long (IOM_MAIL_LEASE_SECONDS).
LEASE = timedelta(seconds=int(os.environ.get("IOM_MAIL_LEASE_SECONDS", "").strip() or 120))
MAX_ATTEMPTS = 8
BACKOFF_CAP = timedelta(hours=1)
BOUNCED_NOTE = "Адрес не принимается почтовым сервером"
IDLE_CHECK_S = 10.0  # a kept SMTP connection idle longer than this is checked (NOOP) before use
FINAL_REPLY_TIMEOUTS = 2  # the reply to a letter's final dot may take this many time-outs (RFC 5321: 10 min)
MAYBE_ACCEPTED = "ответ на конец письма не получен: сервер мог его принять"


class SendFailed(Exception):
    """A letter not sent. `temporary`: try again later; else the server refused it for good, and
    `bounce` says it refused the recipient's address."""

    def __init__(self, reason: str, *, temporary: bool, bounce: bool = False, unreachable: bool = False):
        super().__init__(reason)
        self.reason, self.temporary, self.bounce = reason[:500], temporary, bounce
        self.unreachable = unreachable  # no server to talk to: the rest of the batch waits too


class _Smtp(smtplib.SMTP):
    """smtplib's client, knowing when it waits for the reply to a letter's final dot (the server
    has the whole letter then: a reply given up on may have been its 250), and waiting longer there."""

    final_reply_timeout: float = 0.0
    after_dot = False

    def send(self, s) -> None:
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):  # DATA's payload; commands are str
            self.after_dot = True
            if self.sock is not None and self.final_reply_timeout > (self.timeout or 0):
                self.sock.settimeout(self.final_reply_timeout)

    def getreply(self):
        try:
            return super().getreply()
        finally:
            if self.after_dot and self.sock is not None:
                self.sock.settimeout(self.timeout)


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
            conn = _Smtp(self.host, self.port, timeout=self.timeout)
            conn.final_reply_timeout = FINAL_REPLY_TIMEOUTS * self.timeout
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
            conn.after_dot = False
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
            # No reply to the final dot (time-out, connection lost): the letter may have arrived.
            # Sent again (never lost); the copy carries the same Message-ID.
            note = f"{MAYBE_ACCEPTED}: " if getattr(conn, "after_dot", False) else ""
            raise SendFailed(f"{note}{type(e).__name__}: {e}", temporary=True) from None

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


_T = EmailOutbox.__table__
_SENT = (sa.update(_T).where(_T.c.id == sa.bindparam("rid"), _T.c.locked_until == sa.bindparam("lease"))
         .values(state="sent", sent_at=sa.bindparam("at"), locked_until=None, attempts=_T.c.attempts + 1,
                 last_error=""))
_ACCEPTED = (sa.update(_T).where(_T.c.id == sa.bindparam("rid"), _T.c.key == sa.bindparam("rkey"),
                                 _T.c.state == "pending")
             .values(state="sent", sent_at=sa.bindparam("at"), locked_until=None, attempts=_T.c.attempts + 1,
                     last_error=""))


class _Marks:
    """The `sent` writes of one batch: each its own autocommit statement on a connection kept open
    for them, so a mark is one statement on its way (no pool checkout, BEGIN or COMMIT after it);
    the database applies it even if this process dies the next moment. The commit does not wait for
    the disk (PostgreSQL `synchronous_commit = off`, SQLite `synchronous = NORMAL` in WAL mode): only
    a crash of the database server (PostgreSQL: within 3 × wal_writer_delay, 0.6 s) or of the
    machine (SQLite) right after could undo a mark, and then the letter goes again; none is lost."""

    def __init__(self, engine: sa.Engine):
        self.engine, self._conn, self._restore = engine, None, ""

    def _connection(self) -> sa.Connection:
        if self._conn is None:
            self._conn = conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if conn.dialect.name == "postgresql":
                self._restore = "RESET synchronous_commit"
                conn.exec_driver_sql("SET synchronous_commit = off")
            elif conn.dialect.name == "sqlite":
                level = int(conn.exec_driver_sql("PRAGMA synchronous").scalar())
                self._restore = f"PRAGMA synchronous = {level}"
                conn.exec_driver_sql("PRAGMA synchronous = NORMAL")
        return self._conn

    def sent(self, row_id: int, lease: datetime, now: datetime) -> None:
        """Record the server's 250 — retried on a lock or a dropped connection, since giving up here
        would send the letter again after the lease (the journal keeps it meanwhile)."""
        for attempt in range(5):
            try:
                self._connection().execute(_SENT, {"rid": row_id, "lease": lease, "at": now})
                return
            except (ConcurrentUpdate, OperationalError):
                self.close()
                if attempt == 4:
                    raise
                time.sleep(0.05 * 2 ** attempt)

    def close(self) -> None:
        """Back to the pool as it came (or dropped, if it cannot be reset)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if self._restore and not conn.invalidated:
                conn.exec_driver_sql(self._restore)
        except sa.exc.DBAPIError:
            conn.invalidate()
        conn.close()


def _sent(ctx: ServiceContext, row_id: int, lease: datetime, now: datetime) -> None:
    """Mark one row `sent` if `lease` still holds it."""
    marks = _Marks(ctx.sessions.kw["bind"])
    try:
        marks.sent(row_id, lease, now)
    finally:
        marks.close()


def _mark_accepted(engine: sa.Engine, entries: list[Accepted]) -> int:
    """Rows the server accepted whatever their lease says, if still pending; how many changed."""
    with engine.begin() as conn:
        return conn.execute(_ACCEPTED, [{"rid": e.row_id, "rkey": e.key, "at": e.at} for e in entries]).rowcount


def _record_accepted(engine: sa.Engine, journal: AcceptedJournal) -> None:
    """Before a claim: letters the server accepted whose `sent` is not in the database — this
    process's (the write failed) and those in the journals of dead dispatchers on this host."""
    own = journal.unconfirmed()
    if own:
        _mark_accepted(engine, own)
        for e in own:
            journal.confirmed(e.row_id)
    for path in journal.orphans():
        taken = take_orphan(path)
        if taken is None:  # its dispatcher is alive
            continue
        fd, entries = taken
        try:
            changed = _mark_accepted(engine, entries) if entries else 0
        except BaseException:
            os.close(fd)  # the file stays for the next claim
            raise
        if changed:
            log.warning("%d letter(s) accepted by the SMTP server before a dispatcher died, marked sent (%s)",
                        changed, path.name)
        drop_orphan(path, fd)
    journal.settle()


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
    engine = ctx.sessions.kw["bind"]
    journal = journal_for(engine.url.render_as_string(hide_password=True))
    if journal is not None:
        try:
            _record_accepted(engine, journal)
        except (ConcurrentUpdate, OperationalError):  # claim nothing that may be among them
            return 0
    lease, ids = claim(ctx, now, limit)
    if not ids:
        return 0
    # Start no letter unless its sending (a handful of SMTP commands, each within the sender's
    # time-out, and the longer wait for the reply to its final dot) ends before the lease does;
    # leave the rest to the next claim.
    budget = LEASE.total_seconds() - (4 + FINAL_REPLY_TIMEOUTS) * float(getattr(sender, "timeout", 15.0))
    stop_at = time.monotonic() + max(budget, LEASE.total_seconds() / 4)
    mail_from = getattr(sender, "mail_from", "") or "iom@localhost"
    sent = 0
    with ctx.uow() as uow:
        rows = {r.id: r for r in uow.session.scalars(sa.select(EmailOutbox).where(EmailOutbox.id.in_(ids)))}
        uow.session.expunge_all()
    marks = _Marks(engine)
    try:
        for n, row_id in enumerate(ids):
            row = rows.get(row_id)
            if row is None or row.locked_until is None:
                continue
            if time.monotonic() > stop_at:
                _release(ctx, ids[n:], lease)
                break
            accepted = Accepted(row_id, row.key, now)
            line = accepted.line()  # ready before the letter goes: after its 250, only the write
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
            if journal is not None:
                journal.accepted(line, accepted)  # first, before any database work
            marks.sent(row_id, lease, now)
            if journal is not None:
                journal.confirmed(row_id)
            sent += 1
    finally:
        marks.close()
        if journal is not None:
            journal.settle()
    return sent
