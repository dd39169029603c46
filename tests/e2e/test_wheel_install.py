"""The wheel is a complete service: built from the sources, installed into a fresh venv, run in
production mode with gunicorn from an empty directory (so only the packaged forms, workflows and
templates can be used), it drives a route from the draft to its approval over real HTTP.

Slow (a minute or two: building, `pip install` from pip's cache, gunicorn with two workers).
PostgreSQL when IOM_TEST_DBS includes it, else an SQLite file.
"""

from __future__ import annotations

import copy
import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from service.samples import VALID
from service.services.demo import PASSWORD
from tests.support.databases import TEST_DBS, fresh_database

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
RESOURCES = {"forms": "forms", "workflows": "workflows", "doc_templates": "doc_templates"}
PROXY_IP = "203.0.113.{}"  # what our one trusted proxy says each person connects from


@pytest.fixture
def database_url(tmp_path):
    """PostgreSQL when the tests run on it (the production database), else an SQLite file."""
    with fresh_database("postgresql" if "postgresql" in TEST_DBS else "sqlite", tmp_path) as url:
        yield url


def _run(args, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=kw.pop("timeout", 600), **kw)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def _copy_sources(target: Path) -> None:
    """Build from a copy: no build/ or egg-info in the working tree, nothing half-edited by a test run."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("service", *RESOURCES, "pyproject.toml", "README.md"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)


def _expected_members(src: Path) -> set[str]:
    files = {p.relative_to(src).as_posix() for p in (src / "service").rglob("*") if p.is_file()}
    for folder, packaged in RESOURCES.items():
        files |= {f"service/_resources/{packaged}/{p.relative_to(src / folder).as_posix()}"
                  for p in (src / folder).rglob("*") if p.is_file()}
    return files


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Http:
    """One person's browser-less session: a cookie jar, JSON in and out, behind our proxy."""

    def __init__(self, base: str, login: str, number: int):
        self.base, self.login, self.ip = base, login, PROXY_IP.format(number)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        status, body, _ = self.call("POST", "/api/login", {"login": login, "password": PASSWORD})
        assert status == 200, (login, status, body)

    def call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Content-Type": "application/json", "Accept": "application/json", "Origin": self.base,
            "X-Forwarded-For": self.ip, "X-Forwarded-Proto": "http"})
        try:
            with self.opener.open(req, timeout=120) as r:
                return r.status, json.loads(r.read() or b"null"), r.headers
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null"), e.headers

    def get(self, path: str):
        status, body, _ = self.call("GET", path)
        assert status == 200, (path, status, body)
        return body

    def do(self, name: str, route_id: int | None = None, data=None) -> int:
        """Complete my task `name` (on `route_id`, or the only one) with the sample data, signing where asked."""
        tasks = [t for t in self.get("/api/tasks")["tasks"]
                 if t["name"] == name and route_id in (None, t["route_id"])]
        assert len(tasks) == 1, (self.login, name, tasks)
        task = self.get(f"/api/tasks/{tasks[0]['id']}")
        payload = copy.deepcopy(VALID[tasks[0]["form"]] if data is None else data)
        body = {"data": payload}
        if task["signs"]:
            body["signature"] = {"password": PASSWORD, "document_sha256": task["signs"]["document"]["content_sha256"]}
        status, answer, _ = self.call("POST", f"/api/tasks/{tasks[0]['id']}/complete", body)
        assert status == 200, (self.login, name, status, answer)
        return tasks[0]["route_id"]


def _wait_until_serving(proc: subprocess.Popen, base: str, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve.sh exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/login", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"gunicorn did not answer within {seconds} s:\n{log.read_text()}")


def test_the_installed_wheel_runs_a_route_from_draft_to_approval(tmp_path, database_url):
    timings: dict[str, float] = {}
    started = time.monotonic()

    # Build: the wheel carries every file of the package and the three resource folders.
    src, dist = tmp_path / "src", tmp_path / "dist"
    _copy_sources(src)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w", str(dist),
          str(src)])
    (wheel,) = dist.glob("iom_service-*.whl")
    members = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(_expected_members(src) - members)
    assert not missing, f"not in the wheel (a new subpackage? list it in pyproject.toml [tool.setuptools]): {missing}"
    timings["build"] = time.monotonic() - started

    # Install into a fresh venv (dependencies from pip's cache after the first run).
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    bin_dir = venv / "bin"
    _run([str(bin_dir / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q", str(wheel)])
    timings["install"] = time.monotonic() - started - timings["build"]

    run_dir = tmp_path / "run"  # not the repository: only the packaged resources are at hand
    run_dir.mkdir()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IOM_", "FLASK_")) and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV",
                                                                  "SECRET_KEY", "DATABASE_URL",
                                                                  "SESSION_COOKIE_SECURE")}
    env |= {"PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "IOM_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": database_url,
            "SESSION_COOKIE_SECURE": "0",  # plain HTTP in this test; production default is Secure
            "IOM_PROXIES": "1", "IOM_BIND": f"127.0.0.1:{port}", "IOM_WORKERS": "2", "IOM_THREADS": "2"}

    probe = ("import json, service, service.config as c; print(json.dumps({'package': service.__file__, "
             "'forms': str(c.forms_dir()), 'templates': str(c.templates_dir()), "
             "'workflows': str(c.workflows_dir()), 'instance': str(c.instance_dir())}))")
    where = json.loads(_run([str(bin_dir / "python"), "-c", probe], cwd=run_dir, env=env).stdout)
    packaged = Path(where["package"]).parent
    assert packaged.is_relative_to(venv), where
    assert Path(where["forms"]) == packaged / "_resources" / "forms"
    assert Path(where["templates"]) == packaged / "_resources" / "doc_templates"
    assert Path(where["workflows"]) == packaged / "_resources" / "workflows"
    assert Path(where["instance"]) == run_dir / "instance"

    # The one command: check, migrate, deploy, gunicorn.
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(["bash", str(REPO / "scripts" / "serve.sh")], cwd=run_dir, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_serving(proc, base, log)
        timings["serving"] = time.monotonic() - started
        demo = _run([str(bin_dir / "iom"), "demo"], cwd=run_dir, env=env)
        assert "tutor1" in demo.stdout

        logins = ["tutor1", "methodist", "teacher1", "head_cnppm", "head_gym", "auditor"]
        people = {login: Http(base, login, n) for n, login in enumerate(logins, start=10)}
        _, _, headers = people["tutor1"].call("GET", "/api/tasks")
        assert headers["Server"] == "gunicorn"  # no version
        spec = people["tutor1"].get("/api/openapi.json")
        assert "`draft`" in json.dumps(spec, ensure_ascii=False)  # the packaged forms are listed

        rid = people["tutor1"].do("draft")  # the demo's first route waits for its draft
        people["methodist"].do("plan_signatures_methodist", rid)
        people["teacher1"].do("plan_signatures_teacher", rid)
        people["head_cnppm"].do("agreement", rid)
        people["head_gym"].do("approval", rid)
        route = people["head_cnppm"].get(f"/api/routes/{rid}")
        assert route["stage"] == "implementation" and route["started_on"]

        # Signatures record the address our proxy forwarded (ProxyFix, IOM_PROXIES=1), not 127.0.0.1.
        events = people["auditor"].get(f"/api/routes/{rid}/events")["events"]
        signed = {e["actor"]["name"]: e["data"]["ip"] for e in events if e["kind"] == "document_signed"}
        assert len(signed) == 4 and set(signed.values()) == {people[p].ip for p in logins[1:5]}, signed
        documents = people["auditor"].get(f"/api/routes/{rid}/documents")["documents"]
        assert any(d["signatures"] for d in documents)
        timings["route"] = time.monotonic() - started - timings["serving"]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # gunicorn's graceful stop; the group is ours alone
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, log.read_text()
    assert "Booting worker" in log.read_text()
    assert not (packaged / "instance").exists() and not (packaged.parent / "instance").exists()
    timings["total"] = time.monotonic() - started
    print("wheel test timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
