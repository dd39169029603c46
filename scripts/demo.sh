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
exec .venv/bin/flask run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
