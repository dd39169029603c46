"""The teacher's information sheet: theirs to keep, their tutor's to edit, prefilled into a new
route's draft and frozen into the card once submitted."""

from __future__ import annotations

import copy
import re

import pytest
import sqlalchemy as sa

from service.db.models import Event
from tests.support.centres import add_second_centre


def _sheet(person, teacher_id):
    r = person.get(f"/api/teachers/{teacher_id}/sheet")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _put(person, teacher_id, info):
    return person.client.put(f"/api/teachers/{teacher_id}/sheet", json={"info": info})


def _events(app) -> int:
    with app.extensions["iom"].uow() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(Event))


def _edited(sheet: dict, **changes) -> dict:
    info = copy.deepcopy(sheet["info"])
    info.update(changes)
    return info


def test_the_teacher_edits_their_own_sheet_and_it_is_no_route_event(app, people):
    teacher = people("teacher1")
    tid = teacher.id
    sheet = _sheet(teacher, tid)
    assert sheet["can_edit"] and sheet["info"]["full_name"] == "Иванова Мария Петровна"
    assert sheet["updated_at"] is None
    before = _events(app)
    r = _put(teacher, tid, _edited(sheet, education="высшее, ВГПУ, 2009 & «магистратура» 2015",
                                   full_name="Кто-то Другой"))
    assert r.status_code == 200, r.get_json()
    saved = r.get_json()
    assert saved["info"]["education"] == "высшее, ВГПУ, 2009 & «магистратура» 2015"
    assert saved["info"]["full_name"] == "Иванова Мария Петровна"  # the name is the person record's
    assert saved["updated_by"] == {"id": tid, "name": "Иванова Мария Петровна"} and saved["updated_at"]
    assert _events(app) == before


def test_the_tutor_of_a_route_edits_the_sheet_others_only_read_it(app, people, new_route):
    tid = people("teacher1").id
    assert _put(people("tutor1"), tid, _sheet(people("teacher1"), tid)["info"]).status_code == 403
    new_route("teacher1", "tutor1")
    sheet = _sheet(people("tutor1"), tid)
    assert sheet["can_edit"]
    r = _put(people("tutor1"), tid, _edited(sheet, awards="Грамота Минпросвещения (2025)"))
    assert r.status_code == 200 and r.get_json()["updated_by"]["name"] == "Тьюторова Светлана Андреевна"
    for login in ("methodist", "head_cnppm", "head_gym", "admin", "auditor"):
        seen = _sheet(people(login), tid)
        assert not seen["can_edit"] and seen["info"]["awards"] == "Грамота Минпросвещения (2025)"
    r = _put(people("methodist"), tid, sheet["info"])
    assert r.status_code == 403 and r.get_json()["error"] == "Справку изменяют сам педагог и его тьютор"


def test_people_out_of_reach_learn_nothing(app, people):
    add_second_centre(app)
    tid = people("teacher1").id
    for login in ("tutor2", "teacher2", "head_sch", "head2"):
        r = people(login).get(f"/api/teachers/{tid}/sheet")
        assert r.status_code == 403 and "Иванова" not in r.get_data(as_text=True), login
        assert _put(people(login), tid, {"education": "x"}).status_code == 403
    assert people("head_cnppm").get("/api/teachers/2147483647/sheet").status_code == 404
    assert people("head_cnppm").get("/api/teachers/2147483648/sheet").status_code == 404
    assert people("head_cnppm").get(f"/api/teachers/{people('tutor1').id}/sheet").status_code == 404  # not a teacher


@pytest.mark.parametrize(("change", "pointer"), [
    (lambda i: i.pop("education"), "/info/education"),
    (lambda i: i.update(experience_years="десять"), "/info/experience_years"),
    (lambda i: i.update(experience_years=71), "/info/experience_years"),
    (lambda i: i.update(category="лучшая"), "/info/category"),
    (lambda i: i.update(attestation_date="20.12.2021"), "/info/attestation_date"),
    (lambda i: i.update(awards="я" * 4001), "/info/awards"),
    (lambda i: i.update(hobby="рыбалка"), "/info/hobby"),
    (lambda i: i["courses"][0].pop("hours"), "/info/courses/0/hours"),
    (lambda i: i.update(education="\u0000"), "/info/education"),
])
def test_a_bad_sheet_gets_a_russian_message_at_its_field_and_changes_nothing(people, change, pointer):
    teacher = people("teacher1")
    sheet = _sheet(teacher, teacher.id)
    info = copy.deepcopy(sheet["info"])
    change(info)
    r = _put(teacher, teacher.id, info)
    assert r.status_code == 422, r.get_json()
    problems = {p["pointer"]: p["message"] for p in r.get_json()["problems"]}
    assert pointer in problems and re.match(r"[А-ЯЁ]", problems[pointer]), problems
    assert _sheet(teacher, teacher.id) == sheet


@pytest.mark.parametrize("body", [{}, {"info": "всё"}, {"info": [1]}, []])
def test_a_body_without_an_info_object_gets_422(people, body):
    teacher = people("teacher1")
    r = teacher.client.put(f"/api/teachers/{teacher.id}/sheet", json=body)
    assert r.status_code == 422 and r.get_json()["problems"] or r.status_code == 400


def test_the_draft_takes_the_current_sheet_and_the_card_keeps_what_was_submitted(app, people, new_route):
    teacher, tutor = people("teacher1"), people("tutor1")
    rid = new_route("teacher1", "tutor1")
    sheet = _sheet(teacher, teacher.id)
    assert _put(teacher, teacher.id, _edited(sheet, category="высшая", experience_years=15)).status_code == 200
    draft = tutor.view(tutor.task(rid, "draft")["id"])
    assert draft["prefill"]["info"]["category"] == "высшая" and draft["prefill"]["info"]["experience_years"] == 15
    submitted = copy.deepcopy(draft["prefill"])
    from service.samples import VALID

    for key in ("period", "entry_diagnostics", "activities", "final_events"):
        submitted[key] = copy.deepcopy(VALID["draft"][key])
    tutor.do(rid, "draft", submitted)
    people("methodist").do(rid, "plan_signatures_methodist")
    route = tutor.get(f"/api/routes/{rid}").get_json()
    docs = tutor.get(f"/api/routes/{rid}/documents").get_json()["documents"]
    # Later edits of the sheet change neither the card nor any document.
    assert _put(teacher, teacher.id, _edited(sheet, category="первая", education="другое")).status_code == 200
    assert tutor.get(f"/api/routes/{rid}").get_json()["card"] == route["card"]
    assert route["card"]["info"]["category"] == "высшая"
    assert tutor.get(f"/api/routes/{rid}/documents").get_json()["documents"] == docs
    people("teacher1").do(rid, "plan_signatures_teacher")
    assert tutor.get(f"/api/routes/{rid}").get_json()["card"]["info"]["category"] == "высшая"


# ---- the page ------------------------------------------------------------------------------------
def test_the_page_edits_the_sheet_and_shows_messages_at_the_fields(people):
    teacher = people("teacher1")
    html = teacher.get(f"/teachers/{teacher.id}/sheet").get_data(as_text=True)
    assert "Информационная справка о педагоге" in html and 'name="/info/education"' in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    fields = dict(re.findall(r'name="(/info/[^"]+)"[^>]*value="([^"]*)"', html))
    form = {**fields, "csrf_token": csrf, "/info/education": "высшее <педагогическое>",
            "/info/category": "высшая", "/info/position": "учитель математики"}
    r = teacher.client.post(f"/teachers/{teacher.id}/sheet", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)
    assert _sheet(teacher, teacher.id)["info"]["education"] == "высшее <педагогическое>"
    r = teacher.client.post(f"/teachers/{teacher.id}/sheet", data={**form, "/info/education": ""})
    assert r.status_code == 422 and "Справка не сохранена" in r.get_data(as_text=True)


def test_the_page_is_read_only_for_readers_and_refused_to_outsiders(people, new_route):
    tid = people("teacher1").id
    new_route("teacher1", "tutor1")
    html = people("methodist").get(f"/teachers/{tid}/sheet").get_data(as_text=True)
    assert "Иванова Мария Петровна" in html and "<form method=\"post\" action=\"/teachers" not in html
    assert people("teacher2").get(f"/teachers/{tid}/sheet").status_code == 403
    assert people("methodist").post(f"/teachers/{tid}/sheet", {}).status_code in (400, 403)
