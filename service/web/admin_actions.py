"""Admin interventions from the route page: reassign, cancel, correct the card (reason + confirmation)."""

from __future__ import annotations

from service.web.blueprint import bp  # noqa: F401 — pages are added to the pages' blueprint
