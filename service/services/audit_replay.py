"""Replay: re-execute a route from its events alone on the BPMN version it ran on, re-render its
documents from their recorded data and template versions, and show the route as of any event.
Each check names the first divergence: the event, what was expected, what was found."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from service.db.models import DocTemplate, Document, Event, Route, Task, WorkflowSpec
from service.domain.access import Actor, require_auditor
from service.domain.errors import NotFound, ServiceError
from service.domain.states import DOCUMENT_EVENTS, DocumentState, EventKind, RouteStatus, TaskState
from service.engine.adapter import ReplaySession
from service.services import timers
from service.services.audit import Finding, Report, chain_report, route_events
from service.services.context import ServiceContext


class Divergence(ServiceError):
    status = 409

    def __init__(self, finding: Finding):
        super().__init__(f"{finding.where}: ожидалось {finding.expected}, найдено {finding.found}")
        self.finding = finding

    @classmethod
    def at(cls, seq: int, expected: str, found: str) -> Divergence:
        return cls(Finding(f"событие № {seq}", expected, found, seq))


def _spec_for(ctx: ServiceContext, s, spec_hash: str, seq: int = 1) -> str:
    """The version named by an event (the route's first, or a migration's), loaded from its stored
    files; a missing or changed file is a divergence at that event."""
    spec = s.scalar(sa.select(WorkflowSpec).where(WorkflowSpec.content_hash == spec_hash))
    if spec is None:
        raise Divergence.at(seq, f"схема {spec_hash[:12]}…", "такой версии схемы нет")
    if not ctx.engine.is_loaded(spec_hash):
        files = {name: text.encode("utf-8") for name, text in spec.files.items()}
        try:
            loaded = ctx.engine.deploy(files)
        except ServiceError as exc:
            raise Divergence.at(seq, f"схема {spec_hash[:12]}…", exc.message) from None
        if loaded != spec_hash:
            raise Divergence.at(seq, f"схема с хешем {spec_hash[:12]}…", f"файл схемы изменён (его хеш {loaded[:12]}…)")
    return spec_hash


Progress = Callable[[int, int], None]  # (steps done, steps in all): one step per event replayed, per document


def _no_progress(done: int, total: int) -> None:
    return None


def replay(ctx: ServiceContext, actor: Actor, route_id: int, *, documents: bool = False) -> dict[str, Any]:
    """Re-execute the route from its events (an auditor's or an admin's request): see `replay_route`."""
    require_auditor(actor)
    return replay_route(ctx, route_id, documents=documents)


def replay_route(ctx: ServiceContext, route_id: int, upto: int | None = None, *,
                 documents: bool = False, progress: Progress = _no_progress) -> dict[str, Any]:
    """Re-execute the route from its events alone; report the first divergence, or the state
    after event `upto` (the whole history when None) compared with the stored state. With
    `documents`, every document version is rendered again too (`rerender_documents`), and the
    first divergence is the earliest of both. `progress` hears of each event and document done."""
    with ctx.uow() as uow:
        s = uow.session
        route = s.get(Route, route_id)
        if route is None:
            raise NotFound("Маршрут не найден")
        events = route_events(s, route_id)
        n_docs = s.scalar(sa.select(sa.func.count()).select_from(Document)
                          .where(Document.route_id == route_id)) if documents else 0
        total = len(events) + n_docs
        progress(0, total)
        result, found = _replayed(ctx, s, route, events, upto, lambda done: progress(done, total))
        if result["ok"] is False:  # the chain is broken: nothing replayed
            return result
    progress(len(events), total)  # a divergence stops the events early
    if documents:
        rendered = rerender_documents(ctx, route_id, lambda done: progress(len(events) + done, total))
        result["documents"] = [f.as_dict() for f in rendered]
        found.extend(rendered)
    _first_divergence(result, found, len(events))
    progress(total, total)
    return result


def replay_loaded(ctx: ServiceContext, s, route: Route, events: list, upto: int | None = None,
                  chain: Report | None = None) -> dict[str, Any]:
    """`replay_route` without documents, of a route and its events (audit.route_events) the caller
    loaded, in the caller's session; `chain`: their `audit.chain_report`, when the caller has it."""
    result, found = _replayed(ctx, s, route, events, upto, lambda done: None, chain)
    _first_divergence(result, found, len(events))  # a broken chain comes with no findings
    return result


def _replayed(ctx: ServiceContext, s, route: Route, events: list, upto: int | None,
              step: Callable[[int], None], chain: Report | None = None) -> tuple[dict[str, Any], list[Finding]]:
    """The chain checked (or its `chain` report taken), then the events replayed and (the whole
    history) compared with the stored state: the result so far and what diverged."""
    report = chain if chain is not None else chain_report(route, events)
    if not report.ok:
        return {"ok": False, "divergence": report.findings[0].as_dict(), "chain": report.as_dict()}, []
    result: dict[str, Any] = {"ok": True, "divergence": None, "chain": report.as_dict()}
    found: list[Finding] = []
    replayed = _replayed_events(ctx, s, events, report.head, upto, step)
    if isinstance(replayed, Finding):
        found.append(replayed)
    else:
        result["state"] = replayed
    if "state" in result and upto is None:
        stored = _compare_with_stored(s, route, result["state"])
        if stored is not None:
            found.append(stored)
    return result, found


def _first_divergence(result: dict[str, Any], found: list[Finding], n_events: int) -> None:
    if found:
        first = min(found, key=lambda f: f.seq if f.seq is not None else n_events + 1)
        result.update(ok=False, divergence=first.as_dict())


def _replayed_events(ctx: ServiceContext, s, events: list, head: str, upto: int | None,
                     step: Callable[[int], None]) -> dict[str, Any] | Finding:
    """The engine's re-execution of the events (the state after them, or the first divergence),
    taken from `ctx.replays` when this chain head was replayed to the same event before."""
    key = (events[0].route_id, head, upto)
    kept = ctx.replays.get(key)
    if kept is not None:
        return kept
    try:
        outcome: dict[str, Any] | Finding = _replay_events(ctx, s, events, upto, step)
    except Divergence as exc:
        outcome = exc.finding
    ctx.replays.put(key, outcome)
    return outcome


def _replay_events(ctx: ServiceContext, s, events: list, upto: int | None,
                   step: Callable[[int], None] = lambda done: None) -> dict[str, Any]:
    created = events[0]
    if created.kind != EventKind.ROUTE_CREATED or "card" not in created.data:
        raise Divergence.at(1, "событие route_created с исходной картой", created.kind)
    spec_hash = _spec_for(ctx, s, created.data["spec"])
    # the handler versions the route ran with, as its first event names them (before there were
    # versions: 1); never today's, so a changed handler makes no old route diverge
    session = ReplaySession(ctx.engine, spec_hash, created.data["card"], created.at.date(),
                            timers.clock_for(ctx, s, created.at), behaviour=created.data.get("behaviour", 1))
    open_tasks = {t["id"]: t for t in created.data.get("opened", [])}
    last, cancelled = created, False
    for done, e in enumerate(events[1:], start=1):
        step(done)
        if upto is not None and e.seq > upto:
            break
        last = e
        if e.kind == "admin_reassigned":
            if e.task_id not in open_tasks:
                raise Divergence.at(e.seq, f"открытая задача {e.task_name}",
                                    "переназначена задача, которая не была открыта")
            open_tasks[e.task_id] = {**open_tasks[e.task_id], "assignee_id": e.data["to"]}
            continue
        if e.kind == "admin_card_edited":
            from service.services.admin import set_in_card

            set_in_card(session.card, e.data["pointer"], e.data["new"])
            continue
        if e.kind == EventKind.ADMIN_CANCELLED:
            open_tasks.clear()
            cancelled = True
            continue
        if e.kind == EventKind.TIMER_FIRED:
            _replay_timer(session, e, open_tasks, cancelled)
            continue
        if e.kind in (EventKind.ROUTE_MIGRATED, EventKind.ROUTE_MIGRATION_REVERTED):
            _replay_migration(ctx, s, session, e, open_tasks, cancelled)
            continue
        if e.kind != EventKind.TASK_COMPLETED:
            continue
        if cancelled:
            raise Divergence.at(e.seq, "маршрут отменён", f"выполнена задача {e.task_name}")
        opened = open_tasks.pop(e.task_id, None)
        if opened is None:
            raise Divergence.at(e.seq, f"задача {e.task_name} открыта и ждёт выполнения",
                                "задача не была открыта или уже закрыта")
        assignee = e.on_behalf_of_id or e.actor_id
        if opened["assignee_id"] != assignee:
            raise Divergence.at(e.seq, f"исполнитель {opened['assignee_id']}", f"выполнил {assignee}")
        try:
            session.complete(e.task_name, e.data.get("submission", {}), e.at.date(), e.at)
        except ServiceError:
            ready_names = sorted(t.name for t in session.ready())
            raise Divergence.at(e.seq, f"готовая задача {e.task_name}",
                                f"по схеме готовы: {', '.join(ready_names) or 'ничего'}") from None
        _check_opened(session, e, open_tasks)
    return {"seq": last.seq, "at": last.at.isoformat(), "card": copy.deepcopy(session.card),
            "spec": session.spec_hash,  # the version in force after this event (migrations move it)
            "finished": session.finished, "cancelled": cancelled,
            "open_tasks": sorted(({"name": t["name"], "assignee_id": t["assignee_id"], "task_id": tid}
                                  for tid, t in open_tasks.items()), key=lambda t: t["name"]),
            "timers": [] if cancelled else [{"name": t.name, "kind": t.kind, "task_name": t.task_name,
                                             "fire_at": t.fire_at.isoformat()} for t in session.timers()]}


def _check_opened(session: ReplaySession, e, open_tasks: dict) -> None:
    """The tasks the event recorded as opened and cancelled must leave open what the engine has ready."""
    now_ready = sorted(t.name for t in session.ready())
    for t in e.data.get("cancelled", []):
        open_tasks.pop(t, None)
    open_tasks.update({t["id"]: t for t in e.data.get("opened", [])})
    recorded = sorted(t["name"] for t in open_tasks.values())
    if recorded != now_ready:
        raise Divergence.at(e.seq, f"после шага готовы: {', '.join(now_ready) or 'ничего'}",
                            f"записаны открытыми: {', '.join(recorded)}")


def _replay_migration(ctx: ServiceContext, s, session: ReplaySession, e, open_tasks: dict, cancelled: bool) -> None:
    """A recorded migration moves the replayed route from the version it is on to the one the event
    names, with the same task mapping; a revert puts back the version and state from before it."""
    source, target = str(e.data.get("from", "")), str(e.data.get("to", ""))
    if cancelled:
        raise Divergence.at(e.seq, "маршрут отменён", "перевод на другую версию схемы")
    if source != session.spec_hash:
        raise Divergence.at(e.seq, f"маршрут на версии {session.spec_hash[:12]}…",
                            f"перевод записан с версии {source[:12]}…")
    if e.kind == EventKind.ROUTE_MIGRATED:
        _spec_for(ctx, s, target, e.seq)
        try:
            session.migrate(target, e.data.get("mapping") or {}, e.at)
        except ServiceError as exc:
            raise Divergence.at(e.seq, f"перевод на версию {target[:12]}…", exc.message) from None
    else:
        reverted_to = session.revert()
        if reverted_to != target:
            raise Divergence.at(e.seq, f"возврат на версию {(reverted_to or '—')[:12]}…",
                                f"записан возврат на {target[:12]}…")
    _check_opened(session, e, open_tasks)


def _replay_timer(session: ReplaySession, e, open_tasks: dict, cancelled: bool) -> None:
    """A recorded timer fires at its point of the history: it must be armed on a task that was
    waiting then, and fire as the same kind and round (engine/timers.py: a replay never reads the clock)."""
    timer, kind, round_ = e.data.get("timer", ""), e.data.get("kind"), e.data.get("round")
    if cancelled or (e.task_id is not None and e.task_id not in open_tasks):
        raise Divergence.at(e.seq, f"задача {e.task_name} ждёт выполнения, на ней таймер {timer}",
                            "задача уже закрыта")
    fired = session.fire(timer, e.at)
    if [(f.name, f.kind, f.round) for f in fired] != [(timer, kind, round_)]:
        armed = ", ".join(f"{t.name} ({t.kind})" for t in session.timers()) or "ничего"
        raise Divergence.at(e.seq, f"по схеме взведены таймеры: {armed}",
                            f"сработал таймер {timer} ({kind}, раз {round_})")


def _compare_with_stored(s, route: Route, state: dict[str, Any]) -> Finding | None:
    stored_ready = sorted(s.scalars(sa.select(Task.name).where(Task.route_id == route.id,
                                                               Task.state == TaskState.READY)))
    replayed = sorted(t["name"] for t in state["open_tasks"])
    if stored_ready != replayed:
        return Finding("состояние маршрута", f"открытые задачи {', '.join(replayed)}",
                       f"в базе {', '.join(stored_ready)}")
    if state["card"] != route.card:
        return Finding("состояние маршрута", "карта, полученная повтором", "карта в базе отличается")
    if state["cancelled"] != (route.status == RouteStatus.CANCELLED):
        return Finding("состояние маршрута", f"отменён: {state['cancelled']}", f"статус в базе: {route.status}")
    if not state["cancelled"] and state["finished"] != (route.status != RouteStatus.ACTIVE):
        return Finding("состояние маршрута", f"завершён: {state['finished']}", f"статус в базе: {route.status}")
    return None


def _recorded_documents(s, route_id: int) -> dict[int, dict[str, Any]]:
    """Per document, from its events: the first one (content SHA-256 and template version) and
    the issuing one (issued SHA-256)."""
    recorded: dict[int, dict[str, Any]] = {}
    for e in s.scalars(sa.select(Event).where(Event.route_id == route_id, Event.kind.in_(DOCUMENT_EVENTS))
                       .order_by(Event.seq)):
        entry = recorded.setdefault(e.data["document_id"], {"first": e})
        if e.kind == EventKind.DOCUMENT_ISSUED:
            entry["issued"] = e
    return recorded


def rerender_documents(ctx: ServiceContext, route_id: int,
                       step: Callable[[int], None] = lambda done: None) -> list[Finding]:
    """Render every document version again from its recorded data and the template version its
    event names; each SHA-256 must be the one the event recorded. Findings in event order;
    `step(n)` after the n-th document."""
    from service.documents.render import Template, render
    from service.services.documents import render_issued

    findings = []
    with ctx.uow() as uow:
        s = uow.session
        recorded = _recorded_documents(s, route_id)
        for n, doc in enumerate(s.scalars(sa.select(Document).where(Document.route_id == route_id)
                                          .order_by(Document.id)), start=1):
            step(n - 1)
            what = f"документ {doc.id} ({doc.kind}, версия {doc.version})"
            if doc.id not in recorded:
                findings.append(Finding(what, "событие о подготовке или выпуске документа", "события нет"))
                continue
            first, issued = recorded[doc.id]["first"], recorded[doc.id].get("issued")
            where = f"событие № {first.seq}: {what}"
            row = s.scalar(sa.select(DocTemplate).where(DocTemplate.sha256 == first.data["template_sha256"]))
            if row is None:
                findings.append(Finding(where, f"шаблон {first.data['template_sha256'][:12]}…", "такого шаблона нет",
                                        first.seq))
                continue
            template = ctx.templates.get(row.sha256) or Template(row.kind, row.name, row.sha256, row.data)
            content = hashlib.sha256(render(template, {**doc.data, "signatures": [], "content_sha256": ""}))
            if content.hexdigest() != first.data["content_sha256"]:
                findings.append(Finding(where, f"SHA-256 {first.data['content_sha256'][:12]}…",
                                        f"повторная отрисовка даёт {content.hexdigest()[:12]}…", first.seq))
            if issued is not None:
                copy_sha = hashlib.sha256(render_issued(ctx, s, doc)).hexdigest()
                if copy_sha != issued.data["issued_sha256"]:
                    findings.append(Finding(f"событие № {issued.seq}: {what}",
                                            f"выпущенный SHA-256 {issued.data['issued_sha256'][:12]}…",
                                            f"повторная отрисовка даёт {copy_sha[:12]}…", issued.seq))
    return sorted(findings, key=lambda f: f.seq or 0)


def as_of(ctx: ServiceContext, actor: Actor, route_id: int, seq: int,
          replayed: dict[str, Any] | None = None) -> dict[str, Any]:
    """The route as it stood after event `seq`: card, open tasks (the diagram position),
    documents with the signatures they had then. `replayed`: a whole replay the caller already
    has (`replay`); when its events replayed and `seq` is the last event it is that state, not replayed again."""
    require_auditor(actor)
    with ctx.uow() as uow:
        s = uow.session
        route = s.get(Route, route_id)
        return as_of_loaded(ctx, s, route, route_events(s, route_id) if route else [], seq, replayed)


def as_of_loaded(ctx: ServiceContext, s, route: Route | None, events: list, seq: int,
                 replayed: dict[str, Any] | None = None, chain: Report | None = None,
                 verified: Report | None = None) -> dict[str, Any]:
    """`as_of` of a route and its events (audit.route_events) the caller loaded, in its session
    (`chain`: their `audit.chain_report`, when the caller has it; `verified`: the route's
    `audit.check_loaded` report just made, whose hashes of the stored bytes, documents and
    signatures are taken, so that the bytes are not read and hashed a second time)."""
    from service.services.documents import describe_all

    last = events[-1].seq if events else None
    if route is None or last is None or not 1 <= seq <= last:
        raise NotFound(f"В истории маршрута нет события № {seq}")
    if replayed is not None and "state" in replayed and seq == last and replayed["state"]["seq"] == seq:
        # The events replayed to the end; a difference from the stored state (which `replay` also
        # reports) is not a difference in how the route stood after its last event.
        result = {"ok": True, "divergence": None, "chain": replayed["chain"],
                  "state": copy.deepcopy(replayed["state"])}
    else:
        result = replay_loaded(ctx, s, route, events, upto=seq, chain=chain)
    if not result["ok"]:
        return result
    upto_seq = [e for e in events if e.seq <= seq]
    prepared = {e.data["document_id"] for e in upto_seq if e.kind in DOCUMENT_EVENTS}
    issued = {e.data["document_id"] for e in upto_seq if e.kind == EventKind.DOCUMENT_ISSUED}
    signed = {(e.data["document_id"], e.actor_id, e.data["action"]) for e in upto_seq
              if e.kind == EventKind.DOCUMENT_SIGNED}
    if verified is not None and verified.documents is not None:
        hashed, signatures = verified.content_sha256, verified.signatures
        docs = [d for d in verified.documents if d.id in prepared]  # by id, as checked
    else:
        hashed, signatures = None, None
        docs = s.scalars(sa.select(Document).where(Document.id.in_(prepared)).order_by(Document.id)
                         .options(undefer(Document.content))).all()
    shown = []
    for doc, info in zip(docs, describe_all(s, docs, check_bytes=True, hashed=hashed, signatures=signatures),
                         strict=True):
        info["signatures"] = [sig for sig in info["signatures"]
                              if (doc.id, sig["signer"]["id"], sig["action"]) in signed]
        if doc.id not in issued:
            info.update(issued_sha256=None, issued_at=None)
        shown.append(info)
    for info in shown:
        newer = any(d["kind"] == info["kind"] and d["version"] > info["version"] for d in shown)
        info["state"] = (DocumentState.ISSUED if info["issued_at"] else DocumentState.SUPERSEDED if newer
                         else DocumentState.AWAITING_SIGNATURES)
    result["state"]["documents"] = shown
    return result
