"""How many things wait for a person, per navigation item (key → count) — shown in the menu."""

from __future__ import annotations

from service.domain.access import Actor
from service.services.context import ServiceContext


def counts(ctx: ServiceContext, actor: Actor) -> dict[str, int]:
    return {}
