"""Audit: check a route's hash chain, and its documents and signatures against it (the replay
is `audit_replay`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from service.db.models import Document, Event, Route, Signature
from service.domain.access import Actor, require_auditor
from service.domain.audit import GENESIS, chain_hash, event_fields
from service.domain.errors import NotFound
from service.domain.states import DOCUMENT_EVENTS, EventKind
from service.services.context import ServiceContext


@dataclass
class Finding:
    """The first place where the record is not what it should be."""

    where: str  # "событие № 7", "документ 12 (karta, версия 2)", "подпись 5"
    expected: str
    found: str
    seq: int | None = field(default=None, compare=False)  # the event it is at, when it is at one

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "expected": self.expected, "found": self.found}


@dataclass
class Report:
    route_id: int | None
    ok: bool = True
    findings: list[Finding] = field(default_factory=list)
    events: int = 0
    head: str | None = None
    content_sha256: dict[int, str] = field(default_factory=dict)  # document id → its stored bytes' hash, as checked
    # the document and signature rows the check read (with the bytes), for a caller that shows them too
    documents: list[Document] | None = field(default=None, repr=False, compare=False)
    signatures: list[Signature] | None = field(default=None, repr=False, compare=False)

    def add(self, finding: Finding) -> None:
        self.ok = False
        self.findings.append(finding)

    def as_dict(self) -> dict[str, Any]:
        return {"route_id": self.route_id, "ok": self.ok, "events": self.events, "head": self.head,
                "findings": [f.as_dict() for f in self.findings]}


def _fields(e) -> dict[str, Any]:
    return event_fields(route_id=e.route_id, seq=e.seq, at=e.at, actor_id=e.actor_id,
                        on_behalf_of_id=e.on_behalf_of_id, kind=e.kind, task_id=e.task_id, task_name=e.task_name,
                        data=e.data)


def check_chain(events, head: str | None, report: Report) -> None:
    """Numbering without gaps, each link to the previous hash, each hash over its content, the head."""
    prev = GENESIS
    for number, e in enumerate(events, start=1):
        report.events = number
        if e.seq != number:
            report.add(Finding(f"событие № {number}", f"событие № {number}",
                               f"событие № {e.seq}: события удалены или переставлены"))
            return
        if e.prev_hash != prev:
            found = f"ссылка на {(e.prev_hash or '')[:12]}…"
            report.add(Finding(f"событие № {number}", f"ссылка на {prev[:12]}…", found))
            return
        digest = chain_hash(prev, _fields(e))
        if digest != e.hash:
            report.add(Finding(f"событие № {number}", f"хеш {(e.hash or '')[:12]}…",
                               f"содержимое даёт {digest[:12]}…: событие изменено"))
            return
        prev = e.hash
    report.head = prev
    if head is not None and head != prev:
        report.add(Finding(f"событие № {report.events + 1}", f"последнее событие с хешем {head[:12]}…",
                           f"цепочка кончается на {prev[:12]}…: последние события удалены"))


def _check_documents(session, route_id: int, events: list, report: Report, *, bytes_too: bool) -> None:
    recorded: dict[int, dict[str, Any]] = {}
    signed: dict[tuple, Any] = {}
    for e in events:
        if e.kind in DOCUMENT_EVENTS:
            recorded.setdefault(e.data["document_id"], {}).update(
                {k: v for k, v in e.data.items() if k in ("content_sha256", "issued_sha256") and v})
        if e.kind == EventKind.DOCUMENT_SIGNED:
            signed[(e.data["document_id"], e.actor_id, e.data["action"])] = e
    query = sa.select(Document).where(Document.route_id == route_id).order_by(Document.id)
    if bytes_too:  # one query for every document's bytes, not two a document
        query = query.options(undefer(Document.content), undefer(Document.issued))
    docs = session.scalars(query).all()
    for missing in sorted(set(recorded) - {d.id for d in docs}):
        report.add(Finding(f"документ {missing}", "запись документа, выпущенного по событию", "записи нет"))
    for doc in docs:
        where = f"документ {doc.id} ({doc.kind}, версия {doc.version})"
        expected = recorded.get(doc.id, {})
        if expected.get("content_sha256") != doc.content_sha256:
            report.add(Finding(where, f"SHA-256 {str(expected.get('content_sha256'))[:12]}… по событию",
                               f"{doc.content_sha256[:12]}… в записи документа"))
        if expected.get("issued_sha256") != doc.issued_sha256:
            report.add(Finding(where, f"выпущенный SHA-256 {str(expected.get('issued_sha256'))[:12]}… по событию",
                               f"{str(doc.issued_sha256)[:12]}… в записи документа"))
        if bytes_too:
            report.content_sha256[doc.id] = actual = hashlib.sha256(doc.content).hexdigest()
            if actual != doc.content_sha256:
                report.add(Finding(where, f"содержимое с SHA-256 {doc.content_sha256[:12]}…", "файл изменён"))
        if doc.issued_sha256 and bytes_too and hashlib.sha256(doc.issued or b"").hexdigest() != doc.issued_sha256:
            report.add(Finding(where, f"выпущенный файл с SHA-256 {doc.issued_sha256[:12]}…", "файл изменён"))
    rows = session.scalars(sa.select(Signature).join(Document, Document.id == Signature.document_id)
                           .where(Document.route_id == route_id).order_by(Signature.id)).all()
    if bytes_too:
        report.documents, report.signatures = list(docs), list(rows)
    seen = set()
    for sig in rows:
        key = (sig.document_id, sig.signer_id, sig.action)
        event = signed.get(key)
        seen.add(key)
        if event is None or event.data.get("sha256") != sig.sha256 or event.at != sig.signed_at \
                or event.data.get("signer_name", sig.signer_name) != sig.signer_name:
            report.add(Finding(f"подпись {sig.id} (документ {sig.document_id})",
                               "совпадает с событием document_signed", "запись подписи изменена или добавлена"))
    for key, event in signed.items():
        if key not in seen:
            report.add(Finding(f"событие № {event.seq}", f"подпись документа {key[0]}", "записи подписи нет"))


def verify_route(ctx: ServiceContext, actor: Actor, route_id: int, *, documents: bool = True) -> Report:
    """The chain of one route, and (with `documents`) its document bytes and signature rows."""
    require_auditor(actor)
    return check_route(ctx, route_id, documents=documents)


def check_route(ctx: ServiceContext, route_id: int, *, documents: bool = True) -> Report:
    """`verify_route` without the access check, for the audit services themselves."""
    with ctx.uow() as uow:
        s = uow.session
        route = s.get(Route, route_id)
        if route is None:
            raise NotFound("Маршрут не найден")
        return check_loaded(s, route, route_events(s, route_id), documents=documents)


def route_events(s, route_id: int) -> list[Event]:
    """The route's events in chain order."""
    return s.scalars(sa.select(Event).where(Event.route_id == route_id).order_by(Event.seq, Event.id)).all()


def chain_report(route: Route, events: list[Event]) -> Report:
    """The chain of a route and its events (`route_events`) the caller loaded, checked."""
    report = Report(route.id)
    check_chain(events, route.chain_head, report)
    return report


def check_loaded(s, route: Route, events: list[Event], *, documents: bool = True,
                 chain: Report | None = None) -> Report:
    """`check_route` of a route and its events (`route_events`) the caller loaded; `chain`: their
    `chain_report`, when the caller has it (the chain is not hashed a second time)."""
    if chain is None:
        chain = chain_report(route, events)
    report = replace(chain, findings=list(chain.findings), content_sha256={}, documents=None, signatures=None)
    _check_documents(s, route.id, events, report, bytes_too=documents)
    return report


class _Row:
    """An event read without ORM type processing (the fast path of verify_chains)."""

    __slots__ = ("route_id", "seq", "at", "actor_id", "on_behalf_of_id", "kind", "task_id", "task_name", "data",
                 "prev_hash", "hash")

    def __init__(self, values):
        (self.route_id, self.seq, at, self.actor_id, self.on_behalf_of_id, self.kind, self.task_id,
         self.task_name, data, self.prev_hash, self.hash) = values
        self.at = datetime.fromisoformat(at) if isinstance(at, str) else at
        self.data = json.loads(data) if isinstance(data, str | bytes) else data


_RAW_EVENTS = ("SELECT route_id, seq, at, actor_id, on_behalf_of_id, kind, task_id, task_name, data, prev_hash, hash "
               "FROM events WHERE route_id >= :lo AND route_id <= :hi ORDER BY route_id, seq")


def verify_all(ctx: ServiceContext, actor: Actor, *, documents: bool = False,
               progress: Callable[[str, int, int], None] | None = None) -> tuple[int, list[Report]]:
    """Every route's chain and the system chain; with `documents` also every route's document
    bytes and signature rows. Returns how many routes were checked and the failures;
    `progress(stage, done, total)` is told as it goes."""
    require_auditor(actor)
    with ctx.uow() as uow:
        ids = uow.session.scalars(sa.select(Route.id).order_by(Route.id)).all()

    def chains_done(done: int) -> None:
        if progress:
            progress("Проверка цепочек", done, len(ids))

    failures = verify_chains(ctx, progress=chains_done)
    if documents:
        checked = {f.route_id for f in failures}
        for n, route_id in enumerate(ids, 1):
            report = check_route(ctx, route_id)
            if not report.ok and route_id not in checked:
                failures.append(report)
            if progress:
                progress("Документы и подписи", n, len(ids))
    return len(ids), failures


def verify_chains(ctx: ServiceContext, progress=None, batch: int = 1000) -> list[Report]:
    """Every route's chain (and the system chain), streamed in batches of routes; returns the
    failures; `progress(routes_done_so_far)`. Rows are read as plain values: timestamps and JSON
    are decoded here, once."""
    failures: list[Report] = []
    done = 0
    with ctx.uow() as uow:
        s = uow.session
        heads = dict(s.execute(sa.select(Route.id, Route.chain_head)).all())
        ids = sorted(heads)
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            by_route: dict[int, list] = {rid: [] for rid in chunk}
            for values in s.execute(sa.text(_RAW_EVENTS), {"lo": chunk[0], "hi": chunk[-1]}):
                if values[0] in by_route:
                    by_route[values[0]].append(_Row(values))
            for rid in chunk:
                report = Report(rid)
                check_chain(by_route[rid], heads[rid], report)
                if not report.ok:
                    failures.append(report)
            done += len(chunk)
            if progress:
                progress(done)
        system = s.execute(sa.select(Event).where(Event.route_id.is_(None)).order_by(Event.seq)).scalars().all()
        report = Report(None)
        check_chain(system, None, report)
        if not report.ok:
            failures.append(report)
    return failures

