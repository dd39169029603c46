"""People search for the pickers of the pages (teacher, tutor, methodist), scoped to the caller's reach."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pickers", __name__, url_prefix="/api/pickers")


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    return {}
