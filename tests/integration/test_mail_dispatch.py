"""The e-mail outbox on a real database and a real SMTP server: two dispatchers at once send each
letter once; a dispatcher that died holding rows leaves them to another after the lease; temporary
failures back off and give up after eight attempts; a notification is written with its event or
not at all."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from service.db.models import EmailOutbox, Notification, Task, User
from service.domain.states import TaskState
from service.samples import VALID
from service.services import accounts, digests, mail_dispatch, routes
from service.services.mail_dispatch import LEASE, MAX_ATTEMPTS, SendFailed, SmtpSender
from tests.support.app import FakeClock, ready_app
from tests.support.smtp import free_port, smtp_server

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(database_url):
    yield from ready_app(database_url, CLOCK=FakeClock())


def _queue(app, count: int) -> None:
    uid = app.config["PEOPLE"]["teacher1"]
    with app.extensions["iom"].uow() as uow:
        for i in range(count):
            uow.session.add(EmailOutbox(key=f"t:{i}", user_id=uid, to_addr=f"t{i}@school.test", subject=f"Письмо {i}",
                                        text=f"Текст {i}", html=f"<p>Текст {i}</p>", state="pending", attempts=0,
                                        next_attempt_at=T0, created_at=T0))
        uow.commit()


def _states(app) -> dict[str, int]:
    with app.extensions["iom"].uow() as uow:
        counted = sa.select(EmailOutbox.state, sa.func.count()).group_by(EmailOutbox.state)
        return dict(uow.session.execute(counted).all())


def test_two_dispatchers_at_once_send_each_letter_exactly_once(app):
    ctx = app.extensions["iom"]
    _queue(app, 200)
    with smtp_server() as box:
        barrier, errors, sent = threading.Barrier(2), [], [0, 0]

        def run(n: int) -> None:
            sender = box.sender()
            barrier.wait()
            try:
                while got := mail_dispatch.send_due(ctx, sender, limit=15, now=T0 + timedelta(seconds=1)):
                    sent[n] += got
            except Exception as e:  # noqa: BLE001 — reported below
                errors.append(e)
            finally:
                sender.close()

        threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        ids = box.message_ids()
    assert len(ids) == 200 and set(ids.values()) == {1}
    assert sum(sent) == 200 and all(sent), sent  # both took part
    assert _states(app) == {"sent": 200}


def test_rows_of_a_dispatcher_that_died_are_sent_by_another_after_the_lease(app):
    ctx = app.extensions["iom"]
    _queue(app, 3)
    lease, ids = mail_dispatch.claim(ctx, T0, limit=10)  # …and the process is killed here
    assert len(ids) == 3
    with smtp_server() as box:
        assert mail_dispatch.send_due(ctx, box.sender(), now=T0 + LEASE - timedelta(seconds=1)) == 0  # still leased
        assert mail_dispatch.send_due(ctx, box.sender(), now=T0 + LEASE + timedelta(seconds=1)) == 3
        mail_dispatch._sent(ctx, ids[0], lease, T0)  # the dead one's late write changes nothing
        assert len(box.messages) == 3
    with ctx.uow() as uow:
        row = uow.session.get(EmailOutbox, ids[0])
        assert row.state == "sent" and row.sent_at == T0 + LEASE + timedelta(seconds=1) and row.attempts == 1


class _Unreachable:
    mail_from = "iom@test.local"

    def send(self, message):
        raise SendFailed("421 4.3.2 Service not available", temporary=True)


def test_temporary_failures_back_off_exponentially_and_give_up_after_eight_attempts(app):
    ctx = app.extensions["iom"]
    _queue(app, 1)
    now, waits = T0, []
    for _ in range(MAX_ATTEMPTS):
        assert mail_dispatch.send_due(ctx, _Unreachable(), now=now) == 0
        with ctx.uow() as uow:
            row = uow.session.scalar(sa.select(EmailOutbox))
            uow.session.expunge(row)
        if row.state == "pending":
            waits.append(row.next_attempt_at - now)
            now = row.next_attempt_at
    assert [int(w.total_seconds() // 60) for w in waits] == [1, 2, 4, 8, 16, 32, 60]
    assert row.state == "failed" and row.attempts == MAX_ATTEMPTS and row.last_error.startswith("421")


def test_a_failed_completion_writes_no_notification(app, monkeypatch):
    ctx, ids = app.extensions["iom"], app.config["PEOPLE"]
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    rid = routes.create_route(ctx, head, routes.NewRoute(ids["teacher1"], ids["tutor1"], ids["methodist"]))
    with ctx.uow() as uow:
        before = uow.session.scalar(sa.select(sa.func.count()).select_from(Notification))
        task_id = uow.session.scalar(sa.select(Task.id).where(Task.route_id == rid, Task.state == TaskState.READY))

    def broken(*args, **kwargs):
        raise RuntimeError("the document service failed after the event was written")

    monkeypatch.setattr(routes.documents, "apply_requests", broken)
    with pytest.raises(RuntimeError):
        routes.complete_task(ctx, accounts.load_actor(ctx, ids["tutor1"]), task_id, VALID["draft"])
    with ctx.uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == before == 1
        assert uow.session.get(Task, task_id).state == TaskState.READY
    monkeypatch.undo()
    routes.complete_task(ctx, accounts.load_actor(ctx, ids["tutor1"]), task_id, VALID["draft"])
    with ctx.uow() as uow:
        kinds = uow.session.scalars(sa.select(Notification.kind).where(Notification.route_id == rid)).all()
    assert kinds == ["task_ready"] * 3  # the draft, then the teacher's and the methodist's signatures


def test_with_the_server_down_one_letter_counts_an_attempt_and_the_rest_wait_untouched(app):
    ctx = app.extensions["iom"]
    _queue(app, 5)
    down = SmtpSender(host="127.0.0.1", port=free_port(), mail_from="iom@test.local", timeout=2)
    assert mail_dispatch.send_due(ctx, down, now=T0) == 0
    with ctx.uow() as uow:
        rows = uow.session.execute(sa.select(EmailOutbox.attempts, EmailOutbox.locked_until, EmailOutbox.state)
                                   .order_by(EmailOutbox.id)).all()
    assert [r.attempts for r in rows] == [1, 0, 0, 0, 0] and all(r.locked_until is None for r in rows)
    assert {r.state for r in rows} == {"pending"}
    with smtp_server() as box:  # the server is back: the four go at once, the first after its backoff
        assert mail_dispatch.send_due(ctx, box.sender(), now=T0 + timedelta(seconds=1)) == 4
        assert mail_dispatch.send_due(ctx, box.sender(), now=T0 + timedelta(minutes=1)) == 1
        assert len(box.message_ids()) == 5


def test_two_processes_queueing_digests_at_once_queue_one_letter(app):
    ctx, uid = app.extensions["iom"], app.config["PEOPLE"]["teacher1"]
    with ctx.uow() as uow:
        uow.session.get(User, uid).email = "teacher1@school.test"
        for i in range(3):
            uow.session.add(Notification(user_id=uid, kind="task_ready", title=f"Задача {i}", body="", link="/inbox",
                                         created_at=T0, email="digest"))
        uow.commit()
    evening = T0.replace(hour=17)  # 20:00 in Moscow, past the default hour (8)
    barrier, counts, errors = threading.Barrier(2), [], []

    def run() -> None:
        barrier.wait()
        try:
            counts.append(digests.queue_due_digests(ctx, now=evening))
        except Exception as e:  # noqa: BLE001 — reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and sorted(counts) == [0, 1], (counts, errors)
    with ctx.uow() as uow:
        keys = uow.session.scalars(sa.select(EmailOutbox.key)).all()
        left = uow.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                  .where(Notification.email == "digest"))
    assert keys == [f"d:{uid}:2026-09-01"] and left == 0
