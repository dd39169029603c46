"""Security headers on every response.

* Content-Security-Policy: scripts, styles, images, fonts, fetches and form targets from this
  origin only (images also as `data:` URLs: bpmn-js draws its logo from one); no plugins, no
  `<base>`, no framing. The pages have no inline scripts, no `<style>` blocks and no `style="…"`
  attributes (static/css/app.css has the classes). bpmn-js sets the styles of what it draws
  through the CSSOM (`element.style.x = …`), which `style-src 'self'` does not restrict, so no
  `'unsafe-inline'` is needed.
* X-Content-Type-Options, X-Frame-Options (for browsers without frame-ancestors), Referrer-Policy.
* Strict-Transport-Security when the service is reached over HTTPS (the request is secure, or
  the configured URL scheme is https, as behind a TLS-terminating proxy).
* Cache-Control: no-store on everything but the static files: pages, API responses, downloads
  and errors carry personal data or a session's view of it.
* Server: the development server's version banner becomes a bare name (set by the server, not
  the response, so it is not sent twice).
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])
HSTS = "max-age=31536000; includeSubDomains"
SERVER_NAME = "iom"
STATIC_ENDPOINTS = frozenset({"static"})


def _neutralize_dev_server_banner() -> None:
    """Werkzeug's development server sends `Server: Werkzeug/x.y Python/x.y` itself, whatever the
    response says; give it a name without versions (gunicorn has its own setting)."""
    try:
        from werkzeug.serving import WSGIRequestHandler
    except ImportError:  # pragma: no cover - werkzeug is a Flask dependency
        return
    WSGIRequestHandler.version_string = lambda self: SERVER_NAME  # type: ignore[method-assign]


def _secure(app: Flask) -> bool:
    return request.is_secure or app.config.get("PREFERRED_URL_SCHEME") == "https"


def init_app(app: Flask) -> None:
    """Add the security headers to every response."""
    _neutralize_dev_server_banner()

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers["Content-Security-Policy"] = CSP
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        if _secure(app):
            headers["Strict-Transport-Security"] = HSTS
        # a static file may be cached; an error page (even for a static path) names the user
        if request.endpoint not in STATIC_ENDPOINTS or response.status_code >= 400:
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
            headers.pop("Pragma", None)
        return response
