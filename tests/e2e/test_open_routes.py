"""Opening several routes at once under one order (POST /api/route-batches, and the page)."""

from __future__ import annotations

import io

import pytest
from docx import Document as Docx

from tests.support.centres import add_second_centre

PERIOD = {"start": "2026-09-01", "end": "2027-05-31"}


def _batch(app, *pairs, methodist="methodist", period=None):
    ids = app.config["PEOPLE"]
    return {"teachers": [{"teacher_id": ids[t], "tutor_id": ids[u]} for t, u in pairs],
            "methodist_id": ids[methodist], "period": dict(period or PERIOD)}


def _counts(app):
    import sqlalchemy as sa

    from service.db.models import Document, Event, Route, RouteOrder

    with app.extensions["iom"].uow() as uow:
        s = uow.session
        return tuple(s.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Route, RouteOrder, Document, Event))


def _docx_text(data: bytes) -> str:
    doc = Docx(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_three_teachers_get_routes_under_one_order_listing_them_all(app, people):
    head = people("head_cnppm")
    r = head.post("/api/route-batches", _batch(app, ("teacher1", "tutor1"), ("teacher2", "tutor1"),
                                               ("teacher3", "tutor2")))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    order = body["order"]
    assert order["number"] == f"{order['id']}/ИОМ"
    assert [(a["teacher"], a["tutor"]) for a in order["assignments"]] == [
        ("Иванова Мария Петровна", "Тьюторова Светлана Андреевна"),
        ("Петров Николай «Ник» Сергеевич", "Тьюторова Светлана Андреевна"),
        ("Сидорова Анна-Мария Олеговна", "Наставников Алексей Юрьевич")]
    assert len(body["routes"]) == 3
    for route_ref, tutor in zip(body["routes"], ("tutor1", "tutor1", "tutor2"), strict=True):
        route = head.get(f"/api/routes/{route_ref['id']}").get_json()
        assert route["tutor"]["id"] == app.config["PEOPLE"][tutor] and route["card"]["period"] == PERIOD
        docs = head.get(f"/api/routes/{route_ref['id']}/documents").get_json()["documents"]
        prikaz = [d for d in docs if d["kind"] == "prikaz_tutor"]
        assert len(prikaz) == 1 and prikaz[0]["state"] == "issued"
        text = _docx_text(head.get(prikaz[0]["files"]["issued_docx"]).data)
        assert f"№ {order['number']}" in text
        for name in ("Иванова Мария Петровна", "Петров Николай «Ник» Сергеевич", "Сидорова Анна-Мария Олеговна",
                     "МБОУ «СОШ № 12 им. А. С. Пушкина» г. Энска", "Наставников Алексей Юрьевич"):
            assert name in text
    # The tutor's draft is prefilled with the period the order set.
    tutor = people("tutor1")
    draft = tutor.view(tutor.task(body["routes"][0]["id"], "draft")["id"])
    assert draft["prefill"]["period"] == PERIOD


def test_one_bad_teacher_opens_nothing_and_writes_no_order(app, people):
    before = _counts(app)
    ids = app.config["PEOPLE"]
    body = _batch(app, ("teacher1", "tutor1"), ("teacher2", "tutor1"), ("teacher3", "tutor2"))
    body["teachers"][2]["tutor_id"] = ids["methodist"]  # not a tutor
    r = people("head_cnppm").post("/api/route-batches", body)
    assert r.status_code == 422
    assert r.get_json()["problems"] == [{"pointer": "/teachers/2/tutor_id",
                                         "message": "Тьютор не найден среди активных тьюторов ЦНППМ"}]
    assert _counts(app) == before


def test_a_teacher_with_a_route_in_work_is_named_and_refused(app, people, new_route):
    new_route("teacher2")
    r = people("head_cnppm").post("/api/route-batches", _batch(app, ("teacher1", "tutor1"), ("teacher2", "tutor1")))
    assert r.status_code == 422
    assert r.get_json()["problems"] == [{"pointer": "/teachers/1/teacher_id", "message":
                                         "У педагога Петров Николай «Ник» Сергеевич уже есть маршрут в работе"}]


def test_a_teacher_listed_twice_is_refused(app, people):
    r = people("head_cnppm").post("/api/route-batches", _batch(app, ("teacher1", "tutor1"), ("teacher1", "tutor2")))
    assert r.status_code == 422
    assert {"pointer": "/teachers/1/teacher_id", "message": "Педагог указан дважды"} in r.get_json()["problems"]


def _post(people, body):
    r = people("head_cnppm").post("/api/route-batches", body)
    return r.status_code, {p["pointer"]: p["message"] for p in (r.get_json() or {}).get("problems", [])}


@pytest.mark.parametrize(("change", "pointer", "words"), [
    (lambda b: b.pop("teachers"), "/teachers", "Обязательное поле"),
    (lambda b: b.update(teachers=[]), "/teachers", "от 1 до 50"),
    (lambda b: b.update(teachers="всех"), "/teachers", "от 1 до 50"),
    (lambda b: b["teachers"][0].update(teacher_id="7"), "/teachers/0/teacher_id", "идентификатор"),
    (lambda b: b["teachers"][1].update(tutor_id=2**31), "/teachers/1/tutor_id", "от 1 до"),
    (lambda b: b["teachers"][1].pop("tutor_id"), "/teachers/1/tutor_id", "Укажите"),
    (lambda b: b.update(methodist_id=None), "/methodist_id", "Укажите"),
    (lambda b: b.update(period={"start": "01.09.2026", "end": "2027-05-31"}), "/period/start", "ГГГГ-ММ-ДД"),
    (lambda b: b.update(period={"start": "2027-09-01", "end": "2027-05-31"}), "/period/end", "раньше начала"),
    (lambda b: b.update(period={"start": "2026-09-01", "end": "2036-05-31"}), "/period/end", "5 лет"),
    (lambda b: b["period"].pop("end"), "/period/end", "Обязательное поле"),
    (lambda b: b.update(methodist_id=2**20), "/methodist_id", "Методист не найден"),
    (lambda b: b["teachers"][0].update(teacher_id=2**20), "/teachers/0/teacher_id", "Педагог не найден"),
])
def test_each_bad_field_gets_its_own_russian_message(app, people, change, pointer, words):
    body = _batch(app, ("teacher1", "tutor1"), ("teacher2", "tutor1"))
    change(body)
    before = _counts(app)
    status, problems = _post(people, body)
    assert status == 422 and words in problems[pointer], problems
    assert _counts(app) == before


def test_more_than_fifty_teachers_are_refused(app, people):
    body = _batch(app, ("teacher1", "tutor1"))
    body["teachers"] = [dict(body["teachers"][0], teacher_id=1000 + n) for n in range(51)]
    status, problems = _post(people, body)
    assert status == 422 and "от 1 до 50" in problems["/teachers"]


def test_nul_bytes_and_huge_bodies_are_refused(app, people):
    client = people("head_cnppm").client
    r = client.post("/api/route-batches", data='{"teachers": "\\u0000"}', content_type="application/json")
    assert r.status_code == 422
    r = client.post("/api/route-batches", data='{"x": "' + "я" * 2_100_000 + '"}', content_type="application/json")
    assert r.status_code == 413


def test_another_centre_head_cannot_open_routes_for_this_centre_and_learns_no_names(app, people):
    add_second_centre(app)
    before = _counts(app)
    r = people("head2").post("/api/route-batches", _batch(app, ("teacher1", "tutor1"), ("teacher21", "tutor21"),
                                                          methodist="methodist2"))
    assert r.status_code == 422
    problems = r.get_json()["problems"]
    assert problems == [{"pointer": "/teachers/0/teacher_id",
                         "message": "Педагог не найден: нет такого активного педагога в школах вашего ЦНППМ"},
                        {"pointer": "/teachers/0/tutor_id",
                         "message": "Тьютор не найден среди активных тьюторов ЦНППМ"}]
    assert "Иванова" not in r.get_data(as_text=True) and "Тьюторова" not in r.get_data(as_text=True)
    assert _counts(app) == before
    # Their own teacher, their own tutor and methodist: fine.
    r = people("head2").post("/api/route-batches", _batch(app, ("teacher21", "tutor21"), methodist="methodist2"))
    assert r.status_code == 201, r.get_json()


def test_teachers_of_two_centres_need_two_orders(app, people):
    add_second_centre(app)
    r = people("admin").post("/api/route-batches", _batch(app, ("teacher1", "tutor1"), ("teacher21", "tutor21")))
    assert r.status_code == 422
    assert "одного ЦНППМ" in {p["pointer"]: p["message"] for p in r.get_json()["problems"]}["/teachers"]


@pytest.mark.parametrize("login", ["tutor1", "teacher1", "head_gym", "auditor"])
def test_only_a_cnppm_head_or_an_admin_opens_routes(app, people, login):
    before = _counts(app)
    r = people(login).post("/api/route-batches", _batch(app, ("teacher1", "tutor1")))
    assert r.status_code == 403 and _counts(app) == before


def test_deactivated_teacher_or_tutor_is_refused(app, people):
    from service.db.models import User

    with app.extensions["iom"].uow() as uow:
        uow.session.get(User, app.config["PEOPLE"]["tutor2"]).is_active = False
        uow.commit()
    status, problems = _post(people, _batch(app, ("teacher1", "tutor2")))
    assert status == 422 and "/teachers/0/tutor_id" in problems


def test_the_single_route_endpoint_still_opens_one_route(app, people, new_route):
    rid = new_route("teacher4", "tutor2")
    docs = people("head_cnppm").get(f"/api/routes/{rid}/documents").get_json()["documents"]
    text = _docx_text(people("head_cnppm").get(docs[0]["files"]["issued_docx"]).data)
    assert f"№ {rid}-ИОМ" in text and "Кузнецов Дмитрий Александрович" in text


# ---- the page ------------------------------------------------------------------------------------
def _page(person, url):
    r = person.get(url)
    return r.status_code, r.get_data(as_text=True)


def test_the_page_searches_without_javascript_and_keeps_the_chosen(app, people):
    head = people("head_cnppm")
    ids = app.config["PEOPLE"]
    status, html = _page(head, "/routes/new?q=петров")
    assert status == 200 and "Петров Николай «Ник» Сергеевич" in html and f'value="{ids["teacher2"]}"' in html
    status, html = _page(head, f"/routes/new?q=иван&teacher={ids['teacher2']}")
    assert f'name="teacher" value="{ids["teacher2"]}"' in html and "Иванова Мария Петровна" in html
    assert _page(head, "/routes/new?q=и")[1].count("Введите от 2") == 1


def test_the_page_opens_routes_and_shows_the_order(app, people):
    head = people("head_cnppm")
    ids = app.config["PEOPLE"]
    form = {"csrf_token": _csrf(head), "teacher": [str(ids["teacher1"]), str(ids["teacher3"])],
            "tutor_all": str(ids["tutor1"]), f"tutor_{ids['teacher3']}": str(ids["tutor2"]),
            "methodist": str(ids["methodist"]), "start": "2026-09-01", "end": "2027-05-31", "action": "open"}
    r = head.client.post("/routes/new", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)
    status, html = _page(head, r.headers["Location"])
    assert status == 200 and "Распорядительный акт №" in html
    assert "Иванова Мария Петровна" in html and "Сидорова Анна-Мария Олеговна" in html
    assert "Наставников Алексей Юрьевич" in html and "/issued.docx" in html


def test_the_page_shows_the_problems_and_opens_nothing(app, people):
    head = people("head_cnppm")
    ids = app.config["PEOPLE"]
    before = _counts(app)
    form = {"csrf_token": _csrf(head), "teacher": [str(ids["teacher1"])], "tutor_all": "",
            "methodist": "", "start": "2026-09-01", "end": "2026-01-01", "action": "open"}
    r = head.client.post("/routes/new", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "ни один" in html
    for words in ("Выберите тьютора", "Выберите методиста"):
        assert words in html
    assert _counts(app) == before


@pytest.mark.parametrize("login", ["tutor1", "teacher1"])
def test_the_page_is_refused_to_others(people, login):
    assert people(login).get("/routes/new").status_code == 403


def test_another_centre_head_cannot_see_this_centre_order(app, people):
    r = people("head_cnppm").post("/api/route-batches", _batch(app, ("teacher1", "tutor1")))
    add_second_centre(app)
    order_id = r.get_json()["order"]["id"]
    assert people("head2").get(f"/routes/orders/{order_id}").status_code == 403
    assert people("head_cnppm").get("/routes/orders/2147483648").status_code == 404


def _csrf(person) -> str:
    import re

    html = person.get("/routes/new").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
