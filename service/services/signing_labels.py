"""What a signing task signs, as one line for a list ("Подпись: Карта ИОМ, версия 2"): for a whole
list at once — one query for the documents, the workflow specs read once each (no query per row)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.db.models import Document, Task
from service.documents.contract import KINDS
from service.domain.states import DocumentState
from service.services.context import ServiceContext
from service.services.deployments import loaded_spec


def label(kind: str, version: int | None, correction_no: Any = None) -> str:
    """«Подпись: Карта ИОМ, версия 2», «Подпись: Корректировка № 1»."""
    if kind == "korrektirovka" and correction_no not in (None, ""):
        text = f"Корректировка № {correction_no}"
        return f"Подпись: {text}, версия {version}" if version and version > 1 else f"Подпись: {text}"
    title = KINDS.get(kind, kind)
    return f"Подпись: {title}, версия {version}" if version else f"Подпись: {title}"


def signing_labels(ctx: ServiceContext, s, rows: list[tuple[Task, int]]) -> dict[str, str]:
    """task id → what it signs, for the signing tasks among `rows` ((task, route's spec id) pairs)."""
    specs: dict[int, dict] = {}
    signs: dict[str, tuple[int, str]] = {}  # task id → (route id, document kind)
    for task, spec_id in rows:
        if spec_id not in specs:
            specs[spec_id] = ctx.engine.human_tasks(loaded_spec(ctx, s, spec_id))
        spec = specs[spec_id].get(task.name)
        if spec is not None and spec.signs:
            signs[task.id] = (task.route_id, spec.signs)
    if not signs:
        return {}
    route_ids = {r for r, _ in signs.values()}
    kinds = {k for _, k in signs.values()}
    docs = s.execute(sa.select(Document.route_id, Document.kind, Document.version,
                               Document.data["correction"]["no"]).where(
        Document.route_id.in_(route_ids), Document.kind.in_(kinds),
        Document.state == DocumentState.AWAITING_SIGNATURES)).all()
    pending = {(r, k): (v, no) for r, k, v, no in docs}
    out = {}
    for task_id, key in signs.items():
        version, no = pending.get(key, (None, None))
        out[task_id] = label(key[1], version, no)
    return out
