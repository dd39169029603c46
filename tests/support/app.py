"""Driving the service over HTTP in tests: an app on a real database with the workflows, the
templates and the demo people deployed; a controllable clock; a logged-in person with their own
cookie jar. Shared by the e2e, integration and browser tests."""

from __future__ import annotations

import copy
import shutil
import tempfile
from datetime import UTC, datetime, timedelta

from werkzeug.security import generate_password_hash

from service import create_app
from service.samples import VALID
from service.services import deployments, documents, pep
from service.services.demo import PASSWORD, setup_people
from tests.support import schema_cache

# The demo password under a one-round hash: the tests log in hundreds of times, and werkzeug's
# default (scrypt) is a deliberate ~70 ms a check. What is tested is the check, not its cost.
CHEAP_DEMO_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")


class FakeClock:
    """Moves forward a minute on every reading, so event order and waiting times are real."""

    def __init__(self):
        self.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


class HandClock:
    """Security time (attempt windows, sessions, token and link expiry) that a test moves by hand."""

    def __init__(self):
        self.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def ready_app(database_url: str, **config):
    """An app on `database_url` with the schema, the workflows and the demo people
    (`app.config["PEOPLE"]`: login → id); a generator for fixtures: disposes the pool after."""
    placed = schema_cache.place_sqlite(database_url)  # a new SQLite file: a migrated copy
    scratch = tempfile.mkdtemp(prefix="iom-app-")  # per app: PDF slots and staged imports, never the checkout's
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test",
                      "PDF_LOCK_DIR": f"{scratch}/pdf-locks", "IMPORT_STAGING_DIR": f"{scratch}/imports",
                      "WORKER": "immediate", **config})  # background jobs run at once, in the request
    ctx = app.extensions["iom"]
    if not placed:
        schema_cache.migrate(ctx.sessions.kw["bind"])
    deployments.deploy(ctx, deployments.read_workflow_files())
    documents.deploy_templates(ctx, documents.read_template_files())
    app.config["PEOPLE"] = setup_people(ctx, password_hash=CHEAP_DEMO_HASH)
    pep.record_acceptances(ctx, app.config["PEOPLE"].values())  # the demo people may sign (Положение о ПЭП)
    yield app
    ctx.sessions.kw["bind"].dispose()
    shutil.rmtree(scratch, ignore_errors=True)


def with_csrf_header(client):
    """Send the session's CSRF token with every request, as a cookie-authenticated API client
    that uploads files must (service/http/auth.py)."""
    r = client.get("/api/csrf")
    assert r.status_code == 200, r.get_json()
    client.environ_base["HTTP_X_CSRFTOKEN"] = r.get_json()["csrf_token"]
    return client


class Person:
    """One logged-in person with their own cookie jar."""

    def __init__(self, app, login: str):
        self.login = login
        self.id = app.config["PEOPLE"][login]
        self.client = app.test_client()
        r = self.client.post("/api/login", json={"login": login, "password": PASSWORD})
        assert r.status_code == 200, r.get_json()
        with_csrf_header(self.client)

    def get(self, url: str):
        return self.client.get(url)

    def post(self, url: str, body=None):
        return self.client.post(url, json=body)

    def tasks(self) -> list[dict]:
        r = self.get("/api/tasks")
        assert r.status_code == 200
        return r.get_json()["tasks"]

    def task(self, route_id: int, name: str) -> dict:
        found = [t for t in self.tasks() if t["route_id"] == route_id and t["name"] == name]
        assert found, f"{self.login} has no {name} on route {route_id}: {[t['name'] for t in self.tasks()]}"
        return found[0]

    def complete(self, task_id: str, data, signature=None):
        body = {"data": data} if signature is None else {"data": data, "signature": signature}
        return self.post(f"/api/tasks/{task_id}/complete", body)

    def view(self, task_id: str) -> dict:
        r = self.get(f"/api/tasks/{task_id}")
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def signature_for(self, task_id: str, data) -> dict | None:
        """What a signer sends: their password and the hash of the document they were shown."""
        signs = self.view(task_id)["signs"]
        if not signs or data.get("decision") == "return":
            return None
        return {"password": PASSWORD, "document_sha256": signs["document"]["content_sha256"]}

    def do(self, route_id: int, name: str, data=None) -> dict:
        """Complete my task `name` on the route (signing where it signs); fails unless accepted."""
        task = self.task(route_id, name)
        payload = copy.deepcopy(VALID[task["form"]] if data is None else data)
        r = self.complete(task["id"], payload, self.signature_for(task["id"], payload))
        assert r.status_code == 200, (name, r.get_json())
        return r.get_json()


def people_of(app):
    """`person(login)`: that person logged in, one client each, kept for the app's lifetime."""
    cache: dict[str, Person] = {}

    def person(login: str) -> Person:
        if login not in cache:
            cache[login] = Person(app, login)
        return cache[login]

    return person


def route_opener(app, people):
    """`make(teacher, tutor)`: a route opened by the CNPPM head for them with the methodist; its id."""

    def make(teacher: str = "teacher1", tutor: str = "tutor1") -> int:
        ids = app.config["PEOPLE"]
        r = people("head_cnppm").post("/api/routes", {"teacher_id": ids[teacher], "tutor_id": ids[tutor],
                                                      "methodist_id": ids["methodist"]})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    return make
