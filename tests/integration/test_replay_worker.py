"""A replay job crosses from the web app to the worker through Huey's storage by task name: the
app's Huey and the worker's are separate instances on the same SQLite file (IOM_WORKER=sqlite), as
in two processes. SQLite and PostgreSQL for the service's database (`database_url`)."""

from __future__ import annotations

from huey import SqliteHuey

from service.worker import Worker
from tests.support.app import FakeClock, Person, ready_app
from tests.support.audit_routes import new_route


def test_the_worker_runs_the_replay_the_app_enqueued(database_url, tmp_path):
    queue_file = str(tmp_path / "worker.sqlite3")
    app_side = SqliteHuey("iom", filename=queue_file, results=False)
    for app in ready_app(database_url, CLOCK=FakeClock(), JOBS=app_side):
        rid = new_route(app)
        auditor = Person(app, "auditor")
        r = auditor.get(f"/api/routes/{rid}/replay?documents=1")
        assert r.status_code == 202
        worker = Worker(huey=SqliteHuey("iom", filename=queue_file, results=False),
                        context=lambda app=app: app.extensions["iom"])
        task = worker.huey.dequeue()
        assert task is not None and task.name == "iom.replay"
        worker.huey.execute(task)
        r = auditor.get(r.headers["Location"])
        assert r.status_code == 200 and r.get_json()["result"]["ok"] is True
