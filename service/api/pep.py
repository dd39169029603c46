"""The simple electronic signature regulation (Положение о ПЭП): read, accept."""

from __future__ import annotations

from flask import Blueprint, Response, url_for

from service.api.util import actor, body_as, ctx, reply
from service.contracts.pep import PepAcceptRequest, PepStatus
from service.http.auth import client
from service.services import pep

bp = Blueprint("pep", __name__, url_prefix="/api/pep")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _status(found: dict) -> dict:
    keep = ("sha256", "title", "name", "deployed_at", "accepted", "accepted_at")
    return {**{k: found[k] for k in keep}, "page_url": url_for("web.pep_rules"), "download_url": url_for("pep.file")}


@bp.get("")
def current():
    """The regulation in force and whether I accepted it."""
    return reply(PepStatus, _status(pep.current(ctx(), actor())))


@bp.post("/accept")
def accept():
    """Accept the regulation in force: `sha256` names the version read (409 if it is not in force)."""
    asked = body_as(PepAcceptRequest)
    return reply(PepStatus, _status(pep.accept(ctx(), actor(), asked.sha256, client())))


@bp.get("/file.docx")
def file():
    """The regulation in force as a .docx."""
    data, name = pep.current_file(ctx(), actor())
    return Response(data, mimetype=DOCX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    from service.api.openapi import DOCX as DOCX_TYPE
    from service.api.openapi import _body, _json, _responses

    return {
        "/api/pep": {"get": {
            "tags": ["pep"], "operationId": "getPepRules", "summary": "Положение о простой электронной подписи",
            "description": "Действующая редакция (SHA-256 файла), принял ли её я, ссылки на страницу и файл. "
                           "Пока действующая редакция не принята, подпись документов отклоняется (403).",
            "responses": _responses(("200", _json(out(PepStatus), "Действующая редакция")), "401", "404",
                                    e404="Положение не размещено в системе"),
        }},
        "/api/pep/accept": {"post": {
            "tags": ["pep"], "operationId": "acceptPepRules", "summary": "Принять Положение о ПЭП",
            "description": "`sha256` — редакция, с которой пользователь ознакомился; она должна быть действующей. "
                           "Принятие (пользователь, SHA-256, время, адрес) записывается событием `pep_accepted` "
                           "системной цепочки; повторное принятие ничего не меняет.",
            "requestBody": _body(inp(PepAcceptRequest)),
            "responses": _responses(("200", _json(out(PepStatus), "Редакция принята")), "400", "401", "404", "409",
                                    "413", "415", "422", e404="Положение не размещено в системе",
                                    e409="Эта редакция уже не действует: ознакомьтесь с новой",
                                    e422="sha256 — не 64 шестнадцатеричных символа"),
        }},
        "/api/pep/file.docx": {"get": {
            "tags": ["pep"], "operationId": "downloadPepRules", "summary": "Файл действующей редакции (.docx)",
            "responses": _responses(("200", {"description": "Положение .docx", "content": {
                DOCX_TYPE: {"schema": {"contentMediaType": DOCX_TYPE}}}}), "401", "404",
                e404="Положение не размещено в системе"),
        }},
    }
