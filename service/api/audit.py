"""Audit for auditors: verify a route's records, replay it, see it as of any event, export."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from service.api.replay_jobs import job_reply
from service.api.util import actor, ctx, reply
from service.contracts.responses import AsOfResult, AuditReport, History, ReplayResult
from service.services import audit, audit_export, audit_replay, pdfs, replay_jobs

bp = Blueprint("audit", __name__, url_prefix="/api/routes")


@bp.get("/<int:route_id>/verify")
def verify(route_id: int):
    """Check the hash chain, the documents' bytes and the signature rows against the events."""
    return reply(AuditReport, audit.verify_route(ctx(), actor(), route_id).as_dict())


@bp.get("/<int:route_id>/replay")
def replay(route_id: int):
    """Re-execute the route from its events on its BPMN version; `?documents=1` also re-renders
    every document version and compares the SHA-256: that runs in the background worker, so the
    answer is the result kept for the route's chain head, or 202 and the job to follow."""
    if request.args.get("documents") != "1":
        return reply(ReplayResult, audit_replay.replay(ctx(), actor(), route_id))
    job = replay_jobs.request_replay(ctx(), actor(), route_id, documents=True)
    return reply(ReplayResult, job["result"]) if job["state"] == "done" else job_reply(job)


@bp.get("/<int:route_id>/as-of/<int:seq>")
def as_of(route_id: int, seq: int):
    """The route as it stood after event `seq`."""
    return reply(AsOfResult, audit_replay.as_of(ctx(), actor(), route_id, seq))


@bp.get("/<int:route_id>/export.<fmt>")
def export(route_id: int, fmt: str):
    """The history as JSON or CSV."""
    if fmt == "json":
        return reply(History, audit_export.history(ctx(), actor(), route_id))
    data = audit_export.history_csv(ctx(), actor(), route_id, fmt)
    return Response(data, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="route-{route_id}-history.csv"'})


@bp.get("/<int:route_id>/certificate.<fmt>")
def certificate(route_id: int, fmt: str):
    """The audit certificate: who did what and when, document hashes, the chain head."""
    data, name, mimetype = audit_export.certificate(ctx(), actor(), route_id, fmt, pdfs.converter_for(current_app))
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
