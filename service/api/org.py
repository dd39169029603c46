"""Centres and schools of the region (admin): list, create, rename, deactivate."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("org", __name__, url_prefix="/api/org")


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    return {}
