"""People (admin; a CNPPM head within the centre): list, create, edit, deactivate, roles, password resets;
and the scoped people search of the pickers."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/api/people")


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    return {}
