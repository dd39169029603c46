"""Delegation (поручение): who may let whom complete their tasks, which tasks, and how a
completion for someone else is named. Plain rules over plain facts: no database, no Flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from service.domain.access import RouteFacts
from service.domain.errors import ServiceError

# The kinds of tasks a delegation may be limited to; a task's kind is the action its signing
# property names (workflows/iom_route.bpmn: action), or "form" for a task that signs nothing.
TASK_KINDS = {
    "agree": "согласование", "approve": "утверждение", "sign": "подписание документов",
    "acknowledge": "ознакомление", "form": "заполнение форм (выводы и др.)",
}
# The delegator's role → the roles a delegate may hold, and where (the delegator's unit, or anywhere).
# A CNPPM head may choose another CNPPM head or a tutor of the same centre; a methodist (regional)
# another methodist; a school head their deputy.
DELEGATE_ROLES = {
    "school_head": ("deputy_head",),
    "cnppm_head": ("cnppm_head", "tutor"),
    "methodist": ("methodist",),
}
SAME_UNIT = frozenset({"school_head", "cnppm_head"})  # the delegate is of the delegator's own unit
MAX_DAYS = 366  # a delegation lasts at most a year (both ends included)
MAX_AHEAD_DAYS = 366  # and starts within a year from today


class DelegationClosed(ServiceError):
    """The delegation was already revoked, or its range has ended: it cannot be changed."""

    status = 409


def task_kind(action: str) -> str:
    return action if action in TASK_KINDS else "form"


def kinds_text(kinds: list[str] | tuple[str, ...]) -> str:
    """«все задачи» or the kinds' Russian names."""
    return ", ".join(TASK_KINDS.get(k, k) for k in kinds) if kinds else "все задачи"


@dataclass(frozen=True)
class Grant:
    """One delegation, as the rules see it."""

    id: int
    delegator_id: int
    delegate_id: int
    role: str
    unit_id: int | None
    kinds: tuple[str, ...]
    starts_on: date
    ends_on: date
    revoked: bool

    def active_on(self, day: date) -> bool:
        return not self.revoked and self.starts_on <= day <= self.ends_on

    def covers(self, *, assignee_id: int, role: str, kind: str, school_id: int, centre_id: int,
               route: RouteFacts, day: date) -> bool:
        """Does it let the delegate complete this task today? Never on a route where the delegate
        is themselves the teacher, tutor or methodist: nobody agrees or signs for their own work."""
        if not self.active_on(day) or assignee_id != self.delegator_id or role != self.role:
            return False
        if self.kinds and kind not in self.kinds:
            return False
        if self.delegate_id in (route.teacher_id, route.tutor_id, route.methodist_id):
            return False
        unit = {"school_head": school_id, "cnppm_head": centre_id}.get(role)
        return unit is None or self.unit_id is None or unit == self.unit_id


def range_problem(starts_on: date, ends_on: date, today: date) -> tuple[str, str] | None:
    """(field, Russian message) when the dates are not a range a delegation may have."""
    if starts_on > ends_on:
        return "/ends_on", "Дата окончания не может быть раньше даты начала"
    if ends_on < today:
        return "/ends_on", "Поручение не может закончиться в прошлом"
    if starts_on < today:
        return "/starts_on", "Поручение не может начаться задним числом: укажите сегодняшнюю или более позднюю дату"
    if starts_on > today + timedelta(days=MAX_AHEAD_DAYS):
        return "/starts_on", "Поручение может начаться не позже чем через год"
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        return "/ends_on", "Поручение даётся не больше чем на год"
    return None


def on_behalf_text(delegator: str, granted_on: str) -> str:
    """«за Директорова Е. В., по поручению от 01.09.2026» (`granted_on`: ISO date)."""
    day = f"{granted_on[8:10]}.{granted_on[5:7]}.{granted_on[0:4]}" if len(granted_on) >= 10 else granted_on
    return f"за {delegator}, по поручению от {day}"


def performed_by(actor: str, on_behalf_of: str | None, delegation: dict | None) -> str:
    """Who did a step: the person; for a delegate, «…, за <кого>, по поручению от <дата>»; for an
    admin acting for the assignee, «… (от имени исполнителя: …)»."""
    if on_behalf_of and isinstance(delegation, dict):
        return f"{actor}, {on_behalf_text(on_behalf_of, str(delegation.get('granted_on', '')))}"
    if on_behalf_of:
        return f"{actor} (от имени исполнителя: {on_behalf_of})"
    return actor
