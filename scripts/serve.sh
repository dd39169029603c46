#!/usr/bin/env bash
# Production: checks the environment, migrates the database, deploys the workflows and templates
# (no-ops when nothing changed), then runs gunicorn (service/gunicorn_conf.py) in the foreground.
# Needs at least SECRET_KEY and DATABASE_URL; see "Production" in README.md for the rest.
# Uses the gunicorn on PATH (an installed service, an activated venv), else the checkout's .venv.
set -euo pipefail
export IOM_ENV=${IOM_ENV:-production}
if command -v gunicorn >/dev/null; then
  bin=$(dirname "$(command -v gunicorn)")
else
  bin="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin"
  if [ ! -x "$bin/gunicorn" ]; then
    echo "gunicorn not found: install the service (pip install iom-service) or run scripts/install.sh" >&2
    exit 1
  fi
fi
python="$bin/python"
[ -x "$python" ] || python=python3
"$python" -c 'from service.production import main; main()'
"$bin/flask" --app service init-db
"$bin/flask" --app service deploy
exec "$bin/gunicorn" -c python:service.gunicorn_conf 'service:create_app()'
