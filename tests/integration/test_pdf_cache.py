"""PDFs of document versions: converted once per version and served from the database, at most
PDF_MAX_CONVERSIONS conversions at once on the host (threads and worker processes alike), and
concurrent requests for one document share its one conversion."""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from service.db.models import PdfCache
from service.documents.pdf import HostLocks, PdfBusy, pdf_available, to_pdf
from service.services import pdfs
from service.services.demo import PASSWORD
from tests.support import app as driver

DELAY = 0.4  # a fake conversion's duration


class FakeConverter:
    """Sleeps like LibreOffice would and counts: conversions per document, most at once."""

    def __init__(self, delay: float = DELAY):
        self.delay = delay
        self.lock = threading.Lock()
        self.active = self.max_active = 0
        self.calls: Counter[str] = Counter()

    def __call__(self, docx: bytes) -> bytes:
        digest = hashlib.sha256(docx).hexdigest()
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.calls[digest] += 1
        try:
            time.sleep(self.delay)
            return b"%PDF-1.4 fake " + digest.encode()
        finally:
            with self.lock:
                self.active -= 1


def logged_conversion(log: str, delay: float, docx: bytes) -> bytes:
    """A fake conversion for worker processes: writes its start and end to a shared log."""
    digest = hashlib.sha256(docx).hexdigest()
    _log(log, f"start {digest} {time.time():.6f}\n")
    time.sleep(delay)
    _log(log, f"end {digest} {time.time():.6f}\n")
    return b"%PDF-1.4 fake " + digest.encode()


def _log(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def most_at_once(log: str) -> tuple[int, Counter[str]]:
    events, starts = [], Counter()
    with open(log) as f:
        for line in f:
            what, digest, at = line.split()
            events.append((float(at), 0 if what == "end" else 1))
            starts[digest] += what == "start"
    running = peak = 0
    for _, is_start in sorted(events):
        running += 1 if is_start else -1
        peak = max(peak, running)
    return peak, starts


@pytest.fixture
def fake():
    return FakeConverter()


@pytest.fixture
def app(database_url, tmp_path, fake):
    yield from driver.ready_app(database_url, CLOCK=driver.FakeClock(), PDF_LOCK_DIR=str(tmp_path / "locks"),
                             PDF_MAX_CONVERSIONS=2, PDF_CONVERTER=fake)


def _routes(app, n: int) -> list[int]:
    head = driver.Person(app, "head_cnppm")
    ids = app.config["PEOPLE"]
    out = []
    for _ in range(n):
        r = head.post("/api/routes", {"teacher_id": ids["teacher1"], "tutor_id": ids["tutor1"],
                                      "methodist_id": ids["methodist"]})
        assert r.status_code == 201, r.get_json()
        out.append(r.get_json()["id"])
    return out


def _pdf_urls(app, route_ids: list[int]) -> list[str]:
    """The PDF of each route's order assigning the tutor (issued on opening, unsigned: its content
    and issued copies are the same bytes)."""
    auditor = driver.Person(app, "auditor")
    urls = []
    for rid in route_ids:
        (order,) = [d for d in auditor.get(f"/api/routes/{rid}/documents").get_json()["documents"]
                    if d["kind"] == "prikaz_tutor"]
        urls.append(order["files"]["issued_pdf"])
    return urls


def _fetch_in_parallel(app, urls: list[str]) -> list:
    clients = [driver.Person(app, "auditor") for _ in urls]
    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(lambda pair: pair[0].get(pair[1]), zip(clients, urls, strict=True)))


def test_eight_parallel_requests_run_at_most_two_conversions_and_each_version_once(app, fake):
    urls = _pdf_urls(app, _routes(app, 8))
    responses = _fetch_in_parallel(app, urls)
    assert [r.status_code for r in responses] == [200] * 8
    assert all(r.data.startswith(b"%PDF") and r.mimetype == "application/pdf" for r in responses)
    assert fake.max_active == 2  # bounded, and the bound is used
    assert len(fake.calls) == 8 and set(fake.calls.values()) == {1}
    # the same eight again: all from the cache
    assert [r.data for r in _fetch_in_parallel(app, urls)] == [r.data for r in responses]
    assert sum(fake.calls.values()) == 8
    with app.extensions["iom"].sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PdfCache)) == 8


def test_concurrent_requests_for_one_document_share_one_conversion(app, fake):
    (url,) = _pdf_urls(app, _routes(app, 1))
    responses = _fetch_in_parallel(app, [url] * 8)
    assert {r.status_code for r in responses} == {200} and len({r.data for r in responses}) == 1
    assert list(fake.calls.values()) == [1]
    second = driver.Person(app, "auditor").get(url)
    assert second.status_code == 200 and second.data == responses[0].data
    assert list(fake.calls.values()) == [1]  # the second request converted nothing
    assert second.headers["Content-Disposition"].endswith('-v1.pdf"')


def test_without_libreoffice_an_uncached_pdf_is_501_and_a_cached_one_is_served(app, fake):
    cached, uncached = _pdf_urls(app, _routes(app, 2))
    auditor = driver.Person(app, "auditor")
    assert auditor.get(cached).status_code == 200
    pdfs.converter_for(app).available = lambda: False
    assert auditor.get(cached).status_code == 200
    r = auditor.get(uncached)
    assert r.status_code == 501 and "LibreOffice" in r.get_json()["error"]
    assert sum(fake.calls.values()) == 1


def test_host_locks_give_out_at_most_n_slots_and_time_out(tmp_path):
    locks = HostLocks(tmp_path, slots=2, wait=0.2)
    with locks.slot() as a, locks.slot() as b:
        assert {a, b} == {0, 1}
        with pytest.raises(PdfBusy, match="занят"), locks.slot():
            pass
    with locks.slot():  # released
        pass
    with locks.key("ab" * 32), pytest.raises(PdfBusy, match="преобразуется"), \
            HostLocks(tmp_path, slots=2, wait=0.1).key("ab" * 32):
        pass


def _worker(url: str, lock_dir: str, log: str, jobs: list[str], barrier, results) -> None:
    """One worker process of the service: its own app, sharing the database and the lock dir."""
    from service import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test", "PDF_LOCK_DIR": lock_dir,
                      "PDF_MAX_CONVERSIONS": 2, "PDF_CONVERTER": functools.partial(logged_conversion, log, DELAY)})
    clients = []
    for _ in jobs:
        client = app.test_client()
        assert client.post("/api/login", json={"login": "auditor", "password": PASSWORD}).status_code == 200
        clients.append(client)
    barrier.wait(timeout=120)
    with ThreadPoolExecutor(len(jobs)) as pool:
        got = list(pool.map(lambda pair: pair[0].get(pair[1]), zip(clients, jobs, strict=True)))
    results.put([(job, r.status_code, r.data[:80]) for job, r in zip(jobs, got, strict=True)])
    app.extensions["iom"].sessions.kw["bind"].dispose()


def test_worker_processes_share_the_bound_and_the_conversions(app, database_url, tmp_path):
    urls = _pdf_urls(app, _routes(app, 4))  # four documents, each asked for by both processes
    log = str(tmp_path / "conversions.log")
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    jobs = [urls, urls[::-1]]  # two workers with four request threads each
    workers = [spawn.Process(target=_worker, args=(database_url, str(tmp_path / "locks"), log, j, barrier, results))
               for j in jobs]
    for w in workers:
        w.start()
    got = [results.get(timeout=180) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    answers = [item for batch in got for item in batch]
    assert len(answers) == 8 and {status for _, status, _ in answers} == {200}
    assert all(data.startswith(b"%PDF") for _, _, data in answers)
    peak, starts = most_at_once(log)
    assert peak <= 2, open(log).read()
    assert len(starts) == 4 and set(starts.values()) == {1}, starts  # one conversion per document


@pytest.mark.skipif(not pdf_available(), reason="LibreOffice is not installed (.ci/install-libreoffice.sh)")
def test_a_real_libreoffice_pdf_is_converted_once_and_then_served_from_the_cache(database_url, tmp_path):
    conversions = []

    def libreoffice(docx: bytes) -> bytes | None:
        conversions.append(hashlib.sha256(docx).hexdigest())
        return to_pdf(docx)

    app = next(driver.ready_app(database_url, CLOCK=driver.FakeClock(), PDF_LOCK_DIR=str(tmp_path / "locks"),
                             PDF_CONVERTER=libreoffice))
    try:
        (url,) = _pdf_urls(app, _routes(app, 1))
        auditor = driver.Person(app, "auditor")
        first = auditor.get(url)
        assert first.status_code == 200 and first.data.startswith(b"%PDF-") and b"%%EOF" in first.data[-64:]
        again = auditor.get(url)
        assert again.status_code == 200 and again.data == first.data
        assert len(conversions) == 1
        with app.extensions["iom"].sessions() as s:
            row = s.get(PdfCache, conversions[0])
            assert row is not None and row.pdf == first.data and row.created_at.tzinfo is not None
    finally:
        app.extensions["iom"].sessions.kw["bind"].dispose()
