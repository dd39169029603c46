"""Routes: open one, read one, read its history."""

from __future__ import annotations

from flask import Blueprint, jsonify

from service.api.util import actor, ctx, json_body
from service.domain.errors import FieldProblem, FormRejected
from service.http.guards import MAX_ID
from service.services import admin, routes, views

bp = Blueprint("routes", __name__, url_prefix="/api/routes")


def _int_field(body: dict, name: str, problems: list[FieldProblem]) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        problems.append(FieldProblem(f"/{name}", "Укажите идентификатор пользователя"))
        return 0
    if value > MAX_ID:
        problems.append(FieldProblem(f"/{name}", f"Идентификатор пользователя — целое от 1 до {MAX_ID}"))
        return 0
    return value


@bp.post("")
def create():
    """Open a route for a teacher with a tutor and a methodist."""
    who = actor()
    body = json_body()
    problems: list[FieldProblem] = []
    ids = {name: _int_field(body, name, problems) for name in ("teacher_id", "tutor_id", "methodist_id")}
    title = body.get("title", "")
    if not isinstance(title, str) or len(title) > 300:
        problems.append(FieldProblem("/title", "Название — строка до 300 символов"))
    if problems:
        raise FormRejected(problems)
    route_id = routes.create_route(ctx(), who, routes.NewRoute(title=title, **ids))
    return jsonify(views.route_view(ctx(), who, route_id)), 201


@bp.get("/<int:route_id>")
def one(route_id: int):
    """A route: stage, card, engine data, open tasks and whom it waits for."""
    return jsonify(views.route_view(ctx(), actor(), route_id))


@bp.get("/<int:route_id>/events")
def events(route_id: int):
    """The route's history, oldest first."""
    return jsonify({"events": views.route_events(ctx(), actor(), route_id)})


@bp.post("/<int:route_id>/cancel")
def cancel(route_id: int):
    """Cancel a route (admin; a reason is required)."""
    who = actor()
    body = json_body()
    return jsonify(admin.cancel_route(ctx(), who, route_id, body.get("reason")))


@bp.post("/<int:route_id>/card")
def edit_card(route_id: int):
    """Correct one existing value of the card (admin): {pointer, value, reason}."""
    who = actor()
    body = json_body()
    return jsonify(admin.edit_card(ctx(), who, route_id, body.get("pointer"), body.get("value"), body.get("reason")))
