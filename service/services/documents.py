"""Documents of a route: templates, versions prepared for signing, issued copies, signatures,
verification of a file someone brings back."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from service.config import templates_dir
from service.db.models import DocTemplate, Document, OrgUnit, Route, Signature, TeacherProfile, User
from service.documents.context import build_context, formatting, local_iso, signature_rows
from service.documents.contract import KINDS, TEMPLATE_FILES
from service.documents.render import Template, load_template, render
from service.domain.access import Actor, require_admin
from service.domain.delegation import on_behalf_text
from service.domain.errors import (
    ConcurrentUpdate,
    DocumentChanged,
    FieldProblem,
    FormRejected,
    NotAllowed,
    NotFound,
    SignatureRefused,
    StepFailed,
    TemplateRejected,
)
from service.domain.route_rules import is_return
from service.domain.states import DocumentState, EventKind
from service.services import pep, throttle
from service.services.assignment import head_of
from service.services.context import Client, ServiceContext
from service.services.events import append_event
from service.tasks import DocumentRequest

TEMPLATES_DIR = templates_dir()  # the packaged copies when installed; IOM_TEMPLATES_DIR overrides


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- templates ---------------------------------------------------------------------------------
def read_template_files(directory: Path = TEMPLATES_DIR) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in TEMPLATE_FILES.values() if (directory / name).exists()}


def upload_template(ctx: ServiceContext, actor: Actor, kind: str, data: bytes) -> dict[str, Any]:
    """An admin deploys a new version of one kind of template (see `deploy_templates`)."""
    require_admin(actor)
    if kind not in TEMPLATE_FILES:
        raise NotFound("Нет такого вида документа")
    return deploy_templates(ctx, {TEMPLATE_FILES[kind]: data}, actor.user_id)[0]


def deploy_templates(ctx: ServiceContext, files: dict[str, bytes], actor_id: int | None = None) -> list[dict]:
    """Validate and store templates (file name → bytes); a new SHA-256 is a new template version."""
    kinds = {name: kind for kind, name in TEMPLATE_FILES.items()}
    unknown = sorted(set(files) - set(kinds))
    if unknown:
        raise TemplateRejected(f"Неизвестные шаблоны: {', '.join(unknown)}; ожидаются: {', '.join(sorted(kinds))}")
    loaded = [load_template(kinds[name], name, data) for name, data in sorted(files.items())]
    out = []
    with ctx.uow() as uow:
        for template in loaded:
            exists = uow.session.scalar(sa.select(DocTemplate).where(DocTemplate.sha256 == template.sha256))
            current = uow.session.scalar(sa.select(DocTemplate.sha256).where(DocTemplate.kind == template.kind)
                                         .order_by(DocTemplate.deployed_at.desc(), DocTemplate.id.desc()).limit(1))
            if exists is None:
                uow.session.add(DocTemplate(kind=template.kind, name=template.name, sha256=template.sha256,
                                            data=template.data, deployed_at=ctx.clock(), deployed_by_id=actor_id))
                append_event(uow.session, route_id=None, at=ctx.clock(), kind=EventKind.TEMPLATE_DEPLOYED,
                             actor_id=actor_id, data={"kind": template.kind, "name": template.name,
                                                      "sha256": template.sha256})
            elif current != template.sha256:
                exists.deployed_at = ctx.clock()  # an older version deployed again becomes current
            ctx.templates[template.sha256] = template
            out.append({"kind": template.kind, "name": template.name, "sha256": template.sha256,
                        "created": not exists})
        uow.commit()
    return out


def _template(ctx: ServiceContext, session, row: DocTemplate) -> Template:
    """A stored template (validated when it was deployed; its bytes are checked against its hash)."""
    if row.sha256 not in ctx.templates:
        if sha256(row.data) != row.sha256:
            raise StepFailed(f"Шаблон {row.name} в базе повреждён: хеш не совпадает")
        ctx.templates[row.sha256] = Template(row.kind, row.name, row.sha256, row.data)
    return ctx.templates[row.sha256]


def _current_template(session, kind: str) -> DocTemplate:
    """The most recently deployed template of the kind (re-deploying an older one makes it current)."""
    row = session.scalar(sa.select(DocTemplate).where(DocTemplate.kind == kind)
                         .order_by(DocTemplate.deployed_at.desc(), DocTemplate.id.desc()).limit(1))
    if row is None:
        raise StepFailed(f"Шаблон «{KINDS[kind]}» не развёрнут: выполните `flask --app service deploy`")
    return row


# ---- issuing -----------------------------------------------------------------------------------
def _people(session, route: Route) -> dict[str, Any]:
    ids = [route.teacher_id, route.tutor_id, route.methodist_id, head_of(session, "school_head", route.school_id),
           head_of(session, "cnppm_head", route.centre_id)]
    users = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_([i for i in ids if i])))}
    units = {u.id: u.name for u in session.scalars(sa.select(OrgUnit).where(
        OrgUnit.id.in_([route.school_id, route.centre_id])))}
    profile = session.get(TeacherProfile, route.teacher_id)
    teacher = users[route.teacher_id]

    def name(user_id):
        return {"full_name": users[user_id].full_name if user_id in users else ""}

    return {
        "teacher": {"full_name": teacher.full_name, "school": units[route.school_id],
                    "position": (profile.info.get("position") if profile else "") or teacher.position},
        "tutor": name(route.tutor_id), "methodist": name(route.methodist_id),
        "school": {"name": units[route.school_id]}, "centre": {"name": units[route.centre_id]},
        "school_head": name(ids[3]), "cnppm_head": name(ids[4]),
    }


def pending_document(session, route_id: int, kind: str) -> Document | None:
    return session.scalar(sa.select(Document).where(Document.route_id == route_id, Document.kind == kind,
                                                    Document.state == DocumentState.AWAITING_SIGNATURES))


def _new_version(ctx, session, route: Route, kind: str, extra: dict, now: datetime) -> Document:
    template_row = _current_template(session, kind)
    version = (session.scalar(sa.select(sa.func.max(Document.version)).where(
        Document.route_id == route.id, Document.kind == kind)) or 0) + 1
    # The document's date is the region's date; the version records its formatting (format 2+:
    # the region's time on the signature sheet), so it renders the same way for ever after.
    on = now.astimezone(ZoneInfo(ctx.timezone)).date()
    data = {**build_context(kind=kind, title=KINDS[kind], version=version, on=on,
                            route={"id": route.id, "title": route.title}, people=_people(session, route),
                            card=route.card, extra=extra), **formatting(ctx.timezone)}
    content = render(_template(ctx, session, template_row), {**data, "signatures": [], "content_sha256": ""})
    doc = Document(route_id=route.id, kind=kind, version=version, template_id=template_row.id,
                   state=DocumentState.AWAITING_SIGNATURES, data=data, content=content, content_sha256=sha256(content),
                   created_at=now)
    session.add(doc)
    session.flush()
    return doc


def signatures_of(session, doc: Document) -> list[Signature]:
    return list(session.scalars(sa.select(Signature).where(Signature.document_id == doc.id)
                                .order_by(Signature.signed_at, Signature.id)))


def render_issued(ctx: ServiceContext, session, doc: Document) -> bytes:
    """The issued copy: the signed content plus its signature sheet (re-renderable from the rows)."""
    signatures = signatures_of(session, doc)
    template = _template(ctx, session, session.get(DocTemplate, doc.template_id))
    return render(template, {**doc.data, "signatures": signature_rows(signatures, doc.data),
                             "content_sha256": doc.content_sha256 if signatures else ""})


def apply_requests(ctx: ServiceContext, session, route: Route, requests: list[DocumentRequest], actor_id: int,
                   now: datetime) -> list[Document]:
    """Carry out what the BPMN's service tasks asked for, in order."""
    done = []
    for request in requests:
        pending = pending_document(session, route.id, request.kind)
        if request.action == "prepare":
            if pending is not None:
                pending.state = DocumentState.SUPERSEDED
            doc = _new_version(ctx, session, route, request.kind, request.extra, now)
        else:
            doc = pending or _new_version(ctx, session, route, request.kind, request.extra, now)
            doc.issued = render_issued(ctx, session, doc)
            doc.issued_sha256, doc.state, doc.issued_at = sha256(doc.issued), DocumentState.ISSUED, now
        append_event(session, route_id=route.id, at=now, kind=EventKind(f"document_{request.action}d"),
                     actor_id=actor_id,
                     data={"document_id": doc.id, "kind": doc.kind, "version": doc.version,
                           "template_sha256": session.get(DocTemplate, doc.template_id).sha256,
                           "content_sha256": doc.content_sha256, "issued_sha256": doc.issued_sha256})
        done.append(doc)
    return done


# ---- signing -----------------------------------------------------------------------------------
def signature_needed(signs: str, submission: Any) -> bool:
    """An affirmative decision on a signing task is a signature; a return with remarks is not."""
    return bool(signs) and isinstance(submission, dict) and not is_return(submission)


def check_signature(ctx: ServiceContext, session, actor, task, signs: str, mode: str, signature: Any,
                    client: Client) -> Document:
    """Before the step: the signer is who they say (password) and signs what they were shown."""
    if mode not in ("self", "delegated"):  # a delegate signs with their own password, naming the delegation
        raise NotAllowed("Подписать документ за другого участника нельзя")
    pep.require_accepted(session, actor.user_id)  # the ПЭП regulation in force, accepted before signing
    doc = pending_document(session, task.route_id, signs)
    if doc is None:
        # Another request (a return, a withdrawn correction) superseded the version between our
        # reading of the task and of the document: the loser of that race gets a conflict.
        raise ConcurrentUpdate(f"Документ «{KINDS[signs]}» уже не ожидает подписи: маршрут изменился, "
                               "обновите страницу")
    if not isinstance(signature, dict) or not isinstance(signature.get("password"), str) \
            or not isinstance(signature.get("document_sha256"), str):
        raise FormRejected([FieldProblem("/signature", "Подтвердите подпись паролем (signature.password) и "
                                                        "укажите SHA-256 просмотренного документа")])
    if signature["document_sha256"] != doc.content_sha256:
        raise DocumentChanged("Документ изменился после того, как вы его открыли: откройте его снова")
    signed = session.execute(sa.select(Signature.task_id).where(Signature.document_id == doc.id,
                                                                 Signature.signer_id == actor.user_id)).first()
    if signed is not None and signed.task_id == task.id:
        # A concurrent request completed this very task (and signed) after we read it as ready:
        # the loser of that race gets the conflict, which names who completed the task.
        raise ConcurrentUpdate("Задача уже выполнена другим запросом")
    if signed is not None:
        raise SignatureRefused("Вы уже подписали эту версию документа")
    user = session.get(User, actor.user_id)
    throttle.check(session, user.login, client.ip, ctx.auth_clock(), "подтверждения подписи паролем")
    if not check_password_hash(user.password_hash, signature["password"]):
        _record_refusal(ctx, task, doc, actor, user.login, client)
        raise SignatureRefused("Неверный пароль: подпись не принята")
    return doc


def _record_refusal(ctx: ServiceContext, task, doc: Document, actor, login: str, client: Client) -> None:
    """A wrong password is recorded on its own, even though the request changes nothing else, and
    counts toward the same attempt limits as a failed login."""
    with ctx.uow() as uow:
        throttle.record_failure(uow.session, login, client.ip, "signature", ctx.auth_clock())
        append_event(uow.session, route_id=task.route_id, at=ctx.clock(), kind=EventKind.SIGNATURE_REJECTED,
                     actor_id=actor.user_id, task_id=task.id, task_name=task.name,
                     data={"document_id": doc.id, "reason": "wrong_password", "ip": client.ip,
                           "user_agent": client.user_agent})
        uow.commit()


def add_signature(session, doc: Document, actor, task, role: str, action: str, now: datetime,
                  client: Client, delegation: dict[str, Any] | None = None) -> Signature:
    """`delegation` ({id, granted_on, by}): a delegate signs for the task's assignee."""
    row = Signature(document_id=doc.id, signer_id=actor.user_id, signer_name=actor.full_name, role=role,
                    action=action, task_id=task.id, sha256=doc.content_sha256, signed_at=now, ip=client.ip[:64],
                    user_agent=client.user_agent[:400])
    if delegation:
        row.on_behalf_of_id, row.on_behalf_name = task.assignee_id, delegation["by"][:300]
        row.delegation_id, row.delegated_on = delegation["id"], date.fromisoformat(delegation["granted_on"])
    session.add(row)
    session.flush()
    append_event(session, route_id=task.route_id, at=now, kind=EventKind.DOCUMENT_SIGNED, actor_id=actor.user_id,
                 on_behalf_of_id=row.on_behalf_of_id, task_id=task.id, task_name=task.name,
                 data={"document_id": doc.id, "kind": doc.kind, "version": doc.version, "sha256": row.sha256,
                       "action": action, "role": role, "signer_name": row.signer_name, "ip": row.ip,
                       "user_agent": row.user_agent, **({"delegation": delegation} if delegation else {})})
    return row


# ---- reading -----------------------------------------------------------------------------------
def describe(session, doc: Document, *, check_bytes: bool = True) -> dict[str, Any]:
    """A document version with its signatures; a signature counts only for the exact bytes stored
    (`check_bytes`: re-hash them; else the recorded hash, as pages show it).
    (The links to its files are the API's and the pages' business: see service/contracts/responses.py.)"""
    actual = sha256(doc.content) if check_bytes else doc.content_sha256
    return _described(doc, session.get(DocTemplate, doc.template_id).sha256, signatures_of(session, doc), actual)


def describe_all(session, docs: list[Document], *, check_bytes: bool = False,
                 hashed: dict[int, str] | None = None,
                 signatures: list[Signature] | None = None) -> list[dict[str, Any]]:
    """`describe` for a list (a route's documents): one query for the signatures and one for the
    templates whatever the number of documents, and the recorded hashes only — re-hashing the
    stored bytes is verification's business (service/services/audit.py), not a page view's; the
    auditor's verification page asks for it (`check_bytes`: load the documents with their content;
    `hashed`: document id → the hash verification computed of the bytes just now; `signatures`:
    the route's signature rows it read, not read again)."""
    if not docs:
        return []
    ids = [d.id for d in docs]
    signed: dict[int, list[Signature]] = {i: [] for i in ids}
    if signatures is None:
        signatures = session.scalars(sa.select(Signature).where(Signature.document_id.in_(ids))).all()
    for sig in sorted(signatures, key=lambda sig: (sig.signed_at, sig.id)):
        if sig.document_id in signed:
            signed[sig.document_id].append(sig)
    templates = dict(session.execute(sa.select(DocTemplate.id, DocTemplate.sha256).where(
        DocTemplate.id.in_({d.template_id for d in docs}))).all())
    def actual(doc: Document) -> str:
        if hashed is not None and doc.id in hashed:
            return hashed[doc.id]
        return sha256(doc.content) if check_bytes else doc.content_sha256

    return [_described(doc, templates[doc.template_id], signed[doc.id], actual(doc)) for doc in docs]


def _described(doc: Document, template_sha256: str, signatures: list[Signature], actual: str) -> dict[str, Any]:
    """A document version as the API shows it; `actual`: the SHA-256 its signatures are checked against."""
    return {
        "id": doc.id, "route_id": doc.route_id, "kind": doc.kind, "title": KINDS[doc.kind], "version": doc.version,
        "state": doc.state, "template_sha256": template_sha256,
        "content_sha256": doc.content_sha256, "content_intact": actual == doc.content_sha256,
        "issued_sha256": doc.issued_sha256, "created_at": doc.created_at.isoformat(),
        "issued_at": doc.issued_at.isoformat() if doc.issued_at else None,
        "signatures": [{"signer": {"id": s.signer_id, "name": s.signer_name}, "role": s.role,
                        "action": s.action, "signed_at": s.signed_at.isoformat(), "sha256": s.sha256,
                        "valid": s.sha256 == actual, **_delegated(s)} for s in signatures],
    }


def _delegated(s: Signature) -> dict[str, Any]:
    """For a delegate's signature: whose task and by which delegation (else nothing)."""
    if s.delegation_id is None:
        return {}
    return {"on_behalf_of": {"id": s.on_behalf_of_id, "name": s.on_behalf_name},
            "delegation": {"id": s.delegation_id, "granted_on": s.delegated_on.isoformat()}}


def _for_whom(sig: dict[str, Any]) -> str:
    if "on_behalf_of" not in sig:
        return ""
    return f", {on_behalf_text(sig['on_behalf_of']['name'], sig['delegation']['granted_on'])}"


def verify(ctx: ServiceContext, data: bytes) -> dict[str, Any]:
    """Is this file one this service issued (or showed for signing), unaltered?"""
    digest = sha256(data)
    with ctx.uow() as uow:
        s = uow.session
        doc = s.scalar(sa.select(Document).where(sa.or_(Document.issued_sha256 == digest,
                                                        Document.content_sha256 == digest)).limit(1))
        stored = None if doc is None else (doc.issued if doc.issued_sha256 == digest else doc.content)
        if doc is None or stored is None or sha256(stored) != digest:
            return {"status": "unknown", "sha256": digest,
                    "message": "Файл не выпускался этим сервисом или был изменён"}
        route = s.get(Route, doc.route_id)
        info = describe(s, doc)
        which = "issued" if doc.issued_sha256 == digest else "content"
        signers = ", ".join(f"{sig['signer']['name']}{_for_whom(sig)} ({local_iso(sig['signed_at'], ctx.timezone)})"
                            for sig in info["signatures"] if sig["valid"]) or "без подписей"
        return {
            "status": "issued" if which == "issued" else "content", "sha256": digest,
            "route": {"id": route.id, "title": route.title}, "document": info,
            "message": (f"Выпущен этим сервисом: маршрут «{route.title}», {KINDS[doc.kind]}, версия {doc.version}"
                        f"{'' if which == 'issued' else ' (содержимое для подписания)'}; подписи: {signers}"),
        }
