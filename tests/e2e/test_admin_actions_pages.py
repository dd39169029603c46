"""Admin interventions from the route page: reassign, cancel, correct the card, each with a required
reason and confirmation; refusals shown in the page's admin block, nothing written."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.db.models import Event, Route, Task


def _csrf(person, rid: int) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', person.get(f"/routes/{rid}").get_data(as_text=True)).group(1)


def _post(person, rid: int, action: str, **form):
    return person.client.post(f"/routes/{rid}/admin/{action}", data={"csrf_token": _csrf(person, rid), **form})


def _ready(app, rid: int) -> list[Task]:
    with app.extensions["iom"].sessions() as s:
        return list(s.scalars(sa.select(Task).where(Task.route_id == rid, Task.state == "ready")))


def _admin_events(app, rid: int) -> list[str]:
    with app.extensions["iom"].sessions() as s:
        return list(s.scalars(sa.select(Event.kind).where(Event.route_id == rid, Event.kind.like("admin_%"))))


def test_only_the_admin_sees_the_block_and_it_offers_the_people_holding_the_role(app, people, new_route):
    rid = new_route()
    html = people("admin").get(f"/routes/{rid}").get_data(as_text=True)
    assert 'id="admin-actions"' in html and "Подтверждаю" in html
    assert "Наставников Алексей Юрьевич" in html  # tutor2: the other tutor of the centre
    assert re.search(r'<option value="\d+" >Тьюторова', html) is None  # the assignee is not offered
    assert 'value="/info/full_name"' in html  # the card's fields to correct
    for login in ("head_cnppm", "tutor1", "auditor"):
        assert 'id="admin-actions"' not in people(login).get(f"/routes/{rid}").get_data(as_text=True)


def test_a_reassignment_needs_a_confirmation_and_a_reason_then_gives_the_task_away(app, people, new_route):
    admin, rid = people("admin"), new_route()
    task = _ready(app, rid)[0]
    tutor2 = app.config["PEOPLE"]["tutor2"]
    for form, says in [({"reason": "Болезнь"}, "Подтвердите действие"),
                       ({"confirm": "yes", "reason": "  "}, "Укажите причину вмешательства"),
                       ({"confirm": "yes", "reason": "Болезнь", "assignee_id": "99999"}, "Выберите исполнителя")]:
        r = _post(admin, rid, "reassign", task_id=task.id, **{"assignee_id": str(tutor2), **form})
        assert r.status_code == 422, form
        assert says in r.get_data(as_text=True) and 'id="admin-actions"' in r.get_data(as_text=True)
    assert _ready(app, rid)[0].assignee_id == task.assignee_id and _admin_events(app, rid) == []

    r = _post(admin, rid, "reassign", task_id=task.id, assignee_id=str(tutor2), reason="Болезнь", confirm="yes")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/routes/{rid}#admin-actions")
    page = admin.get(f"/routes/{rid}").get_data(as_text=True)
    assert "передана: Наставников Алексей Юрьевич" in page
    assert _ready(app, rid)[0].assignee_id == tutor2 and _admin_events(app, rid) == ["admin_reassigned"]


def test_a_card_value_is_corrected_with_its_type_kept(app, people, new_route):
    admin, rid = people("admin"), new_route()
    people("tutor1").do(rid, "draft")
    r = _post(admin, rid, "card", pointer="/info/no_such_field", value="x", reason="Опечатка", confirm="yes")
    assert r.status_code == 422 and "В карте нет поля /info/no_such_field" in r.get_data(as_text=True)
    r = _post(admin, rid, "card", pointer="/info/experience_years", value="много", reason="Опечатка", confirm="yes")
    assert r.status_code == 422 and "Это поле — число" in r.get_data(as_text=True)
    r = _post(admin, rid, "card", pointer="/info/experience_years", value="21", reason="Опечатка", confirm="yes")
    assert r.status_code == 302
    with app.extensions["iom"].sessions() as s:
        assert s.get(Route, rid).card["info"]["experience_years"] == 21
    assert "Карта исправлена: /info/experience_years" in admin.get(f"/routes/{rid}").get_data(as_text=True)


def test_cancelling_needs_a_reason_and_a_confirmation_and_stops_the_route(app, people, new_route):
    admin, rid = people("admin"), new_route()
    assert _post(admin, rid, "cancel", reason="Педагог уволился").status_code == 422
    assert _post(admin, rid, "cancel", confirm="yes", reason="").status_code == 422
    assert _ready(app, rid)
    r = _post(admin, rid, "cancel", confirm="yes", reason="Педагог уволился")
    assert r.status_code == 302 and _ready(app, rid) == []
    html = admin.get(f"/routes/{rid}").get_data(as_text=True)
    assert "Маршрут отменён" in html and 'id="admin-cancel"' not in html
    assert _post(admin, rid, "cancel", confirm="yes", reason="ещё раз").status_code == 409


@pytest.mark.parametrize("action", ["reassign", "cancel", "card"])
def test_nobody_but_the_admin_may_intervene(app, people, new_route, action):
    rid = new_route()
    head = people("head_cnppm")
    r = head.client.post(f"/routes/{rid}/admin/{action}", data={
        "csrf_token": _csrf(head, rid), "task_id": _ready(app, rid)[0].id, "reason": "x", "confirm": "yes",
        "assignee_id": str(app.config["PEOPLE"]["tutor2"]), "pointer": "/info/full_name", "value": "x"})
    assert r.status_code == 403
    assert _admin_events(app, rid) == []


@pytest.mark.parametrize("reason", ["Болезнь\x00", "Б" * 100_000])
def test_a_hostile_reason_is_refused_and_nothing_is_written(app, people, new_route, reason):
    admin, rid = people("admin"), new_route()
    r = _post(admin, rid, "cancel", confirm="yes", reason=reason)
    assert r.status_code in (413, 422)
    assert _ready(app, rid) and _admin_events(app, rid) == []
