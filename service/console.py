"""The console script `iom`: the same commands as `flask --app service`."""

from __future__ import annotations

from flask.cli import FlaskGroup

from service.app import create_app


def main() -> None:
    FlaskGroup(create_app=create_app)()
