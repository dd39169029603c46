"""The delegation rules (service/domain/delegation.py) over plain facts: which task a delegation
covers on which day, which date ranges are refused, how a delegated completion is named."""

from __future__ import annotations

from datetime import date

import pytest

from service.domain.access import Actor, RouteFacts, completion_mode
from service.domain.delegation import Grant, performed_by, range_problem, task_kind
from service.domain.errors import NotAllowed

HEAD, DEPUTY, SCHOOL, CENTRE = 10, 20, 3, 2
ROUTE = RouteFacts(teacher_id=1, tutor_id=4, methodist_id=5, school_id=SCHOOL, centre_id=CENTRE)
SEPT_1 = date(2026, 9, 1)


def _grant(**changes) -> Grant:
    values = dict(id=1, delegator_id=HEAD, delegate_id=DEPUTY, role="school_head", unit_id=SCHOOL, kinds=(),
                  starts_on=SEPT_1, ends_on=date(2026, 9, 7), revoked=False)
    return Grant(**{**values, **changes})


def _covers(grant: Grant, **task) -> bool:
    facts = dict(assignee_id=HEAD, role="school_head", kind="approve", school_id=SCHOOL, centre_id=CENTRE,
                 route=ROUTE, day=SEPT_1)
    return grant.covers(**{**facts, **task})


def test_a_delegation_covers_the_delegators_task_of_their_school_on_every_day_of_the_range():
    assert _covers(_grant())
    assert _covers(_grant(), day=date(2026, 9, 7))


@pytest.mark.parametrize("task", [
    {"day": date(2026, 8, 31)}, {"day": date(2026, 9, 8)}, {"assignee_id": 99}, {"role": "cnppm_head"},
    {"school_id": 777}, {"route": RouteFacts(1, DEPUTY, 5, SCHOOL, CENTRE)},
])
def test_it_covers_nothing_outside_its_days_person_role_school_or_on_the_delegates_own_route(task):
    assert not _covers(_grant(), **task)


def test_a_revoked_delegation_covers_nothing_and_kinds_limit_what_it_covers():
    assert not _covers(_grant(revoked=True))
    assert _covers(_grant(kinds=("approve",)), kind="approve")
    assert not _covers(_grant(kinds=("sign",)), kind="approve")


def test_a_methodists_delegation_covers_their_tasks_on_any_route():
    grant = _grant(role="methodist", unit_id=None, delegator_id=5, delegate_id=6)
    assert _covers(grant, assignee_id=5, role="methodist", kind="sign", school_id=999, centre_id=998)


def test_a_tasks_kind_is_its_signing_action_or_form():
    assert [task_kind(a) for a in ("agree", "approve", "sign", "acknowledge", "", "other")] == [
        "agree", "approve", "sign", "acknowledge", "form", "form"]


@pytest.mark.parametrize(("starts", "ends", "problem"), [
    (date(2026, 9, 5), date(2026, 9, 4), ("/ends_on", "Дата окончания не может быть раньше даты начала")),
    (date(2026, 8, 1), date(2026, 8, 31), ("/ends_on", "Поручение не может закончиться в прошлом")),
    (date(2026, 8, 31), date(2026, 9, 2), ("/starts_on", "Поручение не может начаться задним числом: укажите "
                                                         "сегодняшнюю или более позднюю дату")),
    (SEPT_1, date(2027, 9, 2), ("/ends_on", "Поручение даётся не больше чем на год")),
    (date(2027, 9, 3), date(2027, 9, 4), ("/starts_on", "Поручение может начаться не позже чем через год")),
    (SEPT_1, SEPT_1, None),
    (SEPT_1, date(2027, 9, 1), None),
])
def test_date_ranges(starts, ends, problem):
    assert range_problem(starts, ends, SEPT_1) == problem


def test_a_delegated_completion_names_the_delegator_and_the_date():
    delegation = {"id": 1, "granted_on": "2026-09-01", "by": "Директорова Е. В."}
    assert performed_by("Завучева О. Н.", "Директорова Е. В.", delegation) == (
        "Завучева О. Н., за Директорова Е. В., по поручению от 01.09.2026")
    assert performed_by("Админов А. А.", "Иванова И. И.", None) == "Админов А. А. (от имени исполнителя: Иванова И. И.)"
    assert performed_by("Иванова И. И.", None, None) == "Иванова И. И."


def test_the_completion_mode_of_a_delegate_is_delegated_and_of_anyone_else_refused():
    deputy = Actor(DEPUTY, "Завучева", frozenset({("deputy_head", SCHOOL)}))
    assert completion_mode(deputy, HEAD, "Директорова", delegated=True) == "delegated"
    with pytest.raises(NotAllowed):
        completion_mode(deputy, HEAD, "Директорова")
    head = Actor(HEAD, "Директорова", frozenset({("school_head", SCHOOL)}))
    assert completion_mode(head, HEAD, "Директорова", delegated=True) == "self"
