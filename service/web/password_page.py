"""Password pages: the forced change after a temporary password, and the one-time reset link."""

from __future__ import annotations

from service.web.blueprint import bp  # noqa: F401 — pages are added to the pages' blueprint
