"""People a test adds after the demo set-up, through the services (they have not accepted the
Положение о ПЭП: the demo people have, see tests/support/app.py)."""

from __future__ import annotations

import io

import docx
import sqlalchemy as sa

from service.db.models import OrgUnit
from service.documents.render import normalize_docx
from service.services import people
from tests.support.app import CHEAP_DEMO_HASH


def add_methodist(app, login: str = "methodist_new", full_name: str = "Новикова Вера Павловна") -> int:
    """A regional methodist of the demo region, with the demo password; registered in
    app.config["PEOPLE"] so that tests.support.app.Person can log in as them."""
    ctx = app.extensions["iom"]
    with ctx.uow() as uow:
        region = uow.session.scalar(sa.select(OrgUnit).where(OrgUnit.kind == "region"))
        user = people.add_user(uow.session, login, full_name, "", [("methodist", region.id)],
                               password_hash=CHEAP_DEMO_HASH)
        uow.commit()
        app.config["PEOPLE"][login] = user.id
        return user.id


def docx_variant(data: bytes, text: str) -> bytes:
    """The .docx `data` with one more paragraph `text` at the end: another version of a template."""
    document = docx.Document(io.BytesIO(data))
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return normalize_docx(out.getvalue())
