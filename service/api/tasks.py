"""My tasks, one task, completing a task."""

from __future__ import annotations

from flask import Blueprint, request

from service.api.util import actor, body_as, ctx, json_body, reply
from service.contracts.requests import CompleteRequest
from service.contracts.responses import CompletionResult, ReassignResult, TaskList, TaskView
from service.domain.errors import FieldProblem, FormRejected
from service.domain.limits import MAX_ID
from service.http.auth import client
from service.services import admin, routes, views

bp = Blueprint("tasks", __name__, url_prefix="/api/tasks")


def _number(name: str, default: int, most: int | None = None) -> int:
    """A whole number from the query string: ?page from 1, ?limit from 1 to `most`."""
    value = request.args.get(name, "")
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value[:20]) <= (most or MAX_ID):
        limits = f"от 1 до {most}" if most else "от 1"
        raise FormRejected([FieldProblem(f"?{name}", f"Ожидается целое число {limits}")])
    return int(value)


@bp.get("")
def my_tasks():
    """Tasks waiting for me, oldest first (`?sort=due`: by due date), a page at a time."""
    who = actor()
    sort = "due" if request.args.get("sort") == "due" else "oldest"
    page = views.inbox(ctx(), who, sort=sort, page=_number("page", 1),
                       limit=_number("limit", views.INBOX_LIMIT, views.INBOX_MAX_LIMIT))
    return reply(TaskList, page)


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
