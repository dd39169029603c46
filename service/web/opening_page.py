"""Opening routes (a CNPPM head): pick teachers, tutor, methodist, period; one order for all."""

from __future__ import annotations

from service.web.blueprint import bp  # noqa: F401 — pages are added to the pages' blueprint
