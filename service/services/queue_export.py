"""The approval queue as an .xlsx workbook: every row the filter matches (up to MAX_ROWS), for
people who follow a queue in a spreadsheet."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from service.db.models import OrgUnit, Route, Task, User
from service.domain.access import Actor
from service.domain.route_rules import STAGE_TITLES
from service.services import xlsx_cells
from service.services.calendar import calendar_for
from service.services.context import ServiceContext
from service.services.queues import QueueFilter, narrowed, overdue_days, queue_conditions, queue_order

MAX_ROWS = 10_000
# (header, width in characters)
COLUMNS = (("Маршрут", 40), ("Педагог", 32), ("ОО", 36), ("Тьютор", 32), ("Этап", 28), ("Задача", 40),
           ("Ждёт с", 12), ("Срок", 12), ("Просрочено, дн.", 16))
DATE_FORMAT = "DD.MM.YYYY"


def rows(ctx: ServiceContext, actor: Actor, f: QueueFilter, zone: ZoneInfo) -> list[tuple[Any, ...]]:
    """The queue's rows under the filter (all pages, at most MAX_ROWS), in the page's order."""
    now = ctx.clock()
    with ctx.uow() as uow:
        s = uow.session
        calendar = calendar_for(s)  # overdue and waiting days in working days, as on the page
        where = narrowed(queue_conditions(actor, f, now, calendar, ctx.timezone), f, now)
        found = s.execute(sa.select(Task.title, Task.stage, Task.created_at, Task.due_at, Route.title,
                                    Route.teacher_id, Route.tutor_id, Route.school_id)
                          .join(Route, Route.id == Task.route_id).where(*where)
                          .order_by(*queue_order(f.sort)).limit(MAX_ROWS)).all()
        people = {r.teacher_id for r in found} | {r.tutor_id for r in found}
        names = dict(s.execute(sa.select(User.id, User.full_name).where(User.id.in_(people))).all()) \
            if people else {}
        schools = dict(s.execute(sa.select(OrgUnit.id, OrgUnit.name)
                                 .where(OrgUnit.id.in_({r.school_id for r in found}))).all()) if found else {}
    return [(route_title, names.get(teacher_id, ""), schools.get(school_id, ""), names.get(tutor_id, ""),
             STAGE_TITLES.get(stage, stage), title, _local_date(created_at, zone), _local_date(due_at, zone),
             overdue_days(due_at, now, calendar, ctx.timezone))
            for title, stage, created_at, due_at, route_title, teacher_id, tutor_id, school_id in found]


def _local_date(value: datetime | None, zone: ZoneInfo) -> date | None:
    return value.astimezone(zone).date() if value is not None else None


def workbook(data: list[tuple[Any, ...]]) -> bytes:
    """An .xlsx: a bold, frozen header row, sized columns, dates as dates; text that a
    spreadsheet would take for a formula is stored as text (formula injection)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Очередь"
    xlsx_cells.header(ws, [h for h, _ in COLUMNS])
    for values in data:
        for cell in xlsx_cells.append_row(ws, values):
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    return xlsx_cells.to_bytes(wb)


def export(ctx: ServiceContext, actor: Actor, f: QueueFilter, zone: ZoneInfo) -> bytes:
    """The actor's queue under `f` as .xlsx bytes (dates in the region's zone)."""
    return workbook(rows(ctx, actor, f, zone))
