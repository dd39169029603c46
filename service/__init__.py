"""IOM route service: a Flask app over a SpiffWorkflow engine.

`flask --app service run` serves it; `flask --app service --help` lists the CLI commands.
"""

from service.app import create_app

__all__ = ["create_app"]
