"""Notifications by e-mail through a real SMTP server (aiosmtpd in the test process): each kind
arrives once, in Russian, with HTML and text parts and a link that opens for the recipient;
preferences (at once / digest / off) are respected; a bouncing address is marked, shown to the
admin and not retried; a temporary refusal is retried later."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.db.models import EmailOutbox, Notification, User
from service.services import digests, mail_dispatch
from service.services.mail_render import DEFAULT_BASE_URL
from tests.support.smtp import parts, smtp_server


def _return(comment: str) -> dict:
    return {"decision": "return", "comment": comment}


@pytest.fixture
def box():
    with smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def mailed(app):
    """Everyone of the demo has an address <login>@school.test, except teacher4 (in-app only)."""
    ctx = app.extensions["iom"]
    with ctx.uow() as uow:
        for login, uid in app.config["PEOPLE"].items():
            if login != "teacher4":
                uow.session.get(User, uid).email = f"{login}@school.test"
        uow.commit()
    return app


def _dispatch(app, box) -> int:
    ctx = app.extensions["iom"]
    sender, total = box.sender(), 0
    try:
        while sent := mail_dispatch.send_due(ctx, sender, limit=500):
            total += sent
    finally:
        sender.close()
    return total


def _letters(box, login: str) -> list:
    return box.to(f"{login}@school.test")


def _subjects(box, login: str) -> list[str]:
    return [str(m["Subject"]) for m in _letters(box, login)]


def _follow(person, letter) -> str:
    """Open the letter's link as the recipient: the page answers 200; returns the path."""
    text, html = parts(letter)
    url = re.search(r"Открыть: (\S+)", text).group(1)
    assert url.startswith(DEFAULT_BASE_URL + "/") and f'href="{url}"' in html
    path = url[len(DEFAULT_BASE_URL):]
    r = person.client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return path


def _kinds(app, login: str) -> Counter:
    with app.extensions["iom"].uow() as uow:
        return Counter(uow.session.scalars(sa.select(Notification.kind).where(
            Notification.user_id == app.config["PEOPLE"][login])))


def test_each_kind_arrives_once_in_russian_with_a_link_that_opens(mailed, people, new_route, box):
    app = mailed
    tutor, methodist, teacher = people("tutor1"), people("methodist"), people("teacher1")
    rid = new_route()
    tutor.do(rid, "draft")
    methodist.do(rid, "plan_signatures_methodist", _return("Уточните сроки стажировки"))
    assert _dispatch(app, box) >= 3

    # A task ready for the tutor, then the methodist's return with the remarks.
    subjects = _subjects(box, "tutor1")
    assert subjects[0] == "ИОМ: Новая задача: «Составление ИОМ»"
    assert subjects[1] == "ИОМ: Возвращено на доработку: «Составление ИОМ»"
    returned = _letters(box, "tutor1")[1]
    text, html = parts(returned)
    assert "Здравствуйте, Тьюторова Светлана Андреевна!" in text and "Уточните сроки стажировки" in text
    assert "Уточните сроки стажировки" in html and '<html lang="ru">' in html
    assert _follow(tutor, returned).startswith("/tasks/")
    # The methodist returned it: they are not told of their own return.
    assert not any("Возвращено" in s for s in _subjects(box, "methodist"))

    tutor.do(rid, "draft")
    methodist.do(rid, "plan_signatures_methodist")
    teacher.do(rid, "plan_signatures_teacher")
    people("head_cnppm").do(rid, "agreement")
    people("head_gym").do(rid, "approval")  # the map is issued with the school head's approval
    box.clear()
    _dispatch(app, box)
    issued = [m for m in _letters(box, "teacher1") if "Документ выпущен" in str(m["Subject"])]
    assert [str(m["Subject"]) for m in issued] == ["ИОМ: Документ выпущен: Карта ИОМ"]
    assert "подписан(а) всеми участниками" in parts(issued[0])[0]
    assert _follow(teacher, issued[0]) == f"/routes/{rid}"
    assert any("Документ выпущен" in s for s in _subjects(box, "methodist"))
    assert not any("Документ выпущен" in s for s in _subjects(box, "head_gym"))  # who issued it

    tutor.do(rid, "implementation", {"next": "conclude"})
    tutor.do(rid, "final_results")
    methodist.do(rid, "conclusions")
    methodist.do(rid, "conclusion_signatures_methodist")
    people("head_gym").do(rid, "conclusion_signatures_school_head")
    teacher.do(rid, "acknowledge")
    box.clear()
    _dispatch(app, box)
    finished = [m for m in box.messages if "Маршрут завершён" in str(m["Subject"])]
    told = sorted(str(m["To"]).split("@")[0] for m in finished)
    assert told == ["head_cnppm", "head_gym", "methodist", "tutor1"]  # not the teacher, who finished it
    assert _follow(tutor, _letters(box, "tutor1")[-1]) == f"/routes/{rid}"

    # Exactly once: one letter per queued notification, distinct ids; a second round sends nothing.
    with app.extensions["iom"].uow() as uow:
        queued = uow.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                    .where(Notification.email == "queued"))
        states = Counter(uow.session.scalars(sa.select(EmailOutbox.state)))
    assert states == {"sent": queued}
    assert set(box.message_ids().values()) == {1}
    box.clear()
    assert _dispatch(app, box) == 0 and box.messages == []
    assert set(_kinds(app, "tutor1")) == {"task_ready", "returned", "route_finished"}
    assert set(_kinds(app, "methodist")) == {"task_ready", "document_issued", "route_finished"}


def test_a_prolonged_route_tells_its_people_with_a_link_to_the_next_route(mailed, people, new_route, box):
    app = mailed
    rid = new_route("teacher2")
    tutor, methodist = people("tutor1"), people("methodist")
    for who, name in [(tutor, "draft"), (methodist, "plan_signatures_methodist"),
                      (people("teacher2"), "plan_signatures_teacher"), (people("head_cnppm"), "agreement"),
                      (people("head_gym"), "approval")]:
        who.do(rid, name)
    tutor.do(rid, "implementation", {"next": "conclude"})
    tutor.do(rid, "final_results")
    methodist.do(rid, "conclusions", {"outcome": "prolong", "text": "Дефицит сохраняется",
                                      "prolong_reason": "Стажировка перенесена", "prolong_until": "2026-05-31"})
    methodist.do(rid, "conclusion_signatures_methodist")
    people("head_gym").do(rid, "conclusion_signatures_school_head")
    result = people("teacher2").do(rid, "acknowledge")
    _dispatch(app, box)
    prolonged = [m for m in _letters(box, "methodist") if "Маршрут продлён" in str(m["Subject"])]
    assert len(prolonged) == 1
    assert f"№ {result['next_route_id']}" in parts(prolonged[0])[0]
    assert _follow(methodist, prolonged[0]) == f"/routes/{result['next_route_id']}"
    # The tutor's draft on the new route: a task of its own.
    assert any(s == "ИОМ: Новая задача: «Составление ИОМ»" for s in _subjects(box, "tutor1"))


def test_off_sends_no_letter_but_keeps_it_in_the_app_and_no_address_means_in_app_only(mailed, people, new_route,
                                                                                      box):
    app = mailed
    tutor = people("tutor1")
    r = tutor.client.put("/api/notifications/settings", json={"digest_hour": 8, "modes": {"task_ready": "off"}})
    assert r.status_code == 200, r.get_json()
    rid = new_route()
    new_route("teacher4")  # teacher4 has no address
    tutor.do(rid, "draft")
    _dispatch(app, box)
    assert _subjects(box, "tutor1") == []
    mine = tutor.get("/api/notifications").get_json()
    assert mine["unread"] == 2 and {n["kind"] for n in mine["notifications"]} == {"task_ready"}
    assert _subjects(box, "teacher1") == ["ИОМ: Новая задача: «Подпись: педагог»"]
    assert not box.to("teacher4")


def test_a_digest_waits_for_the_hour_then_groups_the_day_in_one_letter(mailed, people, new_route, box):
    app = mailed
    ctx = app.extensions["iom"]
    teacher = people("teacher1")
    r = teacher.client.put("/api/notifications/settings", json={"digest_hour": 18, "modes": {"task_ready": "digest"}})
    assert r.status_code == 200 and r.get_json()["digest_hour"] == 18
    for _ in range(2):
        rid = new_route()
        people("tutor1").do(rid, "draft")
    _dispatch(app, box)
    assert _subjects(box, "teacher1") == []  # not at once

    clock = ctx.clock  # the app's FakeClock: moved by hand to the evening
    day = clock.now.replace(hour=0, minute=0, second=0, microsecond=0)  # 2026-09-01, UTC
    clock.now = day + timedelta(hours=14, minutes=58)  # 17:59 in Moscow at the next reading
    assert digests.queue_due_digests(ctx) == 0
    _dispatch(app, box)
    assert _subjects(box, "teacher1") == []

    clock.now = day + timedelta(hours=15, minutes=5)  # 18:06 in Moscow
    assert digests.queue_due_digests(ctx) == 1
    assert digests.queue_due_digests(ctx) == 0  # run again: nothing more
    _dispatch(app, box)
    [letter] = _letters(box, "teacher1")
    assert str(letter["Subject"]) == "ИОМ: уведомления за 01.09.2026 (2)"
    text, html = parts(letter)
    assert text.count("Новая задача: «Подпись: педагог»") == 2 and html.count("Подпись: педагог") == 2
    assert _follow(teacher, letter).startswith("/tasks/")
    assert teacher.get("/api/notifications").get_json()["unread"] == 2  # still in the app


def test_a_bouncing_address_is_marked_shown_to_the_admin_and_not_retried(mailed, people, new_route, box):
    app = mailed
    box.refuse("teacher1@school.test")
    rid = new_route()
    people("tutor1").do(rid, "draft")
    _dispatch(app, box)
    assert _subjects(box, "teacher1") == [] and _subjects(box, "methodist")
    uid = app.config["PEOPLE"]["teacher1"]
    with app.extensions["iom"].uow() as uow:
        user = uow.session.get(User, uid)
        assert user.email_bounced_at is not None and "550" in user.email_bounce
        row = uow.session.scalar(sa.select(EmailOutbox).where(EmailOutbox.user_id == uid))
        assert row.state == "failed" and row.attempts == 1
    page = people("admin").get(f"/people/{uid}").get_data(as_text=True)
    assert "Адрес не принимается почтой" in page
    assert "Адрес не принимается почтой" not in people("admin").get(
        f"/people/{app.config['PEOPLE']['methodist']}").get_data(as_text=True)
    settings = people("teacher1").get("/notifications/settings").get_data(as_text=True)
    assert "не принимает адрес teacher1@school.test" in settings

    # Not retried, and nothing more is queued for the address; the app still tells the teacher.
    box.refuse("nobody@x")  # keep the server otherwise as it was
    _dispatch(app, box)
    rid2 = new_route()
    people("tutor1").do(rid2, "draft")
    _dispatch(app, box)
    assert _subjects(box, "teacher1") == []
    with app.extensions["iom"].uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(EmailOutbox)
                                  .where(EmailOutbox.user_id == uid)) == 1
    assert people("teacher1").get("/api/notifications").get_json()["unread"] == 2

    # The admin fixes the address: letters go to it again.
    r = people("admin").client.patch(f"/api/people/{uid}", json={"email": "maria.ivanova@school.test"})
    assert r.status_code == 200, r.get_json()
    with app.extensions["iom"].uow() as uow:
        assert uow.session.get(User, uid).email_bounced_at is None


def test_a_temporary_refusal_is_retried_after_a_backoff_and_arrives_once(mailed, people, new_route, box):
    app = mailed
    ctx = app.extensions["iom"]
    new_route()  # the tutor's draft: one letter
    box.fail_next(1)  # 451 once
    now = ctx.clock()
    assert mail_dispatch.send_due(ctx, box.sender(), now=now) == 0
    with ctx.uow() as uow:
        row = uow.session.scalar(sa.select(EmailOutbox))
        assert row.state == "pending" and row.attempts == 1 and row.last_error.startswith("451")
        assert row.next_attempt_at == now + timedelta(minutes=1)
    assert mail_dispatch.send_due(ctx, box.sender(), now=now + timedelta(seconds=30)) == 0  # not yet due
    assert mail_dispatch.send_due(ctx, box.sender(), now=now + timedelta(minutes=1)) == 1
    assert _subjects(box, "tutor1") == ["ИОМ: Новая задача: «Составление ИОМ»"]
    assert mail_dispatch.send_due(ctx, box.sender(), now=now + timedelta(hours=2)) == 0
    assert len(box.messages) == 1
