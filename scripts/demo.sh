#!/usr/bin/env bash
# Installs everything and runs the service with demo data on SQLite (instance/iom.sqlite3).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export FLASK_APP=service
unset DATABASE_URL
.venv/bin/flask init-db
.venv/bin/flask deploy
if [ ! -f instance/.demo-loaded ]; then
  .venv/bin/flask demo | tee instance/.demo-loaded
else
  echo "Демо-данные уже загружены (instance/.demo-loaded):"; cat instance/.demo-loaded
fi
# The production server (gunicorn, service/gunicorn_conf.py) in development mode: the demo's secret key is
# generated once into instance/secret_key, cookies are not Secure (plain HTTP on localhost).
export IOM_BIND="${HOST:-127.0.0.1}:${PORT:-5000}" IOM_WORKERS="${IOM_WORKERS:-2}"
# The background worker (e-mail, digests; Huey with its jobs in instance/worker.sqlite3) runs beside
# gunicorn and stops with it. Letters go to IOM_SMTP_HOST:IOM_SMTP_PORT (default 127.0.0.1:25); with no
# server there they wait in the outbox and are retried. Production runs the worker as its own service.
.venv/bin/flask worker &
worker_pid=$!
echo "Сервис: http://${IOM_BIND}"
.venv/bin/gunicorn -c python:service.gunicorn_conf 'service:create_app()' &
gunicorn_pid=$!
stop() { kill "$gunicorn_pid" "$worker_pid" 2>/dev/null || true; }
trap stop INT TERM
status=0
wait "$gunicorn_pid" || status=$?  # gunicorn exited, or Ctrl-C / TERM arrived (then stop() ran)
stop
wait || true
exit "$status"
