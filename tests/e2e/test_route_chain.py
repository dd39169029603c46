"""A route goes through the whole approval chain over HTTP, driven by the right people."""

from __future__ import annotations

import copy

from service.samples import VALID


def _route(person, route_id: int) -> dict:
    r = person.get(f"/api/routes/{route_id}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _return(comment: str) -> dict:
    return {"decision": "return", "comment": comment}


def _sign_plan(people, route_id):
    people("methodist").do(route_id, "plan_signatures_methodist")
    people("teacher1").do(route_id, "plan_signatures_teacher")


def test_route_runs_the_whole_chain_with_returns_refusals_and_corrections(people, new_route):
    tutor, methodist, teacher = people("tutor1"), people("methodist"), people("teacher1")
    cnppm, school = people("head_cnppm"), people("head_gym")
    rid = new_route()
    route = _route(cnppm, rid)
    assert route["stage"] == "draft" and route["waiting_for"] == ["Тьюторова Светлана Андреевна"]

    # Draft: the information sheet is prefilled from the teacher's profile.
    draft_task = tutor.get(f"/api/tasks/{tutor.task(rid, 'draft')['id']}").get_json()
    assert draft_task["schema"]["title"] and draft_task["prefill"]["info"]["full_name"] == "Иванова Мария Петровна"
    tutor.do(rid, "draft")

    # The methodist returns the plan: the teacher's pending signature is withdrawn.
    methodist.do(rid, "plan_signatures_methodist", _return("Уточните сроки стажировки"))
    assert not [t for t in teacher.tasks() if t["route_id"] == rid]
    draft_task = tutor.get(f"/api/tasks/{tutor.task(rid, 'draft')['id']}").get_json()
    assert [r["comment"] for r in draft_task["remarks"]] == ["Уточните сроки стажировки"]
    assert draft_task["prefill"]["activities"][0]["title"] == VALID["draft"]["activities"][0]["title"]
    tutor.do(rid, "draft", draft_task["prefill"])  # the prefill is a valid submission as it is

    # The teacher returns the plan too, once.
    teacher.do(rid, "plan_signatures_teacher", _return("Добавьте вебинар по ИКТ"))
    tutor.do(rid, "draft")
    _sign_plan(people, rid)

    # Agreement: returned once, then agreed.
    cnppm.do(rid, "agreement", _return("Нет мероприятия федерального уровня"))
    assert _route(cnppm, rid)["stage"] == "draft"
    tutor.do(rid, "draft")
    _sign_plan(people, rid)
    cnppm.do(rid, "agreement")

    # Approval: returned once, then approved; the route starts.
    school.do(rid, "approval", _return("Согласуйте даты с графиком ОО"))
    tutor.do(rid, "draft")
    _sign_plan(people, rid)
    cnppm.do(rid, "agreement", {"decision": "accept"})
    assert "comment" not in _route(cnppm, rid)["data"]["agreement"]  # the old remark did not survive
    school.do(rid, "approval")
    route = _route(school, rid)
    assert route["stage"] == "implementation" and route["started_on"] and route["card"]["started_on"]

    # Implementation: the teacher reports.
    tutor.do(rid, "implementation", {"next": "report"})
    teacher.do(rid, "activity_report")
    assert [a["status"] for a in _route(tutor, rid)["card"]["activities"]] == ["выполнено", "не выполнено"]

    # Correction 1: refused by the teacher, revised, then signed by all three.
    tutor.do(rid, "implementation", {"next": "correction"})
    tutor.do(rid, "correction")
    teacher.do(rid, "correction_signatures_teacher", _return("Вебинар в рабочее время невозможен"))
    revise = tutor.get(f"/api/tasks/{tutor.task(rid, 'correction')['id']}").get_json()
    assert revise["prefill"] == VALID["correction"]
    assert revise["remarks"][0]["comment"] == "Вебинар в рабочее время невозможен"
    changed = copy.deepcopy(VALID["correction"])
    changed["replacement"]["start"] = changed["replacement"]["end"] = "2025-02-15"
    tutor.do(rid, "correction", changed)
    for who, name in [(methodist, "methodist"), (tutor, "tutor"), (teacher, "teacher")]:
        who.do(rid, f"correction_signatures_{name}")
    card = _route(tutor, rid)["card"]
    assert len(card["corrections"]) == 1 and card["activities"][1]["status"] == "заменено"
    assert card["activities"][2]["start"] == "2025-02-15"

    # Correction 2: signed straight away; the form starts empty, not with correction 1.
    tutor.do(rid, "implementation", {"next": "correction"})
    fresh = tutor.get(f"/api/tasks/{tutor.task(rid, 'correction')['id']}").get_json()
    assert fresh["prefill"] is None and fresh["remarks"] == []
    second = copy.deepcopy(VALID["correction"])
    second["activity_no"] = 3
    tutor.do(rid, "correction", second)
    for who, name in [(teacher, "teacher"), (methodist, "methodist"), (tutor, "tutor")]:
        who.do(rid, f"correction_signatures_{name}")
    assert len(_route(tutor, rid)["card"]["corrections"]) == 2

    # Conclusion: the school head refuses once, the methodist revises, both sign, the teacher acknowledges.
    tutor.do(rid, "implementation", {"next": "conclude"})
    tutor.do(rid, "final_results")
    methodist.do(rid, "conclusions")
    school.do(rid, "conclusion_signatures_school_head", _return("Уточните формулировку"))
    methodist.do(rid, "conclusions")
    methodist.do(rid, "conclusion_signatures_methodist")
    school.do(rid, "conclusion_signatures_school_head")
    teacher.do(rid, "acknowledge")

    route = _route(people("auditor"), rid)
    assert route["status"] == "completed" and route["stage"] == "completed" and route["open_tasks"] == []
    assert route["card"]["result"] == "completed" and route["ended_on"]
    events = people("auditor").get(f"/api/routes/{rid}/events").get_json()["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["kind"] == "route_created" and events[-1]["kind"] == "route_completed"
    completions = [e for e in events if e["kind"] == "task_completed"]
    assert len(completions) == 40  # every do() above, in order
    refusal = next(e for e in completions if e["task_name"] == "correction_signatures_teacher")
    assert refusal["actor"]["name"] == "Иванова Мария Петровна"
    assert refusal["data"]["submission"]["comment"] == "Вебинар в рабочее время невозможен"


def _fast_to_conclusions(people, rid, teacher="teacher1"):
    tutor, methodist = people("tutor1"), people("methodist")
    tutor.do(rid, "draft")
    methodist.do(rid, "plan_signatures_methodist")
    people(teacher).do(rid, "plan_signatures_teacher")
    people("head_cnppm").do(rid, "agreement")
    people("head_gym").do(rid, "approval")
    tutor.do(rid, "implementation", {"next": "conclude"})
    tutor.do(rid, "final_results")


def test_prolonged_route_ends_and_a_linked_route_starts(people, new_route):
    rid = new_route("teacher2")
    _fast_to_conclusions(people, rid, teacher="teacher2")
    prolong = {"outcome": "prolong", "text": "Дефицит ИКТ-компетенций сохраняется",
               "prolong_reason": "Стажировка перенесена", "prolong_until": "2026-05-31"}
    people("methodist").do(rid, "conclusions", prolong)
    people("methodist").do(rid, "conclusion_signatures_methodist")
    people("head_gym").do(rid, "conclusion_signatures_school_head")
    result = people("teacher2").do(rid, "acknowledge")

    old = _route(people("auditor"), rid)
    assert old["status"] == "prolonged" and old["card"]["conclusions"]["prolong_until"] == "2026-05-31"
    assert result["next_route_id"] == old["next_route_id"] and old["next_route_id"]
    new = _route(people("auditor"), old["next_route_id"])
    assert new["previous_route_id"] == rid and new["status"] == "active" and new["stage"] == "draft"
    assert new["card"]["prolongs_route"] == rid
    assert people("tutor1").task(new["id"], "draft")
