"""The teacher's portfolio: every issued document of their routes in one ZIP, with a cover list.

The archive holds, per route, a folder `<route id>_<title>/` with each issued version as
`<kind>-v<version>.docx` — the stored issued bytes as they are, so `flask --app service verify FILE`
and `POST /api/verify` accept every file taken out of it — plus `00_opis.docx` (the cover list:
route, document, version, issued at in the region's time, signers with role, action, time and
delegation, the SHA-256 of each file) and `manifest.json` (the same, for programs).

Who takes it: the teacher, an auditor and an admin get all the teacher's routes; a tutor gets the
routes they accompany (the tutor of one route does not see another tutor's); anyone else is refused.
The archive is the same bytes for the same documents: fixed member times, attributes and order,
and nothing in it says when it was built.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Protocol

import docx
import sqlalchemy as sa
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt
from sqlalchemy.orm import undefer

from service.db.models import Document, Route, TeacherProfile, User
from service.documents.context import ACTIONS, local_iso
from service.documents.render import FIXED_ZIP_TIME, normalize_docx
from service.domain.access import ROLE_TITLES, Actor, may_audit
from service.domain.delegation import on_behalf_text
from service.domain.errors import NotAllowed, NotFound, ServiceError
from service.services.context import ServiceContext
from service.services.documents import describe_all, sha256

MAX_DOCUMENTS = 500  # a teacher has a handful of routes with a few dozen versions each
MAX_BYTES = 100 * 1024 * 1024  # issued files together, checked before any is read
OPIS, MANIFEST = "00_opis.docx", "manifest.json"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')  # what no file system or unzip tool takes in a name
_ATTR = 0o100644 << 16  # a regular file, rw-r--r--
_WIDTHS = (0.9, 4.5, 5.6, 3.0, 7.7, 5.0)  # cm, the cover list's columns on A4 landscape (26.7 cm inside)
VERIFY_HINT = ("Каждый файл проверяется командой `flask --app service verify ФАЙЛ` или запросом POST /api/verify: "
               "сервис сверяет SHA-256 файла с выпущенными им документами.")


class PortfolioTooLarge(ServiceError):
    """More documents (or bytes) than one archive is built for."""

    status = 422


class _RouteLike(Protocol):
    teacher_id: int
    tutor_id: int


@dataclass(frozen=True)
class Portfolio:
    data: bytes
    filename: str
    manifest: dict[str, Any]

    @property
    def sha256(self) -> str:
        return sha256(self.data)


def takes_all(actor: Actor, teacher_id: int) -> bool:
    """The teacher themself, an auditor and an admin take every route of the teacher."""
    return actor.user_id == teacher_id or may_audit(actor)


def routes_in_reach(actor: Actor, teacher_id: int, routes: list[_RouteLike]) -> list[_RouteLike]:
    """The teacher's routes whose documents `actor` may take: all of them (`takes_all`); for a
    tutor, the ones they accompany. Refused for anyone else."""
    if takes_all(actor, teacher_id):
        return list(routes)
    mine = [r for r in routes if r.tutor_id == actor.user_id]
    if not mine:
        raise NotAllowed("Портфолио педагога доступно самому педагогу, его тьютору, аудитору и администратору")
    return mine


def may_take(ctx: ServiceContext, actor: Actor, teacher_id: int) -> bool:
    """Whether the pages should offer the link (the rule of `routes_in_reach`, in one query)."""
    if takes_all(actor, teacher_id):
        return True
    with ctx.uow() as uow:
        return uow.session.scalar(sa.select(Route.id).where(Route.teacher_id == teacher_id,
                                                            Route.tutor_id == actor.user_id).limit(1)) is not None


def build(ctx: ServiceContext, actor: Actor, teacher_id: int) -> Portfolio:
    """The portfolio archive for `actor` (see the module doc)."""
    with ctx.uow() as uow:
        s = uow.session
        teacher = _teacher(s, teacher_id)
        routes = routes_in_reach(actor, teacher_id, list(s.scalars(
            sa.select(Route).where(Route.teacher_id == teacher_id).order_by(Route.id))))
        ids = [r.id for r in routes]
        issued = sa.and_(Document.route_id.in_(ids), Document.issued_sha256.is_not(None))
        count, size = s.execute(sa.select(sa.func.count(Document.id),
                                          sa.func.coalesce(sa.func.sum(sa.func.length(Document.issued)), 0))
                                .where(issued)).one()
        if count > MAX_DOCUMENTS or size > MAX_BYTES:
            raise PortfolioTooLarge(f"В портфолио {count} документов ({size // (1024 * 1024)} МБ): одним архивом "
                                    f"выдаётся не более {MAX_DOCUMENTS} документов и {MAX_BYTES // (1024 * 1024)} МБ; "
                                    "скачайте документы со страниц маршрутов")
        docs = list(s.scalars(sa.select(Document).options(undefer(Document.issued)).where(issued)
                              .order_by(Document.route_id, Document.issued_at, Document.id)))
        described = describe_all(s, docs)
        manifest = _manifest(ctx, teacher, routes, docs, described, takes_all(actor, teacher_id))
        files = {entry["file"]: doc.issued for entry, doc in zip(manifest["documents"], docs, strict=True)}
    members = [(OPIS, _opis(manifest), True), (MANIFEST, _json(manifest), True),
               *((name, data, False) for name, data in files.items())]
    return Portfolio(_zip(members), f"portfolio-teacher-{teacher_id}.zip", manifest)


def _teacher(s, teacher_id: int) -> User:
    user = s.get(User, teacher_id) if s.get(TeacherProfile, teacher_id) is not None else None
    if user is None:
        raise NotFound("Педагог не найден")
    return user


def folder(route: Route) -> str:
    """`<id>_<title>`: the title without what a file name may not hold, at most 60 characters."""
    title = " ".join(_UNSAFE.sub(" ", route.title).split())[:60].rstrip(" .")
    return f"{route.id}_{title}" if title else str(route.id)


def _manifest(ctx: ServiceContext, teacher: User, routes: list[Route], docs: list[Document],
              described: list[dict[str, Any]], full: bool) -> dict[str, Any]:
    folders = {r.id: folder(r) for r in routes}
    titles = {r.id: r.title for r in routes}
    entries = []
    for doc, info in zip(docs, described, strict=True):
        entries.append({
            "route": {"id": doc.route_id, "title": titles[doc.route_id]},
            "file": f"{folders[doc.route_id]}/{doc.kind}-v{doc.version}.docx",
            "document_id": doc.id, "kind": doc.kind, "title": info["title"], "version": doc.version,
            "issued_at": info["issued_at"], "issued_at_local": local_iso(info["issued_at"] or "", ctx.timezone),
            "sha256": doc.issued_sha256, "content_sha256": doc.content_sha256, "size": len(doc.issued or b""),
            # the stored copy still has its recorded hash (else verify will refuse it: say so here)
            "intact": sha256(doc.issued or b"") == doc.issued_sha256,
            "signatures": [_signature(sig, ctx.timezone) for sig in info["signatures"]],
        })
    return {
        "teacher": {"id": teacher.id, "name": teacher.full_name},
        "scope": "all" if full else "tutor",
        "routes": [{"id": r.id, "title": r.title, "status": r.status, "folder": folders[r.id]} for r in routes],
        "documents": entries, "count": len(entries), "verify": VERIFY_HINT,
    }


def _signature(sig: dict[str, Any], timezone: str) -> dict[str, Any]:
    delegation = (on_behalf_text(sig["on_behalf_of"]["name"], sig["delegation"]["granted_on"])
                  if "on_behalf_of" in sig else None)
    return {"signer": sig["signer"], "role": sig["role"], "role_title": ROLE_TITLES.get(sig["role"], sig["role"]),
            "action": sig["action"], "action_title": ACTIONS.get(sig["action"], sig["action"]),
            "signed_at": sig["signed_at"], "signed_at_local": local_iso(sig["signed_at"], timezone),
            "delegation": delegation, "sha256": sig["sha256"], "valid": sig["valid"]}


def _json(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")


def signer_text(sig: dict[str, Any]) -> str:
    """«Педагог Иванова М. П. — подписал(а) 01.09.2026 12:05 МСК», with the delegation where present."""
    who = sig["signer"]["name"] + (f", {sig['delegation']}" if sig["delegation"] else "")
    role = sig["role_title"]
    return f"{role[:1].upper()}{role[1:]} {who} — {sig['action_title']} {sig['signed_at_local']}"


def _opis(manifest: dict[str, Any]) -> bytes:
    """The cover list (.docx, A4 landscape), written deterministically (see render.normalize_docx)."""
    document = docx.Document()
    section = document.sections[0]
    section.orientation, section.page_width, section.page_height = WD_ORIENT.LANDSCAPE, Cm(29.7), Cm(21)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(10)
    document.core_properties.title = f"Опись документов: {manifest['teacher']['name']}"
    document.add_heading("Опись документов портфолио педагога", level=1)
    document.add_paragraph(f"Педагог: {manifest['teacher']['name']}")
    scope = "все маршруты педагога" if manifest["scope"] == "all" else "маршруты, которые сопровождает тьютор"
    document.add_paragraph(f"Маршрутов: {len(manifest['routes'])} ({scope}); выпущенных документов: "
                           f"{manifest['count']}.")
    table = document.add_table(rows=1, cols=6)
    table.style, table.autofit = "Table Grid", False
    heads = ["№", "Маршрут", "Документ, версия, файл", "Выпущен", "Подписи", "SHA-256 выпущенного файла"]
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        cell.text = text
    for n, d in enumerate(manifest["documents"], 1):
        doc_text = f"{d['title']}, версия {d['version']}\n{d['file']}"
        signs = "\n".join(signer_text(s) for s in d["signatures"]) or "—"
        digest = d["sha256"] + ("" if d["intact"] else "\nВНИМАНИЕ: хранимая копия не совпадает с этим хешем")
        for cell, text in zip(table.add_row().cells, [str(n), f"№ {d['route']['id']}: {d['route']['title']}",
                                                      doc_text, d["issued_at_local"], signs, digest], strict=True):
            cell.text = text
        digest_font = table.rows[-1].cells[-1].paragraphs[0].runs[0].font
        digest_font.name, digest_font.size = "Courier New", Pt(8)
    for row in table.rows:  # Word takes the cells' widths, LibreOffice the grid's: both are set
        for cell, width in zip(row.cells, _WIDTHS, strict=True):
            cell.width = Cm(width)
    for column, width in zip(table.columns, _WIDTHS, strict=True):
        column.width = Cm(width)
    if not manifest["documents"]:
        document.add_paragraph("Выпущенных документов пока нет.")
    document.add_paragraph(VERIFY_HINT)
    out = io.BytesIO()
    document.save(out)
    return normalize_docx(out.getvalue())


def _zip(members: list[tuple[str, bytes, bool]]) -> bytes:
    """Members in the given order with fixed times and attributes: the same input, the same bytes.
    The .docx files are stored as they are (already compressed); text is deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data, deflate in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.create_system, info.external_attr = 3, _ATTR
            info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            zf.writestr(info, data, compresslevel=6 if deflate else None)
    return out.getvalue()
