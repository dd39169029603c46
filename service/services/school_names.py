"""The region's schools, (id, name) by name: the route list's school filter and the school of each
of its rows. A region has a thousand of them and they change rarely, so a process keeps the list
for a minute at most (KEPT_S); the process that creates, renames or closes a unit forgets it at
once, the others within that minute — or at once, when a page shows a school the list lacks (one
created a moment ago in another process)."""

from __future__ import annotations

from collections.abc import Iterable
from time import monotonic

import sqlalchemy as sa

from service.db.models import OrgUnit
from service.services.context import ServiceContext

KEPT_S = 60.0


def school_names(ctx: ServiceContext, s, covering: Iterable[int] = ()) -> tuple[tuple[int, str], ...]:
    """The list; read again if it is older than KEPT_S or lacks one of the `covering` school ids."""
    kept = ctx.school_names
    now = monotonic()
    if kept is not None and now < kept[0] and kept[2].issuperset(covering):
        return kept[1]
    rows = tuple((i, name) for i, name in s.execute(
        sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.kind == "school").order_by(OrgUnit.name, OrgUnit.id)))
    ctx.school_names = (now + KEPT_S, rows, frozenset(i for i, _ in rows))
    return rows


def forget(ctx: ServiceContext) -> None:
    ctx.school_names = None
