"""The working calendar over HTTP: due dates on working days of the production calendar and the
region's days, "waiting N days" in working days on the inbox, the queue and the task; the admin's
calendar API with its validation and its events of the system chain; replay of a route whose
tasks got their due dates by the old calendar-day rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.db.models import RegionDay, Task
from tests.support.system_chain import chains_intact, system_events

# FakeClock starts Tue 01.09.2026 09:00 UTC (12:00 in Moscow) and moves a minute per reading.


def _later(app, **delta) -> None:
    app.config["CLOCK"].now += timedelta(**delta)


def _html(person, url: str) -> str:
    r = person.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.get_data(as_text=True)


def _mark(admin, day: str, is_working: bool, reason: str = "Распоряжение № 1"):
    r = admin.post("/api/calendar/days", {"day": day, "is_working": is_working, "reason": reason})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _draft(person, rid: int) -> dict:
    return person.task(rid, "draft")


def test_a_draft_is_due_at_the_end_of_its_14th_working_day_and_a_region_day_off_moves_it(app, people, new_route):
    tutor = people("tutor1")
    first = new_route("teacher1")
    # Wed 02.09 … Mon 21.09 are 14 working days; due 23:59:59 Moscow time
    assert _draft(tutor, first)["due_at"] == "2026-09-21T20:59:59+00:00"
    _mark(people("admin"), "2026-09-14", False, "День города")
    second = new_route("teacher2")
    assert _draft(tutor, second)["due_at"] == "2026-09-22T20:59:59+00:00"
    assert _draft(tutor, first)["due_at"] == "2026-09-21T20:59:59+00:00"  # an open task keeps its due date
    page = _html(tutor, "/inbox")
    assert "21.09.2026" in page and "22.09.2026" in page


def test_waiting_days_on_the_inbox_the_queue_and_the_task_are_working_days(app, people, new_route):
    rid = new_route("teacher1")
    tutor = people("tutor1")
    _later(app, days=6)  # Mon 07.09: six calendar days, but only 02, 03, 04 and 07.09 were working
    task = _draft(tutor, rid)
    assert task["waiting_days"] == 4
    assert "4 раб. дн." in _html(tutor, "/inbox") and "6 раб. дн." not in _html(tutor, "/inbox")
    assert "ждёт 4 раб. дн." in _html(tutor, f"/tasks/{task['id']}")
    queue = _html(tutor, "/queue")
    assert "4 раб. дн." in queue and "6 раб. дн." not in queue
    _mark(people("admin"), "2026-09-05", True, "Рабочая суббота региона")
    assert _draft(tutor, rid)["waiting_days"] == 5
    # "waiting more than N days" counts working days too
    assert f'href="/routes/{rid}"' in _html(tutor, "/queue?min_days=5")
    assert f'href="/routes/{rid}"' not in _html(tutor, "/queue?min_days=6")


def test_overdue_days_are_working_days(app, people, new_route):
    rid = new_route("teacher1")
    _later(app, days=28)  # Tue 29.09: due Mon 21.09, then 22…25 and 28, 29.09 → 6 working days late
    tutor = people("tutor1")
    assert "просрочено на 6 раб. дн." in _html(tutor, "/inbox")
    assert "просрочено на 6 раб. дн." in _html(tutor, "/queue")
    assert _draft(tutor, rid)["due_at"] < app.config["CLOCK"].now.isoformat()


def test_the_year_shows_transfers_working_saturdays_and_region_days(people):
    admin = people("admin")
    _mark(admin, "2025-05-05", False, "Региональный выходной")
    r = people("teacher1").get("/api/calendar/2025")  # anyone signed in may read it
    assert r.status_code == 200, r.get_json()
    year = r.get_json()
    days = {d["day"]: d for d in year["days"]}
    assert days["2025-05-02"]["kind"] == "transfer" and not days["2025-05-02"]["is_working"]
    assert days["2025-11-01"]["kind"] == "working_weekend" and days["2025-11-01"]["is_working"]
    assert all(not days[f"2025-01-0{d}"]["is_working"] for d in range(1, 9))
    assert days["2025-05-05"] == {"day": "2025-05-05", "is_working": False, "kind": "region_off",
                                  "reason": "Региональный выходной", "federal": "рабочий день"}
    assert year["working_days"] == 247 - 1  # 2025 has 247 working days; the region took one
    assert people("teacher1").get("/api/calendar/1990").status_code == 404


def test_region_days_are_set_replaced_and_removed_as_events_of_the_system_chain(app, people):
    admin = people("admin")
    _mark(admin, "2026-12-30", False, "Канун")
    assert _mark(admin, "2026-12-30", True, "  Передумали  ")["reason"] == "Передумали"
    r = admin.client.delete("/api/calendar/days/2026-12-30", json={"reason": "Отмена распоряжения"})
    assert r.status_code == 204
    assert admin.client.delete("/api/calendar/days/2026-12-30", json={"reason": "ещё раз"}).status_code == 404
    events = [e for e in system_events(app) if e.kind.startswith("region_day")]
    assert [e.kind for e in events] == ["region_day_set", "region_day_set", "region_day_removed"]
    assert events[1].data["before"] == {"day": "2026-12-30", "is_working": False, "reason": "Канун"}
    assert events[2].data["reason"] == "Отмена распоряжения" and events[2].actor_id == admin.id
    assert chains_intact(app)


def _region_days(app) -> int:
    with app.extensions["iom"].uow() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(RegionDay))


@pytest.mark.parametrize("body, pointer", [
    ({"is_working": False, "reason": "x"}, "/day"),
    ({"day": "2025-13-01", "is_working": False, "reason": "x"}, "/day"),
    ({"day": "01.05.2025", "is_working": False, "reason": "x"}, "/day"),
    ({"day": "2025-W01-1", "is_working": False, "reason": "x"}, "/day"),
    ({"day": "0001-01-01", "is_working": False, "reason": "x"}, "/day"),
    ({"day": "9999-12-31", "is_working": False, "reason": "x"}, "/day"),
    ({"day": 20250501, "is_working": False, "reason": "x"}, "/day"),
    ({"day": "2025-05-0\x00", "is_working": False, "reason": "x"}, "/day"),
    ({"day": "2025-05-05", "reason": "x"}, "/is_working"),
    ({"day": "2025-05-05", "is_working": "true", "reason": "x"}, "/is_working"),
    ({"day": "2025-05-05", "is_working": 1, "reason": "x"}, "/is_working"),
    ({"day": "2025-05-05", "is_working": False}, "/reason"),
    ({"day": "2025-05-05", "is_working": False, "reason": "   "}, "/reason"),
    ({"day": "2025-05-05", "is_working": False, "reason": "x" * 301}, "/reason"),
    ({"day": "2025-05-05", "is_working": False, "reason": "При\x00каз"}, "/reason"),
])
def test_bad_region_days_are_refused_per_field_in_russian_and_nothing_is_written(app, people, body, pointer):
    r = people("admin").post("/api/calendar/days", body)
    assert r.status_code == 422, r.get_json()
    problem = next(p for p in r.get_json()["problems"] if p["pointer"] == pointer)
    assert any("а" <= ch <= "я" for ch in problem["message"].lower())
    assert _region_days(app) == 0


def test_removing_needs_a_reason_and_a_real_day(app, people):
    admin = people("admin")
    _mark(admin, "2026-12-30", False)
    r = admin.client.delete("/api/calendar/days/2026-12-30", json={"reason": ""})
    assert r.status_code == 422 and r.get_json()["problems"][0]["pointer"] == "/reason"
    for day in ("0001-01-01", "9999-12-31", "2026-02-30", "junk"):
        assert admin.client.delete(f"/api/calendar/days/{day}", json={"reason": "x"}).status_code == 404
    assert _region_days(app) == 1


@pytest.mark.parametrize("login", ["head_cnppm", "auditor", "teacher1", "head_gym"])
def test_only_an_admin_changes_the_calendar(app, people, login):
    who = people(login)
    assert who.post("/api/calendar/days", {"day": "2026-12-30", "is_working": False,
                                           "reason": "x"}).status_code == 403
    assert who.client.delete("/api/calendar/days/2026-12-30", json={"reason": "x"}).status_code == 403
    assert who.get("/calendar").status_code == 403
    assert _region_days(app) == 0


def test_the_calendar_page_marks_days_and_takes_a_region_day(app, people):
    admin = people("admin")
    page = _html(admin, "/calendar?year=2025")
    assert 'data-day="2025-05-02" title="Выходной (перенесено с 04.01.2025)"' in page
    assert 'class="working_weekend" data-day="2025-11-01"' in page and 'href="/calendar"' in page
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = admin.client.post("/calendar/days?year=2025", data={"csrf_token": csrf, "day": "2025-05-05",
                                                            "is_working": "0", "reason": ""})
    assert r.status_code == 422 and "Укажите основание" in r.get_data(as_text=True)
    r = admin.client.post("/calendar/days?year=2025", data={"csrf_token": csrf, "day": "2025-05-05",
                                                            "is_working": "0", "reason": "День области"})
    assert r.status_code == 303
    page = _html(admin, "/calendar?year=2025")
    assert 'class="region_off" data-day="2025-05-05" title="День области"' in page
    r = admin.client.post("/calendar/days/2025-05-05/remove", data={"csrf_token": csrf, "reason": "Ошибка",
                                                                    "year": "2025"})
    assert r.status_code == 303 and _region_days(app) == 0


def test_a_route_whose_tasks_got_calendar_day_due_dates_still_replays(app, people, new_route):
    rid = new_route("teacher1")
    people("tutor1").do(rid, "draft")
    # Rows written before the working calendar: due = created + N calendar days.
    with app.extensions["iom"].uow() as uow:
        for task in uow.session.scalars(sa.select(Task).where(Task.route_id == rid)):
            task.due_at = task.created_at + timedelta(days=5)
        uow.commit()
    _mark(people("admin"), "2026-09-02", False, "Задним числом")  # the calendar changed since
    r = people("auditor").get(f"/api/routes/{rid}/replay")
    assert r.status_code == 200 and r.get_json()["ok"] is True, r.get_json()
    people("methodist").do(rid, "plan_signatures_methodist")
    assert people("auditor").get(f"/api/routes/{rid}/replay").get_json()["ok"] is True
