"""Pages over HTTP (no browser): the queue's counts, filters, sorting and pages; the route list."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.db.models import OrgUnit, Route, Task


@pytest.fixture
def many_routes(new_route):
    return [new_route("teacher1" if i % 2 else "teacher2") for i in range(21)]


def _rows(html: str) -> list[str]:
    return re.findall(r'href="/routes/(\d+)"', html)


def test_the_queue_counts_filters_sorts_and_pages(people, many_routes):
    tutor = people("tutor1")
    first = tutor.get("/queue").get_data(as_text=True)
    assert "Составление и подписание плана: 21" in first and "Страница 1 из 2 · всего 21" in first
    assert _rows(first)[0] == str(many_routes[0])  # the longest waiting first
    second = tutor.get("/queue?page=2").get_data(as_text=True)
    assert len(_rows(second)) == 1
    newest = tutor.get("/queue?sort=newest").get_data(as_text=True)
    assert _rows(newest)[0] == str(many_routes[-1])
    assert "В очереди нет маршрутов" in tutor.get("/queue?stage=agreement").get_data(as_text=True)
    assert "В очереди нет маршрутов" in tutor.get("/queue?min_days=3").get_data(as_text=True)
    assert "В очереди нет маршрутов" in tutor.get("/queue?from=2030-01-01").get_data(as_text=True)


def test_the_route_list_shows_only_routes_in_scope(people, new_route):
    gym, school = new_route("teacher1"), new_route("teacher3", "tutor2")
    assert set(_rows(people("head_gym").get("/routes").get_data(as_text=True))) == {str(gym)}
    assert set(_rows(people("auditor").get("/routes").get_data(as_text=True))) == {str(gym), str(school)}
    found = people("auditor").get("/routes?q=Сидорова").get_data(as_text=True)
    assert set(_rows(found)) == {str(school)}


def test_a_deputy_head_sees_what_waits_for_their_school_head(people, new_route):
    rid = new_route("teacher1")
    for login, name in [("tutor1", "draft"), ("methodist", "plan_signatures_methodist"),
                        ("teacher1", "plan_signatures_teacher"), ("head_cnppm", "agreement")]:
        people(login).do(rid, name)
    page = people("deputy_gym").get("/queue").get_data(as_text=True)
    assert str(rid) in _rows(page) and "Директорова Елена Викторовна" in page
    assert 'name="task_id"' not in page  # watching, not signing


@pytest.mark.parametrize("query", ["page=99999999999999999999", "school=2147483648", "tutor=9223372036854775808",
                                   "min_days=99999999999999", "tutor=٣", "from=9999-99-99"])
def test_filters_past_any_range_are_refused_or_ignored_never_a_server_error(people, new_route, query):
    new_route()
    for login, page in (("head_cnppm", "/queue"), ("auditor", "/routes")):
        r = people(login).get(f"{page}?{query}")
        assert r.status_code in (200, 422), (page, r.status_code)
        if r.status_code == 422:
            assert "Данные не приняты" in r.get_data(as_text=True)


def test_the_route_list_filtered_by_a_school_keeps_that_school_chosen(app, people, new_route):
    from service.db.models import Route

    new_route("teacher1")  # the gymnasium's, left out by the filter
    other = new_route("teacher3", "tutor2")
    with app.extensions["iom"].uow() as uow:
        school = uow.session.get(Route, other).school_id
    page = people("auditor").get(f"/routes?school={school}").get_data(as_text=True)
    assert set(_rows(page)) == {str(other)}
    chosen = re.findall(r'<option value="(\d+)" selected>', re.search(r'<select name="school">(.*?)</select>',
                                                                       page, re.S).group(1))
    assert chosen == [str(school)]


def _school_options(page: str) -> list[tuple[str, str]]:
    select = re.search(r'<select name="school">(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select)


def test_a_school_another_process_made_a_moment_ago_is_named_on_the_lists_at_once(app, people, new_route):
    """A process keeps the region's schools for a minute, but a row of a school it has not seen
    makes it read them again (here the change bypasses this process, as another worker's would)."""
    auditor, tutor = people("auditor"), people("tutor1")
    rid = new_route("teacher1")
    assert f'href="/routes/{rid}"' in auditor.get("/routes").get_data(as_text=True)  # the schools are kept now
    tutor.get("/queue")
    with app.extensions["iom"].sessions() as s, s.begin():
        centre = s.scalar(sa.select(OrgUnit.id).where(OrgUnit.kind == "centre").order_by(OrgUnit.id).limit(1))
        school = OrgUnit(kind="school", name="МБОУ «Школа из другого процесса»", parent_id=centre)
        s.add(school)
        s.flush()
        s.execute(sa.update(Route).where(Route.id == rid).values(school_id=school.id))
        s.execute(sa.update(Task).where(Task.route_id == rid).values(school_id=school.id))
    for page in (auditor.get("/routes").get_data(as_text=True), tutor.get("/queue").get_data(as_text=True)):
        row = page[page.index(f'href="/routes/{rid}"'):]
        assert "МБОУ «Школа из другого процесса»" in row[:row.index("</tr>")]


def test_the_route_list_offers_a_school_added_or_renamed_a_moment_ago(people, new_route):
    """The process keeps the region's schools for the filter; a change by the admin shows at once."""
    admin, auditor = people("admin"), people("auditor")
    new_route("teacher1")
    before = _school_options(auditor.get("/routes").get_data(as_text=True))
    centre = next(u for u in admin.get("/api/org/units").get_json()["units"] if u["kind"] == "centre")
    made = admin.post("/api/org/units", {"kind": "school", "name": "МБОУ «Лицей» <№ 7> & Ко",
                                         "parent_id": centre["id"]})
    assert made.status_code == 201
    school = made.get_json()["id"]
    page = auditor.get(f"/routes?school={school}").get_data(as_text=True)
    assert (str(school), "МБОУ «Лицей» &lt;№ 7&gt; &amp; Ко") in _school_options(page)
    assert len(_school_options(page)) == len(before) + 1
    assert re.findall(r'<option value="(\d+)" selected>', page) == [str(school)]
    assert admin.post(f"/api/org/units/{school}/rename", {"name": "МБОУ «Лицей № 8»"}).status_code == 200
    assert (str(school), "МБОУ «Лицей № 8»") in _school_options(auditor.get("/routes").get_data(as_text=True))
