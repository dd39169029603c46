"""The statistics page's figures on a fixture of six routes with known outcomes (2 centres, 3 schools,
2 tutors), for the region, a centre and a school: every value below is counted by hand.

Times are 09:00 UTC (12:00 in Moscow) on weekdays of September–October 2026 without holidays, so a
wait from Tuesday 1 to Friday 4 September is 3 working days. The clock stands at Monday 5 October.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from service.db.models import Event, OrgUnit, Route, Task, WorkflowSpec
from service.domain.errors import FormRejected, NotAllowed
from service.services import accounts, people, stats, stats_facts
from service.services.stats_columns import FactsHolder
from tests.support.app import HandClock, ready_app


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def deficit(area, level):
    return {"area": area, "deficit": f"{area} {level}", "level": level}


def activity(level, form, status="запланировано", reason=""):
    return {"title": f"{level} {form}", "level": level, "presentation_form": form, "status": status,
            "reason_not_done": reason}


CARDS = {
    "r1": {"info": {"position": "учитель математики"},
           "entry_diagnostics": {"deficits": [deficit("методические", "высокий"), deficit("ИКТ", "средний")]},
           "final_diagnostics": {"deficits": [deficit("методические", "базовый")]},
           "activities": [activity("региональный", "открытый урок", "выполнено"),
                          activity("муниципальный", "мастер-класс", "не выполнено", "Болезнь"),
                          activity("муниципальный", "мастер-класс", "заменено"),
                          activity("федеральный", "публикация", "выполнено")],
           "corrections": [{"no": 1}]},
    "r2": {"info": {"position": "учитель физики"},
           "entry_diagnostics": {"deficits": [deficit("предметные", "высокий"), deficit("ИКТ", "средний"),
                                              deficit("ИКТ", "базовый")]},
           "final_diagnostics": {"deficits": [deficit("ИКТ", "базовый")]},
           "activities": [activity("региональный", "открытый урок", "не выполнено", "Болезнь")],
           "corrections": [{"no": 1}, {"no": 2}, {"no": 3}], "result": "prolonged"},
    "r3": {"entry_diagnostics": {"deficits": [deficit("психолого-педагогические", "высокий")]},
           "activities": [activity("уровень ОО", "выступление на МО")], "corrections": [{"no": 1}, {"no": 2}]},
    "r4": {},
    "r5": {"entry_diagnostics": {"deficits": [deficit("ИКТ", "высокий")]}},
    "r6": {},
}


@pytest.fixture(scope="module")
def world(module_database_url):
    clock = HandClock()
    for app in ready_app(module_database_url, CLOCK=clock):
        ctx = app.extensions["iom"]
        ids = dict(app.config["PEOPLE"])
        routes = _build(ctx, ids)
        clock.now = at(10, 5)
        yield ctx, ids, routes


def _build(ctx, ids) -> dict[str, int]:
    with ctx.uow() as uow:
        s = uow.session
        centre1 = s.scalar(sa.select(OrgUnit).where(OrgUnit.kind == "centre"))
        region = s.get(OrgUnit, centre1.parent_id)
        gym, sch = (s.scalar(sa.select(OrgUnit.id).where(OrgUnit.name.like(f"%{n}%"))) for n in ("Гимназия", "СОШ"))
        centre2 = people.add_unit(s, "centre", "ЦНППМ «Второй»", region)
        third = people.add_unit(s, "school", "МБОУ «Школа № 3»", centre2)
        ids["head_c2"] = people.add_user(s, "head_c2", "Второй Руководитель", "x", [("cnppm_head", centre2.id)],
                                         password_hash="x").id
        ids["teacher5"] = people.add_teacher(s, "teacher5", "Пятая Учительница", "x", third, {}, "учитель математики",
                                             password_hash="x").id
        spec = s.scalar(sa.select(WorkflowSpec.id).limit(1))
        schools = {"gym": gym, "sch": sch, "third": third.id}
        centres = {"gym": centre1.id, "sch": centre1.id, "third": centre2.id}
        plan = [  # key, teacher, tutor, school, status, stage, created, end event
            ("r1", "teacher1", "tutor1", "gym", "completed", "completed", at(9, 1), ("route_completed", at(9, 22))),
            ("r2", "teacher2", "tutor1", "gym", "prolonged", "prolonged", at(9, 1), ("route_prolonged", at(9, 15))),
            ("r3", "teacher3", "tutor2", "sch", "active", "implementation", at(9, 1), None),
            ("r4", "teacher4", "tutor2", "sch", "cancelled", "cancelled", at(9, 2), ("admin_cancelled", at(9, 8))),
            ("r5", "teacher5", "tutor1", "third", "active", "draft", at(9, 7), None),
            ("r6", "teacher1", "tutor1", "gym", "active", "agreement", at(10, 1), None),
        ]
        made = {}
        for key, teacher, tutor, school, status, stage, created, end in plan:
            route = Route(teacher_id=ids[teacher], tutor_id=ids[tutor], methodist_id=ids["methodist"],
                          school_id=schools[school], centre_id=centres[school], spec_id=spec, title=f"ИОМ {key}",
                          status=status, stage=stage, card=CARDS[key], created_at=created,
                          created_by_id=ids["head_cnppm"], updated_at=end[1] if end else created)
            s.add(route)
            s.flush()
            made[key] = route.id
            if end:
                _event(s, route.id, end[0], end[1])
        tasks = [  # route, name, stage, assignee, created, completed ("cancelled": withdrawn), due, returned
            ("r1", "draft", "draft", "tutor1", at(9, 1), at(9, 4), None, False),
            ("r1", "sign", "draft", "methodist", at(9, 4), at(9, 7), None, True),
            ("r1", "draft", "draft", "tutor1", at(9, 7), at(9, 8), None, False),
            ("r1", "review", "agreement", "head_cnppm", at(9, 8), at(9, 10), None, False),
            ("r1", "final_results", "conclusion", "tutor1", at(9, 10), at(9, 22), None, False),
            ("r2", "draft", "draft", "tutor1", at(9, 1), at(9, 2), None, False),
            ("r2", "review", "agreement", "head_cnppm", at(9, 2), at(9, 9), None, False),
            ("r2", "final_results", "conclusion", "tutor1", at(9, 9), at(9, 15), None, False),
            ("r3", "draft", "draft", "tutor2", at(9, 1), at(9, 3), None, False),
            ("r3", "review", "agreement", "head_cnppm", at(9, 3), at(9, 4), None, False),
            ("r3", "activity_report", "implementation", "teacher3", at(9, 4), None, at(9, 10, 20), False),
            ("r4", "draft", "draft", "tutor2", at(9, 2), "cancelled", None, False),
            ("r5", "draft", "draft", "tutor1", at(9, 7), None, at(9, 9, 20), False),
            ("r6", "draft", "draft", "tutor1", at(10, 1), at(10, 2), None, False),
            ("r6", "review", "agreement", "head_cnppm", at(10, 2), None, at(12, 1, 20), False),
        ]
        for key, name, stage, who, created, completed, due, returned in tasks:
            cancelled = completed == "cancelled"
            done = at(9, 8) if cancelled else completed
            task = Task(id=str(uuid.uuid4()), route_id=made[key], engine_task_id=str(uuid.uuid4()), name=name,
                        title=f"Шаг {name}", form=name, role="x", stage=stage, assignee_id=ids[who],
                        school_id=schools[dict((p[0], p[3]) for p in plan)[key]], centre_id=centre1.id,
                        state="cancelled" if cancelled else "completed" if done else "ready", created_at=created,
                        due_at=due, completed_at=done, completed_by_id=ids[who] if done and not cancelled else None)
            s.add(task)
            s.flush()
            if done and not cancelled:
                _event(s, made[key], "task_completed", done, task,
                       {"submission": {"decision": "return" if returned else "approve"}})
        uow.commit()
    return made


def _event(s, route_id, kind, when, task=None, data=None):
    seq = (s.scalar(sa.select(sa.func.max(Event.seq)).where(Event.route_id == route_id)) or 0) + 1
    s.add(Event(route_id=route_id, seq=seq, at=when, actor_id=None, kind=kind, task_id=task.id if task else None,
                task_name=task.name if task else None, data=data or {}, prev_hash=None, hash=None))
    s.flush()


def actor(ctx, ids, login):
    return accounts.load_actor(ctx, ids[login])


def page(world, login, **args):
    ctx, ids, _ = world
    return stats.report(ctx, actor(ctx, ids, login), stats.parse_filters(args))


def values(report, key, *cols):
    """{row id: (values of cols)} of one table."""
    return {r["_row"]: tuple(r[c] for c in cols) for r in report["tables"][key]["rows"]}


def test_the_region_counts_every_route(world):
    r = page(world, "auditor")
    assert r["scope"]["kind"] == "region"
    assert list(r["tables"]) == ["status", "stages_over_time", "waits_by_stage", "waits_by_step", "overdue_by_person",
                                 "deficits", "activities", "not_done_reasons", "corrections", "by_school", "by_tutor"]
    assert values(r, "status", "routes") == {"active": (3,), "completed": (1,), "prolonged": (1,), "cancelled": (1,)}
    assert r["filters"] == {"from": "2025-11-01", "to": "2026-10-05"}


def test_stages_at_each_month_end(world):
    r = page(world, "auditor")
    rows = values(r, "stages_over_time", "draft", "agreement", "approval", "implementation", "conclusion")
    assert len(rows) == 12 and rows["2025-11"] == (0, 0, 0, 0, 0)
    assert rows["2026-09"] == (1, 0, 0, 1, 0)  # r5 drafting, r3 implementing; r1, r2, r4 ended in September
    assert rows["2026-10"] == (1, 1, 0, 1, 0)  # and r6 at agreement


def test_waits_by_stage_and_step_in_working_days(world):
    r = page(world, "auditor")
    assert values(r, "waits_by_step", "n", "median", "p90", "returns") == {
        "draft": (5, 1.0, 2.6, 0),  # 1, 1, 1, 2, 3
        "sign": (1, 1.0, 1.0, 1),
        "review": (3, 2.0, 4.4, 0),  # 1, 2, 5
        "final_results": (2, 6.0, 7.6, 0),  # 4, 8
    }
    assert values(r, "waits_by_stage", "n", "median", "p90") == {
        "draft": (6, 1.0, 2.5), "agreement": (3, 2.0, 4.4), "conclusion": (2, 6.0, 7.6)}


def test_overdue_tasks_per_person(world):
    ctx, ids, _ = world
    r = page(world, "auditor")
    assert values(r, "overdue_by_person", "person", "overdue", "oldest_due") == {
        str(ids["teacher3"]): ("Сидорова Анна-Мария Олеговна", 1, "2026-09-10"),
        str(ids["tutor1"]): ("Тьюторова Светлана Андреевна", 1, "2026-09-09")}


def test_deficits_entry_final_and_closed(world):
    r = page(world, "auditor")
    got = values(r, "deficits", "entry_high", "entry_medium", "entry_base", "entry", "final", "closed")
    assert got == {"предметные": (1, 0, 0, 1, 0, 1), "методические": (1, 0, 0, 1, 1, 0),
                   "психолого-педагогические": (1, 0, 0, 1, 0, 0), "коммуникативные": (0, 0, 0, 0, 0, 0),
                   "ИКТ": (1, 2, 1, 4, 1, 2)}


def test_activities_by_level_and_form_and_reasons(world):
    r = page(world, "auditor")
    assert [row["_row"] for row in r["tables"]["activities"]["rows"]] == [
        "федеральный|публикация", "региональный|открытый урок", "муниципальный|мастер-класс",
        "уровень ОО|выступление на МО"]
    assert values(r, "activities", "planned", "done", "not_done", "share_done") == {
        "федеральный|публикация": (1, 1, 0, 100.0), "региональный|открытый урок": (2, 1, 1, 50.0),
        "муниципальный|мастер-класс": (1, 0, 1, 0.0), "уровень ОО|выступление на МО": (1, 0, 0, 0.0)}
    assert values(r, "not_done_reasons", "reason", "activities") == {"Болезнь": ("Болезнь", 2)}


def test_corrections_per_route(world):
    r = page(world, "auditor")
    assert values(r, "corrections", "routes", "corrections", "mean") == {
        "0": (3, 0, 0.0), "1": (1, 1, 1.0), "2": (1, 2, 2.0), "3+": (1, 3, 3.0), "total": (6, 6, 1.0)}


def test_per_school_and_per_tutor(world):
    ctx, ids, routes = world
    r = page(world, "auditor")
    cols = ("routes", "open", "completed", "prolonged", "overdue", "median_days", "corrections", "deficits_closed")
    by_school = {row["name"]: tuple(row[c] for c in cols) for row in r["tables"]["by_school"]["rows"]}
    assert by_school == {"МБОУ «Гимназия № 4» г. Энска": (3, 1, 1, 1, 0, 12.5, 1.33, 3),
                         "МБОУ «СОШ № 12 им. А. С. Пушкина» г. Энска": (2, 1, 0, 0, 1, None, 1.0, 0),
                         "МБОУ «Школа № 3»": (1, 1, 0, 0, 1, None, 0.0, 0)}
    assert values(r, "by_tutor", *cols) == {str(ids["tutor1"]): (4, 2, 1, 1, 1, 12.5, 1.0, 3),
                                            str(ids["tutor2"]): (2, 1, 0, 0, 1, None, 1.0, 0)}


def test_a_centre_head_sees_their_centre_only(world):
    ctx, ids, _ = world
    r = page(world, "head_cnppm")
    assert r["scope"]["kind"] == "centre" and r["scope"]["title"].startswith("ЦНППМ «Учитель будущего»")
    assert values(r, "status", "routes") == {"active": (2,), "completed": (1,), "prolonged": (1,), "cancelled": (1,)}
    assert values(r, "overdue_by_person", "overdue") == {str(ids["teacher3"]): (1,)}
    assert {c["name"] for c in r["options"]["centres"]} == {"ЦНППМ «Учитель будущего» Энской области"}
    assert len(r["options"]["schools"]) == 2
    assert len(r["tables"]["by_school"]["rows"]) == 2


def test_a_school_head_never_sees_another_school(world):
    ctx, ids, routes = world
    r = page(world, "head_gym")
    assert r["scope"]["kind"] == "school"
    assert values(r, "status", "routes") == {"active": (1,), "completed": (1,), "prolonged": (1,), "cancelled": (0,)}
    assert values(r, "overdue_by_person", "overdue") == {}
    assert [row["name"] for row in r["tables"]["by_school"]["rows"]] == ["МБОУ «Гимназия № 4» г. Энска"]
    assert values(r, "corrections", "routes") == {"0": (1,), "1": (1,), "2": (0,), "3+": (1,), "total": (3,)}
    assert page(world, "deputy_gym")["tables"] == r["tables"]
    sch = next(o["id"] for o in page(world, "head_sch")["options"]["schools"])
    with pytest.raises(NotAllowed):
        page(world, "head_gym", school=str(sch))
    head = actor(ctx, ids, "head_gym")
    behind = stats.routes_behind(ctx, head, stats.parse_filters({}), "status", "active", "routes")
    assert [x["id"] for x in behind["routes"]] == [routes["r6"]]


def test_filters_by_subject_stage_and_period(world):
    r = page(world, "auditor", subject="учитель математики")  # r1 (its card), r5 and r6 (the teachers' position)
    assert values(r, "status", "routes") == {"active": (2,), "completed": (1,), "prolonged": (0,), "cancelled": (0,)}
    r = page(world, "auditor", stage="implementation")
    assert values(r, "status", "routes") == {"active": (1,), "completed": (0,), "prolonged": (0,), "cancelled": (0,)}
    r = page(world, "auditor", **{"from": "2026-10-01", "to": "2026-10-05"})
    assert values(r, "status", "routes") == {"active": (3,), "completed": (0,), "prolonged": (0,), "cancelled": (0,)}
    assert values(r, "waits_by_step", "n", "median") == {"draft": (1, 1.0)}  # r6's draft, done on 2 October


def test_routes_behind_a_figure(world):
    ctx, ids, routes = world
    who, f = actor(ctx, ids, "auditor"), stats.parse_filters({})

    def behind(figure, row, col):
        return [x["id"] for x in stats.routes_behind(ctx, who, f, figure, row, col)["routes"]]

    assert behind("status", "completed", "routes") == [routes["r1"]]
    assert behind("waits_by_step", "sign", "returns") == [routes["r1"]]
    assert behind("deficits", "ИКТ", "closed") == [routes["r1"], routes["r2"]]
    assert behind("overdue_by_person", str(ids["tutor1"]), "overdue") == [routes["r5"]]
    assert behind("stages_over_time", "2026-09", "implementation") == [routes["r3"]]
    assert behind("corrections", "0", "routes") == sorted([routes["r4"], routes["r5"], routes["r6"]])
    link = page(world, "auditor")["tables"]["status"]["rows"][1]["_links"]["routes"]
    assert link.startswith("/stats/routes?figure=status&row=completed&col=routes&from=2025-11-01")


def test_people_without_a_scope_are_refused_and_bad_filters_rejected(world):
    ctx, ids, _ = world
    for login in ("teacher1", "tutor1", "methodist"):
        with pytest.raises(NotAllowed):
            stats.report(ctx, actor(ctx, ids, login), stats.parse_filters({}))
    for bad in ({"from": "01.09.2026"}, {"from": "2026-10-01", "to": "2026-09-01"}, {"stage": "nowhere"},
                {"centre": "abc"}):
        with pytest.raises(FormRejected) as caught:
            stats.parse_filters(bad)
        assert caught.value.status == 422 and caught.value.problems


def test_a_changed_route_is_refreshed_and_a_rebuild_gives_the_same_figures(world):
    ctx, ids, routes = world
    before = page(world, "auditor")["tables"]
    assert stats_facts.rebuild_all(ctx) == 6
    assert page(world, "auditor")["tables"] == before
    with ctx.uow() as uow:
        route = uow.session.get(Route, routes["r6"])
        route.card = {"corrections": [{"no": 1}]}
        route.updated_at = at(10, 5)
        uow.commit()
    r = page(world, "auditor")
    assert values(r, "corrections", "routes")["1"] == (2,)
    with ctx.uow() as uow:
        route = uow.session.get(Route, routes["r6"])
        route.card, route.updated_at = {}, at(10, 5, 10)
        uow.commit()
    assert page(world, "auditor")["tables"] == before


def test_another_process_sees_a_route_refreshed_after_it_loaded_the_facts(world):
    """Each web process holds the facts in memory (stats_columns.py): one that loaded them before
    another process refreshed a route reads just that route again and shows the new figures."""
    ctx, ids, routes = world
    other = dataclasses.replace(ctx, stats=FactsHolder())  # a second gunicorn worker on the same database
    before = stats.report(other, actor(other, ids, "auditor"), stats.parse_filters({}))["tables"]
    held = other.stats.current_held()
    with ctx.uow() as uow:
        route = uow.session.get(Route, routes["r4"])
        route.card = {"corrections": [{"no": 1}, {"no": 2}, {"no": 3}, {"no": 4}]}
        route.updated_at = at(10, 5, 11)
        uow.commit()
    stats_facts.refresh_stale(ctx)
    after = stats.report(other, actor(other, ids, "auditor"), stats.parse_filters({}))
    assert values(after, "corrections", "routes")["3+"] == (values_of(before, "corrections", "routes")["3+"][0] + 1,)
    assert other.stats.current_held().epoch == held.epoch  # read again in part, not loaded anew
    assert after["tables"] == stats.report(dataclasses.replace(ctx, stats=FactsHolder()),
                                           actor(ctx, ids, "auditor"), stats.parse_filters({}))["tables"]
    with ctx.uow() as uow:
        route = uow.session.get(Route, routes["r4"])
        route.card, route.updated_at = {}, at(10, 5, 12)
        uow.commit()
    stats_facts.refresh_stale(ctx)
    assert stats.report(other, actor(other, ids, "auditor"), stats.parse_filters({}))["tables"] == before


def values_of(tables, key, *cols):
    return {r["_row"]: tuple(r[c] for c in cols) for r in tables[key]["rows"]}
