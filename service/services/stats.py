"""The statistics page's figures (issue 15), from the facts of service/services/stats_facts.py.

Who sees what: the CNPPM head their centre(s), the school head and the deputy their school(s), the
auditor and the admin the region; anyone else is refused. A filter naming a centre or a school
outside that scope is refused too: the scope wins.

What is counted: the routes in scope that match the filters (centre, school, subject, current
stage) and were active in the period (opened by its end, not ended before its start). Waits are
the steps of those routes completed in the period, in working days of the region's calendar
(created → completed); medians and 90th percentiles are interpolated between the nearest values
(as `statistics.median`) from `GROUP BY working_days` histograms. Overdue: tasks waiting now past
their due date. Final deficits and closed deficits: completed and prolonged routes only.
Every query groups and is bounded by the number of groups, never by the number of routes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa

from service.db.models import OrgUnit, Route, StatsActivity, StatsDeficit, StatsRoute, StatsRouteStage, StatsStep, User
from service.domain.access import Actor, units_with
from service.domain.errors import FieldProblem, FormRejected, NotAllowed, NotFound
from service.domain.route_rules import STAGE_TITLES
from service.domain.states import RouteStatus, TaskState
from service.services import stats_facts
from service.services.context import ServiceContext
from service.services.stats_columns import END, Facts, groups

SR, SS = StatsRoute, StatsStep
FINISHED = (RouteStatus.COMPLETED, RouteStatus.PROLONGED)
STATUS_TITLES = {"active": "В работе", "completed": "Завершены", "prolonged": "Продлены", "cancelled": "Отменены"}
AREAS = ("предметные", "методические", "психолого-педагогические", "коммуникативные", "ИКТ")
LEVELS = ("федеральный", "региональный", "муниципальный", "уровень ОО")
DEFICIT_LEVELS = {"entry_high": "высокий", "entry_medium": "средний", "entry_base": "базовый"}
CORRECTION_BUCKETS = ("0", "1", "2", "3+")
MAX_MONTHS = 120
PER_PAGE = 50
PAGE_ROWS = 50  # a table's rows on the statistics page; the rest on the table's own pages and in the exports
STATS_ROLES = ("admin", "auditor", "cnppm_head", "school_head", "deputy_head")


# ---- pure helpers --------------------------------------------------------------------------------
def quantile(histogram: Mapping[int, int] | Iterable[tuple[int, int]], q: float) -> float | None:
    """The q-quantile (0..1) of the values a histogram (value → how many) describes, interpolated
    linearly between the two nearest values (numpy's default; q=0.5 is the usual median); None if empty."""
    pairs = sorted(histogram.items() if isinstance(histogram, Mapping) else histogram)
    pairs = [(v, n) for v, n in pairs if n > 0]
    total = sum(n for _, n in pairs)
    if not total:
        return None
    h = (total - 1) * q
    lo, frac = math.floor(h), h - math.floor(h)

    def kth(k: int) -> int:
        seen = 0
        for value, n in pairs:
            seen += n
            if k < seen:
                return value
        return pairs[-1][0]

    a = kth(lo)
    return round(a + frac * (kth(lo + 1) - a), 1) if frac else float(a)


def share(part: int, whole: int) -> float | None:
    """part of whole in percent, one decimal; None when there is no whole."""
    return round(100.0 * part / whole, 1) if whole else None


def months_between(first: date, last: date) -> list[int]:
    """Month indices (year*12 + month - 1) from the month of `first` to that of `last`; at most
    MAX_MONTHS, the latest."""
    a, b = stats_facts.month_index(first), stats_facts.month_index(last)
    return list(range(max(a, b - MAX_MONTHS + 1), b + 1))


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def default_period(today: date) -> tuple[date, date]:
    """The last 12 months: from the first day of the month 11 months back to today."""
    back = stats_facts.month_index(today) - 11
    return date(back // 12, back % 12 + 1, 1), today


# ---- filters -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatsFilters:
    date_from: date | None = None
    date_to: date | None = None
    centre_id: int | None = None
    school_id: int | None = None
    subject: str | None = None
    stage: str | None = None

    def query(self) -> dict[str, str]:
        """The query-string parameters these filters come from (only those set)."""
        pairs = {"from": self.date_from, "to": self.date_to, "centre": self.centre_id, "school": self.school_id,
                 "subject": self.subject, "stage": self.stage}
        return {k: v.isoformat() if isinstance(v, date) else str(v) for k, v in pairs.items() if v is not None}


def parse_filters(args: Mapping[str, str]) -> StatsFilters:
    """Query-string → filters; FormRejected (422) naming each bad field in Russian."""
    problems: list[FieldProblem] = []

    def text(key: str) -> str | None:
        value = args.get(key)
        return value.strip() or None if isinstance(value, str) else None

    def day(key: str) -> date | None:
        value = text(key)
        if value is None:
            return None
        try:
            return date.fromisoformat(value) if len(value) == 10 else _bad_date()
        except ValueError:
            problems.append(FieldProblem(f"/{key}", "Укажите дату в виде ГГГГ-ММ-ДД"))
            return None

    def number(key: str) -> int | None:
        value = text(key)
        if value is None:
            return None
        if not value.isdigit() or not 0 < int(value) < 2**31:
            problems.append(FieldProblem(f"/{key}", "Выберите организацию из списка"))
            return None
        return int(value)

    date_from, date_to = day("from"), day("to")
    if date_from and date_to and date_from > date_to:
        problems.append(FieldProblem("/to", "Конец периода раньше его начала"))
    stage, subject = text("stage"), text("subject")
    if stage is not None and stage not in STAGE_TITLES:
        problems.append(FieldProblem("/stage", "Выберите этап из списка"))
    if subject is not None and len(subject) > 300:
        problems.append(FieldProblem("/subject", "Предмет — не длиннее 300 символов"))
    centre, school = number("centre"), number("school")
    if problems:
        raise FormRejected(problems, "Фильтр статистики задан с ошибками")
    return StatsFilters(date_from, date_to, centre, school, subject, stage)


def _bad_date() -> date:
    raise ValueError("not YYYY-MM-DD")


# ---- scope ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    kind: str  # region | centre | school
    centres: frozenset[int] | None  # None: every centre (the region)
    schools: frozenset[int]

    def clause(self):
        if self.centres is None:
            return sa.true()
        # only the parts that name units: an empty IN inside an OR keeps SQLite from any index
        parts = ([SR.centre_id.in_(self.centres)] if self.centres else []) + (
            [SR.school_id.in_(self.schools)] if self.schools else [])
        return parts[0] if len(parts) == 1 else sa.or_(*parts)

    def mask(self, routes: dict[str, np.ndarray]) -> np.ndarray:
        """`clause` on the in-memory route columns (stats_columns.Facts.routes): a mask by route id."""
        if self.centres is None:
            return np.ones(len(routes["present"]), dtype=np.bool_)
        return np.isin(routes["centre"], list(self.centres)) | np.isin(routes["school"], list(self.schools))


def scope_of(actor: Actor) -> Scope:
    """The part of the region the actor's statistics cover; NotAllowed for those without one."""
    if actor.is_admin or actor.has("auditor"):
        return Scope("region", None, frozenset())
    centres = units_with(actor, "cnppm_head")
    schools = units_with(actor, "school_head") | units_with(actor, "deputy_head")
    if not centres and not schools:
        raise NotAllowed("Статистика доступна руководителям ЦНППМ и ОО, аудитору и администратору")
    return Scope("centre" if centres else "school", frozenset(centres), frozenset(schools))


def _options(s, scope: Scope, facts: Facts) -> dict[str, Any]:
    units = s.execute(sa.select(OrgUnit.id, OrgUnit.kind, OrgUnit.name, OrgUnit.parent_id)
                      .where(OrgUnit.kind.in_(("centre", "school"))).order_by(OrgUnit.name, OrgUnit.id)).all()
    if scope.centres is None:
        centres = [u for u in units if u.kind == "centre"]
        schools = [u for u in units if u.kind == "school"]
    else:
        schools = [u for u in units if u.kind == "school" and (u.id in scope.schools or u.parent_id in scope.centres)]
        parents = scope.centres | {u.parent_id for u in schools}
        centres = [u for u in units if u.kind == "centre" and u.id in parents]
    r = facts.routes
    within = r["present"] & scope.mask(r)
    vocab = facts.voc("routes", "subject")
    subjects = sorted(vocab.texts[c] for c in np.unique(r["subject"][within]).tolist())
    return {"centres": [{"id": u.id, "name": u.name} for u in centres],
            "schools": [{"id": u.id, "name": u.name} for u in schools],
            "subjects": list(subjects),
            "stages": [{"key": k, "title": t} for k, t in STAGE_TITLES.items()]}


def _title(s, scope: Scope) -> str:
    if scope.kind == "region":
        name = s.scalar(sa.select(OrgUnit.name).where(OrgUnit.kind == "region").order_by(OrgUnit.id).limit(1))
        return name or "Регион"
    ids = scope.centres if scope.kind == "centre" else scope.schools
    names = s.scalars(sa.select(OrgUnit.name).where(OrgUnit.id.in_(ids)).order_by(OrgUnit.name)).all()
    return "; ".join(names)


def _check_within(options: dict[str, Any], f: StatsFilters) -> None:
    if f.centre_id is not None and f.centre_id not in {c["id"] for c in options["centres"]}:
        raise NotAllowed("Этот ЦНППМ вне вашей зоны доступа")
    if f.school_id is not None and f.school_id not in {c["id"] for c in options["schools"]}:
        raise NotAllowed("Эта образовательная организация вне вашей зоны доступа")


# ---- the facts the tables share ------------------------------------------------------------------
@dataclass
class Figures:
    """The session, the scope, the effective filters, the time and the facts: every table is read
    from here. The tables group the in-memory columns (stats_columns.py); the routes behind a figure
    are selected in SQL with the same conditions (`where`, `completed_steps`, `overdue_steps`)."""

    s: Any
    scope: Scope
    f: StatsFilters
    now: datetime
    zone: str
    facts: Facts
    _mask: np.ndarray | None = None
    _steps: list | None = None
    _query: str | None = None
    rows: int | None = None  # the rows of a table that will be shown from the first (None: every row)

    # SQL, for the routes behind a figure
    def where(self) -> list:
        f = self.f
        w = [self.scope.clause(), SR.created_on <= f.date_to, sa.or_(SR.end_on.is_(None), SR.end_on >= f.date_from)]
        if f.centre_id is not None:
            w.append(SR.centre_id == f.centre_id)
        if f.school_id is not None:
            w.append(SR.school_id == f.school_id)
        if f.subject is not None:
            w.append(SR.subject == f.subject)
        if f.stage is not None:
            w.append(SR.stage == f.stage)
        return w

    def completed_steps(self) -> list:
        return [SS.state == TaskState.COMPLETED, SS.working_days.is_not(None),
                SS.completed_on >= self.f.date_from, SS.completed_on <= self.f.date_to]

    def overdue_steps(self) -> list:
        return [SS.state == TaskState.READY, SS.due_at.is_not(None), SS.due_at < self.now]

    # the same conditions on the columns
    def code(self, table: str, column: str, text: str) -> int:
        return self.facts.voc(table, column).code(text)

    def mask(self) -> np.ndarray:
        """The routes counted (dense by route id): in scope, matching the filters, active in the period."""
        if self._mask is None:
            r, f = self.facts.routes, self.f
            m = r["present"] & self.scope.mask(r)
            m &= (r["created"] <= f.date_to.toordinal()) & (r["end"] >= f.date_from.toordinal())
            if f.centre_id is not None:
                m &= r["centre"] == f.centre_id
            if f.school_id is not None:
                m &= r["school"] == f.school_id
            if f.subject is not None:
                m &= r["subject"] == self.code("routes", "subject", f.subject)
            if f.stage is not None:
                m &= r["stage"] == self.code("routes", "stage", f.stage)
            self._mask = m
        return self._mask

    def status_is(self, *statuses: str) -> np.ndarray:
        col = self.facts.routes["status"]
        return np.isin(col, [self.code("routes", "status", s) for s in statuses])

    def overdue(self) -> np.ndarray:
        """Rows of the steps table: waiting now past their due date, of the routes counted."""
        st = self.facts.tables["steps"].columns
        return (self.mask()[st["route"]] & (st["state"] == self.code("steps", "state", TaskState.READY))
                & (st["due"] < int(self.now.timestamp())))

    def steps(self) -> list:
        """(name, stage, working days, steps, returned, title) of completed steps: one row a group."""
        if self._steps is None:
            st = self.facts.tables["steps"].columns
            rows = (self.mask()[st["route"]] & (st["state"] == self.code("steps", "state", TaskState.COMPLETED))
                    & (st["days"] >= 0) & (st["completed"] >= self.f.date_from.toordinal())
                    & (st["completed"] <= self.f.date_to.toordinal()))
            names, stages, days = st["name"][rows], st["stage"][rows], st["days"][rows]
            vn, vs = (self.facts.voc("steps", c) for c in ("name", "stage"))
            keys = [(names, len(vn)), (stages, len(vs)), (days, int(days.max()) + 1 if len(days) else 1)]
            returned = dict(groups(keys, st["returned"][rows].astype(np.float64)))
            titles = self.facts.titles
            self._steps = [(vn.texts[name], vs.texts[stage], d, n, returned.get((name, stage, d), 0),
                            titles.get(vn.texts[name], vn.texts[name])) for (name, stage, d), n in groups(keys)]
        return self._steps

    def link(self, figure: str, row: str, col: str) -> str:
        """/stats/routes?figure=…&row=…&col=… followed by the filters (encoded once a page)."""
        if self._query is None:
            self._query = urlencode(self.f.query())
        head = urlencode({"figure": figure, "row": row, "col": col})
        return f"/stats/routes?{head}&{self._query}" if self._query else f"/stats/routes?{head}"


def _col(key: str, title: str, kind: str = "int") -> dict[str, str]:
    return {"key": key, "title": title, "kind": kind}


def _table(fig: Figures, key: str, title: str, columns: list[dict], rows: list[tuple[str, dict]],
           chart: dict | None = None) -> dict[str, Any]:
    """Rows given as (row id, values); the links are added to the rows shown (`_shown`)."""
    return {"title": title, "columns": columns, "rows": [{**values, "_row": row_id} for row_id, values in rows],
            "chart": chart}


def _shown(fig: Figures, key: str, table: dict[str, Any], start: int, count: int | None) -> dict[str, Any]:
    """The table's rows from `start` (`count` of them, all if None), every figure (a non-text column)
    linked to its routes; `total` is the number of rows of the whole table."""
    rows = table["rows"][start:] if count is None else table["rows"][start:start + count]
    total = table.get("total", len(table["rows"]))  # a table may list only the rows that can be shown
    figures = [c["key"] for c in table["columns"] if c["kind"] != "text"]
    shown = [{**row, "_links": {c: fig.link(key, row["_row"], c) for c in figures}} for row in rows]
    return {**table, "rows": shown, "total": total, "start": start}


def _bound(codes: np.ndarray) -> int:
    return int(codes.max()) + 1 if len(codes) else 1


# ---- the tables ----------------------------------------------------------------------------------
def _status(fig: Figures) -> dict[str, Any]:
    m = fig.mask()
    rows = [(k, {"status": t, "routes": int(np.count_nonzero(m & fig.status_is(k)))}) for k, t in STATUS_TITLES.items()]
    columns = [_col("status", "Состояние", "text"), _col("routes", "Маршрутов")]
    return _table(fig, "status", "Маршруты по состоянию", columns, rows,
                  {"kind": "bar", "x": "status", "series": ["routes"]})


def _stages_over_time(fig: Figures) -> dict[str, Any]:
    today = fig.now.astimezone(ZoneInfo(fig.zone)).date()
    months = months_between(fig.f.date_from, min(fig.f.date_to, today))
    st = fig.facts.tables["stages"].columns
    first, span = (months[0], len(months)) if months else (0, 0)
    # each stretch counts at the end of the months from max(entered, first) to min(left, last + 1) - 1
    begin = np.maximum(st["entered"], first) - first
    stop = np.minimum(st["left"], first + span) - first
    rows_in = fig.mask()[st["route"]] & (begin < stop)
    per_stage: dict[str, np.ndarray] = {}
    for stage in stats_facts.WORK_STAGES:
        sel = rows_in & (st["stage"] == fig.code("stages", "stage", stage))
        delta = np.bincount(begin[sel], minlength=span + 1) - np.bincount(stop[sel], minlength=span + 1)
        per_stage[stage] = np.cumsum(delta)[:span]
    rows = []
    for i, m in enumerate(months):
        values: dict[str, Any] = {"month": month_label(m), **{st_: int(per_stage[st_][i])
                                                             for st_ in stats_facts.WORK_STAGES}}
        rows.append((month_label(m), values))
    columns = [_col("month", "Месяц", "text")] + [_col(st_, STAGE_TITLES[st_]) for st_ in stats_facts.WORK_STAGES]
    return _table(fig, "stages_over_time", "Маршруты по этапам на конец месяца", columns, rows,
                  {"kind": "stacked", "x": "month", "series": list(stats_facts.WORK_STAGES)})


def _waits_by_stage(fig: Figures) -> dict[str, Any]:
    hist: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for _, stage, days, n, _, _ in fig.steps():
        hist[stage][days] += n
    order = [st for st in stats_facts.WORK_STAGES if st in hist] + sorted(set(hist) - set(stats_facts.WORK_STAGES))
    rows = [(st, {"stage": STAGE_TITLES.get(st, st), "n": sum(hist[st].values()),
                  "median": quantile(hist[st], 0.5), "p90": quantile(hist[st], 0.9)}) for st in order]
    columns = [_col("stage", "Этап", "text"), _col("n", "Шагов"), _col("median", "Медиана, раб. дней", "float"),
               _col("p90", "90-й процентиль, раб. дней", "float")]
    return _table(fig, "waits_by_stage", "Сколько ждут на этапах", columns, rows,
                  {"kind": "bar", "x": "stage", "series": ["median", "p90"]})


def _waits_by_step(fig: Figures) -> dict[str, Any]:
    hist: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    returns: dict[str, int] = defaultdict(int)
    titles: dict[str, str] = {}
    stages: dict[str, int] = {}
    rank = {st: i for i, st in enumerate(stats_facts.WORK_STAGES)}
    for name, stage, days, n, returned, title in fig.steps():
        hist[name][days] += n
        returns[name] += int(returned or 0)
        titles[name] = max(titles.get(name, ""), title)
        stages[name] = min(stages.get(name, 99), rank.get(stage, 99))
    order = sorted(hist, key=lambda name: (stages[name], titles[name], name))
    rows = [(name, {"step": titles[name], "n": sum(hist[name].values()), "median": quantile(hist[name], 0.5),
                    "p90": quantile(hist[name], 0.9), "returns": returns[name]}) for name in order]
    columns = [_col("step", "Шаг", "text"), _col("n", "Выполнено"), _col("median", "Медиана, раб. дней", "float"),
               _col("p90", "90-й процентиль, раб. дней", "float"), _col("returns", "Возвратов")]
    return _table(fig, "waits_by_step", "Сколько ждут на шагах и сколько возвратов", columns, rows,
                  {"kind": "bar", "x": "step", "series": ["median", "p90"]})


def _overdue_by_person(fig: Figures) -> dict[str, Any]:
    st = fig.facts.tables["steps"].columns
    rows_in = fig.overdue()
    people, due = st["assignee"][rows_in], st["due"][rows_in]
    found, total = [], 0
    if len(people):
        ids, inverse, counts = np.unique(people, return_inverse=True, return_counts=True)
        earliest = np.full(len(ids), END, dtype=np.int64)
        np.minimum.at(earliest, inverse, due)
        total = len(ids)
        order = np.argsort(-counts, kind="stable")
        if fig.rows is not None and total > fig.rows:  # name only those who can be among the rows shown
            order = order[counts[order] >= counts[order[fig.rows - 1]]]
        wanted = ids[order].tolist()
        names = dict(fig.s.execute(sa.select(User.id, User.full_name).where(User.id.in_(wanted))).all())
        found = [(int(ids[i]), names.get(int(ids[i]), str(ids[i])), int(counts[i]), int(earliest[i])) for i in order]
    tz = ZoneInfo(fig.zone)
    rows = [(str(uid), {"person": name, "overdue": n,
                        "oldest_due": datetime.fromtimestamp(first, tz).date().isoformat()})
            for uid, name, n, first in sorted(found, key=lambda r: (-r[2], r[1], r[0]))]
    columns = [_col("person", "Исполнитель", "text"), _col("overdue", "Просрочено задач"),
               _col("oldest_due", "Самый ранний срок", "text")]
    table = _table(fig, "overdue_by_person", "Просроченные задачи по исполнителям", columns, rows,
                   {"kind": "bar", "x": "person", "series": ["overdue"]})
    return {**table, "total": total}


def _deficits(fig: Figures) -> dict[str, Any]:
    d = fig.facts.tables["deficits"].columns
    finished = fig.status_is(*FINISHED)
    rows_in = fig.mask()[d["route"]] & ((d["phase"] == fig.code("deficits", "phase", "entry")) | finished[d["route"]])
    vp, va, vl = (fig.facts.voc("deficits", c) for c in ("phase", "area", "level"))
    found = [(vp.texts[p], va.texts[a], vl.texts[lv], n) for (p, a, lv), n in groups(
        [(d["phase"][rows_in], len(vp)), (d["area"][rows_in], len(va)), (d["level"][rows_in], len(vl))],
        d["count"][rows_in].astype(np.float64))]
    keys = ("entry_high", "entry_medium", "entry_base", "entry", "final", "closed")
    values: dict[str, dict[str, int]] = {a: dict.fromkeys(keys, 0) for a in AREAS}
    by_level = {lv: key for key, lv in DEFICIT_LEVELS.items()}
    for phase, area, level, n in sorted(found):
        row = values.setdefault(area, dict.fromkeys(keys, 0))
        if phase == "entry":
            row["entry"] += n
            if level in by_level:
                row[by_level[level]] += n
        elif phase in ("final", "closed"):
            row[phase] += n
    rows = [(a, {"area": a, **v}) for a, v in values.items()]
    columns = [_col("area", "Область компетенций", "text"), _col("entry_high", "Входная: высокий"),
               _col("entry_medium", "Входная: средний"), _col("entry_base", "Входная: базовый"),
               _col("entry", "Входная: всего"), _col("final", "Итоговая (завершённые)"),
               _col("closed", "Закрыто (завершённые)")]
    return _table(fig, "deficits", "Профессиональные дефициты по областям компетенций", columns, rows,
                  {"kind": "bar", "x": "area", "series": ["entry", "final", "closed"]})


def _activities(fig: Figures) -> dict[str, Any]:
    a = fig.facts.tables["activities"].columns
    rows_in = fig.mask()[a["route"]]
    vl, vf, vs = (fig.facts.voc("activities", c) for c in ("level", "form", "status"))
    found = [(vl.texts[lv], vf.texts[form], vs.texts[status], n) for (lv, form, status), n in groups(
        [(a["level"][rows_in], len(vl)), (a["form"][rows_in], len(vf)), (a["status"][rows_in], len(vs))])]
    groups_: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"planned": 0, "done": 0, "not_done": 0})
    for level, form, status, n in found:
        if status == "replaced":
            continue
        g = groups_[(level, form)]
        g["planned"] += n
        if status in ("done", "not_done"):
            g[status] += n
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    order = sorted(groups_, key=lambda k: (rank.get(k[0], len(LEVELS)), k[0], k[1]))
    rows = [(f"{lv}|{form}", {"level": lv, "form": form, **groups_[(lv, form)],
                              "share_done": share(groups_[(lv, form)]["done"], groups_[(lv, form)]["planned"])})
            for lv, form in order]
    columns = [_col("level", "Уровень", "text"), _col("form", "Форма предъявления результата", "text"),
               _col("planned", "Запланировано"), _col("done", "Выполнено"), _col("not_done", "Не выполнено"),
               _col("share_done", "Доля выполненных, %", "percent")]
    return _table(fig, "activities", "Мероприятия по уровням и формам", columns, rows)


def _not_done_reasons(fig: Figures) -> dict[str, Any]:
    a = fig.facts.tables["activities"].columns
    rows_in = fig.mask()[a["route"]] & (a["status"] == fig.code("activities", "status", "not_done"))
    vr = fig.facts.voc("activities", "reason")
    found = [(vr.texts[reason], n) for (reason,), n in groups([(a["reason"][rows_in], len(vr))])]
    rows = [(reason, {"reason": reason or "причина не указана", "activities": n})
            for reason, n in sorted(found, key=lambda r: (-r[1], r[0]))]
    columns = [_col("reason", "Причина невыполнения", "text"), _col("activities", "Мероприятий")]
    return _table(fig, "not_done_reasons", "Причины невыполнения мероприятий", columns, rows,
                  {"kind": "bar", "x": "reason", "series": ["activities"]})


def _corrections(fig: Figures) -> dict[str, Any]:
    k = fig.facts.routes["corrections"][fig.mask()]
    bucket = np.minimum(k, 3)
    routes = np.bincount(bucket, minlength=4)
    corrections = np.bincount(bucket, weights=k.astype(np.float64), minlength=4)
    rows = []
    for i, label in enumerate(CORRECTION_BUCKETS):
        n, c = int(routes[i]), int(corrections[i])
        rows.append((label, {"bucket": label, "routes": n, "corrections": c, "mean": round(c / n, 2) if n else None}))
    n, c = int(routes.sum()), int(corrections.sum())
    rows.append(("total", {"bucket": "Всего", "routes": n, "corrections": c, "mean": round(c / n, 2) if n else None}))
    columns = [_col("bucket", "Корректировок в маршруте", "text"), _col("routes", "Маршрутов"),
               _col("corrections", "Корректировок"), _col("mean", "В среднем на маршрут", "float")]
    return _table(fig, "corrections", "Корректировки маршрутов", columns, rows,
                  {"kind": "bar", "x": "bucket", "series": ["routes"]})


def _per_unit(fig: Figures, key: str, title: str, column: str, names: Callable[[list[int]], dict[int, str]],
              name_title: str) -> dict[str, Any]:
    r, m = fig.facts.routes, fig.mask()
    units, inverse = np.unique(r[column][m], return_inverse=True)
    k = len(units)

    def per_unit(selected: np.ndarray, weights: np.ndarray | None = None) -> list[int]:
        w = None if weights is None else weights[m][selected].astype(np.float64)
        return [int(round(v)) for v in np.bincount(inverse[selected], weights=w, minlength=k).tolist()]

    everything = np.ones(len(inverse), dtype=np.bool_)
    totals = per_unit(everything)
    by_status = {st: per_unit(fig.status_is(st)[m]) for st in ("active", "completed", "prolonged")}
    corrections = per_unit(everything, r["corrections"])
    closed = per_unit(everything, r["deficits_closed"])
    st = fig.facts.tables["steps"].columns
    overdue_units = r[column][st["route"][fig.overdue()]]
    pos = np.searchsorted(units, overdue_units)  # every overdue step's route is counted, so its unit is listed
    overdue = np.bincount(pos, minlength=k).tolist() if k else []
    finished = fig.status_is(*FINISHED)[m] & (r["days"][m] >= 0)
    hist: dict[int, dict[int, int]] = defaultdict(dict)
    days = r["days"][m][finished]
    for (i, d), n in groups([(inverse[finished], max(k, 1)), (days, _bound(days))]):
        hist[i][d] = n
    label = names(units.tolist())
    order = sorted(range(k), key=lambda i: (label.get(int(units[i]), ""), int(units[i])))
    rows = []
    for i in order if fig.rows is None else order[:fig.rows]:  # the rows shown: their medians only
        unit, n = int(units[i]), totals[i]
        rows.append((str(unit), {"name": label.get(unit, str(unit)), "routes": n, "open": by_status["active"][i],
                                 "completed": by_status["completed"][i], "prolonged": by_status["prolonged"][i],
                                 "overdue": overdue[i], "median_days": quantile(hist.get(i, {}), 0.5),
                                 "corrections": round(corrections[i] / n, 2), "deficits_closed": closed[i]}))
    columns = [_col("name", name_title, "text"), _col("routes", "Маршрутов"), _col("open", "В работе"),
               _col("completed", "Завершено"), _col("prolonged", "Продлено"), _col("overdue", "Просрочено задач"),
               _col("median_days", "Медиана длительности, раб. дней", "float"),
               _col("corrections", "Корректировок на маршрут", "float"), _col("deficits_closed", "Закрыто дефицитов")]
    table = _table(fig, key, title, columns, rows, {"kind": "bar", "x": "name", "series": ["open", "completed"]})
    return {**table, "total": k}


def _by_school(fig: Figures) -> dict[str, Any]:
    def names(ids: list[int]) -> dict[int, str]:
        return dict(fig.s.execute(sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids))).all()) if ids else {}
    return _per_unit(fig, "by_school", "По образовательным организациям", "school", names, "Организация")


def _by_tutor(fig: Figures) -> dict[str, Any]:
    def names(ids: list[int]) -> dict[int, str]:
        return dict(fig.s.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all()) if ids else {}
    return _per_unit(fig, "by_tutor", "По тьюторам", "tutor", names, "Тьютор")


TABLES: dict[str, Callable[[Figures], dict[str, Any]]] = {
    "status": _status, "stages_over_time": _stages_over_time, "waits_by_stage": _waits_by_stage,
    "waits_by_step": _waits_by_step, "overdue_by_person": _overdue_by_person, "deficits": _deficits,
    "activities": _activities, "not_done_reasons": _not_done_reasons, "corrections": _corrections,
    "by_school": _by_school, "by_tutor": _by_tutor,
}


# ---- the use cases -------------------------------------------------------------------------------
def _figures(ctx: ServiceContext, s, actor: Actor, filters: StatsFilters) -> tuple[Figures, dict[str, Any]]:
    scope = scope_of(actor)
    now = ctx.clock()
    today = now.astimezone(ZoneInfo(ctx.timezone)).date()
    date_to = filters.date_to or max(today, filters.date_from or today)
    f = replace(filters, date_from=filters.date_from or default_period(date_to)[0], date_to=date_to)
    facts = ctx.stats.current(s)
    options = _options(s, scope, facts)
    _check_within(options, f)
    return Figures(s, scope, f, now, ctx.timezone, facts), options


def report(ctx: ServiceContext, actor: Actor, filters: StatsFilters, rows: int | None = PAGE_ROWS) -> dict[str, Any]:
    """The statistics page's data within the actor's scope (see the module docstring): the first
    `rows` rows of each table (all if None); `total` tells how many the table has."""
    scope = scope_of(actor)  # refused before any work
    stats_facts.refresh_if_few(ctx)
    with ctx.uow() as uow:
        s = uow.session
        fig, options = _figures(ctx, s, actor, filters)
        fig.rows = rows
        as_of = stats_facts.as_of(s)
        return {"scope": {"kind": scope.kind, "id": _scope_id(scope), "title": _title(s, scope)},
                "filters": fig.f.query(), "options": options, "as_of": as_of.isoformat() if as_of else None,
                "tables": {key: _shown(fig, key, build(fig), 0, rows) for key, build in TABLES.items()}}


def table_page(ctx: ServiceContext, actor: Actor, filters: StatsFilters, key: str, page: int = 1) -> dict[str, Any]:
    """One table of the statistics, PER_PAGE rows a page, with the scope and the filters."""
    if key not in TABLES:
        raise NotFound("Такой таблицы статистики нет")
    scope = scope_of(actor)
    stats_facts.refresh_if_few(ctx)
    with ctx.uow() as uow:
        s = uow.session
        fig, _ = _figures(ctx, s, actor, filters)
        table = TABLES[key](fig)
        pages = max(1, math.ceil(len(table["rows"]) / PER_PAGE))
        page = min(max(page, 1), pages)
        return {"key": key, "scope": {"kind": scope.kind, "title": _title(s, scope)}, "filters": fig.f.query(),
                "table": _shown(fig, key, table, (page - 1) * PER_PAGE, PER_PAGE), "page": page, "pages": pages}


def _scope_id(scope: Scope) -> int | None:
    ids = scope.centres if scope.kind == "centre" else scope.schools if scope.kind == "school" else None
    return next(iter(ids)) if ids and len(ids) == 1 else None


def table_rows(ctx: ServiceContext, actor: Actor, filters: StatsFilters, key: str) -> tuple[list[dict], list[dict]]:
    """(columns, rows) of one table, for the exports."""
    if key not in TABLES:
        raise NotFound("Такой таблицы статистики нет")
    scope_of(actor)
    stats_facts.refresh_if_few(ctx)
    with ctx.uow() as uow:
        fig, _ = _figures(ctx, uow.session, actor, filters)
        table = TABLES[key](fig)
        return table["columns"], table["rows"]


def _steps_of(*where) -> Any:
    return SR.route_id.in_(sa.select(SS.route_id).where(*where))


def _behind(fig: Figures, figure: str, row: str, col: str) -> tuple[list, str]:
    """The extra conditions that select the routes a figure counts, and what to call them."""
    unknown = NotFound("Такого показателя нет")
    if figure == "status" and row in STATUS_TITLES:
        return [SR.status == row], f"Маршруты: {STATUS_TITLES[row].lower()}"
    if figure == "stages_over_time" and col in stats_facts.WORK_STAGES:
        try:
            y, m = (int(p) for p in row.split("-"))
        except ValueError:
            raise unknown from None
        index = y * 12 + m - 1
        rs = StatsRouteStage
        return ([SR.route_id.in_(sa.select(rs.route_id).where(rs.stage == col, rs.entered_month <= index,
                                                              sa.or_(rs.left_month.is_(None), rs.left_month > index)))],
                f"На этапе «{STAGE_TITLES[col]}» на конец {row}")
    if figure == "waits_by_stage":
        return [_steps_of(SS.stage == row, *fig.completed_steps())], f"Шаги этапа «{STAGE_TITLES.get(row, row)}»"
    if figure == "waits_by_step":
        extra = [SS.returned.is_(True)] if col == "returns" else []
        return [_steps_of(SS.name == row, *fig.completed_steps(), *extra)], (
            "Возвраты на шаге" if extra else "Выполненные шаги")
    if figure == "overdue_by_person" and row.isdigit():
        return [_steps_of(SS.assignee_id == int(row), *fig.overdue_steps())], "Просроченные задачи исполнителя"
    if figure == "deficits" and col in ("entry_high", "entry_medium", "entry_base", "entry", "final", "closed"):
        d = StatsDeficit
        cond = [d.area == row, d.phase == ("entry" if col.startswith("entry") else col)]
        if col in DEFICIT_LEVELS:
            cond.append(d.level == DEFICIT_LEVELS[col])
        extra = [] if col.startswith("entry") else [SR.status.in_(FINISHED)]
        return [SR.route_id.in_(sa.select(d.route_id).where(*cond)), *extra], f"Дефициты: {row}"
    if figure == "activities" and "|" in row:
        level, form = row.split("|", 1)
        a = StatsActivity
        status = {"done": [a.status == "done"], "not_done": [a.status == "not_done"]}.get(col, [a.status != "replaced"])
        return ([SR.route_id.in_(sa.select(a.route_id).where(a.level == level, a.form == form, *status))],
                f"Мероприятия: {level}, {form}")
    if figure == "not_done_reasons":
        a = StatsActivity
        return ([SR.route_id.in_(sa.select(a.route_id).where(a.status == "not_done", a.reason == row))],
                f"Не выполнено: {row or 'причина не указана'}")
    if figure == "corrections" and row in (*CORRECTION_BUCKETS, "total"):
        cond = {"3+": [SR.corrections >= 3], "total": []}.get(row) or [SR.corrections == int(row)]
        if col == "corrections" and row in ("3+", "total"):
            cond.append(SR.corrections > 0)
        return cond, f"Корректировок в маршруте: {row if row != 'total' else 'все'}"
    if figure in ("by_school", "by_tutor") and row.isdigit():
        unit = (SR.school_id if figure == "by_school" else SR.tutor_id) == int(row)
        by_col = {"open": [SR.status == "active"], "completed": [SR.status == "completed"],
                  "prolonged": [SR.status == "prolonged"], "overdue": [_steps_of(*fig.overdue_steps())],
                  "median_days": [SR.status.in_(FINISHED), SR.working_days.is_not(None)],
                  "corrections": [SR.corrections > 0], "deficits_closed": [SR.deficits_closed > 0], "routes": []}
        if col not in by_col:
            raise unknown
        return [unit, *by_col[col]], "Маршруты " + ("организации" if figure == "by_school" else "тьютора")
    raise unknown


def routes_behind(ctx: ServiceContext, actor: Actor, filters: StatsFilters, figure: str, row: str, col: str,
                  page: int = 1) -> dict[str, Any]:
    """The routes a figure counts (within the actor's scope and the filters), PER_PAGE a page."""
    scope_of(actor)
    page = max(page, 1)
    with ctx.uow() as uow:
        s = uow.session
        fig, _ = _figures(ctx, s, actor, filters)
        extra, title = _behind(fig, figure, row, col)
        found = s.execute(
            sa.select(Route.id, Route.title, User.full_name, OrgUnit.name, Route.stage, Route.status)
            .join(SR, SR.route_id == Route.id).join(User, User.id == Route.teacher_id)
            .join(OrgUnit, OrgUnit.id == Route.school_id).where(*fig.where(), *extra)
            .order_by(Route.id).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
        routes = [{"id": rid, "title": t, "teacher": teacher, "school": school,
                   "stage": STAGE_TITLES.get(stage, stage), "status": status}
                  for rid, t, teacher, school, stage, status in found[:PER_PAGE]]
        return {"title": title, "routes": routes, "page": page, "has_more": len(found) > PER_PAGE}
