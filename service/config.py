"""Settings from the environment, read when the app is built (not at import time), and where the
service finds its files.

Resources (`forms/`, `workflows/`, `doc_templates/`) come from the repository's top-level folders
when the code runs from a checkout (including an editable install), and from the copies packaged
into the wheel (`service/_resources/…`) when it is installed; `IOM_FORMS_DIR`, `IOM_WORKFLOWS_DIR`
and `IOM_TEMPLATES_DIR` point elsewhere. The instance directory (the SQLite file, the generated
secret key) is `IOM_INSTANCE_DIR`, else `instance/` of the checkout, else `./instance` of the
working directory: never inside site-packages.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "pyproject.toml").is_file() else None
# The folder holding forms/, workflows/ and doc_templates/: the repository root in a checkout, the
# packaged copies when installed from a wheel (see [tool.setuptools] in pyproject.toml).
ROOT = CHECKOUT if CHECKOUT is not None else PACKAGE_DIR / "_resources"


class ConfigurationError(RuntimeError):
    """The environment does not allow the service to start; the message says what to set.

    A RuntimeError, so that gunicorn prints just the message when a hook raises it."""


def _resource_dir(variable: str, name: str) -> Path:
    value = os.environ.get(variable, "").strip()
    return Path(value).expanduser().absolute() if value else ROOT / name


def forms_dir() -> Path:
    """JSON Schemas of the task forms (`IOM_FORMS_DIR`)."""
    return _resource_dir("IOM_FORMS_DIR", "forms")


def workflows_dir() -> Path:
    """The .bpmn files `deploy` reads by default (`IOM_WORKFLOWS_DIR`)."""
    return _resource_dir("IOM_WORKFLOWS_DIR", "workflows")


def templates_dir() -> Path:
    """The .docx templates `deploy` reads by default (`IOM_TEMPLATES_DIR`)."""
    return _resource_dir("IOM_TEMPLATES_DIR", "doc_templates")


def instance_dir() -> Path:
    """Where the SQLite file and the generated secret key live (absolute, as Flask requires)."""
    value = os.environ.get("IOM_INSTANCE_DIR", "").strip()
    if value:
        return Path(value).expanduser().absolute()
    return CHECKOUT / "instance" if CHECKOUT is not None else Path.cwd() / "instance"


def database_url() -> str:
    """`DATABASE_URL`, or an SQLite file in the instance directory when it is unset."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    path = instance_dir() / "iom.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"
