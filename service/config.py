"""Settings from the environment, read when the app is built (not at import time)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE = ROOT / "instance" / "iom.sqlite3"


def database_url() -> str:
    """`DATABASE_URL`, or an SQLite file under instance/ when it is unset."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    DEFAULT_SQLITE.parent.mkdir(exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"
