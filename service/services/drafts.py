"""Saving what someone typed into a task form, to finish it later."""

from __future__ import annotations

from typing import Any

from service.db.models import Route, Task, TaskDraft
from service.domain.access import Actor
from service.domain.errors import NotAllowed, NotFound, TaskAlreadyDone
from service.domain.states import TaskState
from service.services import delegated
from service.services.context import ServiceContext


def save_draft(ctx: ServiceContext, actor: Actor, task_id: str, data: dict[str, Any]) -> None:
    with ctx.uow() as uow:
        task = uow.session.get(Task, task_id)
        if task is None:
            raise NotFound("Задача не найдена")
        if task.assignee_id != actor.user_id and not actor.is_admin and delegated.covering(
                ctx, uow.session, actor.user_id, task, uow.session.get(Route, task.route_id)) is None:
            raise NotAllowed("Черновик может сохранить только исполнитель задачи")
        if task.state != TaskState.READY:
            raise TaskAlreadyDone("Задача уже не ожидает выполнения")
        draft = uow.session.get(TaskDraft, (task_id, actor.user_id))
        if draft is None:
            uow.session.add(TaskDraft(task_id=task_id, user_id=actor.user_id, data=data, saved_at=ctx.clock()))
        else:
            draft.data, draft.saved_at = data, ctx.clock()
        uow.commit()


def load_draft(ctx: ServiceContext, actor: Actor, task_id: str) -> dict[str, Any] | None:
    with ctx.uow() as uow:
        draft = uow.session.get(TaskDraft, (task_id, actor.user_id))
        return None if draft is None else {"data": draft.data, "saved_at": draft.saved_at}


def discard_draft(ctx: ServiceContext, actor: Actor, task_id: str) -> None:
    with ctx.uow() as uow:
        draft = uow.session.get(TaskDraft, (task_id, actor.user_id))
        if draft is not None:
            uow.session.delete(draft)
            uow.commit()
