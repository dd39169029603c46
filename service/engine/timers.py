"""BPMN timers counted in working days: reminders and escalations on the user tasks.

The diagram puts two non-interrupting timer boundary events on each user task that has a
deadline (service/domain/route_rules.DUE_DAYS, by the task's form):

* a reminder, `<bpmn:timeDate>before_due(working_days=N)</bpmn:timeDate>`: once, at the start of
  the working day (09:00 in the region's zone) N working days before the due day;
* an escalation, `<bpmn:timeCycle>after_due(every_working_days=M)</bpmn:timeCycle>`: at the start
  of the first working day after the due day, then every M working days while the task waits.

These are the only timers a deployment may hold (`parse_timer`; anything else is refused when
the workflow is deployed): SpiffWorkflow's own timers read the wall clock, which would make a
route's history depend on when it is looked at. Ours read `TimerClock`, which the adapter gives to
every engine operation: the operation's time, the region's working calendar and zone. A timer's
schedule is computed when its task becomes ready and kept in the task's internal data, so a later
change of the calendar does not move a timer already armed.

Firing: a reminder that is due completes its boundary event (the branch has no outgoing flow);
an escalation stays waiting and counts its rounds. Each firing is appended to `TimerClock.fired`;
the service records it as a `timer_fired` event. A replay does not look at the clock at all
(`TimerClock.replay`): a timer fires only when the replayed history names it (`force`), so a
replay gives the same answer whatever the calendar says today.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util import PendingBpmnEvent

from service.domain.calendar import WorkingCalendar

WORKDAY_START = time(9, 0)  # timers fire at the start of a working day, in the region's zone
REMINDER, ESCALATION = "reminder", "escalation"
NEVER = "never"  # a reminder that does not fit before the due day
_FORMS = {"before_due": ("working_days", REMINDER), "after_due": ("every_working_days", ESCALATION)}
MAX_DAYS = 60


class TimerNotationError(ValueError):
    """A timer text outside the working-day notation."""


@dataclass(frozen=True)
class FiredTimer:
    """One firing: the boundary event, what it is, the task it waits on, when it was due."""

    name: str
    kind: str
    title: str
    task_engine_id: str
    task_name: str
    scheduled_at: str  # ISO, UTC
    round: int


@dataclass(frozen=True)
class ArmedTimer:
    """A timer waiting on a ready task, and when it fires next."""

    name: str
    kind: str
    title: str
    task_engine_id: str
    task_name: str
    fire_at: datetime


@dataclass
class TimerClock:
    """What timers may know of time during one engine operation."""

    now: datetime
    calendar: WorkingCalendar
    zone: str
    due_days: Mapping[str, int]  # form → working days a task of that form has
    replay: bool = False  # fire only what `force` names, never by the clock
    force: set[str] = field(default_factory=set)
    fired: list[FiredTimer] = field(default_factory=list)

    def working_morning(self, start: datetime, n: int) -> datetime:
        """09:00 local (as UTC) of the n-th working day after the local date of `start`."""
        end = self.calendar.add_working_days(start, n, self.zone)
        day = end.astimezone(ZoneInfo(self.zone)).date()
        return datetime.combine(day, WORKDAY_START, tzinfo=ZoneInfo(self.zone)).astimezone(UTC)

    def due(self, name: str, at: datetime) -> bool:
        if self.replay:
            return name in self.force
        return at <= self.now or name in self.force


def parse_timer(text: str) -> tuple[str, int]:
    """`before_due(working_days=N)` → (reminder, N); `after_due(every_working_days=M)` → (escalation, M)."""
    try:
        call = ast.parse((text or "").strip(), mode="eval").body
    except SyntaxError:
        call = None
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in _FORMS
            and not call.args and len(call.keywords) == 1):
        keyword, kind = _FORMS[call.func.id]
        arg = call.keywords[0]
        if (arg.arg == keyword and isinstance(arg.value, ast.Constant) and type(arg.value.value) is int
                and 1 <= arg.value.value <= MAX_DAYS):
            return kind, arg.value.value
    raise TimerNotationError(f"таймер «{text}»: ожидается before_due(working_days=N) или "
                             f"after_due(every_working_days=N), N от 1 до {MAX_DAYS}")


def _clock(my_task) -> TimerClock:
    clock = getattr(my_task.workflow.script_engine.environment, "timer_clock", None)
    if clock is None:  # a workflow run by a stock script engine (tests that compare with SpiffWorkflow)
        from service.domain.route_rules import DUE_DAYS

        clock = TimerClock(datetime.now(UTC), WorkingCalendar(), "Europe/Moscow", DUE_DAYS)
    return clock


def attached_task(my_task):
    """The user task a boundary event waits on: its sibling under the boundary split."""
    return next(t for t in my_task.parent.children if t is not my_task and not hasattr(t.task_spec, "cancel_activity"))


class WorkingDayTimer(TimerEventDefinition):
    """The common part: which task, how many days it has, and reporting a firing."""

    kind = ""

    def __init__(self, name, expression, days: int | None = None, **kwargs):
        super().__init__(name, expression, **kwargs)
        self.days = days if days is not None else parse_timer(expression)[1]

    @staticmethod
    def _due_days(my_task, clock: TimerClock) -> int | None:
        """The working days the attached task has (by its form), or None."""
        form = attached_task(my_task).task_spec.extensions.get("properties", {}).get("form", "")
        return clock.due_days.get(form)

    def _fired(self, my_task, clock: TimerClock, at: str, round_: int) -> None:
        task = attached_task(my_task)
        clock.fired.append(FiredTimer(my_task.task_spec.name, self.kind, my_task.task_spec.bpmn_name or self.name,
                                      str(task.id), task.task_spec.name, at, round_))

    def next_fire(self, my_task) -> datetime | None:
        raise NotImplementedError

    def __eq__(self, other):
        return super().__eq__(other) and self.expression == other.expression


class ReminderTimer(WorkingDayTimer):
    """Fires once, `days` working days before the due day."""

    kind = REMINDER

    def has_fired(self, my_task):
        if my_task._get_internal_data("event_fired", False):
            return True
        clock = _clock(my_task)
        value = my_task._get_internal_data("event_value")
        if value is None:
            due_days = self._due_days(my_task, clock)
            ahead = (due_days or 0) - self.days
            value = clock.working_morning(clock.now, ahead).isoformat() if ahead >= 1 else NEVER
            my_task._set_internal_data(event_value=value)
        if value != NEVER and clock.due(my_task.task_spec.name, datetime.fromisoformat(value)):
            my_task._set_internal_data(event_fired=True)
            self._fired(my_task, clock, value, 1)
            return True
        return False

    def next_fire(self, my_task) -> datetime | None:
        value = my_task._get_internal_data("event_value")
        if value in (None, NEVER) or my_task._get_internal_data("event_fired", False):
            return None
        return datetime.fromisoformat(value)

    def details(self, my_task):
        return PendingBpmnEvent(self.name, self.__class__.__name__, my_task._get_internal_data("event_value"))


class EscalationTimer(WorkingDayTimer):
    """Fires on the first working day after the due day, then every `days` working days; it keeps
    waiting (and counting) until the task is done, when the boundary join cancels it."""

    kind = ESCALATION

    def has_fired(self, my_task):
        return False  # never completes: it repeats until the task is done

    def update_task(self, my_task):
        clock = _clock(my_task)
        value = my_task._get_internal_data("event_value")
        if value is None:
            due_days = self._due_days(my_task, clock)
            if not due_days:
                value = {"next": NEVER, "count": 0}
            else:
                value = {"next": clock.working_morning(clock.now, due_days + 1).isoformat(), "count": 0}
        if value["next"] != NEVER:
            at = datetime.fromisoformat(value["next"])
            if clock.due(my_task.task_spec.name, at):
                value = dict(value, count=value["count"] + 1)
                self._fired(my_task, clock, value["next"], value["count"])
                following = clock.working_morning(at, self.days)
                while not clock.replay and following <= clock.now:  # the worker was away: one letter, not many
                    following = clock.working_morning(following, self.days)
                value["next"] = following.isoformat()
        my_task._set_internal_data(event_value=value)

    def next_fire(self, my_task) -> datetime | None:
        value = my_task._get_internal_data("event_value")
        if not value or value["next"] == NEVER:
            return None
        return datetime.fromisoformat(value["next"])

    def details(self, my_task):
        value = my_task._get_internal_data("event_value") or {}
        return PendingBpmnEvent(self.name, self.__class__.__name__, value.get("next"))


def working_day_timer(name: str, expression: str) -> WorkingDayTimer:
    kind, days = parse_timer(expression)
    cls = ReminderTimer if kind == REMINDER else EscalationTimer
    return cls(name, expression, days)
