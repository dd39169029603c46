"""The region's schools, (id, name) by name: the route list's school filter and the school of each
of its rows. A region has a thousand of them and they change rarely, so a process keeps the list
for a minute at most (KEPT_S); the process that creates, renames or closes a unit forgets it at
once, the others within that minute."""

from __future__ import annotations

from time import monotonic

import sqlalchemy as sa

from service.db.models import OrgUnit
from service.services.context import ServiceContext

KEPT_S = 60.0


def school_names(ctx: ServiceContext, s) -> tuple[tuple[int, str], ...]:
    kept = ctx.school_names
    now = monotonic()
    if kept is not None and now < kept[0]:
        return kept[1]
    rows = tuple((i, name) for i, name in s.execute(
        sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.kind == "school").order_by(OrgUnit.name, OrgUnit.id)))
    ctx.school_names = (now + KEPT_S, rows)
    return rows


def forget(ctx: ServiceContext) -> None:
    ctx.school_names = None
