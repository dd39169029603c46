"""Route rules that do not depend on storage: stages, deadlines, what a finished route means."""

from __future__ import annotations

from datetime import datetime, timedelta

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

# Working time a person has for a task of this form, in days (for queues and "overdue").
DUE_DAYS = {
    "draft": 14, "sign": 5, "review": 5, "activity_report": 14, "correction": 7,
    "final_results": 14, "conclusions": 10, "acknowledge": 5,
}


def due_at(form: str, created_at: datetime) -> datetime | None:
    days = DUE_DAYS.get(form)
    return created_at + timedelta(days=days) if days else None


def finished_status(card: dict) -> str:
    """A finished workflow's card says whether the route completed or was prolonged."""
    return RouteStatus.PROLONGED if card.get("result") == "prolonged" else RouteStatus.COMPLETED


def is_return(submission: dict) -> bool:
    """A review or signature that sends the work back with remarks."""
    return submission.get("decision") == "return"
