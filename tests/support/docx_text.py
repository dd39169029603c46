"""Reading what a generated .docx says, for tests: its body text without markup, and a route's
issued documents."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

import sqlalchemy as sa

from service.db.models import Document


def docx_text(docx: bytes) -> str:
    """The text of the document body (word/document.xml) with the tags removed."""
    with zipfile.ZipFile(BytesIO(docx)) as z:
        return re.sub(r"<[^>]+>", "", z.read("word/document.xml").decode("utf-8"))


def issued_documents(app, route_id: int) -> dict[int, tuple[dict, bytes, str]]:
    """Document id → (render data, issued bytes, issued SHA-256) of the route's issued versions,
    in the order they were made (PostgreSQL returns rows in no set order without one)."""
    with app.extensions["iom"].sessions() as s:
        issued = sa.select(Document).where(Document.route_id == route_id, Document.issued.is_not(None))
        return {d.id: (d.data, d.issued, d.issued_sha256) for d in s.scalars(issued.order_by(Document.id))}
