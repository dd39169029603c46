"""The queues of the people who follow them, over HTTP: the inbox and the approval queue sorted by
waiting time and by due date, overdue rows marked and counted, what a signature is for, a refused
bulk password keeping the ticked routes, saved filters on the pages, "completed by me", and the
counts in the navigation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.db.models import Task
from service.services import nav_counts
from service.services.accounts import load_actor
from service.services.demo import PASSWORD
from tests.support.app import Person


def _rows(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="/routes/(\d+)"', html)]


def _html(person, url: str) -> str:
    r = person.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.get_data(as_text=True)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _later(app, **delta) -> None:
    app.config["CLOCK"].now += timedelta(**delta)


def _no_due_date(app, route_id: int) -> None:
    """A task without a due date (a form with no working time set)."""
    with app.extensions["iom"].uow() as uow:
        uow.session.execute(sa.update(Task).where(Task.route_id == route_id).values(due_at=None))
        uow.commit()


def _to_agreement(people, rid: int, teacher: str = "teacher1") -> None:
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    people(teacher).do(rid, "plan_signatures_teacher")


@pytest.fixture
def two_drafts(app, new_route):
    """Two drafts waiting for tutor1: the first opened a day earlier but with no due date."""
    first = new_route("teacher1")
    _later(app, days=1)
    second = new_route("teacher2")
    _no_due_date(app, first)
    return first, second


def test_the_inbox_sorts_by_waiting_time_and_by_due_date_and_counts_overdue(app, people, two_drafts):
    first, second = two_drafts
    tutor = people("tutor1")
    page = _html(tutor, "/inbox")
    assert _rows(page) == [first, second]  # the longest waiting first
    assert "Просрочено: 0" in page and "просрочено на" not in page
    assert _rows(_html(tutor, "/inbox?sort=due")) == [second, first]  # no due date: last

    # the second draft, opened Wed 02.09.2026, is due at the end of its 14th working day, Tue 22.09;
    # on Wed 30.09 it is 6 working days late
    _later(app, days=28)
    page = _html(tutor, "/inbox")
    assert "Просрочено: 1" in page and page.count("просрочено на 6 раб. дн.") == 1
    assert "01.09.2026" in page or "02.09.2026" in page  # dates as ДД.ММ.ГГГГ, region's time


def test_the_inbox_says_which_document_each_signature_is_for_in_one_query(app, people, new_route):
    rids = [new_route("teacher1"), new_route("teacher1")]
    for rid in rids:
        people("tutor1").do(rid, "draft")
    engine = app.extensions["iom"].sessions.kw["bind"]
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        page = _html(people("methodist"), "/inbox")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert page.count("Подпись: Карта ИОМ, версия 1") == 2
    assert len([s for s in seen if "FROM documents" in s]) == 1  # not one query per row


def test_a_correction_to_sign_is_named_by_its_number(people, new_route):
    rid = new_route("teacher1")
    _to_agreement(people, rid)
    people("head_cnppm").do(rid, "agreement")
    people("head_gym").do(rid, "approval")
    people("tutor1").do(rid, "implementation", {"next": "correction"})
    people("tutor1").do(rid, "correction")
    assert "Подпись: Корректировка № 1" in _html(people("teacher1"), "/inbox")


def test_the_queue_has_a_due_column_an_overdue_filter_and_count_and_sorts_by_due(app, people, two_drafts):
    first, second = two_drafts
    tutor = people("tutor1")
    page = _html(tutor, "/queue")
    assert "<th>Срок</th>" in page and "Просрочено: 0" in page
    assert _rows(page) == [first, second]
    assert _rows(_html(tutor, "/queue?sort=due")) == [second, first]
    assert "В очереди нет маршрутов" in _html(tutor, "/queue?overdue=1")

    _later(app, days=28)
    page = _html(tutor, "/queue")
    assert "Просрочено: 1" in page and "просрочено на 6 раб. дн." in page
    overdue = _html(tutor, "/queue?overdue=1")
    assert _rows(overdue) == [second] and 'name="overdue" value="1" checked' in overdue


def test_a_refused_bulk_password_shows_the_queue_again_with_the_same_routes_ticked(people, new_route):
    rids = [new_route("teacher1"), new_route("teacher1"), new_route("teacher1")]
    for rid in rids:
        _to_agreement(people, rid)
    head = people("head_cnppm")
    page = _html(head, "/queue?stage=agreement")
    ids = dict(re.findall(r'name="sha256_([0-9a-f-]+)" value="([0-9a-f]{64})"', page))
    assert len(ids) == 3 and 'id="select-all"' in page
    chosen = list(ids)[:2]
    form = {"csrf_token": _csrf(page), "task_id": chosen, "password": "не тот пароль",
            **{f"sha256_{t}": ids[t] for t in ids}}
    r = head.client.post("/queue/bulk?stage=agreement", data=form)
    assert r.status_code == 403
    again = r.get_data(as_text=True)
    assert "Неверный пароль" in again
    ticked = set(re.findall(r'name="task_id" value="([0-9a-f-]+)"[^>]*checked', again))
    assert ticked == set(chosen)  # the same two, not the third
    assert '<option value="agreement" selected>' in again  # the filter is kept
    assert 'action="/queue/bulk?stage=agreement"' in again
    assert all(people("auditor").get(f"/api/routes/{rid}").get_json()["stage"] == "agreement" for rid in rids)

    r = head.client.post("/queue/bulk?stage=agreement", data={**form, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/queue?stage=agreement"
    assert "Подписано маршрутов: 2" in _html(head, "/queue?stage=agreement")


def test_saved_filters_on_the_page_are_applied_kept_after_logout_and_deleted(app, people, two_drafts):
    tutor = people("tutor1")
    page = _html(tutor, "/queue?overdue=1&sort=due&page=1")
    assert 'name="query" value="sort=due&amp;overdue=1"' in page  # the page number is no filter
    data = {"csrf_token": _csrf(page), "page": "queue", "name": "Просроченные «мои» & <срочные>",
            "query": "sort=due&overdue=1"}
    r = tutor.client.post("/filters", data=data)
    assert r.status_code == 303 and r.headers["Location"] == "/queue?sort=due&overdue=1"
    page = _html(tutor, "/queue")
    assert "Просроченные «мои» &amp; &lt;срочные&gt;" in page and 'href="/queue?sort=due&amp;overdue=1"' in page

    r = tutor.client.post("/filters", data=data)  # the same name again
    assert r.status_code == 303
    assert "Фильтр с таким названием уже есть" in _html(tutor, "/queue")

    # Logged out and in again (a new session): the filter is still there.
    assert tutor.client.post("/logout", data={"csrf_token": _csrf(page)}).status_code in (302, 303)
    again = Person(app, "tutor1")
    page = _html(again, "/queue")
    assert 'href="/queue?sort=due&amp;overdue=1"' in page
    # Nobody else sees it.
    assert "Просроченные «мои»" not in _html(people("tutor2"), "/queue")

    filter_id = int(re.search(r'action="/filters/(\d+)/delete"', page).group(1))
    other = people("tutor2")
    r = other.client.post(f"/filters/{filter_id}/delete",
                          data={"csrf_token": _csrf(_html(other, "/queue")), "page": "queue"})
    assert r.status_code == 404
    r = again.client.post(f"/filters/{filter_id}/delete", data={"csrf_token": _csrf(page), "page": "queue"})
    assert r.status_code == 303
    assert "/delete" not in _html(again, "/queue")


def test_completed_by_me_lists_exactly_my_completions_newest_first(people, new_route):
    first, second = new_route("teacher1"), new_route("teacher1")
    people("tutor1").do(first, "draft")
    people("tutor1").do(second, "draft")
    people("methodist").do(first, "plan_signatures_methodist")
    people("methodist").do(second, "plan_signatures_methodist", {"decision": "return", "comment": "Сроки"})
    tutor_page = _html(people("tutor1"), "/completed")
    assert _rows(tutor_page) == [second, first]
    assert "Подписать" not in tutor_page and "Вернуть на доработку" not in tutor_page  # only the drafts
    methodist_page = _html(people("methodist"), "/completed")
    assert _rows(methodist_page) == [second, first]
    assert methodist_page.index("Вернуть на доработку") < methodist_page.index("Подписать")
    assert "Вы ещё не выполнили ни одной задачи" in _html(people("teacher1"), "/completed")
    assert 'href="/completed"' in tutor_page and "Выполненные мной" in tutor_page


def _counts(app, login: str) -> dict[str, int]:
    """The menu's task counts (the unread notifications' count is tested with the notifications)."""
    ctx = app.extensions["iom"]
    counts = nav_counts.counts(ctx, load_actor(ctx, app.config["PEOPLE"][login]))
    return {k: v for k, v in counts.items() if k != "notifications"}


def test_the_navigation_counts_what_waits_for_a_tutor_and_for_a_deputy_head(app, people, new_route):
    rids = [new_route("teacher1"), new_route("teacher1")]
    assert _counts(app, "tutor1") == {"inbox": 2, "queue": 2}
    assert 'aria-label="ожидает: 2"' in _html(people("tutor1"), "/inbox")
    _to_agreement(people, rids[0])
    people("head_cnppm").do(rids[0], "agreement")
    # The school head must approve; their deputy watches it in the queue but cannot sign it.
    assert _counts(app, "head_gym") == {"inbox": 1, "queue": 1}
    assert _counts(app, "deputy_gym") == {"inbox": 0, "queue": 1}
    assert _counts(app, "tutor1") == {"inbox": 1, "queue": 1}
    assert _counts(app, "teacher3") == {"inbox": 0, "queue": 0}


def test_the_navigation_counts_take_at_most_three_queries(app):
    """Inbox, queue and unread notifications: three indexed counts on every page."""
    ctx = app.extensions["iom"]
    who = load_actor(ctx, app.config["PEOPLE"]["deputy_gym"])
    engine = ctx.sessions.kw["bind"]
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        nav_counts.counts(ctx, who)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) <= 3


def test_the_queue_filters_list_only_the_schools_and_tutors_of_my_queue(app, people, new_route):
    """A region has a thousand schools: the queue's filters offer those of the routes waiting for me."""
    from service.db.models import OrgUnit, Route

    rid = new_route("teacher1")
    with app.extensions["iom"].uow() as uow:
        route = uow.session.get(Route, rid)
        mine = uow.session.get(OrgUnit, route.school_id).name
        others = uow.session.scalars(sa.select(OrgUnit.name).where(OrgUnit.kind == "school",
                                                                   OrgUnit.id != route.school_id)).all()
    assert others, "the demo region has more than one school"
    page = _html(people("tutor1"), "/queue")
    select = re.search(r'<select name="school">(.*?)</select>', page, re.S).group(1)
    offered = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)
    assert [o.replace("&#34;", '"').replace("&#171;", "«").replace("&#187;", "»") for o in offered] == [mine]
    tutors = re.search(r'<select name="tutor">(.*?)</select>', page, re.S).group(1)
    assert len(re.findall(r'<option value="\d+"', tutors)) == 1


def test_the_queue_filters_follow_the_queue_as_routes_join_and_leave_it(app, people, new_route):
    """The filter lists are kept between views, but a route joining or leaving my queue shows at once."""
    tutor = people("tutor1")

    def schools() -> list[str]:
        select = re.search(r'<select name="school">(.*?)</select>', _html(tutor, "/queue"), re.S).group(1)
        return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)

    new_route("teacher1")  # the gymnasium
    other = new_route("teacher3", "tutor1")  # the other school's teacher, with the same tutor
    assert len(schools()) == 2 and len(schools()) == 2  # the second view is served from what was kept
    tutor.do(other, "draft")  # the draft leaves the tutor's queue: its school goes from the list
    assert len(schools()) == 1
    new_route("teacher4", "tutor1")  # and comes back with another route there
    assert len(schools()) == 2
