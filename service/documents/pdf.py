"""PDF through LibreOffice headless, and the host-wide locks that bound it.

A conversion starts a LibreOffice process (2–4 s, a few hundred MB). `to_pdf` converts one
.docx; `HostLocks` gives the two locks the service takes around it (see
`service.services.pdfs`), both `fcntl.flock` locks on files in one directory, so they hold
across threads, worker processes and restarts on the host, and the kernel releases them when a
process dies:

* `slot()`: one of N slot files (`slot-0.lock` … `slot-{N-1}.lock`): at most N conversions run
  at once on the host, whatever the number of workers;
* `key(sha256)`: one of 256 files picked by the first two hex digits of the document's SHA-256:
  requests for the same document wait for the one conversion in progress instead of starting
  their own (two documents that share the digits merely take turns).

flock locks belong to an open file description, so every acquisition opens its own descriptor:
two threads of one process exclude each other like two processes do.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from service.documents import archive
from service.domain.errors import ServiceError

KEY_BUCKETS = 256
_POLL_MIN, _POLL_MAX = 0.01, 0.1


class PdfBusy(ServiceError):
    """Every conversion slot stayed busy for longer than the caller will wait."""

    status = 503


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_available() -> bool:
    return _soffice() is not None


def to_pdf(docx: bytes, timeout: float = 120) -> bytes | None:
    """PDF of a .docx through LibreOffice headless; None when LibreOffice is not installed.

    Each call converts in a fresh temporary directory with its own LibreOffice profile, so calls
    may run in parallel (bound them with HostLocks). Raises RuntimeError (with LibreOffice's
    output) on failure or timeout, ValueError when `docx` is not a .docx within the archive
    limits (LibreOffice would happily print other data as plain text)."""
    exe = _soffice()
    if exe is None:
        return None
    if not archive.is_docx(docx):
        raise ValueError("to_pdf: the data is not a .docx document")
    with tempfile.TemporaryDirectory(prefix="iom-pdf-") as tmp:
        work = Path(tmp)
        src = work / "document.docx"
        src.write_bytes(docx)
        profile = (work / "profile").as_uri()
        cmd = [
            exe,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--nofirststartwizard",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(work),
            str(src),
        ]
        env = {**os.environ, "HOME": str(work), "SAL_USE_VCLPLUGIN": "svp"}
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=work, start_new_session=True
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            stdout, stderr = proc.communicate()
            raise RuntimeError(
                f"LibreOffice не завершил преобразование в PDF за {timeout:g} с: "
                f"{stderr.decode('utf-8', 'replace').strip()}"
            ) from exc
        pdf = work / "document.pdf"
        if proc.returncode != 0 or not pdf.exists():
            output = (stderr or stdout).decode("utf-8", "replace").strip()
            raise RuntimeError(f"LibreOffice не смог преобразовать документ в PDF (код {proc.returncode}): {output}")
        return pdf.read_bytes()


class HostLocks:
    """File locks in `directory` shared by every process of the host (see the module doc)."""

    def __init__(self, directory: str | os.PathLike[str], slots: int = 2, wait: float = 300):
        if slots < 1:
            raise ValueError("PDF_MAX_CONVERSIONS must be at least 1")
        self.directory = Path(directory)
        self.slots = slots
        self.wait = wait
        self.directory.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def slot(self) -> Iterator[int]:
        """Hold one of the conversion slots (its number) for the duration of the block."""
        deadline = time.monotonic() + self.wait
        paths = [self.directory / f"slot-{i}.lock" for i in range(self.slots)]
        start = os.getpid() % self.slots  # spread first tries over the slots
        delay = _POLL_MIN
        while True:
            for k in range(self.slots):
                i = (start + k) % self.slots
                fd = _try_lock(paths[i])
                if fd is not None:
                    try:
                        yield i
                    finally:
                        os.close(fd)  # releases the lock
                    return
            if time.monotonic() >= deadline:
                raise PdfBusy("Сервер занят преобразованием других документов в PDF: повторите запрос позже")
            time.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    @contextlib.contextmanager
    def key(self, sha256: str) -> Iterator[None]:
        """Hold the lock of one document version (by the SHA-256 of its bytes)."""
        bucket = int(sha256[:2], 16) % KEY_BUCKETS if len(sha256) >= 2 else 0
        path = self.directory / f"doc-{bucket:02x}.lock"
        deadline = time.monotonic() + self.wait
        delay = _POLL_MIN
        while (fd := _try_lock(path)) is None:
            if time.monotonic() >= deadline:
                raise PdfBusy("Этот документ уже преобразуется в PDF слишком долго: повторите запрос позже")
            time.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)
        try:
            yield
        finally:
            os.close(fd)


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding an exclusive flock on `path`, or None when someone holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return None
        raise
    return fd
