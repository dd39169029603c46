"""My tasks, one task, completing a task."""

from __future__ import annotations

from flask import Blueprint

from service.api.util import actor, body_as, ctx, json_body, reply
from service.contracts.requests import CompleteRequest
from service.contracts.responses import CompletionResult, ReassignResult, TaskList, TaskView
from service.http.auth import client
from service.services import admin, routes, views

bp = Blueprint("tasks", __name__, url_prefix="/api/tasks")


@bp.get("")
def my_tasks():
    """Tasks waiting for me, oldest first."""
    return reply(TaskList, {"tasks": views.my_tasks(ctx(), actor())})


@bp.get("/<task_id>")
def one_task(task_id: str):
    """A task with its form schema, prefill, the card and the remarks to address."""
    return reply(TaskView, views.task_view(ctx(), actor(), task_id))


@bp.post("/<task_id>/complete")
def complete(task_id: str):
    """Complete a task with the form data in `data` (the task's form checks its content); a
    signature also needs `signature` = {password, document_sha256}."""
    who = actor()
    asked = body_as(CompleteRequest)
    signature = asked.signature.model_dump() if asked.signature is not None else None
    return reply(CompletionResult, routes.complete_task(ctx(), who, task_id, asked.data, signature, client()))


@bp.post("/<task_id>/reassign")
def reassign(task_id: str):
    """Give a waiting task to another person (admin; the service checks the body against
    ReassignRequest after the admin check)."""
    who = actor()
    body = json_body()
    return reply(ReassignResult, admin.reassign_task(ctx(), who, task_id, body.get("assignee_id"), body.get("reason")))
