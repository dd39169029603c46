"""Organisation pages (admin): centres and schools, with their people."""

from __future__ import annotations

from service.web.blueprint import bp  # noqa: F401 — pages are added to the pages' blueprint
