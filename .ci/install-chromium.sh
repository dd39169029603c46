#!/bin/sh
# Debian's Chromium for the browser tests (Playwright drives it; its own browser download does not
# work here). Idempotent; skips with a message when not root or without apt-get.
set -eu
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: /usr/bin/chromium missing and cannot apt-get; browser tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-cache show chromium >/dev/null 2>&1 || apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium fonts-liberation2 >/dev/null
