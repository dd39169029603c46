"""The route page: card, stage, diagram, documents, timeline."""

from __future__ import annotations

from flask import jsonify, render_template

from service.documents.context import ACTIONS
from service.domain.access import ROLE_TITLES
from service.services import diagrams, views
from service.web.blueprint import bp, ctx, login_required, me
from service.web.event_text import event_actor, event_title, returned_with

DOCUMENT_STATES = {"awaiting_signatures": "на подписи", "issued": "выпущен", "superseded": "заменён новой версией"}


def _mark_current(documents: list[dict]) -> list[dict]:
    """The newest version of each document is the current one; older ones are kept for the record."""
    newest: dict[str, int] = {}
    for d in documents:
        newest[d["kind"]] = max(newest.get(d["kind"], 0), d["version"])
    for d in documents:
        d["current"] = d["version"] == newest[d["kind"]]
    return documents


def _timeline(events: list[dict]) -> list[dict]:
    for e in events:
        e["title"], e["remark"], e["who"] = event_title(e), returned_with(e), event_actor(e)
    return events


@bp.get("/routes/<int:route_id>")
@login_required
def route(route_id: int):
    """Everything about one route, for anyone who may see it."""
    page = views.route_page(ctx(), me(), route_id)
    return render_template("web/route.html", route=page["route"], events=_timeline(page["events"]),
                           documents=_mark_current(page["documents"]),
                           document_states=DOCUMENT_STATES, role_titles=ROLE_TITLES, action_titles=ACTIONS,
                           active="routes")


@bp.get("/routes/<int:route_id>/diagram.json")
@login_required
def diagram(route_id: int):
    """The BPMN the route runs on, with the tasks waiting now and those already done."""
    return jsonify(diagrams.route_diagram(ctx(), me(), route_id))
