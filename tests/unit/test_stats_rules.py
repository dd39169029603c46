"""Pure helpers of the statistics: quantiles from histograms, periods, stage stretches, card facts."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime

import pytest

from service.domain.calendar import WorkingCalendar
from service.services.stats import default_period, month_label, months_between, quantile, share
from service.services.stats_facts import deficit_rows, stage_stretches, subject_of


@pytest.mark.parametrize("values", [[1], [1, 2], [1, 1, 1, 2, 3], [0, 5, 5, 9, 40, 41], list(range(17))])
def test_the_median_from_a_histogram_is_the_usual_median(values):
    hist: dict[int, int] = {}
    for v in values:
        hist[v] = hist.get(v, 0) + 1
    assert quantile(hist, 0.5) == round(statistics.median(values), 1)


def test_the_90th_percentile_interpolates_between_the_nearest_values():
    assert quantile({1: 3, 2: 1, 3: 1}, 0.9) == 2.6  # 1 1 1 2 3: h = 3.6
    assert quantile({4: 1, 8: 1}, 0.9) == 7.6
    assert quantile([(5, 1)], 0.9) == 5.0


def test_an_empty_histogram_has_no_quantile():
    assert quantile({}, 0.5) is None and quantile({3: 0}, 0.9) is None


def test_share_in_percent():
    assert share(1, 3) == 33.3 and share(0, 0) is None


def test_the_default_period_is_twelve_months_to_today():
    assert default_period(date(2026, 10, 5)) == (date(2025, 11, 1), date(2026, 10, 5))
    months = months_between(date(2025, 11, 1), date(2026, 10, 5))
    assert [month_label(m) for m in (months[0], months[-1])] == ["2025-11", "2026-10"] and len(months) == 12


def test_working_days_skip_weekends_and_holidays():
    cal = WorkingCalendar()
    assert cal.working_days_between(datetime(2026, 9, 4, 9, tzinfo=UTC), datetime(2026, 9, 7, 9, tzinfo=UTC),
                                    "Europe/Moscow") == 1  # Friday → Monday
    assert cal.working_days_between(datetime(2026, 11, 3, 9, tzinfo=UTC), datetime(2026, 11, 5, 9, tzinfo=UTC),
                                    "Europe/Moscow") == 1  # 4 November is a holiday


def test_stage_stretches_begin_at_the_first_task_of_a_stage_and_end_at_the_route_end():
    t = [datetime(2026, 9, d, tzinfo=UTC) for d in range(1, 10)]
    tasks = [(t[1], "draft"), (t[2], "draft"), (t[3], "agreement"), (t[4], "draft"), (t[5], "completed")]
    assert stage_stretches(t[0], tasks, t[8]) == [("draft", t[0], t[3]), ("agreement", t[3], t[4]),
                                                  ("draft", t[4], t[8])]
    assert stage_stretches(t[0], [(t[1], "draft")], None) == [("draft", t[0], None)]


def test_closed_deficits_are_entry_minus_final_per_area_for_finished_routes():
    card = {"entry_diagnostics": {"deficits": [{"area": "ИКТ", "level": "средний"}, {"area": "ИКТ", "level": "базовый"},
                                               {"area": "методические", "level": "высокий"}]},
            "final_diagnostics": {"deficits": [{"area": "ИКТ", "level": "базовый"},
                                               {"area": "предметные", "level": "базовый"}]}}
    rows, closed = deficit_rows(card, finished=True)
    assert closed == 2
    assert {(r["phase"], r["area"]): r["count"] for r in rows if r["phase"] == "closed"} == {
        ("closed", "ИКТ"): 1, ("closed", "методические"): 1}
    rows, closed = deficit_rows(card, finished=False)
    assert closed == 0 and {r["phase"] for r in rows} == {"entry"}


def test_the_subject_comes_from_the_card_then_the_profile():
    assert subject_of({"info": {"subject": "физика", "position": "учитель"}}, "x") == "физика"
    assert subject_of({"info": {"position": "учитель физики"}}, "x") == "учитель физики"
    assert subject_of({}, "учитель химии") == "учитель химии"
    assert subject_of({}, None) == "не указан"
