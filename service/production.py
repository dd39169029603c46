"""Production settings: required secret key, proxies, secure cookies.

`IOM_ENV=production` switches production mode on (unset or `development`: the demo defaults).
In production mode:

- `SECRET_KEY` is required (at least 32 characters); without it the service refuses to start
  with a `ConfigurationError` saying so, instead of generating a key per machine;
- session and remember-me cookies are `Secure` unless `SESSION_COOKIE_SECURE=0` says otherwise,
  and URLs built outside a request use https.

In any mode `IOM_PROXIES=N` (default 0) trusts N reverse proxies in front of the service:
werkzeug's ProxyFix takes the client's address from the last N entries of `X-Forwarded-For`
(so a signature records the signer's address, not the proxy's) and the scheme from
`X-Forwarded-Proto`. Only set it when a proxy really is there and sets those headers: otherwise a
client could write its own address.

`check_environment()` / `main()` check the environment alone, before any app is built
(scripts/serve.sh and the gunicorn config run them first, so a missing key is one clear line).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from service.config import ConfigurationError

__all__ = ["ConfigurationError", "check_environment", "configure", "is_production", "proxies"]

MIN_SECRET_KEY_LENGTH = 32
_FALSE = {"0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def is_production(environ: Mapping[str, str] | None = None) -> bool:
    """Whether `IOM_ENV` asks for production mode (an unknown value is an error, not development)."""
    value = _env(environ).get("IOM_ENV", "").strip().lower()
    if value in ("", "development"):
        return False
    if value == "production":
        return True
    raise ConfigurationError(f"IOM_ENV={value!r}: ожидается production или development "
                             f"(IOM_ENV must be 'production' or 'development')")


def proxies(environ: Mapping[str, str] | None = None) -> int:
    """`IOM_PROXIES`: how many reverse proxies stand in front of the service (0: none)."""
    value = _env(environ).get("IOM_PROXIES", "").strip() or "0"
    if not value.isdigit():
        raise ConfigurationError(f"IOM_PROXIES={value!r}: ожидается число прокси перед сервисом, 0 — без прокси "
                                 f"(IOM_PROXIES must be a whole number of trusted proxies)")
    return int(value)


def _flag(environ: Mapping[str, str], name: str) -> bool | None:
    value = environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={value!r}: ожидается 1 или 0 ({name} must be 1 or 0)")


def _secret_key_problem(key: str | None) -> str | None:
    if not key:
        return ("SECRET_KEY не задан: в режиме production (IOM_ENV=production) ключ обязателен. "
                "SECRET_KEY is required in production: set it to a long random value, the same for every "
                "worker and every restart, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`.")
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return (f"SECRET_KEY слишком короткий ({len(key)} символов, нужно не меньше {MIN_SECRET_KEY_LENGTH}). "
                f"SECRET_KEY is too short for production: use at least {MIN_SECRET_KEY_LENGTH} random characters, "
                "e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`.")
    return None


def check_environment(environ: Mapping[str, str] | None = None) -> None:
    """Raise ConfigurationError if the service would refuse to start with this environment."""
    environ = _env(environ)
    proxies(environ)
    _flag(environ, "SESSION_COOKIE_SECURE")
    if is_production(environ):
        problem = _secret_key_problem(environ.get("SECRET_KEY"))
        if problem:
            raise ConfigurationError(problem)


def configure(app: Flask) -> None:
    """Apply production settings to `app` (called by the app factory before anything else uses them)."""
    count = proxies()
    if count:
        # X-Forwarded-Host/-Port/-Prefix are left alone: proxies often pass a client's own values on.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0, x_port=0, x_prefix=0)
    app.config["IOM_PROXIES"] = count
    secure = _flag(os.environ, "SESSION_COOKIE_SECURE")
    if not is_production():
        app.config["IOM_ENV"] = "development"
        if secure is not None:
            app.config["SESSION_COOKIE_SECURE"] = secure
        return
    app.config["IOM_ENV"] = "production"
    key = app.config.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    problem = _secret_key_problem(key)
    if problem:
        raise ConfigurationError(problem)
    app.config["SECRET_KEY"] = key
    app.config["SESSION_COOKIE_SECURE"] = True if secure is None else secure
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.config["PREFERRED_URL_SCHEME"] = "https"


def main() -> None:
    """Check the environment; print the reason and exit 2 if the service would not start with it."""
    try:
        check_environment()
    except ConfigurationError as exc:
        print(f"Ошибка конфигурации / configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    mode = "production" if is_production() else "development"
    print(f"Конфигурация в порядке / configuration OK ({mode}, IOM_PROXIES={proxies()})")
