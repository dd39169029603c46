"""A whole region on one database: generate N routes (~10 events each), then measure the read
paths, task completions, verify-all and storage under the production server (issue 13).

Run from the repo root:

    .venv/bin/python bench/scale.py                          # 100,000 routes on SQLite and PostgreSQL
    .venv/bin/python bench/scale.py --db sqlite --routes 20000 --quick
    .venv/bin/python bench/scale.py --db pg --skip-generate  # measure the database made before

Generation (`generate`), on each database:

* Real routes driven through the service (`demo.complete_as_assignee`: the assignee completes the
  task, signing with the password), one "family" per stage: waiting for the draft, for the plan
  signatures, for the CNPPM head's agreement, for the school head's approval, at the
  implementation hub after one and after three corrections, a correction waiting for its
  signatures, the conclusion waiting for its signatures, completed, and prolonged (the prolonged
  route and the new route the service opens after it: a family of two).
* Each family is then replicated with bulk inserts (executemany; insertmanyvalues on PostgreSQL)
  into the region's people: centres (one per 10,000 routes, the demo centre among them), schools
  (one per 100 routes) with a head each, a tutor per 100 routes, a methodist per 5,000 routes, a
  teacher per two routes, with their role grants and teacher profiles. Every row a route has is
  copied — routes, route_states, tasks, events, documents, signatures, route_timers,
  notifications — with new ids, the family's people and org units in place of the template's
  (also inside event data: `*_id` keys naming people, documents and routes, task ids anywhere),
  and times stretched from the few seconds of the drive onto weeks and months: completed and
  prolonged routes start 1-3 years ago, active ones within the last 11 months (due dates keep
  their distance from the task's start). route_states rows are copied column by column as the
  model reads and writes them, whatever their storage format. Each route's events get a fresh
  hash chain computed with the service's own `service.domain.audit.event_fields`/`chain_hash`,
  and `routes.chain_head`. Cards, the engine state and event payloads keep the template
  people's names (only ids are remapped); titles name the route's own teacher. The dates a step
  writes into the card (started_on, reported_on, signed_on, ended_on) are the clone's own: which
  event wrote each is found once per family by replaying its template with event i on day i
  (`card_date_plan`), so an auditor's replay of any clone matches its stored card.
* Documents (approximated): the service stores every version's bytes inline
  (documents.content/issued, ~70 KB a version, ~100-400 KB a route), so copying them for every
  route would be tens of GB. Document and signature rows (with the template's bytes) are copied
  for a sample of routes only (`--doc-sample`, default 1 in 50, plus every route the
  measurement opens); the other routes have their document events in the chain but no document
  rows. `verify-all` (chains, what the CLI checks by default) passes on the whole database;
  `verify-all --documents` passes on the sampled routes. Document bytes per route are reported
  separately, measured on the driven routes and weighted by the family mix, with what a region
  should plan (bytes per route x routes).
* The database is kept out of the repository: bench/.data/scale-<N>-<revision>.sqlite3 and the
  schema scale_<N>_<revision> of the PostgreSQL database `iom_scale` (created if the role may;
  else the schema goes into IOM_TEST_PG_URL's database). A finished generation writes
  bench/.data/scale-<db>-<N>-<revision>.json; later runs reuse that database unless `--fresh`. One
  made at an earlier revision is renamed and upgraded by the service's own migrations.
  The completions bench completes real tasks, so a reused database has a few hundred routes
  moved on by one step each (they stay valid).

Measurement, against gunicorn with service/gunicorn_conf.py (gthread, IOM_THREADS=4) started as a
subprocess on a free port (IOM_ENV=production, SESSION_COOKIE_SECURE=0, plain HTTP on 127.0.0.1):

* Read paths, each client logged in once over HTTP (`POST /api/login`, one requests.Session per
  client): the busiest tutor's inbox (/inbox, /api/tasks), the CNPPM head's queue (/queue with
  each filter and sort, /api/queue if it exists), the auditor's route list with and without
  search (/routes, /routes?q=, /api/routes, /api/routes?q=), a route page, /api/routes/<id>, its
  events, documents and audit page, rotating over sampled completed routes. --reps-1 (60) rounds
  with 1 client, then --reps (20) rounds with each of 8 concurrent clients (threads) on the default
  worker count (CPUs + 1), after one untimed warm-up round; connection errors are counted and shown.
  p50/p95 per path; a path that answers 404 is reported as absent and left out of the worst.
* Task completions per second on PostgreSQL (and on SQLite): tutors complete `implementation`
  ({"next": "correction"}) on replicated routes at the implementation hub through
  POST /api/tasks/<id>/complete, with 1, 4 and 8 clients, under 1 and 4 workers.
  completions_scale_4_over_1_workers is the 8-client rate with 4 workers over that with 1. Each
  run completes --completions (25) per client after an untimed warm-up; a client may use
  several tutors' sessions, and each tutor serves one client.
* verify-all (service.services.audit.verify_all, what `flask verify-all` runs) in routes per
  second, in-process.
* Storage: table sizes with their indexes (SQLite: the dbstat virtual table; PostgreSQL:
  pg_total_relation_size), bytes per route and per event; bytes_per_route_* leave out the
  documents, signatures and pdf_cache tables (document bytes are reported apart). The JSON's
  bytes_per_route_* are those of the database as first measured at this schema revision, before
  any run's completions moved a thousand of its routes on (recorded in its meta file); the
  table prints both that and the bytes now (also "bytes_per_route_now" in the JSON).

Output: a table on stdout, progress on stderr, and the issue's JSON on the last line.

Time (2-CPU development machine shared with other work, 2026-12-02, 100,000 routes, 1,318,867
events): generation 432 s on SQLite and 582 s on PostgreSQL (one after the other, each with its
statistics facts built and VACUUM/ANALYZE); measuring both databases 399 s. So a full run from
nothing takes about 25 min, and about 7 min when the databases are reused. bench/README.md has the
figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench.cpu_split import CpuSplit  # noqa: E402
from service.app import build_service_context  # noqa: E402
from service.db import migrate  # noqa: E402
from service.db.models import (  # noqa: E402
    Document,
    Event,
    Notification,
    OrgUnit,
    RoleGrant,
    Route,
    RouteState,
    RouteTimer,
    Signature,
    Task,
    TeacherProfile,
    User,
)
from service.domain.access import OPERATOR  # noqa: E402
from service.domain.audit import GENESIS, chain_hash, event_fields  # noqa: E402
from service.domain.errors import FormRejected  # noqa: E402
from service.domain.json_copy import copy_json  # noqa: E402
from service.samples import VALID  # noqa: E402
from service.services import (  # noqa: E402
    accounts,
    audit,
    demo,
    deployments,
    documents,
    notification_retention,
    people,
    pep,
    routes,
    stats_facts,
)

DATA_DIR = ROOT / "bench" / ".data"
PG_ADMIN_URL = os.environ.get("IOM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_DATABASE = "iom_scale"
PASSWORD = demo.PASSWORD
# One-round PBKDF2 for every generated person: logins are not what is measured here.
CHEAP_HASH = generate_password_hash(PASSWORD, "pbkdf2:sha256:1")
TARGETS = {"inbox_p95_ms": 20, "worst_page_p95_ms": 100, "pg_8_clients_worst_p95_ms": 250,
           "completions_scale_4_over_1_workers": 1.8, "bytes_per_route": 30_000}
DOC_TABLES = ("documents", "signatures", "pdf_cache")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def schema_revision() -> str:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head() or "none"


# ---------------------------------------------------------------- templates: real routes

APPROVE = [("plan_signatures_methodist", VALID["sign"]), ("plan_signatures_teacher", VALID["sign"]),
           ("agreement", VALID["review"]), ("approval", {"decision": "accept", "comment": "Утверждаю"})]
CORRECTION = [("implementation", {"next": "correction"}), ("correction", VALID["correction"]),
              ("correction_signatures_teacher", VALID["sign"]), ("correction_signatures_tutor", VALID["sign"]),
              ("correction_signatures_methodist", VALID["sign"])]


def _conclude(outcome: str) -> list[tuple[str, dict]]:
    return [("implementation", {"next": "conclude"}), ("final_results", VALID["final_results"]),
            ("conclusions", {**VALID["conclusions"], "outcome": outcome} if outcome != "prolong" else
             {**VALID["conclusions"], "outcome": outcome, "prolong_reason": "Длительный больничный",
              "prolong_until": "2025-12-31"}),
            ("conclusion_signatures_methodist", VALID["sign"]), ("conclusion_signatures_school_head", VALID["sign"]),
            ("acknowledge", VALID["acknowledge"])]


DRAFT = [("draft", VALID["draft"])]
# family name → (weight in the region, the steps driven on its first route)
FAMILIES: dict[str, tuple[int, list]] = {
    "draft": (25, []),
    "plan_signatures": (15, DRAFT + APPROVE[:1]),
    "agreement": (15, DRAFT + APPROVE[:2]),
    "approval": (10, DRAFT + APPROVE[:3]),
    "implementation": (15, DRAFT + APPROVE + CORRECTION),
    "implementation_3": (1, DRAFT + APPROVE + CORRECTION * 3),
    "correction_signatures": (2, DRAFT + APPROVE + CORRECTION + CORRECTION[:2]),
    "conclusion": (2, DRAFT + APPROVE + CORRECTION + _conclude("effective")[:3]),
    "completed": (10, DRAFT + APPROVE + CORRECTION + _conclude("effective")),
    "prolonged": (1, DRAFT + APPROVE + CORRECTION + _conclude("prolong")),
}
ACTIVE_FAMILIES = {"draft", "plan_signatures", "agreement", "approval", "implementation", "implementation_3",
                   "correction_signatures", "conclusion"}


@dataclass
class Family:
    name: str
    weight: int
    route_ids: list[int]                      # the driven routes (prolonged: the old one, then the new one)
    rows: dict[str, list[dict]] = field(default_factory=dict)  # table → the family's rows
    people: dict[str, int] = field(default_factory=dict)      # role → template person id
    doc_bytes: int = 0
    t0: datetime | None = None
    t1: datetime | None = None
    card_dates: dict[int, list[tuple[tuple, int]]] = field(default_factory=dict)  # see card_date_plan


def drive_templates(ctx, ids: dict[str, int]) -> list[Family]:
    """One family of real routes per stage, each with a teacher of its own in the demo gymnasium."""
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    with ctx.uow() as uow:
        gym = uow.session.scalar(sa.select(OrgUnit).where(OrgUnit.kind == "school").order_by(OrgUnit.id))
        info = uow.session.get(TeacherProfile, ids["teacher1"]).info
        teachers = {}
        for n, name in enumerate(FAMILIES):
            teachers[name] = people.add_teacher(uow.session, f"tpl_teacher_{n}", f"Шаблонова Вера {n}", PASSWORD,
                                                gym, dict(info), "учитель", password_hash=CHEAP_HASH).id
        uow.commit()
    pep.record_acceptances(ctx, teachers.values())
    families = []
    for name, (weight, steps) in FAMILIES.items():
        rid = routes.create_route(ctx, head, routes.NewRoute(teachers[name], ids["tutor1"], ids["methodist"]))
        for step, data in steps:
            if step == "correction":  # the newest activity (never "выполнено"), as bench/audit.py does
                with ctx.uow() as uow:
                    data = {**data, "activity_no": len(uow.session.get(Route, rid).card["activities"])}
            try:
                demo.complete_as_assignee(ctx, rid, step, data)
            except FormRejected as exc:
                raise RuntimeError(f"{name}: {step}: {exc.problems}") from exc
        made = [rid]
        if name == "prolonged":
            with ctx.uow() as uow:
                made += uow.session.scalars(sa.select(Route.id).where(Route.previous_route_id == rid)).all()
            assert len(made) == 2, f"the prolonged route opened no new route: {made}"
        families.append(Family(name, weight, made, people={"teacher": teachers[name], "tutor": ids["tutor1"],
                                                           "methodist": ids["methodist"],
                                                           "cnppm_head": ids["head_cnppm"],
                                                           "school_head": ids["head_gym"]}))
    return families


TABLES = {"routes": Route.__table__, "route_states": RouteState.__table__, "tasks": Task.__table__,
          "events": Event.__table__, "documents": Document.__table__, "signatures": Signature.__table__,
          "route_timers": RouteTimer.__table__, "notifications": Notification.__table__}


def load_family_rows(bind: sa.Engine, fam: Family) -> None:
    t = TABLES
    with bind.connect() as c:
        ids = fam.route_ids
        fam.rows["routes"] = [dict(r) for r in c.execute(sa.select(t["routes"]).where(t["routes"].c.id.in_(ids))
                                                         .order_by(t["routes"].c.id)).mappings()]
        for name in ("route_states", "tasks", "documents", "route_timers", "notifications"):
            tab = t[name]
            order = tab.c.route_id if name == "route_states" else tab.c.id
            fam.rows[name] = [dict(r) for r in c.execute(sa.select(tab).where(tab.c.route_id.in_(ids))
                                                         .order_by(order)).mappings()]
        fam.rows["events"] = [dict(r) for r in c.execute(sa.select(t["events"]).where(t["events"].c.route_id.in_(ids))
                                                         .order_by(t["events"].c.route_id, t["events"].c.seq))
                              .mappings()]
        doc_ids = [d["id"] for d in fam.rows["documents"]]
        fam.rows["signatures"] = [dict(r) for r in c.execute(sa.select(t["signatures"]).where(
            t["signatures"].c.document_id.in_(doc_ids)).order_by(t["signatures"].c.id)).mappings()] if doc_ids else []
    fam.doc_bytes = sum(len(d["content"] or b"") + len(d["issued"] or b"") for d in fam.rows["documents"])
    times = [e["at"] for e in fam.rows["events"]]
    fam.t0, fam.t1 = min(times), max(times)


MARKER_DAY = datetime(2000, 1, 3, 12, tzinfo=UTC)


def card_date_plan(ctx, fam: Family) -> None:
    """Which of a route's card fields are dates its steps wrote (started_on, reported_on, signed_on,
    ended_on...) and after which of its events: the template's events are replayed by the service's
    own replay with event i moved to day i, so each such date names its event. A clone's card then
    gets its own events' (stretched) dates there, and an auditor's replay of the clone matches its
    stored card."""
    from types import SimpleNamespace

    from service.services import audit_replay

    for rid in fam.route_ids:
        events = [SimpleNamespace(**{**e, "at": MARKER_DAY + timedelta(days=i)})
                  for i, e in enumerate(e for e in fam.rows["events"] if e["route_id"] == rid)]
        with ctx.uow() as uow:
            card = audit_replay._replay_events(ctx, uow.session, events, None)["card"]
        fam.card_dates[rid] = list(_marked_dates(card, (), len(events)))


def _marked_dates(value: Any, path: tuple, n_events: int):
    """(path, event index) of each date in a card replayed with event i on MARKER_DAY + i days."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _marked_dates(v, (*path, k), n_events)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _marked_dates(v, (*path, i), n_events)
    elif isinstance(value, str) and len(value) == 10:
        try:
            day = (date.fromisoformat(value) - MARKER_DAY.date()).days
        except ValueError:
            return
        if 0 <= day < n_events:
            yield path, day


def _dated_card(card: dict, plan: list[tuple[tuple, int]], times: list[datetime]) -> dict:
    """The template's card with the planned fields set to the dates of the clone's events."""
    card = copy_json(card)
    for path, i in plan:
        node = card
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = times[i].date().isoformat()
    return card


# ---------------------------------------------------------------- people of the region

@dataclass
class Region:
    centres: list[int]
    schools: list[tuple[int, int]]           # (school id, its centre id)
    school_head: dict[int, int]
    centre_head: dict[int, int]
    tutors: dict[int, list[int]]             # centre → tutors
    methodists: list[int]
    teachers: list[tuple[int, int]]          # (teacher id, school id)
    names: dict[int, str]
    centre_of: dict[int, int] = field(default_factory=dict)


SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
            "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
            "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв",
            "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов"]
FIRST = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Ирина", "Татьяна", "Светлана", "Юлия", "Екатерина",
         "Алексей", "Дмитрий", "Сергей", "Андрей", "Михаил", "Николай", "Павел", "Игорь"]
PATRON = ["Александровна", "Сергеевна", "Викторовна", "Николаевна", "Петровна", "Игоревна", "Андреевич",
          "Сергеевич", "Петрович", "Ильич"]


def _name(rng: random.Random, n: int) -> str:
    first = rng.choice(FIRST)
    surname = rng.choice(SURNAMES) + ("а" if first[-1] == "а" else "")
    return f"{surname}{'' if n % 3 else '-' + str(n)} {first} {rng.choice(PATRON)}"


def make_region(bind: sa.Engine, ids: dict[str, int], n_routes: int, rng: random.Random) -> Region:
    """Centres, schools, heads, tutors, methodists and teachers, bulk-inserted with role grants."""
    now = datetime.now(UTC)
    with bind.begin() as c:
        region_id, demo_centre = c.execute(sa.text(
            "SELECT r.id, c.id FROM org_units r JOIN org_units c ON c.parent_id = r.id "
            "WHERE r.kind = 'region' AND c.kind = 'centre' ORDER BY c.id")).first()
        demo_schools = [r[0] for r in c.execute(sa.text(
            "SELECT id FROM org_units WHERE kind = 'school' AND parent_id = :c ORDER BY id"), {"c": demo_centre})]
        next_unit = c.scalar(sa.text("SELECT max(id) FROM org_units")) + 1
        next_user = c.scalar(sa.text("SELECT max(id) FROM users")) + 1
        units, users, grants, profiles = [], [], [], []
        n_centres = max(1, n_routes // 10_000)
        centres = [demo_centre]
        for k in range(1, n_centres):
            units.append({"id": next_unit, "kind": "centre", "name": f"ЦНППМ № {k + 1} Энской области",
                          "parent_id": region_id, "is_active": True})
            centres.append(next_unit)
            next_unit += 1
        schools = [(s, demo_centre) for s in demo_schools]
        for k in range(max(0, max(2, n_routes // 100) - len(schools))):
            centre = centres[k % len(centres)]
            units.append({"id": next_unit, "kind": "school", "name": f"МБОУ «СОШ № {k + 100}» (округ {centre})",
                          "parent_id": centre, "is_active": True})
            schools.append((next_unit, centre))
            next_unit += 1
        names: dict[int, str] = {}

        def person(login: str, role: str, unit: int | None, org: int | None) -> int:
            nonlocal next_user
            uid = next_user
            next_user += 1
            names[uid] = _name(rng, uid)
            users.append({"id": uid, "login": login, "full_name": names[uid], "position": "", "org_unit_id": org,
                          "password_hash": CHEAP_HASH, "is_active": True, "created_at": now, "email": None,
                          "must_change_password": False, "digest_hour": 8, "email_bounce": ""})
            grants.append({"user_id": uid, "role": role, "org_unit_id": unit})
            return uid

        school_head = {s: ids["head_gym"] if s == demo_schools[0] else ids["head_sch"] for s in demo_schools}
        for s, _ in schools[len(demo_schools):]:
            school_head[s] = person(f"sh_{s}", "school_head", s, s)
        centre_head = {demo_centre: ids["head_cnppm"]}
        for cid in centres[1:]:
            centre_head[cid] = person(f"ch_{cid}", "cnppm_head", cid, cid)
        tutors: dict[int, list[int]] = {cid: [] for cid in centres}
        tutors[demo_centre] += [ids["tutor1"], ids["tutor2"]]
        for k in range(max(2, n_routes // 100)):
            cid = centres[k % len(centres)]
            tutors[cid].append(person(f"tutor_{k:05d}", "tutor", cid, cid))
        methodists = [ids["methodist"]] + [person(f"methodist_{k:03d}", "methodist", region_id, region_id)
                                           for k in range(max(0, n_routes // 5000 - 1))]
        with bind.connect() as r:
            info = r.execute(sa.select(TeacherProfile.__table__.c.info)
                             .where(TeacherProfile.__table__.c.user_id == ids["teacher1"])).scalar_one()
        teachers = []
        for k in range(max(2, n_routes // 2)):
            school = schools[k % len(schools)][0]
            uid = person(f"teacher_{k:06d}", "teacher", school, school)
            profiles.append({"user_id": uid, "school_id": school, "info": info, "updated_at": now})
            teachers.append((uid, school))
        if units:
            c.execute(OrgUnit.__table__.insert(), units)
        for start in range(0, len(users), 5000):
            c.execute(User.__table__.insert(), users[start:start + 5000])
        for start in range(0, len(grants), 5000):
            c.execute(RoleGrant.__table__.insert(), grants[start:start + 5000])
        for start in range(0, len(profiles), 5000):
            c.execute(TeacherProfile.__table__.insert(), profiles[start:start + 5000])
    return Region(centres, schools, school_head, centre_head, tutors, methodists, teachers, names, dict(schools))


# ---------------------------------------------------------------- replication

USER_KEYS = {"teacher_id", "tutor_id", "methodist_id", "assignee_id", "actor_id", "signer_id", "user_id",
             "on_behalf_of_id", "completed_by_id", "created_by_id"}
ROUTE_KEYS = {"route_id", "previous_route_id", "next_route_id", "new_route_id", "prolonged_as"}


class Remap:
    """Template ids → the clone's ids, applied to columns and (by key) inside JSON."""

    def __init__(self, users, routes_, tasks, docs, events, schools):
        self.users, self.routes, self.tasks, self.docs, self.events, self.schools = \
            users, routes_, tasks, docs, events, schools

    def json(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v, key) for v in value]
        if isinstance(value, str):
            return self.tasks.get(value, value)
        if isinstance(value, int) and not isinstance(value, bool):
            if key in USER_KEYS:
                return self.users.get(value, value)
            if key in ROUTE_KEYS:
                return self.routes.get(value, value)
            if key == "document_id":
                return self.docs.get(value, value)
        return value


@dataclass
class Counters:
    route: int
    event: int
    doc: int
    sig: int
    timer: int
    notif: int


def _clone(fam: Family, rx: Region, rng: random.Random, k: int, ids: Counters, with_docs: bool,
           now: datetime) -> dict[str, list[dict]]:
    """The rows of one copy of `fam`: new ids, the region's people, stretched times, new chains."""
    teacher, school = rx.teachers[k % len(rx.teachers)]
    centre = rx.centre_of[school]
    tutor = rng.choice(rx.tutors[centre])
    users = {fam.people["teacher"]: teacher, fam.people["tutor"]: tutor,
             fam.people["methodist"]: rng.choice(rx.methodists), fam.people["cnppm_head"]: rx.centre_head[centre],
             fam.people["school_head"]: rx.school_head[school]}
    route_map = {}
    for rid in fam.route_ids:
        route_map[rid] = ids.route
        ids.route += 1
    task_map = {t["id"]: str(uuid.UUID(int=rng.getrandbits(128), version=4)) for t in fam.rows["tasks"]}
    doc_map = {}
    if with_docs:
        for d in fam.rows["documents"]:
            doc_map[d["id"]] = ids.doc
            ids.doc += 1
    event_map = {}
    for e in fam.rows["events"]:
        event_map[e["id"]] = ids.event
        ids.event += 1
    rm = Remap(users, route_map, task_map, doc_map, event_map, {})
    # times: the drive's seconds stretched onto the family's life
    if fam.name in ACTIVE_FAMILIES:
        start = now - timedelta(days=rng.uniform(20, 330))
        span = (now - start) * rng.uniform(0.4, 0.95)
    else:
        start = now - timedelta(days=rng.uniform(365, 3 * 365))
        span = timedelta(days=rng.uniform(150, 300))
    drive = (fam.t1 - fam.t0) or timedelta(seconds=1)
    factor = span / drive

    def tmap(t: datetime | None) -> datetime | None:
        if t is None:
            return None
        return start + (t - fam.t0) * factor

    def shift(t: datetime | None, ref: datetime) -> datetime | None:
        return None if t is None else t + (tmap(ref) - ref)

    def dmap(d: date | None) -> date | None:
        return None if d is None else d + timedelta(days=(start - fam.t0).days)  # the period keeps its length

    at = {e["id"]: tmap(e["at"]) for e in fam.rows["events"]}  # each event's stretched time
    out: dict[str, list[dict]] = {name: [] for name in TABLES}
    teacher_name = rx.names.get(teacher, "")
    heads = {}
    for r in fam.rows["routes"]:
        row = dict(r)
        row.update(id=route_map[r["id"]], teacher_id=teacher, tutor_id=tutor,
                   methodist_id=users[fam.people["methodist"]], school_id=school, centre_id=centre,
                   previous_route_id=route_map.get(r["previous_route_id"]) if r["previous_route_id"] else None,
                   title=f"ИОМ: {teacher_name}", created_at=tmap(r["created_at"]),
                   created_by_id=users.get(r["created_by_id"], r["created_by_id"]), updated_at=tmap(r["updated_at"]),
                   started_on=dmap(r["started_on"]), ended_on=dmap(r["ended_on"]), order_id=None,
                   card=_dated_card(r["card"], fam.card_dates.get(r["id"], []),
                                    [at[e["id"]] for e in fam.rows["events"] if e["route_id"] == r["id"]]),
                   next_timer_at=shift(r["next_timer_at"], r["updated_at"]))
        out["routes"].append(row)
    updated = {r["id"]: r["updated_at"] for r in fam.rows["routes"]}
    for s in fam.rows["route_states"]:
        out["route_states"].append({**s, "route_id": route_map[s["route_id"]]})
    for t in fam.rows["tasks"]:
        out["tasks"].append({**t, "id": task_map[t["id"]], "route_id": route_map[t["route_id"]],
                             "assignee_id": users.get(t["assignee_id"], t["assignee_id"]),
                             "school_id": school, "centre_id": centre, "created_at": tmap(t["created_at"]),
                             "due_at": shift(t["due_at"], t["created_at"]), "completed_at": tmap(t["completed_at"]),
                             "completed_by_id": users.get(t["completed_by_id"], t["completed_by_id"])})
    prev: dict[int, str] = {}
    for e in fam.rows["events"]:
        rid = route_map[e["route_id"]]
        fields = event_fields(route_id=rid, seq=e["seq"], at=at[e["id"]],
                              actor_id=users.get(e["actor_id"], e["actor_id"]),
                              on_behalf_of_id=users.get(e["on_behalf_of_id"], e["on_behalf_of_id"]),
                              kind=e["kind"], task_id=task_map.get(e["task_id"], e["task_id"]),
                              task_name=e["task_name"], data=rm.json(e["data"]))
        link = prev.get(rid, GENESIS)
        digest = chain_hash(link, fields)
        out["events"].append({**fields, "id": event_map[e["id"]], "prev_hash": link, "hash": digest})
        prev[rid] = digest
    for row in out["routes"]:
        heads[row["id"]] = prev.get(row["id"])
        row["chain_head"] = heads[row["id"]]
    if with_docs:
        for d in fam.rows["documents"]:
            out["documents"].append({**d, "id": doc_map[d["id"]], "route_id": route_map[d["route_id"]],
                                     "created_at": tmap(d["created_at"]), "issued_at": tmap(d["issued_at"])})
        for s in fam.rows["signatures"]:
            out["signatures"].append({**s, "id": ids.sig, "document_id": doc_map[s["document_id"]],
                                      "signer_id": users.get(s["signer_id"], s["signer_id"]),
                                      "task_id": task_map.get(s["task_id"], s["task_id"]),
                                      "signed_at": tmap(s["signed_at"]),
                                      "on_behalf_of_id": users.get(s["on_behalf_of_id"], s["on_behalf_of_id"])})
            ids.sig += 1
    for t in fam.rows["route_timers"]:
        out["route_timers"].append({**t, "id": ids.timer, "route_id": route_map[t["route_id"]],
                                    "task_id": task_map.get(t["task_id"], t["task_id"]),
                                    "fire_at": shift(t["fire_at"], updated[t["route_id"]])})
        ids.timer += 1
    for n in fam.rows["notifications"]:
        link = n["link"]
        for old, new in task_map.items():
            link = link.replace(old, new)
        for old, new in route_map.items():
            link = link.replace(f"/routes/{old}", f"/routes/{new}")
        created = tmap(n["created_at"])
        old_enough = created < now - timedelta(days=14)
        out["notifications"].append({**n, "id": ids.notif, "user_id": users.get(n["user_id"], n["user_id"]),
                                     "route_id": route_map.get(n["route_id"]), "link": link,
                                     "event_id": event_map.get(n["event_id"]), "created_at": created,
                                     "read_at": created + timedelta(hours=20) if old_enough else None})
        ids.notif += 1
    return out


def _pick_families(families: list[Family], n_routes: int, rng: random.Random) -> list[Family]:
    """Families in proportion to their weights until n_routes routes, shuffled."""
    total_w = sum(f.weight for f in families)
    picks: list[Family] = []
    count = 0
    for f in families:
        k = max(1, round(n_routes * f.weight / total_w / len(f.route_ids)))
        picks += [f] * k
        count += k * len(f.route_ids)
    rng.shuffle(picks)
    while count > n_routes and picks:
        f = picks.pop()
        count -= len(f.route_ids)
    while count < n_routes:
        f = next(x for x in families if len(x.route_ids) == 1 and x.name == "implementation")
        picks.append(f)
        count += 1
    return picks


def _next_id(c, table: str) -> int:
    return (c.scalar(sa.text(f"SELECT max(id) FROM {table}")) or 0) + 1


def bump_sequences(bind: sa.Engine) -> None:
    if bind.dialect.name != "postgresql":
        return
    with bind.begin() as c:
        for table in ("org_units", "users", "role_grants", "routes", "events", "documents", "signatures",
                      "route_timers", "notifications"):
            seq = c.scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})
            if seq:
                c.execute(sa.text(f"SELECT setval('{seq}', (SELECT coalesce(max(id), 1) FROM {table}))"))


@dataclass
class Generated:
    routes: int
    events: int
    seconds: float
    families: dict[str, dict[str, Any]]
    doc_sample: int
    template_doc_bytes_per_route: float
    ids: dict[str, int]
    driven_routes: list[int] = field(default_factory=list)


def generate(url: str, n_routes: int, *, seed: int = 2026, doc_sample: int = 50, batch: int = 500) -> Generated:
    """Build the region on the empty database at `url` (see the module docstring)."""
    t_start = time.perf_counter()
    rng = random.Random(seed)
    ctx = build_service_context(url)
    bind = ctx.sessions.kw["bind"]
    migrate.upgrade(bind)
    deployments.deploy(ctx, deployments.read_workflow_files())
    documents.deploy_templates(ctx, documents.read_template_files())
    ids = demo.setup_people(ctx, password_hash=CHEAP_HASH)
    pep.record_acceptances(ctx, ids.values())
    log("[generate] driving the template routes through the service")
    families = drive_templates(ctx, ids)
    for fam in families:
        load_family_rows(bind, fam)
        card_date_plan(ctx, fam)
    log(f"[generate] {len(families)} families driven in {time.perf_counter() - t_start:.1f}s; "
        + ", ".join(f"{f.name}: {len(f.rows['events'])} ev" for f in families))
    driven = sum(len(f.route_ids) for f in families)
    rx = make_region(bind, ids, n_routes, rng)
    log(f"[generate] region: {len(rx.centres)} centres, {len(rx.schools)} schools, "
        f"{sum(map(len, rx.tutors.values()))} tutors, {len(rx.teachers)} teachers")
    picks = _pick_families(families, max(0, n_routes - driven), rng)
    now = datetime.now(UTC)
    with bind.connect() as c:
        counters = Counters(_next_id(c, "routes"), _next_id(c, "events"), _next_id(c, "documents"),
                            _next_id(c, "signatures"), _next_id(c, "route_timers"), _next_id(c, "notifications"))
    order = ["routes", "route_states", "tasks", "events", "documents", "signatures", "route_timers", "notifications"]
    made = events = 0
    for start in range(0, len(picks), batch):
        rows: dict[str, list[dict]] = {name: [] for name in order}
        for k, fam in enumerate(picks[start:start + batch], start):
            with_docs = doc_sample > 0 and k % doc_sample == 0
            for name, part in _clone(fam, rx, rng, k, counters, with_docs, now).items():
                rows[name] += part
        with bind.begin() as c:
            for name in order:
                if rows[name]:
                    c.execute(TABLES[name].insert(), rows[name])
        made += len(rows["routes"])
        events += len(rows["events"])
        if (start // batch) % 20 == 0 or start + batch >= len(picks):
            log(f"[generate] {made + driven}/{n_routes} routes, {events} events, "
                f"{time.perf_counter() - t_start:.0f}s")
    bump_sequences(bind)
    # the worker's retention (services/notification_retention.py) as it runs in a region: notifications
    # read over a year ago go; their space is reused by new rows (here: compacted at once)
    t_prune = time.perf_counter()
    pruned = notification_retention.prune(ctx, now, max_batches=10**7)
    log(f"[generate] retention: {pruned} notifications read over a year ago deleted "
        f"in {time.perf_counter() - t_prune:.0f}s")
    settle(ctx, bind, ("notifications",))
    with bind.connect() as c:
        n_r = c.scalar(sa.text("SELECT count(*) FROM routes"))
        n_e = c.scalar(sa.text("SELECT count(*) FROM events WHERE route_id IS NOT NULL"))
    total_w = sum(f.weight * len(f.route_ids) for f in families)
    per_route_docs = sum(f.doc_bytes * f.weight for f in families) / total_w
    info = {f.name: {"routes": len(f.route_ids), "events": len(f.rows["events"]), "tasks": len(f.rows["tasks"]),
                     "documents": len(f.rows["documents"]), "document_bytes": f.doc_bytes,
                     "clones": sum(1 for p in picks if p is f)} for f in families}
    bind.dispose()
    return Generated(n_r, n_e, time.perf_counter() - t_start, info, doc_sample, per_route_docs, ids,
                     [rid for f in families for rid in f.route_ids])


# ---------------------------------------------------------------- databases

def sqlite_url(n: int, rev: str) -> tuple[str, Path]:
    path = DATA_DIR / f"scale-{n}-{rev}.sqlite3"
    return f"sqlite:///{path}", path


def pg_url(n: int, rev: str, fresh: bool) -> str:
    """A schema of its own (scale_<N>_<rev>) in the database iom_scale (or in the tests' database)."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = PG_ADMIN_URL
    try:
        with admin.connect() as c:
            if not c.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": PG_DATABASE}):
                c.execute(sa.text(f'CREATE DATABASE "{PG_DATABASE}"'))
        base = sa.engine.make_url(PG_ADMIN_URL).set(database=PG_DATABASE).render_as_string(hide_password=False)
    except sa.exc.DBAPIError as exc:
        log(f"[pg] cannot use database {PG_DATABASE} ({exc.orig}); using a schema in {PG_ADMIN_URL}")
    admin.dispose()
    schema = f"scale_{n}_{rev}"
    eng = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        if fresh:
            c.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        c.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    eng.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def meta_path(db: str, n: int, rev: str) -> Path:
    return DATA_DIR / f"scale-{db}-{n}-{rev}.json"


def write_meta(db: str, n: int, rev: str, meta: dict) -> None:
    """What the generation of a database recorded (and its bytes as first measured)."""
    meta_path(db, n, rev).write_text(json.dumps(meta, ensure_ascii=False, indent=1))


def settle(ctx, bind: sa.Engine, rewritten: tuple[str, ...]) -> None:
    """What a region's database looks like after the worker has run: the statistics facts built
    (stats_facts, as the worker keeps them), the space of deleted rows compacted (VACUUM on SQLite;
    VACUUM FULL of the `rewritten` tables on PostgreSQL) and the planner's statistics fresh. On
    PostgreSQL every table is then vacuumed as autovacuum does in a deployment (this machine's server
    runs with autovacuum off): the visibility map lets the queue's and inbox's counts read their
    indexes alone, as they would in a region's running database."""
    t0 = time.perf_counter()
    with bind.connect() as c:
        facts = c.scalar(sa.text("SELECT count(*) FROM stats_routes"))
        routes = c.scalar(sa.text("SELECT count(*) FROM routes"))
    if facts < routes:
        stats_facts.rebuild_all(ctx)
        log(f"[settle] statistics facts built in {time.perf_counter() - t0:.0f}s")
        rewritten = (*rewritten, *(t.__tablename__ for t in stats_facts.FACT_TABLES))
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        if bind.dialect.name == "postgresql":
            for table in rewritten:
                c.execute(sa.text(f"VACUUM FULL {table}"))
            c.execute(sa.text("VACUUM (ANALYZE)"))
        else:
            c.exec_driver_sql("VACUUM")
            c.exec_driver_sql("ANALYZE")


def carry_forward(db: str, n: int, rev: str) -> bool:
    """A database generated at an earlier schema revision, renamed to this one and upgraded with the
    service's own migrations (what a deployment does), instead of generating again; False if none."""
    older = sorted(p for p in DATA_DIR.glob(f"scale-{db}-{n}-*.json") if p != meta_path(db, n, rev))
    if not older:
        return False
    old_rev = older[-1].stem.rsplit("-", 1)[1]
    log(f"[{db}] upgrading the database generated at revision {old_rev} to {rev}")
    if db == "sqlite":
        old_path, new_path = sqlite_url(n, old_rev)[1], sqlite_url(n, rev)[1]
        if not old_path.exists():
            return False
        old_path.rename(new_path)
        url = f"sqlite:///{new_path}"
    else:
        base = pg_url(n, old_rev, fresh=False).rsplit("options=", 1)[0].rstrip("?&")
        eng = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(sa.text(f'DROP SCHEMA IF EXISTS "scale_{n}_{rev}" CASCADE'))
            c.execute(sa.text(f'ALTER SCHEMA "scale_{n}_{old_rev}" RENAME TO "scale_{n}_{rev}"'))
        eng.dispose()
        url = pg_url(n, rev, fresh=False)
    bind = sa.create_engine(url)
    migrate.upgrade(bind)
    settle(build_service_context(url), bind, ("routes", "stats_route_stages"))
    bind.dispose()
    meta = json.loads(older[-1].read_text())
    meta.pop("bytes_first", None)  # measured again at this revision (see first_measured)
    write_meta(db, n, rev, meta)
    older[-1].unlink()
    return True


def prepare(db: str, n: int, rev: str, args) -> tuple[str, dict]:
    """The database's URL, generated now or reused; and what its generation recorded."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    meta = meta_path(db, n, rev)
    reuse = meta.exists() and not args.fresh
    if args.skip_generate and not meta.exists():
        raise SystemExit(f"--skip-generate: no {meta.name}; run without it first")
    if db == "sqlite":
        url, path = sqlite_url(n, rev)
        if not reuse and path.exists():
            path.unlink()
    else:
        url = pg_url(n, rev, fresh=not reuse)
    if not reuse and not args.fresh and carry_forward(db, n, rev):
        url = sqlite_url(n, rev)[0] if db == "sqlite" else pg_url(n, rev, fresh=False)
        reuse = True
    if reuse:
        log(f"[{db}] reusing the generated database ({meta.name})")
        return url, json.loads(meta.read_text())
    meta.unlink(missing_ok=True)
    log(f"[{db}] generating {n} routes")
    g = generate(url, n, doc_sample=args.doc_sample)
    recorded = {"routes": g.routes, "events": g.events, "generation_s": round(g.seconds, 1),
                "families": g.families, "doc_sample": g.doc_sample,
                "template_doc_bytes_per_route": round(g.template_doc_bytes_per_route), "ids": g.ids}
    write_meta(db, n, rev, recorded)
    log(f"[{db}] generated {g.routes} routes, {g.events} events in {g.seconds:.0f}s")
    return url, recorded


# ---------------------------------------------------------------- storage and verify-all

def table_bytes(bind: sa.Engine) -> dict[str, int]:
    """Each table's bytes with its indexes (and TOAST on PostgreSQL)."""
    with bind.connect() as c:
        if bind.dialect.name == "postgresql":
            rows = c.execute(sa.text(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = current_schema()")).all()
            return {name: int(size) for name, size in rows}
        owner = dict(c.execute(sa.text(
            "SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")).all())
        try:
            rows = c.execute(sa.text("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")).all()
        except sa.exc.OperationalError:
            size = Path(bind.url.database).stat().st_size
            return {"(file; dbstat unavailable)": size}
        out: dict[str, int] = {}
        for name, size in rows:
            table = owner.get(name, name)
            out[table] = out.get(table, 0) + int(size)
        return out


def verify_rate(url: str) -> tuple[int, float, int]:
    ctx = build_service_context(url)
    t0 = time.perf_counter()
    total, failures = audit.verify_all(ctx, OPERATOR)
    seconds = time.perf_counter() - t0
    ctx.sessions.kw["bind"].dispose()
    return total, seconds, len(failures)


# ---------------------------------------------------------------- the production server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn -c python:service.gunicorn_conf 'service:create_app()' on a free port."""

    def __init__(self, url: str, workers: int | None = None, worker_class: str | None = None,
                 warm_stats: bool = False):
        """warm_stats: the workers load the statistics facts at start (as in production); off by
        default, so that the read and completion figures are not taken while they load."""
        self.port = free_port()
        env = {**os.environ, **({"IOM_WORKER_CLASS": worker_class} if worker_class else {}),
               "IOM_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url,
               "SESSION_COOKIE_SECURE": "0", "IOM_BIND": f"127.0.0.1:{self.port}",
               "IOM_LOG_LEVEL": "info" if warm_stats else "warning", "IOM_STATS_WARM": "1" if warm_stats else "0"}
        if workers:
            env["IOM_WORKERS"] = str(workers)
        self.workers = workers or (os.cpu_count() or 1) + 1
        self.log_path = DATA_DIR / "gunicorn.log"
        self.log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "python:service.gunicorn_conf",
                                      "--access-logfile", "/dev/null", "service:create_app()"],
                                     cwd=ROOT, env=env, stdout=self.log, stderr=self.log, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        try:
            self._wait()
        except BaseException:
            self.stop()  # never leave a server behind
            raise

    def _wait(self) -> None:
        import requests
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                requests.get(self.base + "/login", timeout=10)
                return
            except requests.RequestException:
                if self.proc.poll() is not None:
                    raise RuntimeError("gunicorn exited; see bench/.data/gunicorn.log") from None
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def wait_for_stats(self, limit_s: float = 600) -> list[str]:
        """Until every worker has logged that it loaded the statistics facts; those lines."""
        deadline = time.time() + limit_s
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_start)
                lines = [line.decode(errors="replace").strip() for line in f if b"statistics facts" in line]
            if len(lines) >= self.workers:
                return lines
            time.sleep(0.5)
        raise RuntimeError(f"the workers did not load the statistics facts within {limit_s:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is not None:
            self.log.close()
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def session_for(base: str, login: str):
    import requests
    s = requests.Session()
    r = s.post(base + "/api/login", json={"login": login, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return s


# ---------------------------------------------------------------- what the measurement looks at

@dataclass
class Subjects:
    tutor: str
    tutor_id: int
    head: str
    auditor: str
    school: int
    stage_with_tasks: str
    search: str
    routes: list[int]
    completers: list[tuple[str, list[str]]]  # (tutor login, ready implementation task ids)


def subjects(url: str, meta: dict) -> Subjects:
    bind = sa.create_engine(url)
    ids = meta["ids"]
    with bind.connect() as c:
        tutor_id, _ = c.execute(sa.text(
            "SELECT t.assignee_id, count(*) n FROM tasks t JOIN role_grants g ON g.user_id = t.assignee_id "
            "AND g.role = 'tutor' WHERE t.state = 'ready' GROUP BY t.assignee_id ORDER BY n DESC, t.assignee_id "
            "LIMIT 1")).one()
        tutor = c.scalar(sa.text("SELECT login FROM users WHERE id = :u"), {"u": tutor_id})
        head_id = ids["head_cnppm"]
        head = c.scalar(sa.text("SELECT login FROM users WHERE id = :u"), {"u": head_id})
        school = c.scalar(sa.text("SELECT school_id FROM routes WHERE centre_id = (SELECT org_unit_id FROM role_grants "
                                  "WHERE user_id = :u AND role = 'cnppm_head' LIMIT 1) GROUP BY school_id "
                                  "ORDER BY count(*) DESC LIMIT 1"), {"u": head_id})
        name = c.scalar(sa.text("SELECT u.full_name FROM routes r JOIN users u ON u.id = r.teacher_id "
                                "WHERE r.status = 'completed' ORDER BY r.id DESC LIMIT 1"))
        sampled = c.execute(sa.text(
            "SELECT r.id FROM routes r WHERE r.status = 'completed' AND EXISTS "
            "(SELECT 1 FROM documents d WHERE d.route_id = r.id) ORDER BY r.id DESC LIMIT 10")).scalars().all()
        rows = c.execute(sa.text(
            "SELECT u.login, t.id FROM tasks t JOIN users u ON u.id = t.assignee_id "
            "WHERE t.state = 'ready' AND t.name = 'implementation' AND u.login LIKE 'tutor\\_%' ESCAPE '\\' "
            "ORDER BY u.login, t.id")).all()
    bind.dispose()
    by_tutor: dict[str, list[str]] = {}
    for login, task_id in rows:
        by_tutor.setdefault(login, []).append(task_id)
    completers = sorted(by_tutor.items(), key=lambda kv: -len(kv[1]))
    surname = (name or "Иванов").split()[0].split("-")[0]  # a common surname: many matches
    return Subjects(tutor, tutor_id, head, "auditor", school, "agreement", surname, list(sampled), completers)


def read_paths(sub: Subjects) -> list[tuple[str, str, str]]:
    """(label, login, path template); {rid} rotates over sampled completed routes."""
    day = date.today()
    q = sub.search
    paths = [("inbox /inbox", sub.tutor, "/inbox"), ("inbox /api/tasks", sub.tutor, "/api/tasks"),
             ("inbox /inbox?sort=due", sub.tutor, "/inbox?sort=due")]
    for label, query in [("", ""), ("sort=newest", "?sort=newest"), ("sort=due", "?sort=due"),
                         ("stage", f"?stage={sub.stage_with_tasks}"), ("school", f"?school={sub.school}"),
                         ("tutor", f"?tutor={sub.tutor_id}"), ("overdue", "?overdue=1"), ("min_days", "?min_days=30"),
                         ("from-to", f"?from={day - timedelta(days=90)}&to={day}"), ("page 2", "?page=2")]:
        paths.append((f"queue /queue{'?' + label if label else ''}", sub.head, f"/queue{query}"))
    paths.append(("queue /api/queue", sub.head, "/api/queue"))
    paths += [("routes /routes", sub.auditor, "/routes"),
              ("routes /routes?q=", sub.auditor, f"/routes?q={q}"),
              ("routes /routes?status=completed", sub.auditor, "/routes?status=completed"),
              ("routes /api/routes", sub.auditor, "/api/routes"),
              ("routes /api/routes?q=", sub.auditor, f"/api/routes?q={q}"),
              ("route /routes/<id>", sub.auditor, "/routes/{rid}"),
              ("route /api/routes/<id>", sub.auditor, "/api/routes/{rid}"),
              ("events /api/routes/<id>/events", sub.auditor, "/api/routes/{rid}/events"),
              ("documents /routes/<id>/documents", sub.auditor, "/routes/{rid}/documents"),
              ("documents /api/routes/<id>/documents", sub.auditor, "/api/routes/{rid}/documents"),
              ("audit /routes/<id>/audit", sub.auditor, "/routes/{rid}/audit")]
    return paths


def p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def absent(status) -> bool:
    """The path does not exist (yet) on this build: 404 or 405 only."""
    return bool(status) and set(status) <= {404, 405}


def measure_reads(base: str, sub: Subjects, clients: int, reps: int) -> dict[str, dict]:
    import requests
    paths = read_paths(sub)
    logins = sorted({login for _, login, _ in paths})
    # one session per client and login (a client plays every role, logged in once as each)
    sessions = [{login: session_for(base, login) for login in logins} for _ in range(clients)]
    times: dict[str, list[float]] = {label: [] for label, _, _ in paths}
    status: dict[str, set] = {label: set() for label, _, _ in paths}
    errors: dict[str, list[str]] = {label: [] for label, _, _ in paths}
    lock = threading.Lock()
    for label, login, path in paths:
        r = sessions[0][login].get(base + path.format(rid=sub.routes[0] if sub.routes else 1), timeout=300)
        status[label].add(r.status_code)

    def client(n: int, rounds: int) -> None:
        mine = sessions[n]
        for rep in range(rounds):
            for label, login, path in paths:
                if absent(status[label]):
                    continue
                rid = sub.routes[(rep + n) % len(sub.routes)] if sub.routes else 1
                t0 = time.perf_counter()
                try:
                    r = mine[login].get(base + path.format(rid=rid), timeout=300)
                except requests.RequestException as exc:  # counted and shown, not retried
                    with lock:
                        errors[label].append(type(exc).__name__)
                    continue
                dt = time.perf_counter() - t0
                with lock:
                    times[label].append(dt * 1000)
                    status[label].add(r.status_code)

    for rounds in (1, reps):  # one untimed round warms every worker up
        for label in times:
            times[label].clear()
            errors[label].clear()
        threads = [threading.Thread(target=client, args=(n, rounds)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return {label: {"p50": p(times[label], 0.5), "p95": p(times[label], 0.95), "n": len(times[label]),
                    "status": sorted(status[label]), "errors": len(errors[label])} for label, _, _ in paths}


def measure_completions(base: str, sub: Subjects, clients: int, per_client: int, used: set[str]) -> tuple[float, int]:
    """Completions per second: `clients` tutors complete `implementation` on their own routes."""
    tutors = iter([(login, [t for t in tasks if t not in used]) for login, tasks in sub.completers])
    chosen: list[list[tuple[Any, str]]] = []  # per client: (the tutor's session, task id); a tutor serves one client
    for _ in range(clients):
        mine: list[tuple[Any, str]] = []
        while len(mine) < per_client:
            login, free = next(tutors, (None, None))
            if login is None:
                raise RuntimeError("not enough ready implementation tasks left for the completions bench")
            if not free:
                continue
            take = free[:per_client - len(mine)]
            used.update(take)
            session = session_for(base, login)
            mine += [(session, t) for t in take]
        chosen.append(mine)
    errors: list[str] = []
    done = [0]
    lock = threading.Lock()

    def client(n: int) -> None:
        for s, task_id in chosen[n]:
            r = s.post(f"{base}/api/tasks/{task_id}/complete", json={"data": {"next": "correction"}}, timeout=300)
            with lock:
                if r.status_code == 200:
                    done[0] += 1
                else:
                    errors.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        log(f"[complete] {len(errors)} failed completions, first: {errors[0]}")
    return done[0] / seconds, len(errors)


# ---------------------------------------------------------------- one database

PAGE_GROUPS = ("inbox", "queue", "routes", "route", "events", "documents", "audit")


def first_measured(db: str, n: int, rev: str, meta: dict, res: dict) -> dict[str, int]:
    """The bytes per route and per event of the database before any run's completions moved its
    routes on (each run adds 50-150 bytes a route): recorded in its meta file the first time it is
    measured at this revision, and read from there on reuse."""
    if "bytes_first" not in meta:
        meta["bytes_first"] = {k: res[k] for k in ("events", "bytes_per_route", "bytes_per_event")}
        write_meta(db, n, rev, meta)
    return meta["bytes_first"]


def run_db(db: str, n: int, rev: str, args) -> dict[str, Any]:
    url, meta = prepare(db, n, rev, args)
    res: dict[str, Any] = {"db": db, "routes": meta["routes"], "events": meta["events"],
                           "generation_s": meta["generation_s"], "meta": meta}
    bind = sa.create_engine(url)
    sizes = table_bytes(bind)
    with bind.connect() as c:
        res["routes"] = c.scalar(sa.text("SELECT count(*) FROM routes"))
        res["events"] = c.scalar(sa.text("SELECT count(*) FROM events WHERE route_id IS NOT NULL"))
        res["sampled_doc_routes"] = c.scalar(sa.text("SELECT count(DISTINCT route_id) FROM documents"))
    bind.dispose()
    res["sizes"] = sizes
    total = sum(sizes.values())
    docs = sum(sizes.get(t, 0) for t in DOC_TABLES)
    res["bytes_total"] = total
    res["bytes_per_route"] = round((total - docs) / res["routes"])
    res["bytes_per_event"] = round(sizes.get("events", 0) / max(1, res["events"]))
    res["state_bytes_per_route"] = round(sizes.get("route_states", 0) / res["routes"])
    res["doc_bytes_per_sampled_route"] = round(docs / max(1, res["sampled_doc_routes"]))
    res["doc_bytes_per_route_driven"] = meta["template_doc_bytes_per_route"]
    res["bytes_first"] = first_measured(db, n, rev, meta, res)
    log(f"[{db}] verify-all")
    checked, seconds, failures = verify_rate(url)
    res["verify_routes"], res["verify_s"], res["verify_failures"] = checked, round(seconds, 2), failures
    res["verify_routes_per_s"] = round(checked / seconds)
    sub = subjects(url, meta)
    res["subjects"] = {"tutor": sub.tutor, "head": sub.head, "auditor": sub.auditor, "search": sub.search,
                       "routes": sub.routes[:3]}
    reps = 3 if args.quick else args.reps
    # one client reads each path `reps_1` times: its p95 is the 4th slowest of 60, not the 2nd of
    # 20, which one or two pauses of the shared machine decided; 8 clients read 8 x `reps`
    rounds = {1: 3 if args.quick else args.reps_1, 8: reps}
    with Server(url) as server:
        res["read_workers"] = server.workers
        for clients in (1, 8):
            log(f"[{db}] read paths, {clients} client(s), {rounds[clients]} rounds, {server.workers} workers")
            res[f"reads_{clients}"] = measure_reads(server.base, sub, clients, rounds[clients])
    used: set[str] = set()
    per_client = 4 if args.quick else args.completions
    res["completions"] = {}
    if not args.no_completions:
        for workers in (1, 4):
            with Server(url, workers) as server:
                # warm-up, untimed: every worker loads the workflow and opens its connections first
                measure_completions(server.base, sub, 8, 2, used)
                for clients in (1, 4, 8):
                    log(f"[{db}] completions: {workers} worker(s), {clients} client(s)")
                    with CpuSplit(server.proc.pid) as cpu:
                        rate, errors = measure_completions(server.base, sub, clients, per_client, used)
                    res["completions"][f"{workers}w_{clients}c"] = {"per_s": round(rate, 1), "errors": errors,
                                                                    "cpu": cpu.per(clients * per_client - errors)}
        res["scaling_bound"] = scaling_bound(res["completions"])
        if db == "pg":
            res["worker_models"] = compare_worker_models(url, sub, used, reps=3 if args.quick else 8,
                                                         per_client=per_client)
        log(f"[{db}] verify-all after the completions")
        res["verify_failures_after"] = verify_rate(url)[2]
    return res


def scaling_bound(completions: dict[str, dict]) -> dict[str, float] | None:
    """What this machine's cores allow completions_scale_4_over_1_workers to be. One worker runs its
    Python on one core at a time (the GIL), so with 8 clients it completes at most 1 / its CPU per
    completion (`server_ms` of the 1-worker run); four workers on C cores complete at most C / the
    CPU per completion of everything involved (server, PostgreSQL, the bench's clients: the
    4-worker run's three parts). The ratio of the two is the most the scaling can show here."""
    one, four = completions.get("1w_8c", {}).get("cpu"), completions.get("4w_8c", {}).get("cpu")
    if not one or not four:
        return None
    cores = os.cpu_count() or 1
    total = four["server_ms"] + four["clients_ms"] + four["rest_ms"]
    return {"cores": cores, "server_ms_1w": one["server_ms"], "total_ms_4w": round(total, 1),
            "bound": round(min(4, cores * one["server_ms"] / total), 2) if total else None}


def compare_worker_models(url: str, sub, used: set[str], reps: int, per_client: int) -> dict[str, dict]:
    """The production server's worker model chosen by measurement: the same worker processes
    (CPU count + 1) as `sync` (one request each) and as `gthread` (4 threads each), 8 clients:
    completions per second and the worst read p95."""
    out = {}
    for model in ("sync", "gthread"):
        with Server(url, worker_class=model) as server:
            measure_completions(server.base, sub, 8, 2, used)  # warm-up, untimed
            log(f"[pg] worker model {model}: {server.workers} workers, 8 clients")
            rate, errors = measure_completions(server.base, sub, 8, per_client, used)
            reads = measure_reads(server.base, sub, 8, reps)
            p95, label = worst(reads)
            out[model] = {"workers": server.workers, "completions_8c_per_s": round(rate, 1), "errors": errors,
                          "reads_8c_worst_p95_ms": round(p95, 1), "worst_page": label}
    return out


def worst(reads: dict[str, dict], groups=PAGE_GROUPS) -> tuple[float, str]:
    found = [(v["p95"], label) for label, v in reads.items()
             if label.split()[0] in groups and v["n"] and not absent(v["status"])]
    return max(found) if found else (float("nan"), "")


def print_report(results: list[dict]) -> None:
    for res in results:
        db = res["db"]
        print(f"\n== {db}: {res['routes']} routes, {res['events']} events "
              f"(generation {res['generation_s']:.0f} s; documents on {res['sampled_doc_routes']} sampled routes)")
        print(f"{'path':44} {'1 client p50':>12} {'p95':>8} {'8 clients p50':>14} {'p95':>8}  status")
        r1, r8 = res["reads_1"], res["reads_8"]
        for label in r1:
            a, b = r1[label], r8[label]
            if absent(a["status"]):
                print(f"{label:44} {'absent':>12}  {a['status']}")
                continue
            failed = a["errors"] + b["errors"]
            print(f"{label:44} {a['p50']:12.1f} {a['p95']:8.1f} {b['p50']:14.1f} {b['p95']:8.1f}  "
                  f"{','.join(map(str, sorted(set(a['status']) | set(b['status']))))}"
                  + (f"  {failed} connection errors" if failed else ""))
        for key, v in res["completions"].items():
            cpu = v.get("cpu", {})
            print(f"completions {key:32} {v['per_s']:8.1f} /s  errors {v['errors']}"
                  + (f"  CPU per completion: server {cpu['server_ms']} ms ({cpu['server_cores']} cores busy), "
                     f"clients {cpu['clients_ms']} ms, rest of the machine {cpu['rest_ms']} ms" if cpu else ""))
        if res.get("scaling_bound"):
            b = res["scaling_bound"]
            print(f"scaling 1 -> 4 workers can reach at most {b['bound']} on {b['cores']} cores: one worker's "
                  f"{b['server_ms_1w']} ms of CPU per completion against {b['total_ms_4w']} ms for everything")
        for model, v in res.get("worker_models", {}).items():
            print(f"worker model {model:8} ({v['workers']} workers, 8 clients): {v['completions_8c_per_s']:.1f} "
                  f"completions/s, worst read p95 {v['reads_8c_worst_p95_ms']:.1f} ms ({v['worst_page']})")
        print(f"verify-all: {res['verify_routes']} routes in {res['verify_s']} s = {res['verify_routes_per_s']} "
              f"routes/s, failures {res['verify_failures']}"
              + (f" (after completions: {res['verify_failures_after']})" if "verify_failures_after" in res else ""))
        first = res["bytes_first"]
        print(f"bytes as first measured at this revision ({first['events']} events): per route "
              f"{first['bytes_per_route']} (no documents), per event {first['bytes_per_event']}")
        print(f"bytes now: total {res['bytes_total'] / 1e6:.0f} MB; per route {res['bytes_per_route']} (no documents); "
              f"per event {res['bytes_per_event']}; engine state per route {res['state_bytes_per_route']}; "
              f"document tables per sampled route {res['doc_bytes_per_sampled_route']}; document bytes per route "
              f"(driven routes, family mix) {res['doc_bytes_per_route_driven']} -> plan "
              f"{res['doc_bytes_per_route_driven'] * res['routes'] / 1e9:.1f} GB for {res['routes']} routes")
        per = sorted(res["sizes"].items(), key=lambda kv: -kv[1])
        print("per route by table: " + ", ".join(f"{t} {s / res['routes']:.0f}" for t, s in per[:10]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", choices=("sqlite", "pg", "both"), default="both")
    ap.add_argument("--routes", type=int, default=100_000)
    ap.add_argument("--skip-generate", action="store_true", help="only measure a database generated before")
    ap.add_argument("--fresh", action="store_true", help="generate again even if a database was made before")
    ap.add_argument("--quick", action="store_true", help="3 read rounds, 4 completions per client")
    ap.add_argument("--reps", type=int, default=20, help="read rounds per client, 8 clients")
    ap.add_argument("--reps-1", type=int, default=60, help="read rounds of the single client")
    ap.add_argument("--completions", type=int, default=25, help="completions per client and run")
    ap.add_argument("--no-completions", action="store_true")
    ap.add_argument("--generate-only", action="store_true", help="make (or keep) the databases, measure nothing")
    ap.add_argument("--doc-sample", type=int, default=50, help="document rows for 1 route in this many")
    args = ap.parse_args()
    t_start = time.perf_counter()
    rev = schema_revision()
    dbs = ["sqlite", "pg"] if args.db == "both" else [args.db]
    if args.generate_only:
        for db in dbs:
            prepare(db, args.routes, rev, args)
        return
    results = [run_db(db, args.routes, rev, args) for db in dbs]
    print_report(results)
    by = {r["db"]: r for r in results}

    def get(db: str, fn):
        return fn(by[db]) if db in by else None

    inbox = lambda r: round(max(v["p95"] for k, v in r["reads_1"].items() if k.startswith("inbox")), 1)  # noqa: E731
    worst1 = lambda r: round(worst(r["reads_1"])[0], 1)  # noqa: E731
    scale = None
    if "pg" in by and by["pg"]["completions"]:
        c = by["pg"]["completions"]
        scale = round(c["4w_8c"]["per_s"] / c["1w_8c"]["per_s"], 2)
    first = results[0]
    out = {"routes": first["routes"], "events": first["events"],
           "inbox_p95_ms_sqlite": get("sqlite", inbox), "inbox_p95_ms_pg": get("pg", inbox),
           "worst_page_p95_ms_sqlite": get("sqlite", worst1), "worst_page_p95_ms_pg": get("pg", worst1),
           "pg_8_clients_worst_p95_ms": get("pg", lambda r: round(worst(r["reads_8"])[0], 1)),
           "completions_scale_4_over_1_workers": scale,
           "bytes_per_route_sqlite": get("sqlite", lambda r: r["bytes_first"]["bytes_per_route"]),
           "bytes_per_route_pg": get("pg", lambda r: r["bytes_first"]["bytes_per_route"]),
           "bytes_per_route_now": {r["db"]: r["bytes_per_route"] for r in results},
           "completions_scale_bound_pg": get("pg", lambda r: (r.get("scaling_bound") or {}).get("bound")),
           "worst_page_sqlite": get("sqlite", lambda r: worst(r["reads_1"])[1]),
           "worst_page_pg": get("pg", lambda r: worst(r["reads_1"])[1]),
           "verify_routes_per_s": {r["db"]: r["verify_routes_per_s"] for r in results},
           "worker_models_pg": get("pg", lambda r: r.get("worker_models")),
           "bytes_per_event": {r["db"]: r["bytes_per_event"] for r in results},
           "state_bytes_per_route": {r["db"]: r["state_bytes_per_route"] for r in results},
           "doc_bytes_per_route": first["doc_bytes_per_route_driven"],
           "generation_s": {r["db"]: r["generation_s"] for r in results},
           "run_s": round(time.perf_counter() - t_start)}
    print(f"\ntotal run time {out['run_s']} s")
    print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
