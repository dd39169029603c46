"""People pages (admin; a CNPPM head within the centre): list, create, edit, roles, password resets."""

from __future__ import annotations

from service.web.blueprint import bp  # noqa: F401 — pages are added to the pages' blueprint
