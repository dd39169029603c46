"""A local note that the SMTP server accepted a letter, written the moment its 250 arrives.

Marking a row `sent` in the database takes a round trip or a lock; a kill -9 of the dispatcher in
between used to mean the letter went out again after its lease. So the dispatcher first appends one
line (`<row id> <key> <time>`) to a file of its own with a single `os.write`: the operating system
keeps what was written however the process ends. Each process has one file per database,
`<instance>/mail-accepted/<database hash>-<host>-<pid>-<random>.log`, and holds an exclusive
`flock` on it for its whole life; the kernel drops that lock when the process dies, kill -9
included. Before every claim a dispatcher on the same host and database takes the lock of each
file whose owner is gone, marks the rows listed there `sent` (if still pending, key checked), and
deletes the file — long before the lease would let anyone claim those rows. Its own lines whose
database write failed are applied the same way before its next claim.

What it cannot do: a dispatcher on another host does not see these files (two hosts behind Redis);
there only a restart of the killed worker on its own host applies them, and if that comes after
the lease the letter goes again. Files are local: the instance directory must not be on NFS.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger("iom.mail")


@dataclass(frozen=True)
class Accepted:
    row_id: int
    key: str
    at: datetime

    def line(self) -> bytes:
        return f"{self.row_id} {self.key} {self.at.isoformat()}\n".encode()

    @classmethod
    def parse(cls, line: bytes) -> Accepted | None:
        try:
            row_id, rest = line.decode().split(" ", 1)
            key, at = rest.rsplit(" ", 1)
            return cls(int(row_id), key, datetime.fromisoformat(at))
        except ValueError:  # a line cut short by a full disk: its letter is sent again, as before
            return None


class AcceptedJournal:
    """This process's file for one database (see the module docstring); threads share it."""

    def __init__(self, directory: Path, database: str):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory, self.prefix = directory, f"{database}-"
        name = f"{self.prefix}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        fresh = directory / f"{name}.new"  # locked before it gets the name others look for
        self._fd = os.open(fresh, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        self.path = directory / f"{name}.log"
        os.rename(fresh, self.path)
        self._lock = threading.Lock()
        self._unconfirmed: dict[int, Accepted] = {}
        self._written = False

    def accepted(self, line: bytes, entry: Accepted) -> None:
        """The server said 250: one write, before anything else happens."""
        with self._lock:
            os.write(self._fd, line)
            self._unconfirmed[entry.row_id] = entry
            self._written = True

    def confirmed(self, row_id: int) -> None:
        with self._lock:
            self._unconfirmed.pop(row_id, None)

    def unconfirmed(self) -> list[Accepted]:
        with self._lock:
            return list(self._unconfirmed.values())

    def settle(self) -> None:
        """Empty the file once every line in it is in the database (between batches)."""
        with self._lock:
            if self._written and not self._unconfirmed:
                os.ftruncate(self._fd, 0)
                self._written = False

    def orphans(self) -> list[Path]:
        """Files of other processes for this database (their owners may be alive)."""
        return [p for p in self.directory.glob(f"{self.prefix}*.log") if p != self.path]

    def close(self) -> None:
        with self._lock:
            if self._fd < 0:
                return
            if not self._unconfirmed:
                self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = -1


def take_orphan(path: Path) -> tuple[int, list[Accepted]] | None:
    """Lock a file whose owner died and read it; None while its owner lives (or it is gone)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    with os.fdopen(os.dup(fd), "rb") as f:
        entries = [e for e in map(Accepted.parse, f.read().splitlines()) if e is not None]
    return fd, entries


def drop_orphan(path: Path, fd: int) -> None:
    """After its lines are in the database: delete the file, then let go of its lock."""
    path.unlink(missing_ok=True)
    os.close(fd)


_journals: dict[tuple[int, str], AcceptedJournal | None] = {}
_guard = threading.Lock()


def journal_for(url: str) -> AcceptedJournal | None:
    """This process's journal for the database at `url` (a password in it is not used), kept in
    IOM_MAIL_JOURNAL_DIR or <instance>/mail-accepted; None if that cannot be written (logged)."""
    database = hashlib.sha256(url.encode()).hexdigest()[:16]
    key = (os.getpid(), database)  # a forked child opens its own
    with _guard:
        if key not in _journals:
            from service.config import instance_dir

            directory = Path(os.environ.get("IOM_MAIL_JOURNAL_DIR", "").strip() or instance_dir() / "mail-accepted")
            try:
                journal = AcceptedJournal(directory, database)
            except OSError:
                log.exception("no journal of accepted letters in %s: a kill right after a 250 sends again", directory)
                journal = None
            else:
                atexit.register(journal.close)
            _journals[key] = journal
        return _journals[key]
