"""The statistics facts held in memory as columns (numpy arrays), so that the statistics page groups
a region's million steps in milliseconds instead of asking the database to scan them on every view.

Each web process keeps one `Facts` per database (on the ServiceContext). Before a page reads it,
`current` compares the database's counters (`numbers`, moved by stats_facts.refresh_routes) with
the ones it was built from: the same epoch and a newer sequence number → only the routes refreshed
since (stats_routes.seq) are read again and their rows replaced; another epoch (a full rebuild, a
deleted route) → everything is read again. So a page always sees what the facts tables hold when it
starts, at the cost of one small query when nothing changed.

Layout: the route columns are dense arrays indexed by route id (`present` says which ids have facts),
so a route mask selects the child rows of steps, stage stretches, deficits and activities with one
gather (`mask[rows.route]`). Text columns are codes into a vocabulary per column (`Vocab`); dates
are proleptic ordinals (`date.toordinal()`), moments are POSIX seconds; a missing end is END32, a
missing due moment END.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

from service.db.models import (
    StatsActivity,
    StatsDeficit,
    StatsRoute,
    StatsRouteStage,
    StatsState,
    StatsStep,
    StatsStepTitle,
)

END = 2**62  # a due moment that is not there: after every moment
END32 = 2**31 - 1  # an end (a day, a month) that is not there: after every day and month
NONE = -1  # a number that is not there (working days)
MAX_DENSE_GROUPS = 4_000_000  # never count into more slots than this: group by sorting instead


class Vocab:
    """Codes 0..n-1 for the distinct texts of one column, in the order first met."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.codes: dict[str, int] = {}

    def encode(self, values: Iterable[str]) -> np.ndarray:
        codes, texts = self.codes, self.texts
        out = []
        for v in values:
            c = codes.get(v)
            if c is None:
                c = codes[v] = len(texts)
                texts.append(v)
            out.append(c)
        return np.array(out, dtype=np.int32)

    def code(self, text: str) -> int:
        """The code of a text, or -1 (matches no row) if no row has it."""
        return self.codes.get(text, -1)

    def __len__(self) -> int:
        return len(self.texts)


def numbers(session) -> tuple[int, int]:
    """(epoch, seq) of the facts tables now."""
    found = dict(session.execute(sa.select(StatsState.key, StatsState.number)
                                 .where(StatsState.key.in_(("epoch", "seq")))).all())
    return int(found.get("epoch") or 0), int(found.get("seq") or 0)


def _day(d: date | None, missing: int) -> int:
    return d.toordinal() if d is not None else missing


def _moment(at: datetime | None) -> int:
    return int(at.timestamp()) if at is not None else END


@dataclass
class Table:
    """Rows of one fact table as columns; `route` is every row's route id."""

    columns: dict[str, np.ndarray]

    @property
    def route(self) -> np.ndarray:
        return self.columns["route"]

    def __len__(self) -> int:
        return len(self.columns["route"])

    def without(self, drop_by_route: np.ndarray) -> Table:
        keep = ~drop_by_route[self.route]
        return Table({k: v[keep] for k, v in self.columns.items()})

    def plus(self, other: Table) -> Table:
        return Table({k: np.concatenate([v, other.columns[k]]) for k, v in self.columns.items()})


# (column, SQL expression, kind): text → Vocab codes, day → ordinal (END when missing), day0 → ordinal
# (0 when missing), moment → POSIX seconds (END when missing), int → int (NONE when missing), bool
_CHILDREN: dict[str, tuple[Any, list[tuple[str, Any, str]]]] = {
    "steps": (StatsStep, [("name", StatsStep.name, "text"), ("stage", StatsStep.stage, "text"),
                          ("state", StatsStep.state, "text"),
                          ("assignee", StatsStep.assignee_id, "int"), ("due", StatsStep.due_at, "moment"),
                          ("completed", StatsStep.completed_on, "day0"), ("days", StatsStep.working_days, "int"),
                          ("returned", StatsStep.returned, "bool")]),
    "stages": (StatsRouteStage, [("stage", StatsRouteStage.stage, "text"),
                                 ("entered", StatsRouteStage.entered_month, "int"),
                                 ("left", StatsRouteStage.left_month, "end")]),
    "deficits": (StatsDeficit, [("phase", StatsDeficit.phase, "text"), ("area", StatsDeficit.area, "text"),
                                ("level", StatsDeficit.level, "text"), ("count", StatsDeficit.count, "int")]),
    "activities": (StatsActivity, [("level", StatsActivity.level, "text"), ("form", StatsActivity.form, "text"),
                                   ("status", StatsActivity.status, "text"), ("reason", StatsActivity.reason, "text")]),
}
_ROUTE_COLUMNS: list[tuple[str, Any, str]] = [
    ("centre", StatsRoute.centre_id, "int"), ("school", StatsRoute.school_id, "int"),
    ("tutor", StatsRoute.tutor_id, "int"), ("subject", StatsRoute.subject, "text"),
    ("status", StatsRoute.status, "text"), ("stage", StatsRoute.stage, "text"),
    ("created", StatsRoute.created_on, "day"), ("end", StatsRoute.end_on, "day"),
    ("days", StatsRoute.working_days, "int"), ("corrections", StatsRoute.corrections, "int"),
    ("deficits_closed", StatsRoute.deficits_closed, "int"),
]
_DTYPES = {"text": np.int32, "int": np.int32, "end": np.int32, "day": np.int32, "day0": np.int32,
           "moment": np.int64, "bool": np.bool_}
CHUNK = 50_000  # rows converted at a time: the Python tuples of a whole region would take ten times the arrays


def _convert(values: Sequence[Any], kind: str, vocab: Vocab | None) -> np.ndarray:
    dtype = _DTYPES[kind]
    if kind == "text":
        return vocab.encode("" if v is None else v for v in values)
    if kind == "day":
        return np.array([_day(v, END32) for v in values], dtype=dtype)
    if kind == "day0":
        return np.array([_day(v, 0) for v in values], dtype=dtype)
    if kind == "moment":
        return np.array([_moment(v) for v in values], dtype=dtype)
    if kind == "end":
        return np.array([END32 if v is None else v for v in values], dtype=dtype)
    if kind == "bool":
        return np.array([bool(v) for v in values], dtype=dtype)
    return np.array([NONE if v is None else v for v in values], dtype=dtype)


def _columns(session, model, spec: list[tuple[str, Any, str]], where: list, vocab) -> dict[str, np.ndarray]:
    """route plus the spec's columns of the rows matching `where`, read and converted CHUNK rows at a time."""
    stmt = sa.select(model.route_id, *(c for _, c, _ in spec)).where(*where).execution_options(yield_per=CHUNK)
    parts: dict[str, list[np.ndarray]] = {"route": [], **{name: [] for name, _, _ in spec}}
    for chunk in session.execute(stmt).partitions():
        cols = list(zip(*chunk, strict=True))
        parts["route"].append(np.array(cols[0], dtype=np.int32))
        for i, (name, _, kind) in enumerate(spec, start=1):
            parts[name].append(_convert(cols[i], kind, vocab(name) if kind == "text" else None))
    dtypes = {"route": np.int32, **{name: _DTYPES[kind] for name, _, kind in spec}}
    return {name: np.concatenate(p) if p else np.zeros(0, dtype=dtypes[name]) for name, p in parts.items()}


@dataclass
class Facts:
    """One database's statistics facts as of (epoch, seq)."""

    epoch: int
    seq: int
    routes: dict[str, np.ndarray]  # dense by route id; "present" marks the ids with facts
    tables: dict[str, Table]
    vocab: dict[str, Vocab] = field(default_factory=dict)  # "<table>.<column>" → its texts
    titles: dict[str, str] = field(default_factory=dict)  # a step's title by its name

    def voc(self, table: str, column: str) -> Vocab:
        return self.vocab.setdefault(f"{table}.{column}", Vocab())

    @property
    def size(self) -> int:
        return len(self.routes["present"])


def _read(session, facts: Facts, ids: list[int] | None) -> tuple[dict[str, np.ndarray], dict[str, Table]]:
    """The facts of these routes (every route when ids is None) as columns."""
    def where(model):
        return [model.route_id.in_(ids)] if ids is not None else []

    routes = _columns(session, StatsRoute, _ROUTE_COLUMNS, where(StatsRoute), lambda c: facts.voc("routes", c))
    routes["id"] = routes.pop("route")
    tables = {key: Table(_columns(session, model, spec, where(model), lambda c, key=key: facts.voc(key, c)))
              for key, (model, spec) in _CHILDREN.items()}
    return routes, tables


def _dense(routes: dict[str, np.ndarray], size: int) -> dict[str, np.ndarray]:
    out = {"present": np.zeros(size, dtype=np.bool_)}
    out["present"][routes["id"]] = True
    for name, _, kind in _ROUTE_COLUMNS:
        col = np.full(size, NONE, dtype=_DTYPES[kind])
        col[routes["id"]] = routes[name]
        out[name] = col
    return out


def load(session) -> Facts:
    """Every route's facts, as of the counters read first (rows refreshed meanwhile are read again
    by the next `current`)."""
    epoch, seq = numbers(session)
    facts = Facts(epoch, seq, {}, {})
    routes, tables = _read(session, facts, None)
    size = int(routes["id"].max()) + 1 if len(routes["id"]) else 1
    facts.routes, facts.tables = _dense(routes, size), tables
    facts.titles = _titles(session)
    return facts


def _titles(session) -> dict[str, str]:
    return dict(session.execute(sa.select(StatsStepTitle.name, StatsStepTitle.title)).all())


def _updated(session, facts: Facts, seq: int) -> Facts:
    """These facts with the routes refreshed after facts.seq read again."""
    ids = list(session.scalars(sa.select(StatsRoute.route_id).where(StatsRoute.seq > facts.seq)))
    if not ids:
        return Facts(facts.epoch, seq, facts.routes, facts.tables, facts.vocab, facts.titles)
    routes, tables = _read(session, facts, ids)
    size = max(facts.size, max(ids) + 1)
    dense = facts.routes
    if size > facts.size:  # new routes: grow the dense columns
        grown = {}
        for name, col in dense.items():
            fill = False if name == "present" else NONE
            grown[name] = np.concatenate([col, np.full(size - facts.size, fill, dtype=col.dtype)])
        dense = grown
    else:
        dense = {name: col.copy() for name, col in dense.items()}
    dense["present"][ids] = False
    dense["present"][routes["id"]] = True
    for name, _, _ in _ROUTE_COLUMNS:
        dense[name][routes["id"]] = routes[name]
    dropped = np.zeros(size, dtype=np.bool_)
    dropped[ids] = True
    kept = {key: facts.tables[key].without(dropped).plus(tables[key]) for key in facts.tables}
    return Facts(facts.epoch, seq, dense, kept, facts.vocab, _titles(session))


class FactsHolder:
    """The process's Facts for one database, brought up to date before each use."""

    def __init__(self) -> None:
        self._facts: Facts | None = None
        self._lock = threading.Lock()

    def current_held(self) -> Facts | None:
        """What this process holds now, without asking the database."""
        return self._facts

    def current(self, session) -> Facts:
        epoch, seq = numbers(session)
        with self._lock:
            facts = self._facts
            if facts is None or facts.epoch != epoch:
                facts = load(session)
            elif facts.seq < seq:
                facts = _updated(session, facts, seq)
            self._facts = facts
            return facts


# ---- grouping ------------------------------------------------------------------------------------
def groups(keys: Sequence[tuple[np.ndarray, int]], weights: np.ndarray | None = None
           ) -> list[tuple[tuple[int, ...], int]]:
    """Count (or sum `weights`) the rows per combination of key columns; each key is (codes, bound)
    with codes in 0..bound-1. Returns ((code, ...), total) for the combinations present."""
    n = len(keys[0][0])
    if n == 0:
        return []
    combined = np.zeros(n, dtype=np.int64)
    space = 1
    for codes, bound in keys:
        combined = combined * bound + codes
        space *= bound
    if space <= min(MAX_DENSE_GROUPS, max(4 * n, 1 << 16)):  # counting beats sorting unless mostly empty
        counts = np.bincount(combined, minlength=space)
        present = np.flatnonzero(counts)
        totals = counts[present] if weights is None else np.bincount(combined, weights, space)[present]
    else:
        present, inverse = np.unique(combined, return_inverse=True)
        totals = np.bincount(inverse, weights=weights)
    out = []
    for value, total in zip(present.tolist(), totals.tolist(), strict=True):
        parts = []
        for _, bound in reversed(keys):
            value, part = divmod(value, bound)
            parts.append(part)
        out.append((tuple(reversed(parts)), int(round(total))))
    return out


def warm(ctx) -> str:
    """Load the facts now (a web worker's start, in a thread of its own), so that the first statistics
    page does not wait for them; what was loaded, in words for the log. A failure is logged and left
    to that page."""
    started = time.perf_counter()
    try:
        with ctx.uow() as uow:
            facts = ctx.stats.current(uow.session)
    except Exception:  # the page loads them itself and reports its own error
        logging.getLogger(__name__).exception("loading the statistics facts at start failed")
        return "statistics facts not loaded (see the error above)"
    routes = int(np.count_nonzero(facts.routes["present"]))
    rows = sum(len(t) for t in facts.tables.values())
    return f"statistics facts loaded: {routes} routes, {rows} rows in {time.perf_counter() - started:.1f} s"
