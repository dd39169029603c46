"""The BPMN timers with a controlled clock: a signature opened on Tue 29.04.2025, before the May
holidays (1–4 and 8–11 May off), is due at the end of Mon 12.05; its reminder comes on the morning of
Wed 07.05 (one working day before the due day), its escalation on the morning of Tue 13.05 and then every
two working days (Thu 15.05, Mon 19.05) until it is signed. The worker fires them without any request;
the route page shows the next timer; replay with timer events is ok."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from service.db.models import Event, Notification, Route
from service.services import timers
from tests.support.app import HandClock, people_of, ready_app, route_opener

START = datetime(2025, 4, 29, 7, 0, tzinfo=UTC)  # 10:00 in Moscow


@pytest.fixture
def clock():
    c = HandClock()
    c.now = START
    return c


@pytest.fixture
def app(database_url, clock):
    yield from ready_app(database_url, CLOCK=clock)


@pytest.fixture
def people(app):
    return people_of(app)


def _fire(app, clock, when: datetime) -> int:
    clock.now = when
    return timers.fire_due(app.extensions["iom"], when)


def _timer_events(app, route_id: int) -> list[tuple[str, str, int, str]]:
    with app.extensions["iom"].uow() as uow:
        events = uow.session.scalars(sa.select(Event).where(Event.route_id == route_id, Event.kind == "timer_fired")
                                     .order_by(Event.seq)).all()
        return [(e.task_name, e.data["kind"], e.data["round"], e.at.astimezone(UTC).strftime("%d.%m %H:%M"))
                for e in events]


def _told(app, login: str, kind: str) -> list[str]:
    uid = app.config["PEOPLE"][login]
    with app.extensions["iom"].uow() as uow:
        return list(uow.session.scalars(sa.select(Notification.title).where(Notification.user_id == uid,
                                                                            Notification.kind == kind)))


@pytest.fixture
def signing(app, people, clock):
    """A route whose plan waits for the teacher's and the methodist's signatures since 29.04.2025."""
    route_id = route_opener(app, people)()
    people("tutor1").do(route_id, "draft")
    return route_id


def test_a_signature_before_the_may_holidays_reminds_and_escalates_on_working_days(app, people, clock, signing):
    assert _fire(app, clock, datetime(2025, 5, 6, 23, 0, tzinfo=UTC)) == 0  # 7 May, 02:00 in Moscow: not yet
    assert _fire(app, clock, datetime(2025, 5, 7, 6, 0, tzinfo=UTC)) == 2  # 09:00 on the last working day but one
    assert _told(app, "teacher1", "reminder") == ["Напоминание: «Подпись: педагог»"]
    assert _told(app, "methodist", "reminder") == ["Напоминание: «Подпись: методист»"]
    assert _fire(app, clock, datetime(2025, 5, 12, 20, 0, tzinfo=UTC)) == 0  # the due day itself: not overdue
    assert _fire(app, clock, datetime(2025, 5, 13, 6, 0, tzinfo=UTC)) == 2  # the first working day after it
    assert _told(app, "head_gym", "escalation") == ["Просрочена задача: «Подпись: педагог»"]
    assert _told(app, "head_cnppm", "escalation") == ["Просрочена задача: «Подпись: методист»"]
    assert _fire(app, clock, datetime(2025, 5, 14, 12, 0, tzinfo=UTC)) == 0
    assert _fire(app, clock, datetime(2025, 5, 15, 6, 0, tzinfo=UTC)) == 2  # every two working days
    clock.now = datetime(2025, 5, 16, 8, 0, tzinfo=UTC)
    people("teacher1").do(signing, "plan_signatures_teacher")  # done: its escalation stops
    assert _fire(app, clock, datetime(2025, 5, 19, 6, 0, tzinfo=UTC)) == 1  # Mon 19.05: the methodist's only
    assert _timer_events(app, signing) == [
        ("plan_signatures_methodist", "reminder", 1, "07.05 06:00"),
        ("plan_signatures_teacher", "reminder", 1, "07.05 06:00"),
        ("plan_signatures_methodist", "escalation", 1, "13.05 06:00"),
        ("plan_signatures_teacher", "escalation", 1, "13.05 06:00"),
        ("plan_signatures_methodist", "escalation", 2, "15.05 06:00"),
        ("plan_signatures_teacher", "escalation", 2, "15.05 06:00"),
        ("plan_signatures_methodist", "escalation", 3, "19.05 06:00"),
    ]
    assert len(_told(app, "head_cnppm", "escalation")) == 3
    auditor = people("auditor")
    r = auditor.get(f"/api/routes/{signing}/replay?documents=1")
    assert r.status_code == 200 and r.get_json()["ok"] is True, r.get_json().get("divergence")


def test_the_route_page_shows_the_next_timer(app, people, clock, signing):
    page = people("tutor1").get(f"/routes/{signing}").get_data(as_text=True)
    assert "Ближайший таймер" in page
    assert "07.05.2025 09:00" in page and "Напоминание" in page  # in the region's time
    _fire(app, clock, datetime(2025, 5, 7, 6, 0, tzinfo=UTC))
    page = people("tutor1").get(f"/routes/{signing}").get_data(as_text=True)
    assert "13.05.2025 09:00" in page and "Эскалация" in page


def test_a_due_timer_fires_before_the_submission_that_comes_after_it(app, people, clock, signing):
    """No worker ran on 7 May; the teacher signs on 8 May: the reminders were due first, and the
    history says so — but the teacher is not reminded of the task they have just done."""
    clock.now = datetime(2025, 5, 12, 7, 0, tzinfo=UTC)
    people("teacher1").do(signing, "plan_signatures_teacher")
    with app.extensions["iom"].uow() as uow:
        kinds = [(e.kind, e.task_name) for e in uow.session.scalars(
            sa.select(Event).where(Event.route_id == signing).order_by(Event.seq))][-4:]
    assert ("timer_fired", "plan_signatures_teacher") in kinds and kinds[-1][0] in ("task_completed",
                                                                                    "document_signed")
    assert _told(app, "teacher1", "reminder") == []
    assert _told(app, "methodist", "reminder") == ["Напоминание: «Подпись: методист»"]
    r = people("auditor").get(f"/api/routes/{signing}/replay")
    assert r.get_json()["ok"] is True, r.get_json()


def test_two_workers_fire_each_timer_once(app, people, clock, signing):
    when = datetime(2025, 5, 7, 6, 0, tzinfo=UTC)
    ctx = app.extensions["iom"]
    clock.now = when
    assert timers.fire_due(ctx, when) + timers.fire_due(ctx, when) == 2
    with ctx.uow() as uow:
        assert uow.session.get(Route, signing).next_timer_at.astimezone(UTC) == datetime(2025, 5, 13, 6, 0, tzinfo=UTC)


def test_a_cancelled_route_reminds_nobody(app, people, clock, signing):
    r = people("admin").post(f"/api/routes/{signing}/cancel", {"reason": "Педагог уволился"})
    assert r.status_code == 200, r.get_json()
    assert _fire(app, clock, datetime(2025, 5, 20, 6, 0, tzinfo=UTC)) == 0


def test_the_worker_fires_the_timers_without_any_request(app, people, clock, signing):
    from service.worker import Worker, make_huey

    ctx = app.extensions["iom"]
    worker = Worker(make_huey("immediate"), context=lambda: ctx, poll_s=1.0)
    clock.now = datetime(2025, 5, 7, 6, 0, tzinfo=UTC)
    assert worker.pulse_once(1000.0)  # one tick: mail (no server here: logged), digests, timers, delegations
    assert [k for _, k, _, _ in _timer_events(app, signing)] == ["reminder", "reminder"]
    assert _told(app, "teacher1", "reminder")


def test_as_of_a_timer_event_shows_what_was_armed_then(app, people, clock, signing):
    _fire(app, clock, datetime(2025, 5, 7, 6, 0, tzinfo=UTC))
    with app.extensions["iom"].uow() as uow:
        seq = uow.session.scalar(sa.select(sa.func.max(Event.seq)).where(Event.route_id == signing,
                                                                         Event.kind == "timer_fired"))
    r = people("auditor").get(f"/api/routes/{signing}/as-of/{seq}")
    assert r.status_code == 200, r.get_json()
    armed = {(t["task_name"], t["kind"]) for t in r.get_json()["state"]["timers"]}
    assert armed == {("plan_signatures_teacher", "escalation"), ("plan_signatures_methodist", "escalation")}
    page = people("auditor").get(f"/routes/{signing}/audit?as_of={seq}").get_data(as_text=True)
    assert "эскалация (plan_signatures_teacher, 13.05.2025 09:00)" in page


def test_reminders_and_escalations_arrive_by_mail_once_with_a_link_that_opens(app, people, clock, signing):
    """Through a real SMTP server: the teacher's reminder and the school head's escalation, in Russian."""
    import re

    from service.db.models import User
    from service.services import mail_dispatch
    from service.services.mail_render import DEFAULT_BASE_URL
    from tests.support.smtp import parts, smtp_server

    ctx = app.extensions["iom"]
    with ctx.uow() as uow:
        for login in ("teacher1", "head_gym"):
            uow.session.get(User, app.config["PEOPLE"][login]).email = f"{login}@school.test"
        uow.commit()
    with smtp_server() as box:
        _fire(app, clock, datetime(2025, 5, 7, 6, 0, tzinfo=UTC))
        _fire(app, clock, datetime(2025, 5, 13, 6, 0, tzinfo=UTC))
        sender = box.sender()
        try:
            while mail_dispatch.send_due(ctx, sender, limit=100, now=clock.now):
                pass
        finally:
            sender.close()
        reminders, escalations = box.to("teacher1@school.test"), box.to("head_gym@school.test")
        assert [str(m["Subject"]) for m in reminders] == ["ИОМ: Напоминание: «Подпись: педагог»"]
        assert [str(m["Subject"]) for m in escalations] == ["ИОМ: Просрочена задача: «Подпись: педагог»"]
        text, html = parts(escalations[0])
        assert "исполнитель Иванова Мария Петровна" in text and '<html lang="ru">' in html
        for login, letter in (("teacher1", reminders[0]), ("head_gym", escalations[0])):
            url = re.search(r"Открыть: (\S+)", parts(letter)[0]).group(1)
            r = people(login).get(url[len(DEFAULT_BASE_URL):])
            assert r.status_code == 200, (login, url)
