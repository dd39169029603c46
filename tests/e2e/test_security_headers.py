"""Security headers on every response: a strict CSP, no sniffing, no framing, no referrer to other
sites, HSTS over HTTPS, nothing personal in caches; static files stay cacheable; the development
server names no versions."""

from __future__ import annotations

import re
import threading
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from service.http import headers as security

TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "templates" / "web"

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _csp(r) -> dict[str, str]:
    policy = r.headers["Content-Security-Policy"]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in (p.strip() for p in policy.split(";")) if d}


def _secure_headers(r, *, cached: bool) -> None:
    for name, value in EXPECTED.items():
        assert r.headers.get(name) == value, (name, r.headers.get(name))
    csp = _csp(r)
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'" and csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'" and csp["img-src"] == "'self' data:"
    assert "unsafe" not in r.headers["Content-Security-Policy"]
    if cached:
        assert "no-store" not in r.headers.get("Cache-Control", "")
    else:
        assert r.headers.get("Cache-Control") == "no-store"
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP


def test_pages_api_responses_and_errors_carry_the_headers(app, people, new_route):
    rid = new_route()
    anonymous = app.test_client()
    teacher = people("teacher1")
    responses = {
        "login page": anonymous.get("/login"),
        "route page": teacher.get(f"/routes/{rid}"),
        "api": teacher.get(f"/api/routes/{rid}"),
        "api events": teacher.get(f"/api/routes/{rid}/events"),
        "api 401": anonymous.get("/api/me"),
        "api 403": people("teacher2").get(f"/api/routes/{rid}"),
        "api 404": teacher.get("/api/routes/2147483648"),
        "page 404": teacher.get("/no-such-page"),
        "redirect": anonymous.get("/inbox"),
        "422": anonymous.post("/api/login", json={"login": "x\x00", "password": "y"}),
    }
    statuses = {name: r.status_code for name, r in responses.items()}
    assert statuses == {"login page": 200, "route page": 200, "api": 200, "api events": 200, "api 401": 401,
                        "api 403": 403, "api 404": 404, "page 404": 404, "redirect": 302, "422": 422}
    for name, r in responses.items():
        try:
            _secure_headers(r, cached=False)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from exc


def test_a_download_is_not_stored_in_caches(people, new_route):
    rid = new_route()
    docs = people("admin").get(f"/api/routes/{rid}/documents").get_json()["documents"]
    r = people("admin").get(docs[0]["files"]["content_docx"])
    assert r.status_code == 200
    _secure_headers(r, cached=False)


def test_static_files_keep_caching_but_carry_the_other_headers(app):
    for path in ("/static/css/app.css", "/static/js/diagram.js",
                 "/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"):
        r = app.test_client().get(path)
        assert r.status_code == 200
        _secure_headers(r, cached=True)
        r.close()


def test_hsts_is_sent_over_https_only(app):
    r = app.test_client().get("/login", base_url="https://iom.example")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=") and "includeSubDomains" in \
        r.headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    app.config["PREFERRED_URL_SCHEME"] = "https"  # behind a TLS-terminating proxy
    assert "Strict-Transport-Security" in app.test_client().get("/login").headers


def test_the_development_server_names_no_versions(app):
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/login") as r:
            assert r.headers.get_all("Server") == [security.SERVER_NAME]
            assert r.headers["Content-Security-Policy"] == security.CSP
    finally:
        server.shutdown()
        thread.join()


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_no_template_has_inline_styles_or_scripts(template):
    """The CSP blocks them: a `style="…"` attribute, a `<style>` block, an inline `<script>` or an
    `on…=` handler would silently not work."""
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    assert not re.search(r"\sstyle\s*=", text), template
    assert "<style" not in text, template
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
    assert not re.search(r"\son[a-z]+\s*=", text), template
