"""Opening several routes at once with one order assigning the tutors (a CNPPM head)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("opening", __name__, url_prefix="/api/route-batches")


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    return {}
