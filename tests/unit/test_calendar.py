"""The working calendar without a database: the Russian production calendar (holidays, transferred
days off, working Saturdays), the region's own days, and the deadline and waiting-days rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import holidays
import pytest

from service.domain.calendar import WorkingCalendar
from service.domain.route_rules import due_at

MSK = "Europe/Moscow"
PLAIN = WorkingCalendar()


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def test_five_working_days_from_29_april_2025_end_on_12_may():
    # Apr 30 · (May 1–4 off) · May 5, 6, 7 · (May 8–11 off) · May 12
    due = PLAIN.add_working_days(_at(date(2025, 4, 29)), 5, MSK)
    assert due == datetime(2025, 5, 12, 20, 59, 59, tzinfo=UTC)  # 23:59:59 in Moscow
    assert due_at("sign", _at(date(2025, 4, 29)), PLAIN, MSK) == due
    assert due_at("no_such_form", _at(date(2025, 4, 29)), PLAIN, MSK) is None


@pytest.mark.parametrize("day, working", [
    (date(2025, 5, 2), False),  # Friday: the day off transferred from Saturday 4 January
    (date(2025, 5, 8), False),  # transferred from 23 February
    (date(2025, 11, 1), True),  # Saturday worked, the day off moved to Monday 3 November
    (date(2025, 11, 3), False),
    (date(2025, 12, 31), False),
    (date(2026, 1, 9), False),  # Friday after the New Year holidays, transferred from 3 January
    (date(2025, 4, 29), True),
    (date(2025, 4, 26), False),  # a plain Saturday
])
def test_the_federal_calendar_knows_transfers_and_working_saturdays(day, working):
    assert PLAIN.is_working(day) is working


def test_the_new_year_holidays_are_1_to_8_january():
    for year in (2025, 2026, 2027):
        assert not any(PLAIN.is_working(date(year, 1, d)) for d in range(1, 9))


def test_working_saturdays_come_from_the_package_with_the_day_they_moved():
    # The rule this calendar relies on: the package marks working Saturdays itself. If a release
    # stops doing so, this fails and a table of them must be kept here.
    ru = holidays.country_holidays("RU", years=[2024, 2025])
    assert {date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28), date(2025, 11, 1)} <= set(ru.weekend_workdays)
    mark = PLAIN.mark(date(2025, 11, 1))
    assert mark.kind == "working_weekend" and "03.11.2025" in mark.reason
    moved = PLAIN.mark(date(2025, 5, 2))
    assert moved.kind == "transfer" and "перенесено с 04.01.2025" in moved.reason


def test_a_region_day_off_moves_a_due_date():
    region = WorkingCalendar({date(2025, 5, 12): (False, "День города")})
    assert region.add_working_days(_at(date(2025, 4, 29)), 5, MSK).date() == date(2025, 5, 13)
    assert region.mark(date(2025, 5, 12)).kind == "region_off"


def test_a_region_working_saturday_counts():
    region = WorkingCalendar({date(2025, 5, 10): (True, "Отработка")})
    assert region.is_working(date(2025, 5, 10))
    assert region.add_working_days(_at(date(2025, 4, 29)), 5, MSK).date() == date(2025, 5, 10)


def test_a_task_created_late_at_night_counts_from_its_local_day():
    # 22:30 UTC on Tue 29.04 is already Wed 30.04 in Moscow: the count starts after Wednesday.
    late = datetime(2025, 4, 29, 22, 30, tzinfo=UTC)
    assert PLAIN.add_working_days(late, 1, MSK).date() == date(2025, 5, 5)
    # Created on a day off: the first working day after it is the first of the term.
    assert PLAIN.add_working_days(_at(date(2025, 5, 3)), 1, MSK).date() == date(2025, 5, 5)


def test_waiting_days_count_working_days_after_the_start():
    friday = _at(date(2025, 4, 25))
    assert PLAIN.working_days_between(friday, friday + timedelta(hours=5), MSK) == 0
    assert PLAIN.working_days_between(friday, _at(date(2025, 4, 27)), MSK) == 0  # the weekend
    assert PLAIN.working_days_between(friday, _at(date(2025, 4, 28)), MSK) == 1
    assert PLAIN.working_days_between(_at(date(2025, 4, 29)), _at(date(2025, 5, 12)), MSK) == 5
    assert PLAIN.working_days_between(_at(date(2025, 5, 12)), _at(date(2025, 4, 29)), MSK) == 0


def test_the_waiting_cutoff_is_the_start_of_the_nth_working_day_back():
    now = _at(date(2025, 5, 12))  # Monday
    cutoff = PLAIN.waiting_cutoff(now, 2, MSK)
    assert cutoff == datetime(2025, 5, 6, 21, 0, tzinfo=UTC)  # 00:00 Wed 07.05 in Moscow
    assert PLAIN.working_days_between(cutoff - timedelta(seconds=1), now, MSK) == 2
    assert PLAIN.working_days_between(cutoff, now, MSK) == 1


def test_a_year_lists_its_special_days_and_region_days_win():
    region = WorkingCalendar({date(2025, 5, 2): (True, "Рабочий день региона")})
    marks = {m.day: m for m in region.year_marks(2025)}
    assert marks[date(2025, 5, 2)].kind == "region_working" and marks[date(2025, 5, 2)].is_working
    assert marks[date(2025, 11, 1)].is_working and not marks[date(2025, 5, 9)].is_working
    assert region.federal_mark(date(2025, 5, 2)).kind == "transfer"
    assert WorkingCalendar().year_marks(1500) == []  # outside the package's years: weekends only


def test_n_must_be_positive():
    with pytest.raises(ValueError):
        PLAIN.add_working_days(_at(date(2025, 4, 29)), 0, MSK)
