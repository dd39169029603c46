"""GET /api/openapi.json (filled in below)."""

from __future__ import annotations

from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__, url_prefix="/api")


@bp.get("/openapi.json")
def spec():
    """The OpenAPI 3.1 description of this API."""
    return jsonify({"openapi": "3.1.0", "info": {"title": "IOM", "version": "0.1.0"}, "paths": {}})
