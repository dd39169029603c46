"""In-app notifications: the bell's count, /notifications (open marks read and goes to the task,
mark one or all read, pages), /notifications/settings, and /api/notifications — each person sees
and changes only their own; bad input gets a Russian 4xx at the field and changes nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.db.models import Notification, NotificationPref
from service.services.notification_center import PER_PAGE


def _csrf(person, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', person.get(url).get_data(as_text=True)).group(1)


def _bell(person) -> str:
    page = person.get("/inbox").get_data(as_text=True)
    return re.search(r'<a href="/notifications" class="bell[^"]*"[^>]*aria-label="([^"]+)"', page).group(1)


def _problem(r, pointer: str) -> str:
    assert r.status_code == 422, (r.status_code, r.get_json())
    found = [p["message"] for p in r.get_json()["problems"] if p["pointer"] == pointer]
    assert found, r.get_json()
    return found[0]


def test_the_bell_counts_and_opening_a_notification_marks_it_read_and_goes_to_the_task(people, new_route):
    tutor = people("tutor1")
    assert _bell(tutor) == "Уведомления"
    rid = new_route()
    new_route("teacher2")
    assert _bell(tutor) == "Уведомления, непрочитанных: 2"
    page = tutor.get("/notifications").get_data(as_text=True)
    assert page.count("Новая задача: «Составление ИОМ»") == 2 and page.count('class="notif card unread"') == 2

    listed = tutor.get("/api/notifications").get_json()
    first = next(n for n in listed["notifications"] if n["route_id"] == rid)
    token = _csrf(tutor, "/notifications")
    r = tutor.client.post(f"/notifications/{first['id']}/open", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == first["link"] and first["link"].startswith("/tasks/")
    assert tutor.get(first["link"]).status_code == 200
    assert _bell(tutor) == "Уведомления, непрочитанных: 1"
    header = tutor.client.environ_base.pop("HTTP_X_CSRFTOKEN")  # a form without its token is refused
    assert tutor.client.post(f"/notifications/{first['id']}/open", data={}).status_code == 400
    tutor.client.environ_base["HTTP_X_CSRFTOKEN"] = header

    r = tutor.client.post("/notifications/read-all", data={"csrf_token": token}, follow_redirects=True)
    assert "Отмечено прочитанными: 1." in r.get_data(as_text=True)
    assert _bell(tutor) == "Уведомления" and tutor.get("/api/notifications").get_json()["unread"] == 0


def test_one_is_marked_read_from_the_list_and_pages_hold_twenty(people, new_route, app):
    tutor = people("tutor1")
    new_route()
    ids = app.config["PEOPLE"]
    with app.extensions["iom"].uow() as uow:  # 24 more, as if from a busy month
        at = uow.session.scalar(sa.select(Notification.created_at))
        for i in range(24):
            uow.session.add(Notification(user_id=ids["tutor1"], kind="task_ready", title=f"Задача {i}", body="",
                                         link="/inbox", created_at=at, email="none"))
        uow.commit()
    listed = tutor.get("/api/notifications").get_json()
    assert (listed["total"], listed["pages"], len(listed["notifications"])) == (25, 2, PER_PAGE)
    second = tutor.get("/api/notifications?page=2").get_json()
    assert len(second["notifications"]) == 5 and second["page"] == 2
    assert "Страница 2 из 2" in tutor.get("/notifications?page=2").get_data(as_text=True)

    one = listed["notifications"][0]
    r = tutor.client.post(f"/notifications/{one['id']}/read", data={"csrf_token": _csrf(tutor, "/notifications")})
    assert r.status_code == 302
    assert tutor.get("/api/notifications").get_json()["unread"] == 24
    r = tutor.post(f"/api/notifications/{listed['notifications'][1]['id']}/read")
    assert r.status_code == 200 and r.get_json()["unread"] is False and r.get_json()["read_at"]
    assert tutor.post("/api/notifications/read-all").get_json() == {"marked": 23}


def test_another_persons_notification_is_not_found_and_ids_out_of_range_are_404(people, new_route):
    rid = new_route()
    tutor_note = people("tutor1").get("/api/notifications").get_json()["notifications"][0]
    other = people("tutor2")
    assert other.post(f"/api/notifications/{tutor_note['id']}/read").status_code == 404
    token = _csrf(other, "/notifications")
    r = other.client.post(f"/notifications/{tutor_note['id']}/open", data={"csrf_token": token})
    assert r.status_code == 404 and "Составление" not in r.get_data(as_text=True)
    for bad in ("0", "2147483648", "99999999999999999999", "-1", "abc"):
        assert other.post(f"/api/notifications/{bad}/read").status_code == 404, bad
    assert other.get("/api/notifications").get_json()["notifications"] == []
    assert "?page" in [p["pointer"] for p in other.get("/api/notifications?page=abc").get_json()["problems"]]
    assert other.get("/api/notifications?page=99999999999").status_code == 422
    assert people("tutor1").get("/api/notifications").get_json()["unread"] == 1  # untouched
    assert rid


def test_settings_are_saved_and_bad_ones_refused_in_russian_changing_nothing(people, app):
    teacher = people("teacher1")
    got = teacher.get("/api/notifications/settings").get_json()
    assert got["digest_hour"] == 8 and got["email"] is None and got["email_bounced"] is False
    assert [k["mode"] for k in got["kinds"]] == ["instant"] * 6
    put = teacher.client.put
    r = put("/api/notifications/settings", json={"digest_hour": 7, "modes": {"returned": "digest", "reminder": "off"}})
    assert r.status_code == 200, r.get_json()
    modes = {k["kind"]: k["mode"] for k in r.get_json()["kinds"]}
    assert modes["returned"] == "digest" and modes["reminder"] == "off" and modes["task_ready"] == "instant"

    for body, pointer in [
        ({"digest_hour": 24}, "/digest_hour"),
        ({"digest_hour": -1}, "/digest_hour"),
        ({"digest_hour": "8"}, "/digest_hour"),
        ({"digest_hour": True}, "/digest_hour"),
        ({}, "/digest_hour"),
        ({"digest_hour": 8, "modes": {"task_ready": "weekly"}}, "/modes"),
        ({"digest_hour": 8, "modes": {"spam": "off"}}, "/modes"),
        ({"digest_hour": 8, "modes": {"task_ready": "off\u0000"}}, "/modes"),
        ({"digest_hour": 8, "modes": ["off"]}, "/modes"),
    ]:
        r = put("/api/notifications/settings", json=body)
        assert r.status_code == 422, (body, r.get_json())
        assert any(p["pointer"].startswith(pointer) and re.search("[а-я]", p["message"])
                   for p in r.get_json()["problems"]), (body, r.get_json())
    assert put("/api/notifications/settings", data="x", content_type="text/plain").status_code == 415
    assert put("/api/notifications/settings", data="{", content_type="application/json").status_code == 400
    assert put("/api/notifications/settings", json={"digest_hour": 8, "modes": {"x" * 100_000: "off"}}
               ).status_code == 422
    assert teacher.get("/api/notifications/settings").get_json()["digest_hour"] == 7
    with app.extensions["iom"].uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(NotificationPref)) == 2

    anonymous = app.test_client()
    assert anonymous.get("/api/notifications").status_code == 401
    assert anonymous.get("/notifications").status_code in (302, 401)


def test_the_settings_page_saves_the_choice_and_the_hour(people):
    teacher = people("teacher1")
    page = teacher.get("/notifications/settings").get_data(as_text=True)
    assert "Настройки уведомлений" in page and "не указан адрес электронной почты" in page
    token = _csrf(teacher, "/notifications/settings")
    r = teacher.client.post("/notifications/settings", data={"csrf_token": token, "digest_hour": "19",
                                                             "mode_task_ready": "digest", "mode_returned": "off"},
                            follow_redirects=True)
    assert "Настройки уведомлений сохранены." in r.get_data(as_text=True)
    got = teacher.get("/api/notifications/settings").get_json()
    assert got["digest_hour"] == 19 and {k["kind"]: k["mode"] for k in got["kinds"]}["returned"] == "off"
    r = teacher.client.post("/notifications/settings", data={"csrf_token": token, "digest_hour": "25",
                                                             "mode_task_ready": "sometimes"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "Час сводки — целое число от 0 до 23" in body and "instant, digest или off" in body
    assert teacher.get("/api/notifications/settings").get_json()["digest_hour"] == 19


@pytest.mark.parametrize("path", ["/notifications", "/notifications/settings"])
def test_the_pages_render_for_someone_with_nothing(people, path):
    r = people("auditor").get(path)
    assert r.status_code == 200 and "Уведомлени" in r.get_data(as_text=True)
