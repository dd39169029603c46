"""gunicorn settings for production: `gunicorn -c python:service.gunicorn_conf 'service:create_app()'`
(what scripts/serve.sh runs). It ships inside the package, so an installed service needs no
checkout. Every value can be changed from the environment:

    IOM_BIND      address(es) to listen on, comma-separated   127.0.0.1:8000
    IOM_WORKERS   worker processes                           CPU count + 1
    IOM_THREADS   threads per worker                         4
    IOM_TIMEOUT   seconds before a silent worker is restarted 130
    IOM_WORKER_CLASS  gthread or sync                        gthread

Worker model: `gthread` (processes × threads), chosen by measurement (`bench/scale.py` compares
it with `sync` at the same processes on 100,000 routes: 58–65 completions/s against 60 for sync,
worst 8-client read p95 472–529 ms against 458–681; bench/README.md). Requests here mostly wait on
the database, on rendering, and on LibreOffice converting to PDF in a subprocess (up to 120 s,
service/documents/render.py): a few threads per process serve others meanwhile, which a sync
worker cannot, and processes give the CPU-bound parts (the workflow engine, rendering) all cores.
`IOM_WORKER_CLASS=sync` switches for whoever measures otherwise on their hardware.

The `Server` response header is gunicorn's bare name (`Server: gunicorn`, no version: gunicorn
has not sent it since 20.1); the version is only in the WSGI environ's SERVER_SOFTWARE, which the
service never shows.
"""

from __future__ import annotations

import os
import threading

from service import production


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise production.ConfigurationError(f"{name}={value!r}: ожидается целое число больше 0 "
                                            f"({name} must be a positive whole number)")
    return int(value)


bind = [b.strip() for b in os.environ.get("IOM_BIND", "127.0.0.1:8000").split(",") if b.strip()]
WORKER_CLASSES = ("gthread", "sync")  # gevent is not installed: psycopg and LibreOffice calls would need patching


def _worker_class() -> str:
    value = os.environ.get("IOM_WORKER_CLASS", "").strip() or "gthread"
    if value not in WORKER_CLASSES:
        names = ", ".join(WORKER_CLASSES)
        raise production.ConfigurationError(f"IOM_WORKER_CLASS={value!r}: ожидается одно из {names} "
                                            f"(IOM_WORKER_CLASS must be one of {names})")
    return value


worker_class = _worker_class()
workers = _int("IOM_WORKERS", (os.cpu_count() or 1) + 1)
threads = _int("IOM_THREADS", 4)
# Longer than LibreOffice's own 120 s limit, so a slow conversion reports its own error; with gthread
# it only restarts a worker whose main loop hangs, not one with a long request.
timeout = _int("IOM_TIMEOUT", 130)
graceful_timeout = timeout
keepalive = 5

# Logs: requests to stdout, gunicorn's own messages to stderr; the supervisor (systemd, docker)
# collects both. No files to rotate.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("IOM_LOG_LEVEL", "info")
proc_name = "iom"

# gunicorn ≥ 25.1 opens a control socket in $HOME/.gunicorn by default (one path for every instance
# of the user); the service does not use it.
control_socket_disable = True

# The heartbeat file on a RAM disk where there is one (containers often mount /tmp on overlayfs).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def on_starting(server) -> None:
    """Refuse to start, in one line, before any worker boots: a missing SECRET_KEY in production
    would otherwise surface as a worker traceback repeated for every worker."""
    production.check_environment()  # ConfigurationError is a RuntimeError: gunicorn prints "Error: …", exits 1


def post_worker_init(worker) -> None:
    """Load the statistics facts into the new worker's memory in a background thread (seconds for a
    region's 100,000 routes; see service/services/stats_columns.py), so that the first statistics page
    a worker serves does not wait for them. IOM_STATS_WARM=0 leaves it to that page."""
    if os.environ.get("IOM_STATS_WARM", "1").strip() == "0":
        return
    ctx = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("iom")
    if ctx is None:
        return
    from service.services import stats_columns

    def load() -> None:
        worker.log.info(stats_columns.warm(ctx))

    threading.Thread(target=load, name="iom-stats-warm", daemon=True).start()
