"""People search for the pickers of the pages (teacher, tutor, methodist), scoped to the caller's reach."""

from __future__ import annotations

from flask import Blueprint, request

from service.api.openapi import ID, STR, _json, _responses
from service.api.util import actor, ctx, reply
from service.contracts.opening import PickerList
from service.domain.errors import FieldProblem, FormRejected
from service.services import pickers

bp = Blueprint("pickers", __name__, url_prefix="/api/pickers")


def _search(kind: str):
    """Up to 20 active people of `kind` whose name contains ?q, within the caller's reach (?centre narrows it)."""
    who = actor()
    centre = request.args.get("centre", "").strip()
    if centre and not centre.isdigit():
        raise FormRejected([FieldProblem("?centre", "Центр — целое число (идентификатор)")])
    found = pickers.search(ctx(), who, kind, request.args.get("q", ""), int(centre) if centre else None)
    return reply(PickerList, {"people": found})


@bp.get("/teachers")
def teachers():
    """Teachers of the schools of the caller's centre (an admin: of every centre)."""
    return _search("teachers")


@bp.get("/tutors")
def tutors():
    """Tutors of the caller's centre."""
    return _search("tutors")


@bp.get("/methodists")
def methodists():
    """Methodists of the caller's centre and of the region above it."""
    return _search("methodists")


WHO = {
    "teachers": ("searchTeachers", "Поиск педагогов для открытия маршрутов",
                 "Педагоги школ вашего ЦНППМ; unit — школа."),
    "tutors": ("searchTutors", "Поиск тьюторов", "Тьюторы вашего ЦНППМ; unit — центр."),
    "methodists": ("searchMethodists", "Поиск региональных методистов",
                   "Методисты вашего ЦНППМ и региона, в который он входит; unit — центр или регион."),
}


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    params = [
        {"name": "q", "in": "query", "required": True, "schema": {**STR, "minLength": 2, "maxLength": 100},
         "description": "Часть ФИО, без учёта регистра (от 2 символов)"},
        {"name": "centre", "in": "query", "required": False, "schema": ID,
         "description": "Только этот ЦНППМ (руководителю — только свой: чужой даёт пустой список)"},
    ]
    return {f"/api/pickers/{kind}": {"get": {
        "tags": ["pickers"], "operationId": op, "summary": summary,
        "description": f"{text} Только активные люди в действующих организациях; до 20 совпадений по алфавиту. "
                       "Руководитель ЦНППМ видит только людей своего центра, администратор — всех; остальным — 403.",
        "parameters": params,
        "responses": _responses(("200", _json(out(PickerList), "Найденные люди")), "401", "403", "422",
                                e403="Подбор доступен руководителю ЦНППМ и администратору",
                                e422="Меньше 2 или больше 100 символов в q, или centre — не число"),
    }} for kind, (op, summary, text) in WHO.items()}
