"""Audit: check a route's hash chain, its documents and signatures against it, and replay the
route from its events on the BPMN version it ran on."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from service.db.models import DocTemplate, Document, Event, Route, Signature, Task, WorkflowSpec
from service.domain.audit import GENESIS, chain_hash, event_fields
from service.domain.errors import NotFound, RouteError
from service.engine.adapter import ReplaySession
from service.services.context import ServiceContext


@dataclass
class Finding:
    """The first place where the record is not what it should be."""

    where: str  # "событие № 7", "документ 12 (karta, версия 2)", "подпись 5"
    expected: str
    found: str

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "expected": self.expected, "found": self.found}


@dataclass
class Report:
    route_id: int | None
    ok: bool = True
    findings: list[Finding] = field(default_factory=list)
    events: int = 0
    head: str | None = None

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
        if e.kind in ("document_prepared", "document_issued"):
            recorded.setdefault(e.data["document_id"], {}).update(
                {k: v for k, v in e.data.items() if k in ("content_sha256", "issued_sha256") and v})
        if e.kind == "document_signed":
            signed[(e.data["document_id"], e.actor_id, e.data["action"])] = e
    docs = session.scalars(sa.select(Document).where(Document.route_id == route_id).order_by(Document.id)).all()
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
        if bytes_too and hashlib.sha256(doc.content).hexdigest() != doc.content_sha256:
            report.add(Finding(where, f"содержимое с SHA-256 {doc.content_sha256[:12]}…", "файл изменён"))
        if doc.issued_sha256 and bytes_too and hashlib.sha256(doc.issued or b"").hexdigest() != doc.issued_sha256:
            report.add(Finding(where, f"выпущенный файл с SHA-256 {doc.issued_sha256[:12]}…", "файл изменён"))
    rows = session.scalars(sa.select(Signature).join(Document, Document.id == Signature.document_id)
                           .where(Document.route_id == route_id).order_by(Signature.id)).all()
    seen = set()
    for sig in rows:
        key = (sig.document_id, sig.signer_id, sig.action)
        event = signed.get(key)
        seen.add(key)
        if event is None or event.data.get("sha256") != sig.sha256 or event.at != sig.signed_at:
            report.add(Finding(f"подпись {sig.id} (документ {sig.document_id})",
                               "совпадает с событием document_signed", "запись подписи изменена или добавлена"))
    for key, event in signed.items():
        if key not in seen:
            report.add(Finding(f"событие № {event.seq}", f"подпись документа {key[0]}", "записи подписи нет"))


def verify_route(ctx: ServiceContext, route_id: int, *, documents: bool = True) -> Report:
    with ctx.uow() as uow:
        s = uow.session
        route = s.get(Route, route_id)
        if route is None:
            raise NotFound("Маршрут не найден")
        events = s.scalars(sa.select(Event).where(Event.route_id == route_id).order_by(Event.seq, Event.id)).all()
        report = Report(route_id)
        check_chain(events, route.chain_head, report)
        _check_documents(s, route_id, events, report, bytes_too=documents)
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


def verify_chains(ctx: ServiceContext, progress=None, batch: int = 1000) -> list[Report]:
    """Every route's chain (and the system chain), streamed in batches of routes; returns the
    failures. Rows are read as plain values: timestamps and JSON are decoded here, once."""
    failures: list[Report] = []
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
            if progress:
                progress(len(chunk))
        system = s.execute(sa.select(Event).where(Event.route_id.is_(None)).order_by(Event.seq)).scalars().all()
        report = Report(None)
        check_chain(system, None, report)
        if not report.ok:
            failures.append(report)
    return failures


# ---- replay ------------------------------------------------------------------------------------
class Divergence(RouteError):
    status = 409

    def __init__(self, finding: Finding):
        super().__init__(f"{finding.where}: ожидалось {finding.expected}, найдено {finding.found}")
        self.finding = finding


def _spec_for(ctx: ServiceContext, s, spec_hash: str) -> str:
    spec = s.scalar(sa.select(WorkflowSpec).where(WorkflowSpec.content_hash == spec_hash))
    if spec is None:
        raise Divergence(Finding("событие № 1", f"схема {spec_hash[:12]}…", "такой версии схемы нет"))
    files = {name: text.encode("utf-8") for name, text in spec.files.items()}
    if not ctx.engine.is_loaded(spec_hash):
        try:
            loaded = ctx.engine.deploy(files)
        except RouteError as exc:
            raise Divergence(Finding("событие № 1", f"схема {spec_hash[:12]}…", exc.message)) from None
        if loaded != spec_hash:
            raise Divergence(Finding("событие № 1", f"схема с хешем {spec_hash[:12]}…",
                                     f"файл схемы изменён (его хеш {loaded[:12]}…)"))
    return spec_hash


def replay(ctx: ServiceContext, route_id: int, upto: int | None = None) -> dict[str, Any]:
    """Re-execute the route from its events alone; report the first divergence, or the state
    after event `upto` (the whole history when None) compared with the stored state."""
    with ctx.uow() as uow:
        s = uow.session
        route = s.get(Route, route_id)
        if route is None:
            raise NotFound("Маршрут не найден")
        events = s.scalars(sa.select(Event).where(Event.route_id == route_id).order_by(Event.seq)).all()
        report = Report(route_id)
        check_chain(events, route.chain_head, report)
        if not report.ok:
            return {"ok": False, "divergence": report.findings[0].as_dict(), "chain": report.as_dict()}
        try:
            state = _replay_events(ctx, s, events, upto)
        except Divergence as exc:
            return {"ok": False, "divergence": exc.finding.as_dict(), "chain": report.as_dict()}
        result = {"ok": True, "divergence": None, "chain": report.as_dict(), "state": state}
        if upto is None:
            finding = _compare_with_stored(s, route, state)
            if finding:
                result.update(ok=False, divergence=finding.as_dict())
        return result


def _replay_events(ctx: ServiceContext, s, events: list, upto: int | None) -> dict[str, Any]:
    created = events[0]
    if created.kind != "route_created" or "card" not in created.data:
        raise Divergence(Finding("событие № 1", "событие route_created с исходной картой", created.kind))
    spec_hash = _spec_for(ctx, s, created.data["spec"])
    session = ReplaySession(ctx.engine, spec_hash, created.data["card"], created.at.date())
    open_tasks = {t["id"]: t for t in created.data.get("opened", [])}
    last, cancelled = created, False
    for e in events[1:]:
        if upto is not None and e.seq > upto:
            break
        last = e
        if e.kind == "admin_reassigned":
            if e.task_id not in open_tasks:
                raise Divergence(Finding(f"событие № {e.seq}", f"открытая задача {e.task_name}",
                                         "переназначена задача, которая не была открыта"))
            open_tasks[e.task_id] = {**open_tasks[e.task_id], "assignee_id": e.data["to"]}
            continue
        if e.kind == "admin_card_edited":
            from service.services.admin import set_in_card

            set_in_card(session.card, e.data["pointer"], e.data["new"])
            continue
        if e.kind == "admin_cancelled":
            open_tasks.clear()
            cancelled = True
            continue
        if e.kind != "task_completed":
            continue
        if cancelled:
            raise Divergence(Finding(f"событие № {e.seq}", "маршрут отменён", f"выполнена задача {e.task_name}"))
        where = f"событие № {e.seq}"
        opened = open_tasks.pop(e.task_id, None)
        if opened is None:
            raise Divergence(Finding(where, f"задача {e.task_name} открыта и ждёт выполнения",
                                     "задача не была открыта или уже закрыта"))
        assignee = e.on_behalf_of_id or e.actor_id
        if opened["assignee_id"] != assignee:
            raise Divergence(Finding(where, f"исполнитель {opened['assignee_id']}", f"выполнил {assignee}"))
        try:
            session.complete(e.task_name, e.data.get("submission", {}), e.at.date())
        except RouteError:
            ready_names = sorted(t.name for t in session.ready())
            raise Divergence(Finding(where, f"готовая задача {e.task_name}",
                                     f"по схеме готовы: {', '.join(ready_names) or 'ничего'}")) from None
        now_ready = sorted(t.name for t in session.ready())
        for t in e.data.get("cancelled", []):
            open_tasks.pop(t, None)
        open_tasks.update({t["id"]: t for t in e.data.get("opened", [])})
        recorded = sorted(t["name"] for t in open_tasks.values())
        if recorded != now_ready:
            raise Divergence(Finding(where, f"после шага готовы: {', '.join(now_ready) or 'ничего'}",
                                     f"записаны открытыми: {', '.join(recorded)}"))
    return {"seq": last.seq, "at": last.at.isoformat(), "card": copy.deepcopy(session.card),
            "finished": session.finished, "cancelled": cancelled,
            "open_tasks": sorted(({"name": t["name"], "assignee_id": t["assignee_id"], "task_id": tid}
                                  for tid, t in open_tasks.items()), key=lambda t: t["name"])}


def _compare_with_stored(s, route: Route, state: dict[str, Any]) -> Finding | None:
    stored_ready = sorted(s.scalars(sa.select(Task.name).where(Task.route_id == route.id, Task.state == "ready")))
    replayed = sorted(t["name"] for t in state["open_tasks"])
    if stored_ready != replayed:
        return Finding("состояние маршрута", f"открытые задачи {', '.join(replayed)}",
                       f"в базе {', '.join(stored_ready)}")
    if state["card"] != route.card:
        return Finding("состояние маршрута", "карта, полученная повтором", "карта в базе отличается")
    if state["cancelled"] != (route.status == "cancelled"):
        return Finding("состояние маршрута", f"отменён: {state['cancelled']}", f"статус в базе: {route.status}")
    if not state["cancelled"] and state["finished"] != (route.status != "active"):
        return Finding("состояние маршрута", f"завершён: {state['finished']}", f"статус в базе: {route.status}")
    return None


def rerender_documents(ctx: ServiceContext, route_id: int) -> list[Finding]:
    """Render every document version again from its recorded data and template version."""
    from service.documents.render import Template, render
    from service.services.documents import render_issued

    findings = []
    with ctx.uow() as uow:
        s = uow.session
        for doc in s.scalars(sa.select(Document).where(Document.route_id == route_id).order_by(Document.id)):
            row = s.get(DocTemplate, doc.template_id)
            template = ctx.templates.get(row.sha256) or Template(row.kind, row.name, row.sha256, row.data)
            content = render(template, {**doc.data, "signatures": [], "content_sha256": ""})
            where = f"документ {doc.id} ({doc.kind}, версия {doc.version})"
            if hashlib.sha256(content).hexdigest() != doc.content_sha256:
                findings.append(Finding(where, f"SHA-256 {doc.content_sha256[:12]}…",
                                        "повторная отрисовка отличается"))
            if doc.issued_sha256 and hashlib.sha256(render_issued(ctx, s, doc)).hexdigest() != doc.issued_sha256:
                findings.append(Finding(where, f"выпущенный SHA-256 {doc.issued_sha256[:12]}…",
                                        "повторная отрисовка отличается"))
    return findings


def as_of(ctx: ServiceContext, route_id: int, seq: int) -> dict[str, Any]:
    """The route as it stood after event `seq`: card, open tasks (the diagram position),
    documents with the signatures they had then."""
    from service.services.documents import describe

    with ctx.uow() as uow:
        last = uow.session.scalar(sa.select(sa.func.max(Event.seq)).where(Event.route_id == route_id))
    if last is None or not 1 <= seq <= last:
        raise NotFound(f"В истории маршрута нет события № {seq}")
    result = replay(ctx, route_id, upto=seq)
    if not result["ok"]:
        return result
    with ctx.uow() as uow:
        s = uow.session
        events = s.scalars(sa.select(Event).where(Event.route_id == route_id, Event.seq <= seq,
                                                  Event.kind.in_(("document_prepared", "document_issued",
                                                                  "document_signed")))).all()
        prepared = {e.data["document_id"] for e in events if e.kind in ("document_prepared", "document_issued")}
        issued = {e.data["document_id"] for e in events if e.kind == "document_issued"}
        signed = {(e.data["document_id"], e.actor_id, e.data["action"]) for e in events if e.kind == "document_signed"}
        docs = s.scalars(sa.select(Document).where(Document.id.in_(prepared)).order_by(Document.id)).all()
        shown = []
        for doc in docs:
            info = describe(s, doc)
            info["signatures"] = [sig for sig in info["signatures"]
                                  if (doc.id, sig["signer"]["id"], sig["action"]) in signed]
            if doc.id not in issued:
                info.update(issued_sha256=None, issued_at=None)
            shown.append(info)
        for info in shown:
            newer = any(d["kind"] == info["kind"] and d["version"] > info["version"] for d in shown)
            info["state"] = "issued" if info["issued_at"] else "superseded" if newer else "awaiting_signatures"
    result["state"]["documents"] = shown
    return result


def require_auditor(actor) -> None:
    from service.domain.errors import NotAllowed

    if not (actor.is_admin or actor.has("auditor")):
        raise NotAllowed("Проверка и повтор истории доступны аудитору")
