"""The auditor's page of a route: verification, replay, and the route step by step as it stood
after each event (open tasks, card, documents with their signatures, position on the diagram)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, render_template, request, url_for

from service.documents.context import ACTIONS
from service.domain.access import ROLE_TITLES
from service.services import audit_page, diagrams, replay_jobs
from service.web.blueprint import bp, ctx, login_required, me
from service.web.event_text import event_actor, event_line

DOCUMENT_STATES = {"awaiting_signatures": "на подписи", "issued": "выпущен", "superseded": "заменён"}


def _what(e: dict[str, Any]) -> str:
    """One line for an event: what happened, on which task or document."""
    return event_line(e)


@bp.get("/routes/<int:route_id>/audit")
@login_required
def route_audit(route_id: int):
    """Verification, replay and the route as of one event (an auditor's or an admin's page)."""
    page = audit_page.audit_page(ctx(), me(), route_id, request.args.get("as_of", type=int))
    for e in page["events"]:
        e["what"], e["who"] = _what(e), event_actor(e)
    return render_template("web/audit.html", **page, document_states=DOCUMENT_STATES, action_titles=ACTIONS,
                           role_titles=ROLE_TITLES, active="routes")


@bp.get("/routes/<int:route_id>/audit/diagram.json")
@login_required
def audit_diagram(route_id: int):
    """The BPMN the route ran on, with the tasks open after event `?as_of=N` and those done by then."""
    return jsonify(diagrams.diagram_as_of(ctx(), me(), route_id, request.args.get("as_of", type=int)))


@bp.post("/routes/<int:route_id>/audit/replay")
@login_required
def audit_replay_start(route_id: int):
    """Start the replay with documents in the background (anew, if one is kept); back to the page."""
    replay_jobs.request_replay(ctx(), me(), route_id, documents=True, again=True)
    return redirect(url_for("web.route_audit", route_id=route_id) + "#replay-documents")


@bp.get("/routes/<int:route_id>/audit/replay-jobs/<int:job_id>.json")
@login_required
def audit_replay_progress(route_id: int, job_id: int):
    """A replay job's state and progress, small enough to poll every second (js/audit.js)."""
    job = replay_jobs.job_view(ctx(), me(), route_id, job_id)
    return jsonify({k: job[k] for k in ("id", "state", "done", "total", "percent")})
