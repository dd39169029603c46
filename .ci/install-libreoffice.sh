#!/bin/sh
# Install LibreOffice Writer (headless .docx -> PDF) and Liberation fonts
# (Liberation Serif is metric-compatible with Times New Roman).
# Idempotent and quiet: does nothing when `soffice` is already on PATH.
set -eu

if command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-libreoffice: soffice not found and not running as root; skipping (PDF tests will be skipped)" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-libreoffice: apt-get not available; install LibreOffice manually" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive

# Refresh package lists only when they are missing (fresh container) or the package is unknown.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' || true)" ] \
    || ! apt-cache show libreoffice-writer >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
fi

apt-get install -y -qq --no-install-recommends libreoffice-writer fonts-liberation2 >/dev/null
