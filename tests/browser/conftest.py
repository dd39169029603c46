"""Browser tests: the app served on a loopback port, Playwright driving Debian's Chromium.
Screenshots go to tests/artifacts/ (ignored by git)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from service.services.demo import PASSWORD
from tests.support.app import FakeClock, ready_app

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = pytest.mark.browser


def serve(tmp_path_factory, **config):
    """The app on SQLite (with `config`), served on 127.0.0.1 at a free port; yields (base_url, app)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's Chromium is not installed (.ci/install-chromium.sh)")
    path = tmp_path_factory.mktemp("browser") / "ui.sqlite3"
    gen = ready_app(f"sqlite:///{path}", CLOCK=FakeClock(), WTF_CSRF_TIME_LIMIT=None, **config)
    app = next(gen)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    next(gen, None)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The app on SQLite, served on 127.0.0.1 at a free port; yields (base_url, app)."""
    yield from serve(tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


class Visitor:
    """One person in their own browser context (own cookies)."""

    def __init__(self, browser, base: str, login: str):
        self.base, self.login_name = base, login
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
        self.page = self.context.new_page()

    def login(self) -> Visitor:
        self.page.goto(f"{self.base}/login")
        self.page.fill("#login", self.login_name)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{self.base}/inbox")
        return self

    def goto(self, path: str):
        return self.page.goto(f"{self.base}{path}")

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def fits(self, name: str) -> None:
        """Screenshots `<name>_1366` and `<name>_390`; at each width nothing runs off the screen."""
        for width, height in ((1366, 900), (390, 844)):
            self.page.set_viewport_size({"width": width, "height": height})
            self.shot(f"{name}_{width}")
            assert self.page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        self.page.set_viewport_size({"width": 1366, "height": 900})

    def close(self):
        self.context.close()


@pytest.fixture
def visitor(live, browser):
    opened: list[Visitor] = []

    def make(login: str) -> Visitor:
        v = Visitor(browser, live[0], login).login()
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()
