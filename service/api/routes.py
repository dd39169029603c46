"""Routes: open one, read one, read its history; the admin's cancel and card correction."""

from __future__ import annotations

from flask import Blueprint, request

from service.api.util import actor, body_as, ctx, json_body, reply
from service.contracts.requests import RouteRequest
from service.contracts.responses import CancelResult, CardEditResult, EventList, RouteList, RouteView
from service.domain.errors import FieldProblem, FormRejected
from service.domain.limits import MAX_ID
from service.services import admin, queues, routes, views

bp = Blueprint("routes", __name__, url_prefix="/api/routes")


@bp.post("")
def create():
    """Open a route for a teacher with a tutor and a methodist."""
    who = actor()
    asked = body_as(RouteRequest)
    route_id = routes.create_route(ctx(), who, routes.NewRoute(**asked.model_dump()))
    return reply(RouteView, views.route_view(ctx(), who, route_id), 201)


def _school() -> int | None:
    value = request.args.get("school", "")
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value[:20]) <= MAX_ID:
        raise FormRejected([FieldProblem("?school", "Ожидается идентификатор (целое от 1)")])
    return int(value)


def _page() -> int:
    value = request.args.get("page", "")
    if value and (not value.isdigit() or not 1 <= int(value[:20]) <= MAX_ID):
        raise FormRejected([FieldProblem("?page", "Номер страницы — целое число от 1")])
    return int(value) if value else 1


@bp.get("")
def list_routes():
    """Routes I may see, the latest updated first, a page of 20 (`has_more`, no total); `q`: a
    substring of the title or the teacher's name (3 characters or more), `status`, `stage`, `school`."""
    data = queues.list_routes(ctx(), actor(), status=request.args.get("status") or None,
                              stage=request.args.get("stage") or None, school_id=_school(),
                              text=request.args.get("q") or None, page=_page())
    routes = [{**r, "updated_at": r["updated_at"].isoformat()} for r in data["items"]]
    return reply(RouteList, {"routes": routes, "page": data["page"], "has_more": data["has_more"]})


@bp.get("/<int:route_id>")
def one(route_id: int):
    """A route: stage, card, engine data, open tasks and whom it waits for."""
    return reply(RouteView, views.route_view(ctx(), actor(), route_id))


@bp.get("/<int:route_id>/events")
def events(route_id: int):
    """The route's history, oldest first."""
    return reply(EventList, {"events": views.route_events(ctx(), actor(), route_id)})


# The admin services check their arguments against CancelRequest and CardEditRequest themselves
# (after the admin check), whoever calls them.


@bp.post("/<int:route_id>/cancel")
def cancel(route_id: int):
    """Cancel a route (admin; a reason is required)."""
    who = actor()
    body = json_body()
    return reply(CancelResult, admin.cancel_route(ctx(), who, route_id, body.get("reason")))


@bp.post("/<int:route_id>/card")
def edit_card(route_id: int):
    """Correct one existing value of the card (admin): {pointer, value, reason}."""
    who = actor()
    body = json_body()
    return reply(CardEditResult, admin.edit_card(ctx(), who, route_id, body.get("pointer"), body.get("value"),
                                                 body.get("reason")))
