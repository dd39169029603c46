"""The simple electronic signature regulation (Положение о ПЭП): its current version, its text, and
each person's acceptance of it, which must precede their signatures (63-ФЗ, ст. 9: a ПЭП stands for a
handwritten signature only under such an agreement).

The regulation is a template of kind `pep_rules` (deployed, replaced and made current like the
document templates, see service.services.versions); its version is its SHA-256. An acceptance is a
pep_acceptances row and an event of the system chain, written together."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

import docx
import sqlalchemy as sa

from service.db.models import DocTemplate, Document, PepAcceptance, Signature, User
from service.documents.contract import PEP_KIND, RULES_KINDS, TEMPLATE_FILES
from service.domain.access import Actor
from service.domain.errors import ConcurrentUpdate, NotFound, SignatureRulesNotAccepted
from service.domain.states import EventKind
from service.services.context import NO_CLIENT, Client, ServiceContext
from service.services.events import append_event

PAGE = "/pep"  # where a person reads and accepts the regulation (named in the refusal message)
TITLE = RULES_KINDS[PEP_KIND]


def current_version(session) -> DocTemplate | None:
    """The regulation in force: the most recently deployed or re-activated version."""
    return session.scalar(sa.select(DocTemplate).where(DocTemplate.kind == PEP_KIND)
                          .order_by(DocTemplate.deployed_at.desc(), DocTemplate.id.desc()).limit(1))


def _accepted_at(session, user_id: int, sha256: str) -> datetime | None:
    return session.scalar(sa.select(PepAcceptance.accepted_at).where(PepAcceptance.user_id == user_id,
                                                                      PepAcceptance.sha256 == sha256))


def require_accepted(session, user_id: int) -> None:
    """Before a signature: the signer accepted the regulation in force (else SignatureRulesNotAccepted)."""
    rules = current_version(session)
    if rules is None:
        raise SignatureRulesNotAccepted("Положение о простой электронной подписи не размещено в системе: "
                                        "подписание невозможно, обратитесь к администратору", PAGE)
    if _accepted_at(session, user_id, rules.sha256) is None:
        raise SignatureRulesNotAccepted(f"Перед первой подписью примите Положение о простой электронной подписи: "
                                        f"{PAGE}", PAGE)


def needs_acceptance(ctx: ServiceContext, actor: Actor) -> bool:
    """Whether the person must accept the regulation in force before signing."""
    with ctx.uow() as uow:
        rules = current_version(uow.session)
        return rules is None or _accepted_at(uow.session, actor.user_id, rules.sha256) is None


@lru_cache(maxsize=8)
def _paragraphs(sha256: str, data: bytes) -> tuple[str, ...]:
    """The regulation's non-empty paragraphs, headings marked (keyed by the version's hash)."""
    out = []
    for p in docx.Document(io.BytesIO(data)).paragraphs:
        text = p.text.strip()
        if text:
            out.append(("# " if p.style.name.startswith(("Heading", "Title")) else "") + text)
    return tuple(out)


def _rules_or_404(session) -> DocTemplate:
    rules = current_version(session)
    if rules is None:
        raise NotFound("Положение о простой электронной подписи не размещено в системе")
    return rules


def current(ctx: ServiceContext, actor: Actor, *, with_text: bool = False) -> dict[str, Any]:
    """The regulation in force and whether this person accepted it (and its text, for the page)."""
    with ctx.uow() as uow:
        rules = _rules_or_404(uow.session)
        accepted_at = _accepted_at(uow.session, actor.user_id, rules.sha256)
        out: dict[str, Any] = {"id": rules.id, "sha256": rules.sha256, "title": TITLE, "name": rules.name,
                               "deployed_at": rules.deployed_at.isoformat(), "accepted": accepted_at is not None,
                               "accepted_at": accepted_at.isoformat() if accepted_at else None}
        if with_text:
            out["paragraphs"] = [{"heading": p.startswith("# "), "text": p.removeprefix("# ")}
                                 for p in _paragraphs(rules.sha256, rules.data)]
        return out


def current_file(ctx: ServiceContext, actor: Actor) -> tuple[bytes, str]:
    """The regulation in force as a .docx (anyone signed in may read it)."""
    with ctx.uow() as uow:
        rules = _rules_or_404(uow.session)
        return rules.data, TEMPLATE_FILES[PEP_KIND]


def _record(session, user_id: int, rules: DocTemplate, now: datetime, ip: str) -> None:
    session.add(PepAcceptance(user_id=user_id, sha256=rules.sha256, accepted_at=now, ip=ip[:64]))
    append_event(session, route_id=None, at=now, kind=EventKind.PEP_ACCEPTED, actor_id=user_id,
                 data={"sha256": rules.sha256, "name": rules.name, "ip": ip[:64]})


def accept(ctx: ServiceContext, actor: Actor, sha256: str, client: Client = NO_CLIENT) -> dict[str, Any]:
    """The person accepts the version they read (`sha256`), which must be the one in force."""
    try:
        with ctx.uow() as uow:
            s = uow.session
            rules = _rules_or_404(s)
            if sha256 != rules.sha256:
                raise ConcurrentUpdate("Положение о простой электронной подписи обновлено: ознакомьтесь с "
                                       "действующей редакцией и примите её")
            if _accepted_at(s, actor.user_id, rules.sha256) is None:
                _record(s, actor.user_id, rules, ctx.clock(), client.ip)
                uow.commit()
    except ConcurrentUpdate:
        found = current(ctx, actor)
        if not (found["accepted"] and found["sha256"] == sha256):
            raise
        # the same person's other request (a double click) recorded it a moment ago
    return current(ctx, actor)


def record_acceptances(ctx: ServiceContext, user_ids: Iterable[int]) -> None:
    """The people of a set-up (the demo loader, test and benchmark fixtures) accept the regulation
    in force, each with their own event; who already did is skipped."""
    with ctx.uow() as uow:
        s = uow.session
        rules = _rules_or_404(s)
        for user_id in user_ids:
            if _accepted_at(s, user_id, rules.sha256) is None:
                _record(s, user_id, rules, ctx.clock(), "")
        uow.commit()


def signers_acceptances(session, route_id: int) -> list[dict[str, Any]]:
    """For the audit certificate: each signer of the route with the regulation versions they had
    accepted by their last signature on it (an empty list: signed without an acceptance on record)."""
    signers = session.execute(
        sa.select(Signature.signer_id, sa.func.max(Signature.signed_at))
        .join(Document, Document.id == Signature.document_id).where(Document.route_id == route_id)
        .group_by(Signature.signer_id)).all()
    names = dict(session.execute(sa.select(User.id, User.full_name)
                                 .where(User.id.in_([sid for sid, _ in signers]))).all())
    out = []
    for signer_id, last in sorted(signers, key=lambda row: names.get(row[0], "")):
        accepted = session.execute(
            sa.select(PepAcceptance.sha256, PepAcceptance.accepted_at)
            .where(PepAcceptance.user_id == signer_id, PepAcceptance.accepted_at <= last)
            .order_by(PepAcceptance.accepted_at)).all()
        out.append({"signer": names.get(signer_id, ""), "acceptances": [
            {"sha256": sha, "accepted_at": at.isoformat()} for sha, at in accepted]})
    return out
