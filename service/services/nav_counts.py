"""How many things wait for a person, per navigation item (key → count) — shown in the menu.

Runs on every page: one query of COUNTs served by the tasks' queue indexes and the notifications' unread index."""

from __future__ import annotations

import sqlalchemy as sa

from service.db.models import Notification, Task
from service.domain.access import Actor
from service.domain.states import TaskState
from service.services import delegated
from service.services.context import ServiceContext
from service.services.queues import mine


def counts(ctx: ServiceContext, actor: Actor) -> dict[str, int]:
    """"inbox": the ready tasks assigned to me, and those delegated to me today (what /inbox lists,
    what I can do); "queue": the ready tasks of my approval queue (the same, plus for a deputy head
    those of their school's head); "notifications": my unread notifications (the bell)."""
    with ctx.uow() as uow:
        s = uow.session
        own = sa.select(sa.func.count()).select_from(Task).where(
            Task.assignee_id == actor.user_id, Task.state == TaskState.READY).scalar_subquery()
        given = delegated.in_force_count(ctx, actor.user_id)
        unread = sa.select(sa.func.count()).select_from(Notification).where(  # ix_notifications_user_unread
            Notification.user_id == actor.user_id, Notification.read_at.is_(None)).scalar_subquery()
        inbox, delegating, unread = s.execute(sa.select(own, given, unread)).one()
        if delegating:  # others' tasks delegated to me, in force today (a few more queries, for delegates only)
            inbox += len(delegated.tasks_for(ctx, s, actor.user_id))
        deputy = any(r == "deputy_head" and u is not None for r, u in actor.grants)
        queue = inbox if not deputy else s.scalar(sa.select(sa.func.count()).select_from(Task).where(
            mine(actor, TaskState.READY))) or 0
        return {"inbox": inbox, "queue": queue, "notifications": unread}
