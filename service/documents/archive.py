"""Limits on a .docx (zip) archive, checked before anything decompresses or parses it.

A .docx is a zip; everything that reads one (python-docx, docxtpl, the renderer's own
normalisation, zipfile's `testzip`) inflates its members whole into memory. A small upload whose
member declares a gigabyte (a "zip bomb") would therefore cost minutes and gigabytes before any
other check could refuse it. `check_archive` refuses such an archive from its central directory
alone, which is read without inflating anything:

* at most MAX_MEMBERS members (a real .docx has 15–60; the central directory itself is bounded
  by the upload size);
* at most MAX_TOTAL_SIZE bytes declared uncompressed over all members, MAX_MEMBER_SIZE for one
  member (overlapping entries that point at the same compressed data are each counted);
* for a member over RATIO_FLOOR bytes, at most MAX_RATIO between its declared uncompressed and
  compressed sizes (deflated Word XML gives 3–35; a stream of zeros gives ~1000);
* only stored and deflated members, no encrypted ones (what Word and LibreOffice write).

Why the declared sizes are enough afterwards: zipfile yields at most the central directory's
`file_size` bytes of a member however much its compressed stream would inflate to (a "lying"
header then fails the CRC check instead of growing). `read_member` and `verify_members` do not
rely on that alone: they inflate in chunks of CHUNK bytes and stop with a refusal as soon as a
member gives more than it declared or the archive more than MAX_TOTAL_SIZE.

Every refusal is a TemplateRejected with a Russian reason that starts with the caller's label
("Шаблон karta_iom.docx").
"""

from __future__ import annotations

import io
import zipfile

from service.domain.errors import TemplateRejected

MAX_MEMBERS = 500
MAX_TOTAL_SIZE = 50 * 1024 * 1024
MAX_MEMBER_SIZE = MAX_TOTAL_SIZE
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
CHUNK = 64 * 1024
_METHODS = {zipfile.ZIP_STORED: "без сжатия", zipfile.ZIP_DEFLATED: "deflate"}
_MB = 1024 * 1024


def _mb(n: int) -> str:
    return f"{n / _MB:.1f} МБ".replace(".", ",")


def open_archive(data: bytes, label: str = "Файл") -> zipfile.ZipFile:
    """The zip over `data` once `check_archive` has passed it (the caller closes it).

    Raises TemplateRejected when `data` is not a zip or breaks a limit."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))  # reads the central directory only
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise TemplateRejected(f"{label} не является документом .docx") from exc
    try:
        check_archive(zf, label)
    except BaseException:
        zf.close()
        raise
    return zf


def check_archive(zf: zipfile.ZipFile, label: str = "Файл") -> None:
    """Refuse an archive whose central directory declares too much (see the module doc)."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise TemplateRejected(f"{label} отклонён: в архиве {len(infos)} файлов, допустимо не более {MAX_MEMBERS}")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise TemplateRejected(f"{label} отклонён: часть {info.filename} зашифрована")
        if info.compress_type not in _METHODS:
            raise TemplateRejected(
                f"{label} отклонён: часть {info.filename} сжата неподдерживаемым методом ({info.compress_type})"
            )
        size = info.file_size
        if size > MAX_MEMBER_SIZE:
            raise TemplateRejected(
                f"{label} отклонён: часть {info.filename} распаковывается в {_mb(size)}, "
                f"допустимо не более {_mb(MAX_MEMBER_SIZE)}"
            )
        total += size
        if total > MAX_TOTAL_SIZE:
            raise TemplateRejected(
                f"{label} отклонён: содержимое архива распаковывается более чем в {_mb(MAX_TOTAL_SIZE)}"
            )
        if size > RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1):
            raise TemplateRejected(
                f"{label} отклонён: часть {info.filename} сжата в {size // max(info.compress_size, 1)} раз "
                f"(допустимо не более {MAX_RATIO}) — похоже на zip-бомбу"
            )


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo | str, label: str = "Файл",
                limit: int = MAX_MEMBER_SIZE) -> bytes:
    """A member's bytes, inflated in chunks and never more than min(its declared size, limit)."""
    if isinstance(info, str):
        info = zf.getinfo(info)
    return b"".join(_chunks(zf, info, label, limit))


def verify_members(zf: zipfile.ZipFile, label: str = "Файл") -> None:
    """Inflate every member in bounded chunks, discarding the bytes: zipfile checks each CRC-32
    at the end of its member. Raises TemplateRejected ("повреждён") on a bad member."""
    budget = MAX_TOTAL_SIZE
    for info in zf.infolist():
        for chunk in _chunks(zf, info, label, min(budget, MAX_MEMBER_SIZE)):
            budget -= len(chunk)


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, limit: int):
    got = 0
    try:
        with zf.open(info) as member:
            while chunk := member.read(CHUNK):
                got += len(chunk)
                if got > info.file_size:  # zipfile stops at the declared size; never trust that alone
                    raise TemplateRejected(
                        f"{label} отклонён: часть {info.filename} распаковывается больше заявленного размера"
                    )
                if got > limit:
                    raise TemplateRejected(
                        f"{label} отклонён: содержимое архива распаковывается более чем в {_mb(MAX_TOTAL_SIZE)}"
                    )
                yield chunk
    except TemplateRejected:
        raise
    except Exception as exc:  # bad CRC-32, truncated data, a broken deflate stream (zlib.error)…
        raise TemplateRejected(f"{label} повреждён: ошибка в части {info.filename} ({exc})") from exc


def is_docx(data: bytes) -> bool:
    """Whether `data` is a zip within the limits that holds word/document.xml."""
    try:
        with open_archive(data) as zf:
            return "word/document.xml" in zf.namelist()
    except TemplateRejected:
        return False
