"""The read paths cost what the user sees, not what the database holds (issue 13): each query the
pages run is served by its index (EXPLAIN QUERY PLAN on SQLite; EXPLAIN (FORMAT JSON) with
sequential scans switched off on PostgreSQL, so that "no usable index" shows as a scan anyway),
and a page runs the same number of queries whatever the number of its rows."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.db.models import Document, OrgUnit, Route, Signature, Task
from tests.support.app import FakeClock, people_of, ready_app, route_opener


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock())


@pytest.fixture
def people(app):
    return people_of(app)


@pytest.fixture
def new_route(people, app):
    return route_opener(app, people)


def _engine(app):
    return app.extensions["iom"].sessions.kw["bind"]


def _run(app, person, url: str) -> tuple[str, list[tuple[str, object]]]:
    """The page's HTML and the SQL statements (with their parameters) it ran."""
    seen: list[tuple[str, object]] = []

    def hook(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(_engine(app), "before_cursor_execute", hook)
    try:
        r = person.get(url)
    finally:
        sa.event.remove(_engine(app), "before_cursor_execute", hook)
    assert r.status_code == 200, (url, r.status_code)
    return r.get_data(as_text=True), seen


def _statement(seen, *parts: str) -> tuple[str, object]:
    found = [(s, p) for s, p in seen if all(part in s for part in parts)]
    assert found, f"no statement with {parts}"
    return found[0]


def _plan(app, statement: str, parameters) -> str:
    """The plan as text: SQLite's EXPLAIN QUERY PLAN details; PostgreSQL's plan nodes with their
    index and relation names (sequential scans off, to see whether an index can serve)."""
    with _engine(app).connect() as c:
        if c.dialect.name == "sqlite":
            rows = c.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return "\n".join(r[3] for r in rows)
        c.exec_driver_sql("SET enable_seqscan = off")
        raw = c.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
        plan = raw if isinstance(raw, list) else json.loads(raw)
        lines: list[str] = []

        def walk(node):
            lines.append(" ".join(str(node.get(k, "")) for k in ("Node Type", "Index Name", "Relation Name")))
            for child in node.get("Plans", []):
                walk(child)

        walk(plan[0]["Plan"])
        return "\n".join(lines)


def _uses(plan: str, index: str) -> bool:
    return (f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan
            or f"Index Scan {index}" in plan or f"Index Only Scan {index}" in plan
            or f"Bitmap Index Scan {index}" in plan or f"Index Scan Backward {index}" in plan)


def _no_table_scan(plan: str, table: str) -> bool:
    return f"SCAN {table}\n" not in plan + "\n" and f"Seq Scan  {table}" not in plan


def _to_agreement(people, rid: int) -> None:
    people("tutor1").do(rid, "draft")
    people("methodist").do(rid, "plan_signatures_methodist")
    people("teacher1").do(rid, "plan_signatures_teacher")


def _copies(app, model, where, n: int, change) -> list:
    """Insert `n` copies of the first row of `model` matching `where`, each changed by `change(row, i)`;
    the new primary keys."""
    table = model.__table__
    with app.extensions["iom"].sessions() as s:
        row = dict(s.execute(sa.select(table).where(where)).mappings().first())
        made = []
        for i in range(n):
            copy = {k: v for k, v in row.items() if k != "id" or table.c.id.type.python_type is str}
            copy.update(change(row, i))
            made.append(s.execute(sa.insert(table).values(**copy).returning(table.c.id)).scalar())
        s.commit()
        return made


def _more_tasks(app, task_id: str, n: int) -> None:
    _copies(app, Task, Task.id == task_id, n,
            lambda row, i: {"id": str(uuid.uuid4()), "created_at": row["created_at"] + timedelta(seconds=i + 1)})


def _region_of_ready_tasks(app, assignee_id: int, n: int) -> None:
    """`n` ready tasks of someone else (other schools), and fresh statistics: the planner then
    chooses as it would in a region, not as on a table of a few rows."""
    table = Task.__table__
    with app.extensions["iom"].sessions() as s:
        row = dict(s.execute(sa.select(table).limit(1)).mappings().first())
        other = s.scalar(sa.select(OrgUnit.id).where(OrgUnit.kind == "school", OrgUnit.id != row["school_id"]))
        s.execute(sa.insert(table), [{**row, "id": str(uuid.uuid4()), "assignee_id": assignee_id, "state": "ready",
                                      "school_id": other, "role": "tutor"} for _ in range(n)])
        s.commit()
        s.execute(sa.text("ANALYZE tasks"))
        s.commit()


# ---- indexes ---------------------------------------------------------------------------------------


def test_the_route_page_finds_the_next_route_and_its_documents_and_events_by_index(app, people, new_route):
    rid = new_route()
    _to_agreement(people, rid)
    _, seen = _run(app, people("auditor"), f"/routes/{rid}")
    plan = _plan(app, *_statement(seen, "routes.previous_route_id ="))
    assert _uses(plan, "ix_routes_previous_route_id"), plan
    plan = _plan(app, *_statement(seen, "FROM documents", "documents.route_id ="))
    assert _no_table_scan(plan, "documents") and "INDEX" in plan.upper(), plan
    plan = _plan(app, *_statement(seen, "FROM signatures", "signatures.document_id IN"))
    assert _uses(plan, "ix_signatures_document_id"), plan
    plan = _plan(app, *_statement(seen, "FROM events", "events.route_id ="))
    assert _no_table_scan(plan, "events") and "INDEX" in plan.upper(), plan


def test_the_route_list_reads_its_order_from_an_index(app, people, new_route):
    new_route()
    _, seen = _run(app, people("auditor"), "/routes")
    plan = _plan(app, *_statement(seen, "FROM routes", "ORDER BY routes.updated_at DESC"))
    assert _uses(plan, "ix_routes_updated"), plan
    assert not [s for s, _ in seen if "count(" in s.lower() and "FROM routes" in s]  # no count of every match


@pytest.mark.parametrize("query, index", [("status=completed", "ix_routes_status_updated"),
                                          ("stage=agreement", "ix_routes_stage_updated")])
def test_a_filtered_route_list_reads_filter_and_order_from_one_index(app, people, new_route, query, index):
    """Completed routes were last updated long ago: the order alone would walk past every active one."""
    new_route()
    _, seen = _run(app, people("auditor"), f"/routes?{query}")
    plan = _plan(app, *_statement(seen, "FROM routes", "ORDER BY routes.updated_at DESC"))
    assert _uses(plan, index), plan


def test_the_text_search_uses_its_index_and_follows_a_renamed_teacher(app, people, new_route):
    rid = new_route("teacher3", "tutor2")
    page, seen = _run(app, people("auditor"), "/routes?q=идоров")
    assert f'href="/routes/{rid}"' in page
    with app.extensions["iom"].sessions() as s:
        s.execute(sa.text("UPDATE users SET full_name = 'Переименованная Ольга' WHERE id = :i"),
                  {"i": app.config["PEOPLE"]["teacher3"]})
        s.commit()
    assert f'href="/routes/{rid}"' in _run(app, people("auditor"), "/routes?q=ПЕРЕИМЕНОВАННАЯ")[0]
    if _engine(app).dialect.name == "sqlite":
        plan = _plan(app, *_statement(seen, "route_search MATCH"))
        assert "VIRTUAL TABLE" in plan, plan
    else:
        plan = _plan(app, *_statement(seen, "ILIKE"))
        assert _uses(plan, "ix_routes_title_trgm") and _uses(plan, "ix_users_full_name_trgm"), plan


def test_the_search_indexes_take_a_new_route_at_once_and_plans_stay_serial(app, people, new_route):
    """PostgreSQL: a new route goes straight into the trigram index, not into a pending list every
    search would read through; the service's connections plan without parallel workers (a parallel
    scan of every person won over the trigram index at 100,000 routes)."""
    if _engine(app).dialect.name != "postgresql":
        pytest.skip("PostgreSQL's GIN pending list and parallel plans")
    with _engine(app).connect() as c:
        assert c.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar() == "0"
        options = dict(c.exec_driver_sql(
            "SELECT relname, array_to_string(reloptions, ',') FROM pg_class "
            "WHERE relname IN ('ix_routes_title_trgm', 'ix_users_full_name_trgm')").all())
    assert options == {"ix_routes_title_trgm": "fastupdate=off", "ix_users_full_name_trgm": "fastupdate=off"}
    rid = new_route("teacher3", "tutor2")
    assert f'href="/routes/{rid}"' in _run(app, people("auditor"), "/routes?q=идоров")[0]


def test_the_inbox_and_its_counts_are_served_by_the_assignee_indexes(app, people, new_route):
    new_route()
    _, seen = _run(app, people("tutor1"), "/inbox")
    plan = _plan(app, *_statement(seen, "FROM tasks JOIN routes", "tasks.assignee_id ="))
    assert _uses(plan, "ix_tasks_assignee_queue"), plan
    plan = _plan(app, *_statement(seen, "count(", "tasks.due_at <"))
    assert _uses(plan, "ix_tasks_assignee_due"), plan
    _, seen = _run(app, people("tutor1"), "/inbox?sort=due")
    plan = _plan(app, *_statement(seen, "FROM tasks JOIN routes", "tasks.assignee_id ="))
    assert _uses(plan, "ix_tasks_assignee_due") or _uses(plan, "ix_tasks_assignee_queue"), plan


def test_the_queue_of_a_deputy_head_is_served_by_the_task_indexes(app, people, new_route):
    rid = new_route("teacher1")
    _to_agreement(people, rid)
    people("head_cnppm").do(rid, "agreement")
    _region_of_ready_tasks(app, app.config["PEOPLE"]["tutor2"], 3000)
    _, seen = _run(app, people("deputy_gym"), "/queue")
    plan = _plan(app, *_statement(seen, "FROM tasks JOIN routes", "ORDER BY tasks.created_at"))
    # each branch of "mine" by its own index, not every ready task of the region (ix_tasks_state_due)
    assert (_uses(plan, "ix_tasks_assignee_queue") or _uses(plan, "ix_tasks_assignee_due")) \
        and (_uses(plan, "ix_tasks_school_queue") or _uses(plan, "ix_tasks_role_queue")) \
        and "ix_tasks_state_due" not in plan and _no_table_scan(plan, "tasks"), plan


# ---- bounded number of queries ---------------------------------------------------------------------


def test_the_inbox_runs_as_many_queries_for_50_tasks_as_for_5_and_pages_them(app, people, new_route):
    rid = new_route()
    tutor = people("tutor1")
    (task,) = [t for t in tutor.tasks() if t["route_id"] == rid]
    _more_tasks(app, task["id"], 4)
    tutor.get("/inbox")  # the workflow spec's hash is read once a process (deployments.loaded_spec)
    page, few = _run(app, tutor, "/inbox")
    assert "Всего: 5" in page and "есть ещё" not in page
    _more_tasks(app, task["id"], 45)
    page, many = _run(app, tutor, "/inbox")
    assert len(many) == len(few) <= 5, [s for s, _ in many]  # session, page, counts, saved filters, menu
    assert "Всего: 50" in page and "Показано 1–20, есть ещё" in page and page.count('href="/tasks/') == 20
    _more_tasks(app, task["id"], 10)
    page, _ = _run(app, tutor, "/inbox?page=3")
    assert "Показано 41–60" in page and "есть ещё" not in page and "← Назад" in page
    body = tutor.get("/api/tasks?limit=20&page=2").get_json()
    assert len(body["tasks"]) == 20 and body["has_more"] and body["total"] == 60 and body["page"] == 2
    r = tutor.get("/api/tasks?limit=201")
    assert r.status_code == 422 and "от 1 до 200" in json.dumps(r.get_json(), ensure_ascii=False)


def test_the_route_page_runs_as_many_queries_for_20_documents_as_for_2(app, people, new_route):
    rid = new_route()
    _to_agreement(people, rid)
    with app.extensions["iom"].sessions() as s:
        karta = s.scalar(sa.select(Document.id).where(Document.route_id == rid, Document.kind == "karta"))
    _copies(app, Document, Document.id == karta, 1, lambda row, i: {"version": 100 + i, "state": "superseded"})
    _, few = _run(app, people("auditor"), f"/routes/{rid}")
    made = _copies(app, Document, Document.id == karta, 18, lambda row, i: {"version": 200 + i, "state": "superseded"})
    for doc_id in made:
        _copies(app, Signature, Signature.document_id == karta, 1, lambda row, i, d=doc_id: {"document_id": d})
    page, many = _run(app, people("auditor"), f"/routes/{rid}")
    assert len(many) == len(few), [s for s, _ in many]
    assert not [s for s, _ in many if re.search(r"documents\.(content|issued)\b(?!_)", s)]  # no bytes read on a view


def test_the_audit_page_reads_every_document_of_the_route_at_once(app, people, new_route):
    """The auditor's page verifies the stored bytes (it is the verification page), with one query
    for every document's bytes, not two a document."""
    rid = new_route()
    _to_agreement(people, rid)
    with app.extensions["iom"].sessions() as s:
        karta = s.scalar(sa.select(Document.id).where(Document.route_id == rid, Document.kind == "karta"))
    _run(app, people("auditor"), f"/routes/{rid}/audit")  # the first view replays the route and keeps it
    _, few = _run(app, people("auditor"), f"/routes/{rid}/audit")
    _copies(app, Document, Document.id == karta, 18, lambda row, i: {"version": 200 + i, "state": "superseded"})
    page, many = _run(app, people("auditor"), f"/routes/{rid}/audit")
    assert len(many) == len(few), [s for s, _ in many]
    assert not [s for s, _ in many if re.search(r"FROM documents\s+WHERE documents\.id =", s)]  # none a document
    assert "Обнаружены расхождения" in page  # the copies have no events: verification says so
    with_bytes = [s for s, _ in many if re.search(r"documents\.content,", s)]
    assert len(with_bytes) == 1, with_bytes  # verification reads the bytes; the as-of view takes its hashes


def test_the_queue_runs_as_many_queries_for_50_rows_as_for_5(app, people, new_route):
    rids = [new_route("teacher1") for _ in range(2)]
    for rid in rids:
        _to_agreement(people, rid)
    head = people("head_cnppm")
    tasks = [t for t in head.tasks() if t["name"] == "agreement"]
    _run(app, head, "/queue")  # the process reads the region's schools once (school_names.py)
    _more_tasks(app, tasks[0]["id"], 3)
    page, few = _run(app, head, "/queue")
    assert page.count('name="task"') >= 5 or page.count("/routes/") >= 5
    _more_tasks(app, tasks[1]["id"], 45)
    _, many = _run(app, head, "/queue")
    assert len(many) == len(few), [s for s, _ in many]


def test_the_route_list_runs_as_many_queries_for_50_routes_as_for_5_and_finds_new_ones(app, people, new_route):
    rid = new_route("teacher3", "tutor2")
    _copies(app, Route, Route.id == rid, 4, lambda row, i: {"title": f"Клон маршрута {i}"})
    _run(app, people("auditor"), "/routes")  # the process reads the region's schools once (school_names.py)
    _, few = _run(app, people("auditor"), "/routes")
    _copies(app, Route, Route.id == rid, 45, lambda row, i: {"title": f"ПОИСКОВЫЙ Клон {i}"})
    page, many = _run(app, people("auditor"), "/routes")
    assert len(many) == len(few), [s for s, _ in many]
    assert "Показано 1–20, есть ещё" in page
    found, _ = _run(app, people("auditor"), "/routes?q=поисковый")  # Cyrillic, another case
    assert "Показано 1–20, есть ещё" in found and "Клон маршрута" not in found
    last, _ = _run(app, people("auditor"), "/routes?q=поисковый&page=3")
    assert "Показано 41–45" in last and "есть ещё" not in last
    short, _ = _run(app, people("auditor"), "/routes?q=кл")
    assert "не менее 3 символов" in short


def test_the_route_list_api_pages_without_a_count(app, people, new_route):
    rid = new_route("teacher3", "tutor2")
    _copies(app, Route, Route.id == rid, 24, lambda row, i: {"title": f"Клон {i}"})
    r = people("auditor").get("/api/routes?q=КЛОН")
    body = r.get_json()
    assert r.status_code == 200 and len(body["routes"]) == 20 and body["has_more"] and body["page"] == 1
    body = people("auditor").get("/api/routes?q=клон&page=2").get_json()
    assert len(body["routes"]) == 4 and not body["has_more"]
    assert people("head_gym").get("/api/routes").get_json()["routes"] == []  # another school's routes
    assert people("auditor").get("/api/routes?school=0").status_code == 422
