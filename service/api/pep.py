"""The simple electronic signature regulation (Положение о ПЭП): read, accept."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pep", __name__, url_prefix="/api/pep")


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    return {}
