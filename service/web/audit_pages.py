"""The auditor's page of a route: verification, replay, and the route step by step as it stood
after each event (open tasks, card, documents with their signatures, position on the diagram)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request

from service.documents.context import ACTIONS
from service.documents.contract import KINDS
from service.domain.access import ROLE_TITLES
from service.services import audit_page, diagrams
from service.web.blueprint import bp, ctx, login_required, me
from service.web.route_page import EVENT_TITLES

DOCUMENT_STATES = {"awaiting_signatures": "на подписи", "issued": "выпущен", "superseded": "заменён"}


def _what(e: dict[str, Any]) -> str:
    """One line for an event: what happened, on which task or document."""
    data = e["data"] or {}
    text = EVENT_TITLES.get(e["kind"], e["kind"])
    if data.get("title"):
        text += f": {data['title']}"
    elif e["kind"].startswith("document_") or e["kind"] == "signature_rejected":
        kind = KINDS.get(data.get("kind", ""), "")
        if kind:
            text += f": {kind}" + (f", версия {data['version']}" if data.get("version") else "")
    elif e["kind"] == "admin_reassigned" and e["task_name"]:
        text += f": {e['task_name']}"
    submission = data.get("submission") or {}
    if isinstance(submission, dict) and submission.get("decision") == "return":
        text += f" — возвращено: {submission.get('comment', '')}"
    if e["kind"].startswith("admin_") and data.get("reason"):
        text += f" — причина: {data['reason']}"
    return text


@bp.get("/routes/<int:route_id>/audit")
@login_required
def route_audit(route_id: int):
    """Verification, replay and the route as of one event (an auditor's or an admin's page)."""
    page = audit_page.audit_page(ctx(), me(), route_id, request.args.get("as_of", type=int))
    for e in page["events"]:
        e["what"] = _what(e)
    return render_template("web/audit.html", **page, document_states=DOCUMENT_STATES, action_titles=ACTIONS,
                           role_titles=ROLE_TITLES, active="routes")


@bp.get("/routes/<int:route_id>/audit/diagram.json")
@login_required
def audit_diagram(route_id: int):
    """The BPMN the route ran on, with the tasks open after event `?as_of=N` and those done by then."""
    return jsonify(diagrams.diagram_as_of(ctx(), me(), route_id, request.args.get("as_of", type=int)))
