"""Opening several routes at once with one order assigning the tutors (a CNPPM head)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint

from service.api.openapi import _body, _json, _responses
from service.api.util import actor, ctx, json_body, reply
from service.contracts.opening import RouteBatch, RouteBatchRequest, parse_batch
from service.services import opening

bp = Blueprint("opening", __name__, url_prefix="/api/route-batches")


@bp.post("")
def create():
    """Open a route for each teacher with their tutor and the methodist, under one order; all or nothing."""
    who = actor()
    asked = parse_batch(json_body())
    batch = opening.Batch([opening.Assignment(t.teacher_id, t.tutor_id) for t in asked.teachers], asked.methodist_id,
                          date.fromisoformat(asked.period.start), date.fromisoformat(asked.period.end))
    return reply(RouteBatch, opening.open_batch(ctx(), who, batch), 201)


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    return {"/api/route-batches": {"post": {
        "tags": ["routes"], "operationId": "openRouteBatch",
        "summary": "Открытие маршрутов нескольким педагогам одним распорядительным актом",
        "description": "Открывает маршрут каждому педагогу с его тьютором и общим методистом; период записывается "
                       "в карту каждого маршрута. Один распорядительный акт о закреплении тьюторов (номер "
                       "«<id>/ИОМ») перечисляет всех педагогов, их школы и тьюторов; каждый маршрут получает его "
                       "документ. Всё или ничего: при любой ошибке не открывается ни один маршрут. Доступно "
                       "руководителю ЦНППМ (педагоги школ своего центра) и администратору.",
        "requestBody": _body(inp(RouteBatchRequest)),
        "responses": _responses(
            ("201", _json(out(RouteBatch), "Маршруты открыты")),
            "400", "401", "403", "409", "413", "415", "422", "500",
            e403="Открывать маршруты может руководитель ЦНППМ или администратор",
            e409="Одновременное изменение другим запросом",
            e422="Ошибки по полям (например, /teachers/2/tutor_id): больше 50 педагогов, педагог указан дважды, "
                 "у педагога уже есть маршрут в работе, участник не найден, отключён или вне вашего ЦНППМ, "
                 "окончание периода раньше начала"),
    }}}
