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
echo "Сервис: http://${IOM_BIND}"
exec .venv/bin/gunicorn -c python:service.gunicorn_conf 'service:create_app()'
