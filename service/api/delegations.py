"""Delegations (поручения): a head (or a methodist) lets a colleague complete their tasks for a
date range; listing, giving and revoking them."""

from __future__ import annotations

from flask import Blueprint, request

from service.api.util import actor, ctx, json_body, reply
from service.contracts.delegations import DelegationList, DelegationRequest, DelegationRow, RevokeRequest
from service.services import delegations

bp = Blueprint("delegations", __name__, url_prefix="/api/delegations")


@bp.get("")
def list_delegations():
    """The delegations I gave and those given to me (an admin: all), newest first."""
    return reply(DelegationList, delegations.list_view(ctx(), actor()))


@bp.post("")
def grant():
    """Give a delegation (my own role; an admin may name another delegator)."""
    return reply(DelegationRow, delegations.grant(ctx(), actor(), json_body()), 201)


@bp.post("/<int:delegation_id>/revoke")
def revoke(delegation_id: int):
    """Revoke a delegation (who gave it, or an admin); an empty body is no reason."""
    who = actor()
    body = json_body() if request.content_length else {}
    return reply(DelegationRow, delegations.revoke(ctx(), who, delegation_id, body))


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    from service.api.openapi import _body, _json, _path_param, _responses

    return {
        "/api/delegations": {
            "get": {
                "tags": ["tasks"], "operationId": "listDelegations", "summary": "Мои поручения",
                "description": "Поручения, которые дали вы и которые даны вам (администратору — все данные), "
                               "от новых к старым.",
                "responses": _responses(("200", _json(out(DelegationList), "Поручения")), "401"),
            },
            "post": {
                "tags": ["tasks"], "operationId": "grantDelegation", "summary": "Дать поручение",
                "description": "Руководитель ОО поручает свои задачи заместителю своей школы, руководитель ЦНППМ — "
                               "другому руководителю или тьютору своего центра, методист — другому методисту, на "
                               "даты региона (включительно, не больше года, не задним числом) и виды задач (пустой "
                               "список — все). В эти дни задачи видны и выполняются заместителем «за» поручителя; "
                               "подпись — своим паролем, на листе подписей: «…, за …, по поручению от …». "
                               "Записывается событием `delegation_granted` системной цепочки. Администратор может "
                               "дать поручение за любого (`delegator_id`) по тем же правилам.",
                "requestBody": _body(inp(DelegationRequest)),
                "responses": _responses(("201", _json(out(DelegationRow), "Поручение дано")),
                                        "400", "401", "403", "413", "415", "422",
                                        e403="Поручение от имени другого сотрудника даёт только администратор",
                                        e422="Нет такой роли у поручителя, сотрудник вне допустимого круга, самому "
                                             "себе, неверные даты или виды задач"),
            },
        },
        "/api/delegations/{delegation_id}/revoke": {"post": {
            "tags": ["tasks"], "operationId": "revokeDelegation", "summary": "Отозвать поручение",
            "description": "Отзывает поручение (тот, кто его дал, или администратор): задачи сразу пропадают у "
                           "заместителя. Записывается событием `delegation_revoked`. Тело (необязательно): "
                           "причина.",
            "parameters": [_path_param("delegation_id", {"type": "integer", "minimum": 1}, "Номер поручения")],
            "requestBody": {**_body(inp(RevokeRequest)), "required": False},
            "responses": _responses(("200", _json(out(DelegationRow), "Поручение отозвано")),
                                    "400", "401", "403", "404", "409", "413", "415", "422",
                                    e409="Поручение уже отозвано или его срок истёк"),
        }},
    }
