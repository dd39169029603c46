"""Production mode (IOM_ENV=production): a required secret key, Secure cookies, https URLs; and
ProxyFix with IOM_PROXIES. SQLite only: none of this depends on the database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from flask import request

from service import create_app
from service.production import ConfigurationError
from service.services.demo import PASSWORD
from tests.support.app import ready_app

KEY = "k" * 64


@pytest.fixture
def env(monkeypatch):
    """Start from a clean environment for every setting this module is about."""
    for name in ("IOM_ENV", "SECRET_KEY", "IOM_PROXIES", "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _app(tmp_path, **config):
    return ready_app(f"sqlite:///{tmp_path / 'prod.sqlite3'}", **config)


def _login_cookie(app) -> str:
    r = app.test_client().post("/api/login", json={"login": "tutor1", "password": PASSWORD})
    assert r.status_code == 200, r.get_json()
    return r.headers["Set-Cookie"]


def test_production_refuses_to_start_without_a_secret_key(env, tmp_path):
    env.setenv("IOM_ENV", "production")
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    with pytest.raises(ConfigurationError, match="SECRET_KEY is required in production"):
        create_app({"TESTING": True, "DATABASE_URL": url})
    assert not (tmp_path / "instance").exists()  # and no key was generated instead
    env.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigurationError, match="SECRET_KEY is too short"):
        create_app({"TESTING": True, "DATABASE_URL": url})
    env.setenv("IOM_ENV", "prod")  # a typo is not silently development
    with pytest.raises(ConfigurationError, match="IOM_ENV"):
        create_app({"TESTING": True, "DATABASE_URL": url})


def test_gunicorn_and_the_serve_check_refuse_in_one_clear_line(env, tmp_path):
    environ = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environ |= {"IOM_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "IOM_BIND": "127.0.0.1:0", "IOM_WORKERS": "1"}
    check = subprocess.run([sys.executable, "-c", "from service.production import main; main()"],
                           env=environ, capture_output=True, text=True, timeout=60)
    assert check.returncode == 2 and "SECRET_KEY is required in production" in check.stderr
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    run = subprocess.run([gunicorn, "-c", "python:service.gunicorn_conf", "service:create_app()"],
                         env=environ, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "Error: SECRET_KEY" in run.stderr and "Traceback" not in run.stderr
    assert "Booting worker" not in run.stderr  # refused in the master, before any worker


def test_production_cookies_are_secure_and_urls_https_by_default(env, tmp_path):
    env.setenv("IOM_ENV", "production")
    env.setenv("SECRET_KEY", KEY)
    for app in _app(tmp_path, SECRET_KEY=None):
        assert app.config["SECRET_KEY"] == KEY
        cookie = _login_cookie(app)
        assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert app.config["REMEMBER_COOKIE_SECURE"] is True
        assert app.config["PREFERRED_URL_SCHEME"] == "https"


def test_production_cookies_can_be_made_plain_for_http_explicitly(env, tmp_path):
    env.setenv("IOM_ENV", "production")
    env.setenv("SECRET_KEY", KEY)
    env.setenv("SESSION_COOKIE_SECURE", "0")
    for app in _app(tmp_path, SECRET_KEY=None):
        assert "Secure" not in _login_cookie(app)


def test_development_keeps_plain_cookies(env, tmp_path):
    for app in _app(tmp_path):
        assert app.config["IOM_ENV"] == "development"
        assert "Secure" not in _login_cookie(app)


def _addr_app(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}", "SECRET_KEY": KEY})

    @app.get("/test-only/remote-addr")
    def remote_addr():
        return {"addr": request.remote_addr, "scheme": request.scheme}

    return app.test_client()


def _seen(client, forwarded: str, proto: str = "https") -> dict:
    r = client.get("/test-only/remote-addr", environ_base={"REMOTE_ADDR": "10.0.0.2"},
                   headers={"X-Forwarded-For": forwarded, "X-Forwarded-Proto": proto})
    assert r.status_code == 200, r.data
    return r.get_json()


def test_one_trusted_proxy_records_the_client_address_from_x_forwarded_for(env, tmp_path):
    env.setenv("IOM_PROXIES", "1")
    client = _addr_app(tmp_path)
    assert _seen(client, "203.0.113.7") == {"addr": "203.0.113.7", "scheme": "https"}
    # The client wrote its own first entry; only the one our proxy appended is trusted.
    assert _seen(client, "198.51.100.1, 203.0.113.7")["addr"] == "203.0.113.7"


def test_without_proxies_forwarded_headers_are_ignored(env, tmp_path):
    client = _addr_app(tmp_path)
    assert _seen(client, "203.0.113.7") == {"addr": "10.0.0.2", "scheme": "http"}


def test_a_malformed_proxy_count_is_refused(env, tmp_path):
    env.setenv("IOM_PROXIES", "yes")
    with pytest.raises(ConfigurationError, match="IOM_PROXIES"):
        _addr_app(tmp_path)
