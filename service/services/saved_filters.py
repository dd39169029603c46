"""A user's named filters of the list pages (/queue, /inbox): the page's query string under a
name, kept in the database (so it outlives the session), re-checked whenever it is used."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.contracts import parse
from service.contracts.saved_filters import SavedFilterRequest
from service.db.models import SavedFilter
from service.domain.access import Actor
from service.domain.errors import FieldProblem, FormRejected, NotFound
from service.domain.limits import MAX_ID
from service.domain.route_rules import STAGE_TITLES
from service.services.context import ServiceContext

MAX_PER_USER = 50
_DIGITS = re.compile(r"[0-9]{1,10}")


def _id(value: str) -> bool:
    return bool(_DIGITS.fullmatch(value)) and 1 <= int(value) <= MAX_ID


def _iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


# page → query argument → is this value acceptable (the arguments the page's view reads).
ARGS = {
    "queue": {
        "stage": lambda v: v in STAGE_TITLES,
        "school": _id,
        "tutor": _id,
        "min_days": lambda v: bool(_DIGITS.fullmatch(v)) and int(v) <= 36_500,
        "from": _iso_date,
        "to": _iso_date,
        "sort": lambda v: v in ("oldest", "newest", "due"),
        "overdue": lambda v: v == "1",
    },
    "inbox": {"sort": lambda v: v in ("oldest", "due")},
}


def clean_query(page: str, query: str) -> str:
    """Only the known arguments of `page` with acceptable values, in a stable form."""
    known = ARGS.get(page, {})
    kept = {}
    for key, value in parse_qsl(query, keep_blank_values=False):
        if key in known and key not in kept and known[key](value):
            kept[key] = value
    return urlencode([(key, kept[key]) for key in known if key in kept])  # in a fixed order


def _query_problems(page: str, query: str) -> list[FieldProblem]:
    known = ARGS[page]
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        return [FieldProblem("/query", "Фильтр — строка запроса вида stage=agreement&overdue=1")]
    for key, value in pairs:
        if key not in known:
            return [FieldProblem("/query", f"Неизвестный параметр фильтра: {key[:40]}")]
        if value and not known[key](value):
            return [FieldProblem("/query", f"Недопустимое значение параметра фильтра {key}")]
    return []


def _row(f: SavedFilter) -> dict[str, Any]:
    return {"id": f.id, "page": f.page, "name": f.name, "query": clean_query(f.page, f.query),
            "created_at": f.created_at.isoformat()}


def list_filters(ctx: ServiceContext, actor: Actor, page: str | None = None) -> list[dict[str, Any]]:
    """The actor's own filters (of one page, or all), by name."""
    with ctx.uow() as uow:
        where = [SavedFilter.user_id == actor.user_id] + ([SavedFilter.page == page] if page else [])
        rows = uow.session.scalars(sa.select(SavedFilter).where(*where)
                                   .order_by(SavedFilter.page, SavedFilter.name, SavedFilter.id)).all()
        return [_row(f) for f in rows]


def _duplicate() -> FormRejected:
    return FormRejected([FieldProblem("/name", "Фильтр с таким названием уже есть: выберите другое название")])


def create_filter(ctx: ServiceContext, actor: Actor, body: Any) -> dict[str, Any]:
    """Save a filter under a name (unique per person and page; at most MAX_PER_USER per person)."""
    asked = parse(SavedFilterRequest, body) if not isinstance(body, SavedFilterRequest) else body
    name = asked.name.strip()
    problems = _query_problems(asked.page, asked.query)
    if problems:
        raise FormRejected(problems)
    with ctx.uow() as uow:
        s = uow.session
        if s.scalar(sa.select(SavedFilter.id).where(SavedFilter.user_id == actor.user_id,
                                                    SavedFilter.page == asked.page, SavedFilter.name == name)):
            raise _duplicate()
        count = s.scalar(sa.select(sa.func.count()).select_from(SavedFilter)
                         .where(SavedFilter.user_id == actor.user_id))
        if count >= MAX_PER_USER:
            raise FormRejected([FieldProblem("/name", f"Можно сохранить не больше {MAX_PER_USER} фильтров: "
                                                      "удалите ненужные")])
        row = SavedFilter(user_id=actor.user_id, page=asked.page, name=name,
                          query=clean_query(asked.page, asked.query), created_at=ctx.clock())
        s.add(row)
        try:
            s.flush()
        except IntegrityError:  # the same name saved by a parallel request
            raise _duplicate() from None
        out = _row(row)
        uow.commit()
        return out


def delete_filter(ctx: ServiceContext, actor: Actor, filter_id: int) -> None:
    """Delete one of the actor's own filters; anyone else's is as good as absent (404)."""
    with ctx.uow() as uow:
        row = uow.session.get(SavedFilter, filter_id)
        if row is None or row.user_id != actor.user_id:
            raise NotFound("Фильтр не найден")
        uow.session.delete(row)
        uow.commit()
