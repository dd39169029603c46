#!/usr/bin/env bash
# Production: checks the environment, migrates the database, deploys the workflows and templates
# (no-ops when nothing changed), then runs gunicorn (service/gunicorn_conf.py) in the foreground.
# Needs at least SECRET_KEY and DATABASE_URL; see "Production" in README.md for the rest.
# Uses the gunicorn on PATH (an installed service, an activated venv), else the checkout's .venv.
# The background worker (e-mail outbox, digests, timers) is a separate service, not started here:
# run `flask --app service worker` (or `iom worker`) under systemd beside this one, with the same
# environment (IOM_WORKER=redis and IOM_REDIS_URL when several machines share the jobs); see
# "Worker" in README.md's Production section.
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
