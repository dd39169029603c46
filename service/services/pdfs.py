"""PDF copies of document versions: converted once, kept in the database, bounded on the host.

A document version's bytes never change, so its PDF is converted once and kept in `pdf_cache`
under the SHA-256 of the .docx; every later request reads it back (no LibreOffice). A miss takes
the document's lock (concurrent requests for it wait for the one conversion and then find it in
the cache), then one of the host's conversion slots (at most PDF_MAX_CONVERSIONS LibreOffice
processes on the host, whichever worker asks); see `service.documents.pdf.HostLocks`.

Settings (Flask config): PDF_MAX_CONVERSIONS (default 2), PDF_LOCK_DIR (default
`<instance path>/pdf-locks`), PDF_WAIT_SECONDS (how long a request waits for a slot, default 300;
then 503), PDF_CONVERTER (a callable bytes → bytes replacing LibreOffice, for tests).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from service.db.models import PdfCache
from service.documents.pdf import HostLocks, pdf_available, to_pdf
from service.domain.access import Actor
from service.domain.errors import ConcurrentUpdate, PdfUnavailable
from service.services import views
from service.services.context import ServiceContext

EXTENSION_KEY = "iom_pdf"


@dataclass
class PdfConverter:
    """How this process converts: the converter and the host's locks."""

    locks: HostLocks
    convert: Callable[[bytes], bytes | None] = to_pdf
    available: Callable[[], bool] = pdf_available


def converter_from_config(config: dict[str, Any], instance_path: str) -> PdfConverter:
    locks = HostLocks(config.get("PDF_LOCK_DIR") or Path(instance_path) / "pdf-locks",
                      slots=int(config.get("PDF_MAX_CONVERSIONS", 2)),
                      wait=float(config.get("PDF_WAIT_SECONDS", 300)))
    custom = config.get("PDF_CONVERTER")
    if custom is not None:
        return PdfConverter(locks, convert=custom, available=lambda: True)
    return PdfConverter(locks)


def converter_for(app) -> PdfConverter:
    """The app's converter, built from its config on first use."""
    converter = app.extensions.get(EXTENSION_KEY)
    if converter is None:
        converter = app.extensions[EXTENSION_KEY] = converter_from_config(app.config, app.instance_path)
    return converter


def document_pdf(ctx: ServiceContext, actor: Actor, document_id: int, which: str,
                 converter: PdfConverter) -> tuple[bytes, str]:
    """The PDF of a document version (`content` or `issued`) and its file name."""
    docx, name = views.document_file(ctx, actor, document_id, which)
    return cached_pdf(ctx, converter, docx), name.removesuffix(".docx") + ".pdf"


def cached_pdf(ctx: ServiceContext, converter: PdfConverter, docx: bytes) -> bytes:
    """The PDF of `docx`: from the cache, or converted once (see the module doc)."""
    digest = hashlib.sha256(docx).hexdigest()
    pdf = _cached(ctx, digest)
    if pdf is not None:
        return pdf
    if not converter.available():
        raise PdfUnavailable("PDF недоступен: на сервере не установлен LibreOffice")
    with converter.locks.key(digest):
        pdf = _cached(ctx, digest)  # converted by whoever held the lock before us
        if pdf is not None:
            return pdf
        with converter.locks.slot():
            pdf = converter.convert(docx)
        if pdf is None:  # LibreOffice went away
            raise PdfUnavailable("PDF недоступен: на сервере не установлен LibreOffice")
        _store(ctx, digest, pdf)
    return pdf


def _cached(ctx: ServiceContext, digest: str) -> bytes | None:
    with ctx.uow() as uow:
        return uow.session.scalar(sa.select(PdfCache.pdf).where(PdfCache.docx_sha256 == digest))


def _store(ctx: ServiceContext, digest: str, pdf: bytes) -> None:
    try:
        with ctx.uow() as uow:
            uow.session.add(PdfCache(docx_sha256=digest, pdf=pdf, created_at=ctx.clock()))
            uow.commit()
    except (sa.exc.IntegrityError, ConcurrentUpdate):
        pass  # stored meanwhile by a process that does not share our lock directory (another host)
