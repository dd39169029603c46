"""Fixes from the walk through the pages (issue 11), over HTTP: remarks only where they must be
addressed, the region's time (the FakeClock runs at 09:xx UTC → 12:xx in Moscow), where a return
sent the route, the correction form opened straight after «Внести корректировку», the replaced
activity chosen from the card, the documents table and timeline, neutral sentences with names."""

from __future__ import annotations

import re

from service.samples import VALID


def _html(person, url: str) -> str:
    r = person.get(url)
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


def _task_page(person, rid: int, name: str) -> str:
    return _html(person, f"/tasks/{person.task(rid, name)['id']}")


def _post_form(person, rid: int, name: str, form: dict):
    """Submit my task's page form as a browser would (the CSRF token rides in the header)."""
    task = person.task(rid, name)
    return person.client.post(f"/tasks/{task['id']}", data={"action": "submit", **form})


def _to_implementation(people, rid: int) -> None:
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    people("teacher1").do(rid, "plan_signatures_teacher")
    people("head_cnppm").do(rid, "agreement")
    people("head_gym").do(rid, "approval")


def test_remarks_show_only_on_the_task_that_must_address_them(people, new_route):
    rid = new_route()
    tutor, methodist, teacher = people("tutor1"), people("methodist"), people("teacher1")
    tutor.do(rid, "draft")
    methodist.do(rid, "plan_signatures_methodist", {"decision": "return", "comment": "Уточните сроки стажировки"})
    page = _task_page(tutor, rid, "draft")
    assert "Замечания, которые нужно учесть" in page and "Уточните сроки стажировки" in page
    tutor.do(rid, "draft")
    # the later tasks of the route do not carry the remark that was addressed already
    for person, name in [(methodist, "plan_signatures_methodist"), (teacher, "plan_signatures_teacher")]:
        assert "Замечания, которые нужно учесть" not in _task_page(person, rid, name)
        assert person.view(person.task(rid, name)["id"])["remarks"] == []
    methodist.do(rid, "plan_signatures_methodist")
    teacher.do(rid, "plan_signatures_teacher")
    assert "Замечания" not in _task_page(people("head_cnppm"), rid, "agreement")


def test_pages_show_the_regions_time_in_one_date_format(people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    page = _html(people("head_cnppm"), f"/routes/{rid}")
    timeline = page[page.index('id="timeline"'):]
    assert re.search(r"01\.09\.2026 12:\d\d", timeline) and "UTC" not in page
    assert "2026-09-01" not in page
    assert "Период: 01.09.2024 — 31.05.2025" in page  # dates typed in the form, as ДД.ММ.ГГГГ
    assert "07.10.2024 — 18.10.2024" in page
    # a completed task's page says who did it and when, in the region's time
    done = people("tutor1").get(f"/api/routes/{rid}/events").get_json()["events"]
    draft_id = next(e["task_id"] for e in done if e["task_name"] == "draft")
    gone = _html(people("tutor1"), f"/tasks/{draft_id}")
    assert re.search(r"Задача уже выполнена: Тьюторова Светлана Андреевна, 01\.09\.2026 12:\d\d", gone)


def test_a_return_says_where_the_route_went(people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    r = _post_form(people("methodist"), rid, "plan_signatures_methodist",
                   {"/decision": "return", "/comment": "Добавьте вебинар"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/inbox")
    inbox = _html(people("methodist"), "/inbox")
    assert "Возвращено на доработку: «Составление ИОМ», исполнитель: Тьюторова Светлана Андреевна." in inbox


def test_after_making_a_correction_the_correction_form_opens_directly(people, new_route):
    rid = new_route()
    _to_implementation(people, rid)
    tutor = people("tutor1")
    r = _post_form(tutor, rid, "implementation", {"/next": "correction"})
    correction = tutor.task(rid, "correction")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/tasks/{correction['id']}")
    # the replaced activity is chosen from the card's list, not typed
    page = _html(tutor, r.headers["Location"])
    select = re.search(r'<select id="f-activity_no" name="/activity_no".*?</select>', page, re.S)
    assert select, "the activity is not a list"
    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', select.group(0))
    assert options[0] == ("", "— выберите —")
    assert options[1] == ("1", "№ 1 — Курсы «Формирование математической грамотности обучающихся 5–9 классов»")
    # a choice posts the number, as the API takes it
    form = {"/date": "2025-01-15", "/reason": "Перенос", "/activity_no": "2", "/action": "submit",
            **{f"/replacement/{k}": v for k, v in VALID["correction"]["replacement"].items()}}
    r = tutor.client.post(f"/tasks/{correction['id']}", data={"action": "submit", **form})
    assert r.status_code == 302
    events = people("auditor").get(f"/api/routes/{rid}/events").get_json()["events"]
    sent = next(e for e in events if e["task_name"] == "correction")["data"]["submission"]
    assert sent["activity_no"] == 2 and sent["replacement"] == VALID["correction"]["replacement"]


def test_conditionally_required_fields_say_when(people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    page = _task_page(people("methodist"), rid, "plan_signatures_methodist")
    assert "обязательно, если «Решение» — «Вернуть на доработку»" in page


def test_the_conclusions_page_shows_the_final_diagnostics_and_activity_results(people, new_route):
    rid = new_route()
    _to_implementation(people, rid)
    people("tutor1").do(rid, "implementation", {"next": "report"})
    people("teacher1").do(rid, "activity_report")
    people("tutor1").do(rid, "implementation", {"next": "conclude"})
    people("tutor1").do(rid, "final_results")
    page = _task_page(people("methodist"), rid, "conclusions")
    results = page[page.index('id="results"'):page.index('<form method="post" action="/tasks/')]
    assert "Итоговая диагностика" in results and "экспертная оценка" in results
    assert VALID["final_results"]["final_diagnostics"]["deficits"][0]["deficit"] in results
    assert "выполнено" in results and "не выполнено" in results
    assert VALID["activity_report"]["reports"][0]["result"] in results


def test_the_documents_table_marks_versions_and_superseded_signatures_and_the_timeline_names_documents(
        people, new_route):
    rid = new_route()
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    people("teacher1").do(rid, "plan_signatures_teacher", {"decision": "return", "comment": "Нет вебинара"})
    people("tutor1").do(rid, "draft")
    page = _html(people("head_cnppm"), f"/routes/{rid}")
    table = page[page.index('id="documents"'):page.index("</table>", page.index('id="documents"'))]
    rows = re.findall(r"<tr class=\"(current|older)[^\"]*\">(.*?)</tr>", table, re.S)
    karta = [(cls, row) for cls, row in rows if "Карта ИОМ" in row]
    assert [cls for cls, _ in karta] == ["older", "current"]
    assert "заменён новой версией" in karta[0][1] and "заменена новой версией" in karta[0][1]
    assert "<s>Методистова Ирина Львовна" in karta[0][1] and "текущая" in karta[1][1]
    assert 'id="documents-legend"' in page and "Выпущенный" in table
    assert "Подготовлен документ: Карта ИОМ, версия 2" in page
    assert "Документ подписан: Карта ИОМ, версия 1" in page


def test_sentences_with_a_name_read_right_for_anyone(app, people, new_route):
    rid = new_route()
    task = people("tutor1").task(rid, "draft")
    r = people("teacher1").complete(task["id"], VALID["draft"])
    assert r.status_code == 403
    assert r.get_json()["error"] == ("Задача назначена другому участнику (исполнитель: Тьюторова Светлана "
                                     "Андреевна). Выполнить её может только исполнитель задачи")
    assert people("admin").complete(task["id"], VALID["draft"]).status_code == 200
    page = _html(people("admin"), f"/routes/{rid}")
    assert "(от имени исполнителя: Тьюторова Светлана Андреевна)" in page and " за Тьюторова" not in page
    audit = _html(people("admin"), f"/routes/{rid}/audit")
    assert "(от имени исполнителя: Тьюторова Светлана Андреевна)" in audit and " за Тьюторова" not in audit
