"""Two server processes on one database share the login lock: a guesser who spreads attempts
over both gets no more tries than against one, and a restart forgets nothing."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _login(base: str, password: str) -> int:
    request = urllib.request.Request(f"{base}/api/login", method="POST",
                                     data=json.dumps({"login": "teacher2", "password": password}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _serve(env, port: int, log: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
                             "service:create_app()"], cwd=REPO, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/openapi.json", timeout=5).close()
            return proc, base
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError(log.read_text())


def test_two_server_processes_share_the_login_lock_and_a_restart_keeps_it(tmp_path, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "k" * 40, "IOM_INSTANCE_DIR": str(tmp_path)}
    for command in (["init-db"], ["deploy"], ["demo"]):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "service", *command], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    servers = [_serve(env, _free_port(), tmp_path / f"server{i}.log") for i in range(2)]
    try:
        codes = [_login(servers[i % 2][1], "guess") for i in range(5)]  # spread over both processes
        assert codes == [401] * 5
        assert _login(servers[0][1], "iom-demo-2026") == 429
        assert _login(servers[1][1], "iom-demo-2026") == 429
        servers[0][0].terminate()
        servers[0][0].wait(30)
        servers[0] = _serve(env, _free_port(), tmp_path / "server0-restarted.log")
        assert _login(servers[0][1], "iom-demo-2026") == 429  # a restart forgets nothing
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(30)
