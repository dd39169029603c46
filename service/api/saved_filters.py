"""A user's named filters of the list pages, and the queue's export."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("saved_filters", __name__, url_prefix="/api/saved-filters")


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    return {}
