"""The teacher's information sheet (информационная справка): read and edit."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("profiles", __name__, url_prefix="/api/teachers")


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    return {}
