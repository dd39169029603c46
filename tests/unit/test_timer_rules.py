"""Working-day timers in the engine: the notation a deployment may use, the schedule they keep, a
return with remarks re-arming them for the new round, and a replay firing only what history names."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from service.domain.calendar import WorkingCalendar
from service.domain.errors import WorkflowRejected
from service.domain.route_rules import DUE_DAYS
from service.engine.adapter import ReplaySession
from service.engine.timers import TimerClock, TimerNotationError, parse_timer
from tests.support.engine_driver import deployed_engine, example, real_bpmn, replace_once, returned, route_files

OPENED = datetime(2025, 4, 29, 7, 0, tzinfo=UTC)  # Tue, before the May holidays


def clock(now: datetime, calendar: WorkingCalendar | None = None) -> TimerClock:
    return TimerClock(now, calendar or WorkingCalendar(), "Europe/Moscow", DUE_DAYS)


@pytest.mark.parametrize("text, expected", [
    ("before_due(working_days=1)", ("reminder", 1)),
    (" after_due(every_working_days=2) ", ("escalation", 2)),
])
def test_the_notation_is_read(text, expected):
    assert parse_timer(text) == expected


@pytest.mark.parametrize("text", ["PT1H", "R/P1D", "before_due(1)", "before_due(working_days=0)",
                                  "after_due(every_working_days=2.5)", "before_due(working_days=61)",
                                  "__import__('os')", "before_due(working_days=1, x=2)", ""])
def test_anything_else_is_refused(text):
    with pytest.raises(TimerNotationError):
        parse_timer(text)


@pytest.mark.parametrize("old, new, message", [
    ("before_due(working_days=1)</bpmn:timeDate>\n      </bpmn:timerEventDefinition>\n    </bpmn:boundaryEvent>\n"
     "    <bpmn:boundaryEvent id=\"agreement_escalation\"",
     "PT1H</bpmn:timeDate>\n      </bpmn:timerEventDefinition>\n    </bpmn:boundaryEvent>\n"
     "    <bpmn:boundaryEvent id=\"agreement_escalation\"", "ожидается before_due"),
    ('id="agreement_reminder" name="Напоминание" attachedToRef="agreement" cancelActivity="false"',
     'id="agreement_reminder" name="Напоминание" attachedToRef="agreement" cancelActivity="true"', "непрерывающим"),
])
def test_a_deployment_with_another_timer_is_refused(old, new, message):
    with pytest.raises(WorkflowRejected) as refused:
        deployed_engine(xml=replace_once(real_bpmn(), old, new))
    assert message in " ".join(refused.value.problems)


def _at_signatures(engine, spec_hash):
    snap = engine.start(spec_hash, {}, OPENED.date(), clock(OPENED))
    task = snap.ready[0]
    card = {}
    snap = engine.complete(spec_hash, snap.state, task.engine_id, example("draft"), OPENED.date(), lambda: card,
                           clock(OPENED))
    return snap


def test_the_schedule_is_fixed_when_the_task_becomes_ready():
    engine, spec_hash = deployed_engine()
    snap = _at_signatures(engine, spec_hash)
    armed = {(t.task_name, t.kind): t.fire_at for t in snap.timers}
    assert armed[("plan_signatures_teacher", "reminder")] == datetime(2025, 5, 7, 6, 0, tzinfo=UTC)
    assert armed[("plan_signatures_teacher", "escalation")] == datetime(2025, 5, 13, 6, 0, tzinfo=UTC)
    # a day off the region adds later does not move a timer already armed
    moved = WorkingCalendar({date(2025, 5, 7): (False, "Региональный выходной")})
    later = engine.fire_timers(spec_hash, snap.state, clock(datetime(2025, 5, 7, 6, 0, tzinfo=UTC), moved), dict)
    assert {f.kind for f in later.fired} == {"reminder"}


def test_a_return_re_arms_the_timers_of_the_new_round():
    engine, spec_hash = deployed_engine()
    snap = _at_signatures(engine, spec_hash)
    teacher = next(t for t in snap.ready if t.name == "plan_signatures_teacher")
    back = datetime(2025, 5, 20, 7, 0, tzinfo=UTC)
    snap = engine.complete(spec_hash, snap.state, teacher.engine_id, returned(), back.date(), dict, clock(back))
    assert [t.name for t in snap.ready] == ["draft"]
    assert {f.kind for f in snap.fired} == {"reminder", "escalation"}  # due before the return came
    draft = {t.kind: t.fire_at for t in snap.timers}
    assert set(draft) == {"reminder", "escalation"}
    assert draft["reminder"].date() > back.date()  # counted from the return, not from the first round


def test_a_replay_fires_only_what_the_history_names():
    engine, spec_hash = deployed_engine()
    far = datetime(2026, 1, 1, tzinfo=UTC)
    session = ReplaySession(engine, spec_hash, {}, OPENED.date(), clock(OPENED))
    session.complete("draft", example("draft"), OPENED.date(), OPENED)
    assert session.fire("plan_signatures_teacher_escalation", far)[0].round == 1
    assert session.fire("plan_signatures_teacher_escalation", far)[0].round == 2  # once per recorded event
    assert session.fire("agreement_reminder", far) == []  # not armed at this point: a divergence
    assert {t.name for t in session.timers()} >= {"plan_signatures_methodist_reminder"}  # the clock is never read


def test_the_real_route_deploys_with_a_reminder_and_an_escalation_on_every_task_with_a_deadline():
    engine, spec_hash = deployed_engine(xml=None)
    text = route_files()[next(iter(route_files()))].decode()
    for name, spec in engine.human_tasks(spec_hash).items():
        has = f'id="{name}_reminder"' in text and f'id="{name}_escalation"' in text
        assert has == (spec.form in DUE_DAYS), name
