#!/usr/bin/env bash
# Installs everything (the venv; LibreOffice for PDF and Chromium for browser tests when run as root) and runs ruff and the test
# suite against SQLite and PostgreSQL.
# IOM_TEST_DBS=sqlite skips PostgreSQL; IOM_TEST_WORKERS sets the number of test processes; IOM_TEST_PG_URL points elsewhere (default: local `test`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash .ci/install-libreoffice.sh || echo "LibreOffice not installed: PDF tests will be skipped" >&2
bash .ci/install-chromium.sh || echo "Chromium not installed: browser tests will be skipped" >&2
export IOM_TEST_DBS=${IOM_TEST_DBS:-sqlite,postgresql}
if [[ "$IOM_TEST_DBS" == *postgresql* ]] && command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1; then
  echo "PostgreSQL is not answering; trying to start the local cluster" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
.venv/bin/ruff check .
# Two workers by default (pytest-xdist; one per core here); a module's tests stay on one worker, so
# module-scoped fixtures (the browser tests' live server) are built once. IOM_TEST_WORKERS=0: one process.
.venv/bin/python -m pytest -n "${IOM_TEST_WORKERS:-auto}" --dist loadscope "$@"
