"""Who is told what when an event is recorded — written in the event's own transaction (an outbox).

`append_event` calls `notify_for_event(session, event)` for every event it writes, so a notification
exists exactly when its event does: a completion that fails writes neither. Each notification is
unique per (event, person, kind). The person who caused the event is not told about it, except of
their own next task. Per the person's preference for the kind (NotificationPref; none: at once), a
notification with a working e-mail address also queues a letter (EmailOutbox, key `n:<id>`) or waits
for the daily digest (service/services/digests.py); the dispatcher (mail_dispatch) sends later."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from service.db.models import (
    Document,
    EmailOutbox,
    Event,
    Notification,
    NotificationPref,
    RoleGrant,
    Route,
    Signature,
    Task,
    User,
)
from service.documents.contract import KINDS as DOCUMENT_KINDS
from service.domain.route_rules import is_return
from service.domain.states import EventKind, TaskState
from service.services import mail_render

KINDS = ("task_ready", "returned", "document_issued", "route_finished")
TIMER_KINDS = ("reminder", "escalation")  # written when a route's BPMN timer fires (services/timers.py)
ALL_KINDS = KINDS + TIMER_KINDS
KIND_LABELS = {
    "task_ready": "Новая задача для меня",
    "returned": "Моя работа возвращена с замечаниями",
    "document_issued": "Выпущен документ, который я подписал(а)",
    "route_finished": "Маршрут, в котором я участвую, завершён или продлён",
    "reminder": "Напоминание о сроке задачи",
    "escalation": "Задача просрочена (эскалация)",
}
MODES = ("instant", "digest", "off")
MODE_LABELS = {"instant": "Сразу", "digest": "В ежедневной сводке", "off": "Не присылать на почту"}


def region_timezone() -> str:
    """The region's zone for the letters' times (`IOM_TIMEZONE`, as the app reads it)."""
    return os.environ.get("IOM_TIMEZONE", "").strip() or "Europe/Moscow"


def _quoted(text: str) -> str:
    return f"«{text}»"


def _due(task: Task) -> str:
    if task.due_at is None:
        return ""
    return " Срок: " + task.due_at.astimezone(ZoneInfo(region_timezone())).strftime("%d.%m.%Y") + "."


def _ready(session, event: Event, route: Route, task_id: str, returned: bool) -> list[dict[str, Any]]:
    task = session.get(Task, task_id)
    if task is None or task.assignee_id is None:
        return []
    where = f"Маршрут {_quoted(route.title)}."
    if not returned:
        return [dict(user_id=task.assignee_id, kind="task_ready", title=f"Новая задача: {_quoted(task.title)}",
                     body=f"{where}{_due(task)}", link=f"/tasks/{task.id}")]
    by = session.get(User, event.actor_id) if event.actor_id else None
    comment = str((event.data.get("submission") or {}).get("comment") or "").strip() or "(без комментария)"
    body = (f"{by.full_name if by else 'Участник'} вернул(а) работу на этапе {_quoted(event.data.get('title', ''))}"
            f" с замечаниями:\n{comment}\n\n{where}{_due(task)}")
    return [dict(user_id=task.assignee_id, kind="returned", title=f"Возвращено на доработку: {_quoted(task.title)}",
                 body=body, link=f"/tasks/{task.id}")]


def _opened(session, event: Event, route: Route) -> list[dict[str, Any]]:
    """Tasks the event opened: `task_ready`, or `returned` when a review or signature sent work back."""
    submission = event.data.get("submission")
    returned = event.kind == EventKind.TASK_COMPLETED and isinstance(submission, dict) and is_return(submission)
    out = []
    for item in event.data.get("opened") or []:
        if isinstance(item, dict) and item.get("id"):
            back = returned and item.get("assignee_id") != event.actor_id
            out += _ready(session, event, route, str(item["id"]), back)
    return out


def _issued(session, event: Event, route: Route) -> list[dict[str, Any]]:
    doc_id = event.data.get("document_id")
    doc = session.get(Document, doc_id) if doc_id else None
    if doc is None:
        return []
    signers = session.scalars(sa.select(Signature.signer_id).where(Signature.document_id == doc.id).distinct())
    label = DOCUMENT_KINDS.get(doc.kind, doc.kind)
    return [dict(user_id=uid, kind="document_issued", title=f"Документ выпущен: {label}",
                 body=f"{label}, версия {doc.version}, подписан(а) всеми участниками и выпущен(а). "
                      f"Маршрут {_quoted(route.title)}.", link=f"/routes/{route.id}")
            for uid in signers if uid != event.actor_id]


def _participants(session, route: Route) -> set[int]:
    people = {route.teacher_id, route.tutor_id, route.methodist_id}
    for assignee, completer in session.execute(sa.select(Task.assignee_id, Task.completed_by_id)
                                               .where(Task.route_id == route.id)):
        people |= {assignee, completer}
    return {p for p in people if p is not None}


def _finished(session, event: Event, route: Route) -> list[dict[str, Any]]:
    if event.kind == EventKind.ROUTE_COMPLETED:
        title, body, link = (f"Маршрут завершён: {_quoted(route.title)}", "Маршрут завершён, выводы выпущены.",
                             f"/routes/{route.id}")
    else:  # prolonged: told once the next route exists, with a link to it
        next_id = event.data.get("next_route_id")
        title = f"Маршрут продлён: {_quoted(route.title)}"
        body, link = f"Маршрут продлён: открыт новый маршрут № {next_id}.", f"/routes/{next_id or route.id}"
    return [dict(user_id=uid, kind="route_finished", title=title, body=body, link=link)
            for uid in sorted(_participants(session, route)) if uid != event.actor_id]


_DECIDERS = {
    EventKind.ROUTE_CREATED: _opened,
    EventKind.TASK_COMPLETED: _opened,
    EventKind.DOCUMENT_ISSUED: _issued,
    EventKind.ROUTE_COMPLETED: _finished,
    EventKind.ROUTE_PROLONGED_AS: _finished,
    EventKind.ROUTE_MIGRATED: _opened,  # a task the new version adds, or one a mapping moved the route to
    EventKind.ROUTE_MIGRATION_REVERTED: _opened,
}


def _reassigned(session, event: Event, route: Route) -> list[dict[str, Any]]:
    to = event.data.get("to")
    task = session.get(Task, event.task_id) if event.task_id else None
    if task is None or not to or task.assignee_id != to:
        return []
    return _ready(session, event, route, task.id, False)


_DECIDERS[EventKind.ADMIN_REASSIGNED] = _reassigned


def notify_for_event(session, event: Event) -> list[Notification]:
    """Write the notifications (and letters) the event causes, in the caller's transaction."""
    if event.kind == EventKind.USER_UPDATED:
        _address_changed(session, event)
    decide = _DECIDERS.get(event.kind)
    if decide is None or event.route_id is None:
        return []
    route = session.get(Route, event.route_id)
    if route is None:
        return []
    written, seen = [], set()
    for item in decide(session, event, route):
        key = (item["user_id"], item["kind"])
        if key in seen:
            continue
        seen.add(key)
        written.append(notify(session, event=event, route_id=route.id, **item))
    return written


def _address_changed(session, event: Event) -> None:
    """A new e-mail address has not bounced (yet): letters may be queued for it again."""
    new = event.data.get("new") if isinstance(event.data, dict) else None
    user = session.get(User, event.data.get("user_id")) if isinstance(new, dict) and "email" in new else None
    if user is not None and user.email_bounced_at is not None:
        user.email_bounced_at, user.email_bounce = None, ""


def mode_for(session, user_id: int, kind: str) -> str:
    pref = session.get(NotificationPref, (user_id, kind))
    return pref.mode if pref is not None else "instant"


def can_mail(user: User | None) -> bool:
    return bool(user is not None and user.is_active and user.email and user.email_bounced_at is None)


def notify(session, *, event: Event | None, user_id: int, kind: str, title: str, body: str, link: str,
           route_id: int | None = None, at: datetime | None = None) -> Notification:
    """One notification, and its letter per the person's preference (also for reminders later)."""
    at = at or event.at
    n = Notification(user_id=user_id, kind=kind, title=title[:300], body=body, link=link[:300], route_id=route_id,
                     event_id=event.id if event is not None else None, created_at=at, email="none")
    session.add(n)
    session.flush()
    user = session.get(User, user_id)
    mode = mode_for(session, user_id, kind)
    if can_mail(user) and mode == "digest":
        n.email = "digest"
    elif can_mail(user) and mode == "instant":
        subject, text, html = mail_render.notification_letter(n, user.full_name, region_timezone())
        session.add(EmailOutbox(key=f"n:{n.id}", user_id=user_id, to_addr=user.email, subject=subject, text=text,
                                html=html, state="pending", attempts=0, next_attempt_at=at, created_at=at))
        n.email = "queued"
    return n


def _responsible(session, route: Route, task: Task) -> list[int]:
    """Who hears of an overdue task: the CNPPM head for the tutor's and the methodist's tasks, the
    school head for the teacher's and the deputy's; the region's admins for a head's own task."""
    from service.services.assignment import head_of

    if task.role in ("tutor", "methodist"):
        head = head_of(session, "cnppm_head", route.centre_id)
        return [head] if head else []
    if task.role in ("teacher", "deputy_head"):
        head = head_of(session, "school_head", route.school_id)
        return [head] if head else []
    return list(session.scalars(sa.select(RoleGrant.user_id).join(User, User.id == RoleGrant.user_id)
                                .where(RoleGrant.role == "admin", User.is_active).distinct()))


def _timer(session, event: Event, route: Route) -> list[dict[str, Any]]:
    """A reminder tells the assignee; an escalation tells who is responsible. A timer that fired in the
    request completing its own task tells nobody (the task is done)."""
    task = session.get(Task, event.task_id) if event.task_id else None
    if task is None or task.state != TaskState.READY:
        return []
    where = f"Маршрут {_quoted(route.title)}."
    if event.data.get("kind") == "reminder":
        return [dict(user_id=task.assignee_id, kind="reminder", title=f"Напоминание: {_quoted(task.title)}",
                     body=f"Подходит срок задачи {_quoted(task.title)}.{_due(task)} {where}", link=f"/tasks/{task.id}")]
    assignee = session.get(User, task.assignee_id)
    times = int(event.data.get("round") or 1)
    again = f" (напоминание № {times})" if times > 1 else ""
    body = (f"Задача {_quoted(task.title)} просрочена{again}: исполнитель {assignee.full_name if assignee else '?'}."
            f"{_due(task)} {where}")
    return [dict(user_id=uid, kind="escalation", title=f"Просрочена задача: {_quoted(task.title)}", body=body,
                 link=f"/routes/{route.id}") for uid in _responsible(session, route, task) if uid != task.assignee_id]


_DECIDERS[EventKind.TIMER_FIRED] = _timer
