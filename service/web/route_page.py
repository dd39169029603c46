"""The route page: card, stage, diagram, documents, timeline."""

from __future__ import annotations

from flask import jsonify, render_template

from service.documents.context import ACTIONS
from service.domain.access import ROLE_TITLES
from service.services import diagrams, views
from service.web.blueprint import bp, ctx, login_required, me

EVENT_TITLES = {
    "route_created": "Маршрут создан", "task_completed": "Выполнен шаг", "document_prepared": "Подготовлен документ",
    "document_issued": "Выпущен документ", "document_signed": "Документ подписан",
    "signature_rejected": "Подпись отклонена (неверный пароль)", "route_completed": "Маршрут завершён",
    "route_prolonged": "Маршрут продлён", "route_prolonged_as": "Создан маршрут продления",
    "admin_card_edited": "Карта исправлена администратором",
    "admin_reassigned": "Задача переназначена администратором", "admin_cancelled": "Маршрут отменён администратором",
}


@bp.get("/routes/<int:route_id>")
@login_required
def route(route_id: int):
    """Everything about one route, for anyone who may see it."""
    view = views.route_view(ctx(), me(), route_id)
    return render_template("web/route.html", route=view, events=views.route_events(ctx(), me(), route_id),
                           documents=views.route_documents(ctx(), me(), route_id), event_titles=EVENT_TITLES,
                           role_titles=ROLE_TITLES, action_titles=ACTIONS, active="routes")


@bp.get("/routes/<int:route_id>/diagram.json")
@login_required
def diagram(route_id: int):
    """The BPMN the route runs on, with the tasks waiting now and those already done."""
    return jsonify(diagrams.route_diagram(ctx(), me(), route_id))
