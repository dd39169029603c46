"""A route's history for the auditor: JSON, CSV, and the audit certificate (.docx / .pdf)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import docx
import sqlalchemy as sa
from docx.shared import Pt

from service.db.models import Event
from service.documents.context import local_iso
from service.domain.access import Actor, require_auditor
from service.domain.delegation import performed_by
from service.domain.errors import NotFound
from service.services import audit, pdfs, pep, views
from service.services.context import ServiceContext

EVENT_TITLES = {
    "route_created": "маршрут создан", "task_completed": "выполнен шаг", "document_prepared": "подготовлен документ",
    "document_issued": "выпущен документ", "document_signed": "документ подписан",
    "signature_rejected": "подпись отклонена", "route_completed": "маршрут завершён", "route_prolonged": "продлён",
    "route_prolonged_as": "создан маршрут продления", "admin_reassigned": "задача переназначена администратором",
    "admin_cancelled": "маршрут отменён администратором", "admin_card_edited": "карта исправлена администратором",
}


def history(ctx: ServiceContext, actor: Actor, route_id: int) -> dict[str, Any]:
    """Everything an auditor needs to check the route elsewhere: events with their hashes,
    document versions with theirs, and the result of verification here."""
    require_auditor(actor)
    with ctx.uow() as uow:
        hashes = {seq: (prev, digest) for seq, prev, digest in uow.session.execute(
            sa.select(Event.seq, Event.prev_hash, Event.hash).where(Event.route_id == route_id))}
    events = views.route_events(ctx, actor, route_id)
    for e in events:
        e["prev_hash"], e["hash"] = hashes[e["seq"]]
    report = audit.check_route(ctx, route_id)
    return {"route": views.route_summary(ctx, actor, route_id), "events": events,
            "documents": views.route_documents(ctx, actor, route_id), "chain_head": report.head,
            "verification": report.as_dict()}


def history_csv(ctx: ServiceContext, actor: Actor, route_id: int, fmt: str = "csv") -> str:
    """The history as CSV (`fmt` is what the caller asked for: anything but csv is not found)."""
    require_auditor(actor)
    if fmt != "csv":
        raise NotFound("Формат: json или csv")
    data = history(ctx, actor, route_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["seq", "at", "kind", "actor", "on_behalf_of", "task", "data", "prev_hash", "hash"])
    for e in data["events"]:
        writer.writerow([e["seq"], e["at"], e["kind"], (e["actor"] or {}).get("name", ""),
                         (e["on_behalf_of"] or {}).get("name", ""), e["task_name"] or "",
                         json.dumps(e["data"], ensure_ascii=False, sort_keys=True), e["prev_hash"], e["hash"]])
    return "\ufeff" + out.getvalue()  # a BOM so that spreadsheet programs read UTF-8


def _pep_section(document, acceptances: list[dict[str, Any]], timezone: str) -> None:
    """Which version of the ПЭП regulation each signer had accepted, and when (63-ФЗ, ст. 9)."""
    document.add_heading("Положение о простой электронной подписи: принятие подписантами", level=2)
    if not acceptances:
        document.add_paragraph("Документы маршрута ещё никто не подписывал.")
        return
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["Подписант", "Редакция Положения (SHA-256)", "Принята"],
                          strict=True):
        cell.text = text
    for signer in acceptances:
        rows = signer["acceptances"] or [{"sha256": "не принималось до подписи", "accepted_at": ""}]
        for accepted in rows:
            for cell, text in zip(table.add_row().cells, [signer["signer"], accepted["sha256"],
                                                          local_iso(accepted["accepted_at"], timezone)],
                                  strict=True):
                cell.text = text


def _certificate_docx(data: dict[str, Any], acceptances: list[dict[str, Any]] | None, timezone: str) -> bytes:
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(11)
    route = data["route"]
    document.add_heading("Справка аудита маршрута ИОМ", level=1)
    document.add_paragraph(f"Маршрут № {route['id']}: {route['title']}")
    document.add_paragraph(f"Педагог: {route['teacher']}; статус: {route['stage_title']}")
    verification = data["verification"]
    verdict = "цепочка событий и документы не изменены" if verification["ok"] else "ОБНАРУЖЕНЫ РАСХОЖДЕНИЯ"
    document.add_paragraph(f"Проверка: {verdict}. Событий: {verification['events']}.")
    for finding in verification["findings"]:
        document.add_paragraph(f"{finding['where']}: ожидалось {finding['expected']}, найдено {finding['found']}",
                               style="List Bullet")
    document.add_paragraph(f"Голова цепочки (SHA-256 последнего события): {data['chain_head']}")
    document.add_heading("Кто что сделал и когда", level=2)
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["№", "Время", "Кто", "Что", "Хеш события"], strict=True):
        cell.text = text
    for e in data["events"]:
        title = e["data"].get("title")
        what = EVENT_TITLES.get(e["kind"], e["kind"]) + (f": {title}" if title else "")
        who = performed_by((e["actor"] or {}).get("name") or "система", (e["on_behalf_of"] or {}).get("name"),
                           e["data"].get("delegation"))
        for cell, text in zip(table.add_row().cells, [str(e["seq"]), local_iso(e["at"], timezone), who, what,
                                                      e["hash"][:16] + "…"], strict=True):
            cell.text = text
    document.add_heading("Документы", level=2)
    docs = document.add_table(rows=1, cols=4)
    docs.style = "Table Grid"
    for cell, text in zip(docs.rows[0].cells, ["Документ", "Версия", "SHA-256 содержимого", "SHA-256 выпущенного"],
                          strict=True):
        cell.text = text
    for d in data["documents"]:
        for cell, text in zip(docs.add_row().cells, [d["title"], str(d["version"]), d["content_sha256"],
                                                     d["issued_sha256"] or "—"], strict=True):
            cell.text = text
    if acceptances is not None:
        _pep_section(document, acceptances, timezone)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def certificate(ctx: ServiceContext, actor: Actor, route_id: int, fmt: str, converter=None) -> tuple[bytes, str, str]:
    """The certificate as .docx, or as PDF through the host's bounded, cached converter
    (`service.services.pdfs`; required for "pdf")."""
    require_auditor(actor)
    if fmt not in ("docx", "pdf"):
        raise NotFound("Формат: docx или pdf")
    with ctx.uow() as uow:
        acceptances = pep.signers_acceptances(uow.session, route_id)
    data = _certificate_docx(history(ctx, actor, route_id), acceptances, ctx.timezone)
    if fmt == "docx":
        return data, f"audit-route-{route_id}.docx", \
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return pdfs.cached_pdf(ctx, converter, data), f"audit-route-{route_id}.pdf", "application/pdf"
