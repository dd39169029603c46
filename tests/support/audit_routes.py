"""A finished route on a real database, and what an intruder with write access to that database
can do to its record: shared by the audit tests (tamper, replay)."""

from __future__ import annotations

import copy

import sqlalchemy as sa

from service.db.models import Document, Event, Route, Signature
from service.domain.audit import GENESIS, chain_hash, event_fields
from service.samples import VALID
from service.services import accounts, demo, routes

EVENTS = Event.__table__
DOCUMENTS = Document.__table__
SIGNATURES = Signature.__table__
ROUTES = Route.__table__


def db_engine(app) -> sa.Engine:
    return app.extensions["iom"].sessions.kw["bind"]


def new_route(app) -> int:
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    return routes.create_route(ctx, head, routes.NewRoute(ids["teacher1"], ids["tutor1"], ids["methodist"]))


def drive(app, rid: int) -> None:
    """draft → plan signatures (the teacher returns it once) → agreement → approval → one
    correction with its three signatures; the route ends back at the implementation hub."""
    ctx = app.extensions["iom"]
    steps = [
        ("draft", VALID["draft"]),
        ("plan_signatures_methodist", VALID["sign"]),
        ("plan_signatures_teacher", {"decision": "return", "comment": "Уточните сроки стажировки"}),
        ("draft", VALID["draft"]),
        ("plan_signatures_methodist", VALID["sign"]),
        ("plan_signatures_teacher", VALID["sign"]),
        ("agreement", VALID["review"]),
        ("approval", {"decision": "accept", "comment": "Утверждаю"}),
        ("implementation", {"next": "correction"}),
        ("correction", VALID["correction"]),
        ("correction_signatures_teacher", VALID["sign"]),
        ("correction_signatures_tutor", VALID["sign"]),
        ("correction_signatures_methodist", VALID["sign"]),
    ]
    for name, data in steps:
        demo.complete_as_assignee(ctx, rid, name, data)


def stored_events(app, rid: int) -> list:
    with db_engine(app).connect() as conn:
        return conn.execute(sa.select(EVENTS).where(EVENTS.c.route_id == rid).order_by(EVENTS.c.seq)).all()


def as_intruder(app, sql, params=None) -> None:
    """What someone with write access to the database can do: drop the append-only triggers,
    then run `sql` (text or a Core statement, or a list of them) on the app's engine."""
    engine = db_engine(app)
    on = " ON events" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as conn:
        for trigger in ("events_no_update", "events_no_delete"):
            conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {trigger}{on}"))
        for statement in sql if isinstance(sql, list) else [sql]:
            conn.execute(sa.text(statement) if isinstance(statement, str) else statement, params or {})


def rechain(app, rid: int, seq: int, change) -> None:
    """Alter event `seq`'s data with `change`, then recompute every hash from there on and the
    route's chain head, so the chain itself verifies again and only a replay can tell."""
    statements, prev = [], GENESIS
    for e in stored_events(app, rid):
        data = copy.deepcopy(e.data)
        if e.seq == seq:
            change(data)
        digest = chain_hash(prev, event_fields(route_id=e.route_id, seq=e.seq, at=e.at, actor_id=e.actor_id,
                                               on_behalf_of_id=e.on_behalf_of_id, kind=e.kind, task_id=e.task_id,
                                               task_name=e.task_name, data=data))
        if e.seq >= seq:
            statements.append(sa.update(EVENTS).where(EVENTS.c.id == e.id)
                              .values(data=data, prev_hash=prev, hash=digest))
        prev = digest
    statements.append(sa.update(ROUTES).where(ROUTES.c.id == rid).values(chain_head=prev))
    as_intruder(app, statements)
