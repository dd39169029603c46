"""My tasks, one task, completing a task."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from service.api.util import actor, ctx, json_body
from service.domain.errors import FieldProblem, FormRejected
from service.services import admin, routes, views
from service.services.documents import Client

bp = Blueprint("tasks", __name__, url_prefix="/api/tasks")


@bp.get("")
def my_tasks():
    """Tasks waiting for me, oldest first."""
    return jsonify({"tasks": views.my_tasks(ctx(), actor())})


@bp.get("/<task_id>")
def one_task(task_id: str):
    """A task with its form schema, prefill, the card and the remarks to address."""
    return jsonify(views.task_view(ctx(), actor(), task_id))


def _complete_problems(body: dict) -> list[FieldProblem]:
    """The shape of a completion: `data` an object (the form checks the rest), `signature`, when
    given, an object of two strings."""
    if "data" not in body:
        return [FieldProblem("/data", "Нет данных формы (поле data)")]
    problems = []
    if not isinstance(body["data"], dict):
        problems.append(FieldProblem("/data", "Данные формы — JSON-объект"))
    signature = body.get("signature")
    if signature is not None and not isinstance(signature, dict):
        problems.append(FieldProblem("/signature", "Подпись — объект {password, document_sha256}"))
    elif isinstance(signature, dict):
        problems += [FieldProblem(f"/signature/{name}", f"{title} — строка")
                     for name, title in (("password", "Пароль"), ("document_sha256", "Хеш документа"))
                     if name in signature and not isinstance(signature[name], str)]
    return problems


@bp.post("/<task_id>/complete")
def complete(task_id: str):
    """Complete a task with the form data in `data`; a signature also needs `signature`
    = {password, document_sha256}."""
    who = actor()
    body = json_body()
    problems = _complete_problems(body)
    if problems:
        raise FormRejected(problems)
    client = Client(request.remote_addr or "", request.user_agent.string or "")
    return jsonify(routes.complete_task(ctx(), who, task_id, body["data"], body.get("signature"), client))


@bp.post("/<task_id>/reassign")
def reassign(task_id: str):
    """Give a waiting task to another person (admin; a reason is required)."""
    who = actor()
    body = json_body()
    return jsonify(admin.reassign_task(ctx(), who, task_id, body.get("assignee_id"), body.get("reason")))
