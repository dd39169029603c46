"""Template and workflow versions (admin): list, make current, download, routes per version."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("versions", __name__, url_prefix="/api/versions")


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    return {}
