"""The auditor's page of a route: verification, replay, and stepping through the events to see
the route (open tasks, documents, diagram position) as it stood after each."""

from __future__ import annotations

import re

import sqlalchemy as sa

from service.db.models import Document, Route

DRAFT_DONE = ["plan_signatures_methodist", "plan_signatures_teacher"]


def _html(person, url: str) -> str:
    r = person.get(url)
    assert r.status_code == 200 and r.mimetype == "text/html", (url, r.status_code)
    return r.get_data(as_text=True)


def _section(html: str, element_id: str) -> str:
    """The markup from the element with this id up to the next element with an id."""
    start = html.index(f'id="{element_id}"') + 1
    end = html.find(' id="', start)
    return html[start:end if end > 0 else None]


def _seq(people, rid: int, kind: str, task_name: str | None = None) -> int:
    events = people("auditor").get(f"/api/routes/{rid}/events").get_json()["events"]
    return next(e["seq"] for e in events if e["kind"] == kind and (task_name is None or e["task_name"] == task_name))


def test_the_auditor_sees_the_route_intact_and_steps_through_it(people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    auditor = people("auditor")

    page = _html(auditor, f"/routes/{rid}/audit")
    assert "Цепочка событий цела" in page and "Повтор совпадает с историей" in page
    assert f"Педагог: Иванова Мария Петровна · этап: Составление и подписание плана · маршрут № {rid}" in page
    for url in (f"/api/routes/{rid}/export.json", f"/api/routes/{rid}/export.csv",
                f"/api/routes/{rid}/certificate.docx", f"/api/routes/{rid}/certificate.pdf", f"/routes/{rid}"):
        assert f'href="{url}"' in page, url
    last = _seq(people, rid, "task_completed", "plan_signatures_methodist")
    assert f"Событие № {last} из {last}" in page  # the last event by default
    assert "Подпись: педагог" in _section(page, "open-tasks")
    assert "Методистова Ирина Львовна" in _section(page, "documents-as-of")  # her signature on the karta
    assert f'href="?as_of={last - 1}"' in page and 'id="next"' in page

    # Right after the draft: both plan signatures wait; the karta is prepared, unsigned.
    draft = _seq(people, rid, "task_completed", "draft")
    page = _html(auditor, f"/routes/{rid}/audit?as_of={draft}")
    waiting = _section(page, "open-tasks")
    assert "Подпись: методист" in waiting and "Подпись: педагог" in waiting
    assert "Методистова Ирина Львовна" in waiting and "Иванова Мария Петровна" in waiting
    assert "Карта ИОМ" not in _section(page, "documents-as-of")  # prepared by the next event
    documents = _section(_html(auditor, f"/routes/{rid}/audit?as_of={draft + 1}"), "documents-as-of")
    assert "Карта ИОМ" in documents and "на подписи" in documents and "Методистова" not in documents
    assert 'id="activities"' in page  # the card as the tutor left it
    assert f"/routes/{rid}/audit/diagram.json?as_of={draft}" in page
    diagram = auditor.get(f"/routes/{rid}/audit/diagram.json?as_of={draft}").get_json()
    assert diagram["current"] == DRAFT_DONE and diagram["done"] == ["draft"] and "bpmn" in diagram["xml"]

    # The first event: only the draft waits, nothing is done, no card yet.
    page = _html(auditor, f"/routes/{rid}/audit?as_of=1")
    waiting = _section(page, "open-tasks")
    assert "Составление ИОМ — Тьюторова Светлана Андреевна" in waiting and "Подпись" not in waiting
    assert "Мероприятий в карте ещё нет" in page
    assert 'aria-disabled="true"' in page.split('id="prev"')[1][:200]
    diagram = auditor.get(f"/routes/{rid}/audit/diagram.json?as_of=1").get_json()
    assert diagram == {**diagram, "current": ["draft"], "done": []}
    # Out of range: the nearest event.
    assert f"Событие № {last} из {last}" in _html(auditor, f"/routes/{rid}/audit?as_of=999")
    assert "Событие № 1 из" in _html(auditor, f"/routes/{rid}/audit?as_of=0")
    diagram = auditor.get(f"/routes/{rid}/audit/diagram.json").get_json()
    assert diagram["current"] == ["plan_signatures_teacher"] and diagram["done"] == ["draft",
                                                                                    "plan_signatures_methodist"]
    assert _html(people("admin"), f"/routes/{rid}/audit")


def test_the_page_shows_what_verification_and_replay_found(app, people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    with app.extensions["iom"].sessions() as s:
        route = s.get(Route, rid)
        route.card = {**route.card, "info": {**route.card["info"], "full_name": "Подменённое Имя"}}
        doc = s.scalar(sa.select(Document).where(Document.route_id == rid, Document.kind == "karta"))
        s.execute(sa.update(Document).where(Document.id == doc.id).values(content=doc.content + b"x"))
        s.commit()
    page = _html(people("auditor"), f"/routes/{rid}/audit")
    verification, replay = _section(page, "verification"), _section(page, "replay")
    assert "Обнаружены расхождения" in verification and "файл изменён" in verification
    assert "Повтор расходится с историей" in replay and "карта в базе отличается" in replay
    assert "Цепочка событий цела" not in page and "Повтор совпадает" not in page


def test_only_auditors_and_admins_see_it(people, new_route):
    rid = new_route()
    for login in ("head_cnppm", "teacher1", "tutor1"):
        for url in (f"/routes/{rid}/audit", f"/routes/{rid}/audit?as_of=1", f"/routes/{rid}/audit/diagram.json"):
            r = people(login).get(url)
            assert r.status_code == 403 and r.mimetype == "text/html", (login, url)
            assert "Доступ запрещён" in r.get_data(as_text=True)
    assert people("auditor").get("/routes/999999/audit").status_code == 404
    assert people("auditor").get("/routes/999999/audit/diagram.json").status_code == 404
    anonymous = people("auditor").client.application.test_client()
    r = anonymous.get(f"/routes/{rid}/audit")
    assert r.status_code == 302 and re.search(r"/login\?next=", r.headers["Location"])


def test_the_page_at_the_last_event_replays_the_route_once(people, new_route, monkeypatch):
    """The whole replay and the state after the last event are one and the same re-execution."""
    from service.services import audit_replay

    rid = new_route()
    people("tutor1").do(rid, "draft")
    calls = []
    real = audit_replay._replayed  # (ctx, session, route, events, upto, step): every replay goes through it
    monkeypatch.setattr(audit_replay, "_replayed", lambda *a: calls.append(a[4]) or real(*a))
    html = _html(people("auditor"), f"/routes/{rid}/audit")
    assert calls == [None] and "Ожидали после этого события" in html
    calls.clear()
    _html(people("auditor"), f"/routes/{rid}/audit?as_of=1")  # an earlier event: its own replay up to it
    assert calls == [None, 1]
