"""Route rules that do not depend on storage: stages, deadlines, what a finished route means."""

from __future__ import annotations

from datetime import datetime

from service.domain.calendar import WorkingCalendar
from service.domain.states import RouteStatus

STAGE_TITLES = {
    "draft": "Составление и подписание плана",
    "agreement": "Согласование в ЦНППМ",
    "approval": "Утверждение в ОО",
    "implementation": "Реализация",
    "conclusion": "Подведение итогов",
    "completed": "Завершён",
    "prolonged": "Продлён",
    "cancelled": "Отменён",
}

# Working time a person has for a task of this form, in working days of the production calendar
# (for queues and "overdue"). Tasks opened before the calendar was used keep the due date they were
# given (created_at + calendar days): a stored due date is never recomputed, replay does not compare it.
DUE_DAYS = {
    "draft": 14, "sign": 5, "review": 5, "activity_report": 14, "correction": 7,
    "final_results": 14, "conclusions": 10, "acknowledge": 5,
}


def due_at(form: str, created_at: datetime, calendar: WorkingCalendar, zone: str) -> datetime | None:
    """The end of the last working day the task has (service/domain/calendar.py), or None."""
    days = DUE_DAYS.get(form)
    return calendar.add_working_days(created_at, days, zone) if days else None


def finished_status(card: dict) -> str:
    """A finished workflow's card says whether the route completed or was prolonged."""
    return RouteStatus.PROLONGED if card.get("result") == "prolonged" else RouteStatus.COMPLETED


def is_return(submission: dict) -> bool:
    """A review or signature that sends the work back with remarks."""
    return submission.get("decision") == "return"
