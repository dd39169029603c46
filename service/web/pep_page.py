"""The simple electronic signature regulation: read and accept."""

from __future__ import annotations

from service.web.blueprint import bp  # noqa: F401 — pages are added to the pages' blueprint
