"""Bulk import of teachers and staff from .xlsx/.csv: preview with per-row errors, then import."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/api/imports")


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    return {}
