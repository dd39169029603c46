"""Figures for the template and PDF hardening: a zip bomb's refusal, and cached, bounded PDFs.

Run from the repo root:  .venv/bin/python bench/security.py [--reps 7] [--documents 8] [--slots 2]

Everything runs in this process against a real SQLite file in a temp dir (the schema, the
workflows, the shipped templates and the demo people, as the tests set them up), through the
Flask test client.

* A = `zip_bomb_refusal_s`: an admin uploads (`POST /api/templates/korrektirovka`) the shipped
  template with one more member, `word/media/image1.bin`: 1,100 MiB of zeros deflated to about
  1.1 MB, a real deflate stream (the whole upload is ~1.2 MB, under the 2 MB request limit).
  Median of --reps uploads, each refused with 422. Also timed: `load_template` alone.
* B = `zip_bomb_rss_growth_mb`: the peak resident set (VmHWM of /proc/self/status, reset first
  through /proc/self/clear_refs where the kernel allows) during those uploads, minus VmRSS
  before them. Before the archive checks, this upload took 108 s and 5.7 GB.
* C = `pdf_second_request_ms`: `GET /api/documents/{id}/issued.pdf` of one document: the first
  request converts with LibreOffice (its time is printed), then the median of --reps further
  requests, all served from `pdf_cache`.
* D = `pdf_parallel8_max_converters`: --documents requests for different documents at once (one
  thread and one client each), with PDF_MAX_CONVERSIONS = --slots: the most LibreOffice
  conversions seen running at the same time. A sampler reads /proc every 10 ms and counts the
  distinct `-env:UserInstallation=` profiles (one per conversion) among this process's
  descendants; the number of converter calls in progress is counted as well. Before the bound,
  8 requests ran 9 LibreOffice processes.

The last line of stdout is JSON with A, B, C and D first, then extra keys. Targets: A < 1 s,
B <= 50 MB, C <= 50 ms, D <= --slots. The script reports whether each is met and exits 0 either
way. C and D need LibreOffice (`soffice`); without it they are null.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from service import create_app  # noqa: E402
from service.db.migrate import upgrade  # noqa: E402
from service.documents.pdf import pdf_available, to_pdf  # noqa: E402
from service.documents.render import load_template  # noqa: E402
from service.domain.errors import TemplateRejected  # noqa: E402
from service.services import deployments, documents  # noqa: E402
from service.services.demo import PASSWORD, setup_people  # noqa: E402
from tests.support.hostile_files import with_members  # noqa: E402

MB = 1024 * 1024
TEMPLATE = ROOT / "doc_templates" / "korrektirovka.docx"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The bomb
# ---------------------------------------------------------------------------------------------
def make_bomb(mib: int) -> bytes:
    return with_members(TEMPLATE.read_bytes(), {"word/media/image1.bin": mib})


def status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------------------------
def make_app(tmp: Path, slots: int, converter):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}", "SECRET_KEY": "bench",
                      "PDF_LOCK_DIR": str(tmp / "pdf-locks"), "PDF_MAX_CONVERSIONS": slots,
                      "PDF_CONVERTER": converter})
    ctx = app.extensions["iom"]
    upgrade(ctx.sessions.kw["bind"])
    deployments.deploy(ctx, deployments.read_workflow_files())
    documents.deploy_templates(ctx, documents.read_template_files())
    app.config["PEOPLE"] = setup_people(ctx)
    return app


def client(app, login: str):
    c = app.test_client()
    r = c.post("/api/login", json={"login": login, "password": PASSWORD})
    assert r.status_code == 200, r.get_json()
    return c


def order_pdfs(app, n: int) -> list[str]:
    """Open n routes; each issues its order assigning the tutor: the URLs of their PDFs."""
    head, auditor, ids = client(app, "head_cnppm"), client(app, "auditor"), app.config["PEOPLE"]
    urls = []
    for _ in range(n):
        r = head.post("/api/routes", json={"teacher_id": ids["teacher1"], "tutor_id": ids["tutor1"],
                                           "methodist_id": ids["methodist"]})
        assert r.status_code == 201, r.get_json()
        docs = auditor.get(f"/api/routes/{r.get_json()['id']}/documents").get_json()["documents"]
        urls += [d["files"]["issued_pdf"] for d in docs if d["kind"] == "prikaz_tutor"]
    return urls


class Counting:
    """Wraps the real converter: how many calls are in progress at most."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active = self.peak = self.calls = 0

    def __call__(self, docx: bytes) -> bytes | None:
        with self.lock:
            self.active += 1
            self.calls += 1
            self.peak = max(self.peak, self.active)
        try:
            return to_pdf(docx)
        finally:
            with self.lock:
                self.active -= 1


def _descendants_profiles(root: int) -> int:
    """Distinct LibreOffice profiles (one per conversion) among the descendants of `root`."""
    parent, cmdlines = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdlines[int(entry)] = f.read().split(b"\0")
        except OSError:
            continue
        parent[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    profiles = set()
    for pid, argv in cmdlines.items():
        found = [a for a in argv if a.startswith(b"-env:UserInstallation=")]
        if not found:
            continue
        p, seen = pid, 0
        while p in parent and p != root and seen < 64:
            p, seen = parent[p], seen + 1
        if p == root:
            profiles.add(found[0])
    return len(profiles)


class Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()

    def run(self):
        me = os.getpid()
        while not self.stop.is_set():
            self.peak = max(self.peak, _descendants_profiles(me))
            time.sleep(0.01)


# ---------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--documents", type=int, default=8)
    ap.add_argument("--slots", type=int, default=2)
    ap.add_argument("--bomb-mib", type=int, default=1100)
    args = ap.parse_args()
    result: dict = {}

    with tempfile.TemporaryDirectory(prefix="iom-bench-security-") as tmp_name:
        tmp = Path(tmp_name)
        counting = Counting()
        log("setting up the app on SQLite …")
        app = make_app(tmp, args.slots, counting)
        admin = client(app, "admin")
        r = admin.get("/api/csrf")  # a cookie-authenticated multipart post carries the CSRF token
        csrf = {"X-CSRFToken": r.get_json()["csrf_token"]} if r.status_code == 200 else {}

        # ---- A, B: the zip bomb
        t0 = time.perf_counter()
        bomb = make_bomb(args.bomb_mib)
        declared = zipfile.ZipFile(io.BytesIO(bomb)).getinfo("word/media/image1.bin").file_size
        log(f"bomb: {len(bomb) / MB:.2f} MB upload, member declares {declared / MB:,.0f} MiB "
            f"(made in {time.perf_counter() - t0:.2f} s)")
        rss_before = status_kb("VmRSS")
        peak_reset = reset_peak()
        hwm_before = status_kb("VmHWM")
        upload_s, load_s = [], []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            r = admin.post("/api/templates/korrektirovka", data={"file": (io.BytesIO(bomb), "korrektirovka.docx")},
                           content_type="multipart/form-data", headers=csrf)
            upload_s.append(time.perf_counter() - t0)
            assert r.status_code == 422, r.get_json()
            t0 = time.perf_counter()
            try:
                load_template("korrektirovka", "korrektirovka.docx", bomb)
                raise AssertionError("the bomb was accepted")
            except TemplateRejected as exc:
                message = exc.message
            load_s.append(time.perf_counter() - t0)
        hwm_after, rss_after = status_kb("VmHWM"), status_kb("VmRSS")
        growth_mb = (max(hwm_after, rss_after) - (rss_before if peak_reset else hwm_before)) / 1024
        log(f"refusal: {message}")
        result["zip_bomb_refusal_s"] = round(statistics.median(upload_s), 4)
        result["zip_bomb_rss_growth_mb"] = round(max(growth_mb, 0.0), 1)

        # ---- C, D: PDFs
        second_ms = peak = None
        if pdf_available():
            urls = order_pdfs(app, args.documents + 1)
            one, parallel = urls[0], urls[1:]
            auditor = client(app, "auditor")
            t0 = time.perf_counter()
            r = auditor.get(one)
            first_s = time.perf_counter() - t0
            assert r.status_code == 200 and r.data.startswith(b"%PDF"), r.status_code
            calls = counting.calls
            seconds = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                again = auditor.get(one)
                seconds.append(time.perf_counter() - t0)
                assert again.data == r.data
            assert counting.calls == calls, "a cached PDF was converted again"
            second_ms = round(statistics.median(seconds) * 1000, 2)
            log(f"pdf: first request {first_s:.2f} s (LibreOffice), then {second_ms} ms from the cache")

            clients = [client(app, "auditor") for _ in parallel]
            counting.peak = 0
            sampler = Sampler()
            sampler.start()
            t0 = time.perf_counter()
            with ThreadPoolExecutor(len(parallel)) as pool:
                got = list(pool.map(lambda pair: pair[0].get(pair[1]), zip(clients, parallel, strict=True)))
            wall = time.perf_counter() - t0
            sampler.stop.set()
            sampler.join()
            assert all(g.status_code == 200 and g.data.startswith(b"%PDF") for g in got)
            peak = sampler.peak
            log(f"pdf: {len(parallel)} parallel requests for different documents in {wall:.1f} s; "
                f"most LibreOffice conversions at once: {peak} seen in /proc, {counting.peak} converter calls "
                f"(bound {args.slots})")
            result.update({"pdf_second_request_ms": second_ms, "pdf_parallel8_max_converters": peak,
                           "pdf_first_request_s": round(first_s, 2), "pdf_parallel_wall_s": round(wall, 1),
                           "pdf_parallel_converter_calls_peak": counting.peak})
        else:
            log("LibreOffice is not installed: no PDF figures")
            result.update({"pdf_second_request_ms": None, "pdf_parallel8_max_converters": None})
        result.update({"zip_bomb_load_template_s": round(statistics.median(load_s), 4),
                       "zip_bomb_upload_mb": round(len(bomb) / MB, 2),
                       "zip_bomb_declared_mib": round(declared / MB), "slots": args.slots,
                       "documents": args.documents})
        app.extensions["iom"].sessions.kw["bind"].dispose()

    checks = [("A zip_bomb_refusal_s < 1", result["zip_bomb_refusal_s"] < 1),
              ("B zip_bomb_rss_growth_mb <= 50", result["zip_bomb_rss_growth_mb"] <= 50)]
    if second_ms is not None:
        checks += [("C pdf_second_request_ms <= 50", second_ms <= 50),
                   (f"D pdf_parallel8_max_converters <= {args.slots}", peak <= args.slots)]
    for name, ok in checks:
        print(f"{name}: {'met' if ok else 'NOT met'}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
