"""Routes: open one, read one, read its history; the admin's cancel and card correction."""

from __future__ import annotations

from flask import Blueprint

from service.api.util import actor, body_as, ctx, json_body, reply
from service.contracts.requests import RouteRequest
from service.contracts.responses import CancelResult, CardEditResult, EventList, RouteView
from service.services import admin, routes, views

bp = Blueprint("routes", __name__, url_prefix="/api/routes")


@bp.post("")
def create():
    """Open a route for a teacher with a tutor and a methodist."""
    who = actor()
    asked = body_as(RouteRequest)
    route_id = routes.create_route(ctx(), who, routes.NewRoute(**asked.model_dump()))
    return reply(RouteView, views.route_view(ctx(), who, route_id), 201)


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
