"""Cost of rendering the Карта ИОМ: the service's render path vs raw docxtpl, same template and data.

Run from the repo root:  .venv/bin/python bench/documents.py [--activities 40] [--corrections 10]
                                                              [--reps 31] [--no-db]

The card is built by the service's own handlers: `service.tasks.card.build_card` on
`samples.VALID["draft"]` with --activities planned activities, `record_report` for the first
half of them, then --corrections × `apply_correction`. Each correction appends its replacement,
so the activity table has activities + corrections rows. The people dict has the shape that
`service.services.documents._people` returns. The signature sheet has three rows, made by the
service's `signature_rows`.

* service (R's numerator). This is what the service does to produce one issued version.
  `service.documents.context.build_context(kind="karta", ...)` runs first. Then
  `service.documents.render.render(template, {**data, "signatures": [3 rows],
  "content_sha256": ...})`, and then `hashlib.sha256` of the bytes. The template comes from
  `load_template("karta", "karta_iom.docx", bytes)`, called once, as `_template()` keeps it in
  `ctx.templates`. Inside, render() builds a fresh DocxTemplate from the template bytes. It
  escapes every string (`_prepare`), renders with the module's shared Jinja environment, which
  caches the compiled XML of the template, saves, and rewrites the zip (`normalize_docx`).
* raw (R's denominator). This is what the brief defines: `DocxTemplate(BytesIO(template bytes))`,
  then `tpl.render(context, autoescape=True)`, then `tpl.save(BytesIO())`. The context dict is
  the same one. There is no escaping prep and no normalization. With no jinja_env, docxtpl
  makes a new `Environment(autoescape=True)` on every render, so the template XML is compiled
  every time.
* raw with a shared caching environment (an extra figure, not R). This is the raw path again,
  given `jinja_env=` an environment that caches `from_string` the way the service's does. It
  separates the service's overhead from the compile that the service saves.
* split. The service's steps are timed one by one on the same data: build_context, `_prepare`,
  DocxTemplate + render, the save, normalize_docx and sha256. docxtpl's `patch_xml` of the
  template body is timed as well, as part of the render. One service render is also profiled
  with cProfile (one render, warm; top 10 cumulative entries, on stderr).
* db (extra, skip with --no-db). `service.services.documents._new_version` runs against a real
  SQLite file in a temp dir: template row lookup, version number, `_people` queries,
  build_context, render, Document insert + flush. Every repetition rolls back.

Each figure is a median over --reps repetitions (at least 15), after a warm-up, with gc.collect()
before each call and GC left on. The paths are timed in the same loop, and their order rotates
on each repetition. The machine may be shared, so load from other processes falls on all paths
alike. The last line of stdout is JSON; `render_over_raw` and `render_ms` come first. The
target is render_over_raw <= 1.2. The script prints whether the target is met and exits 0
either way.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import hashlib
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from docxtpl import DocxTemplate  # noqa: E402
from jinja2 import Environment  # noqa: E402

from service.documents import render as render_mod  # noqa: E402
from service.documents.context import build_context, signature_rows  # noqa: E402
from service.documents.contract import KINDS  # noqa: E402
from service.samples import VALID  # noqa: E402
from service.tasks import StepContext  # noqa: E402
from service.tasks.card import apply_correction, build_card, record_report, start_route  # noqa: E402

TEMPLATE_FILE = ROOT / "doc_templates" / "karta_iom.docx"
TARGET = 1.2
TODAY = date(2025, 3, 3)
NOW = datetime(2025, 3, 3, 10, 30, tzinfo=UTC)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def interleaved(fns: dict, reps: int, warmup: int) -> dict[str, list[float]]:
    """Time several callables in the same loop, rotating their order each repetition, so that load
    from other processes (this machine is shared) and slow drift fall on all of them alike."""
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    out: dict[str, list[float]] = {name: [] for name in names}
    for i in range(reps):
        for name in names[i % len(names):] + names[:i % len(names)]:
            gc.collect()
            t0 = time.perf_counter()
            fns[name]()
            out[name].append(time.perf_counter() - t0)
    return out


# ---------------------------------------------------------------------------------------------
# Data: a card made by the service's handlers, people and signatures shaped like the service's
# ---------------------------------------------------------------------------------------------
def make_card(activities: int, corrections: int) -> dict:
    draft = copy.deepcopy(VALID["draft"])
    base = draft["activities"]
    draft["activities"] = []
    for i in range(activities):
        a = copy.deepcopy(base[i % len(base)])
        a["title"] = f"{a['title']} (мероприятие {i + 1})"
        a["start"] = f"2024-{10 + i // 28 % 3:02d}-{1 + i % 28:02d}"
        a["end"] = f"2024-{10 + i // 28 % 3:02d}-{1 + (i + 4) % 28:02d}"
        draft["activities"].append(a)
    ctx = StepContext(today=date(2024, 9, 2))
    card = build_card({}, {"draft": draft}, ctx)
    card = start_route(card, {}, ctx)
    half = activities // 2
    reports = [{"activity_no": no, "done": no % 3 != 2,
                "result": "Удостоверение о повышении квалификации, 72 ч." if no % 3 != 2 else "",
                "reason_not_done": "" if no % 3 != 2 else "Мероприятие перенесено организатором",
                "presentation_form": "выступление на МО учителей математики"} for no in range(1, half + 1)]
    card = record_report(card, {"activity_report": {"reports": reports}}, StepContext(today=date(2025, 1, 10)))
    for k in range(corrections):
        sub = copy.deepcopy(VALID["correction"])
        # replace planned (never reported) activities, from the end of the original plan backwards
        sub["activity_no"] = activities - k
        sub["reason"] = f"{sub['reason']} (корректировка {k + 1})"
        sub["replacement"]["title"] = f"{sub['replacement']['title']} (замена {k + 1})"
        card = apply_correction(card, {"correction": sub}, StepContext(today=date(2025, 1, 16 + k)))
    return card


def make_people() -> dict:
    """The shape of service.services.documents._people."""
    school = "МБОУ «Средняя общеобразовательная школа № 12» г. Вологды"
    return {
        "teacher": {"full_name": "Иванова Мария Петровна", "school": school, "position": "учитель математики"},
        "tutor": {"full_name": "Смирнова Ольга Викторовна"},
        "methodist": {"full_name": "Кузнецов Андрей Николаевич"},
        "school": {"name": school},
        "centre": {"name": "Центр непрерывного повышения профессионального мастерства педагогических "
                           "работников ГАУ ДПО «Вологодский институт развития образования»"},
        "school_head": {"full_name": "Соколова Елена Александровна"},
        "cnppm_head": {"full_name": "Попов Дмитрий Сергеевич"},
    }


def make_signatures(content_sha256: str) -> list[dict]:
    """Three rows through the service's own signature_rows (Signature rows stand-ins)."""
    rows = [SimpleNamespace(role=role, signer_id=uid, signer_name=name, action=action, sha256=content_sha256,
                            signed_at=datetime(2025, 3, 1 + i, 9 + i, 15 * i, tzinfo=UTC))
            for i, (role, uid, name, action) in enumerate([
                ("methodist", 3, "Кузнецов Андрей Николаевич", "sign"),
                ("cnppm_head", 5, "Попов Дмитрий Сергеевич", "agree"),
                ("school_head", 4, "Соколова Елена Александровна", "approve")])]
    return signature_rows(rows)


# ---------------------------------------------------------------------------------------------
# The measured paths
# ---------------------------------------------------------------------------------------------
class Bench:
    def __init__(self, activities: int, corrections: int):
        self.template_bytes = TEMPLATE_FILE.read_bytes()
        t0 = time.perf_counter()
        self.template = render_mod.load_template("karta", TEMPLATE_FILE.name, self.template_bytes)
        self.load_ms = (time.perf_counter() - t0) * 1000
        self.card = make_card(activities, corrections)
        self.people = make_people()
        self.route = {"id": 1, "title": "ИОМ учителя математики на 2024/2025 учебный год"}
        data = self.build()
        # the content hash the signatures refer to: the unsigned version, as _new_version makes it
        content = render_mod.render(self.template, {**data, "signatures": [], "content_sha256": ""})
        self.content_sha256 = hashlib.sha256(content).hexdigest()
        self.signatures = make_signatures(self.content_sha256)
        self.context = {**data, "signatures": self.signatures, "content_sha256": self.content_sha256}

    def build(self) -> dict:
        return build_context(kind="karta", title=KINDS["karta"], version=1, on=TODAY, route=self.route,
                             people=self.people, card=self.card, extra={})

    # (a) the service: build_context + render + sha256
    def service(self) -> tuple[bytes, str]:
        data = self.build()
        out = render_mod.render(self.template, {**data, "signatures": self.signatures,
                                                "content_sha256": self.content_sha256})
        return out, hashlib.sha256(out).hexdigest()

    # (b) raw docxtpl, as defined by the brief
    def raw(self) -> bytes:
        tpl = DocxTemplate(io.BytesIO(self.template_bytes))
        tpl.render(self.context, autoescape=True)
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()

    # (b') raw docxtpl with a shared environment that caches compiled sources like the service's
    def raw_cached(self) -> bytes:
        tpl = DocxTemplate(io.BytesIO(self.template_bytes))
        tpl.render(self.context, jinja_env=RAW_CACHED_ENV, autoescape=True)
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()


class _PlainCachingEnvironment(Environment):
    """from_string cached by source: the smallest fair stand-in for the service's cache."""

    def __init__(self):
        super().__init__(autoescape=True)
        self._compiled: dict[str, object] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals or template_class or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        t = self._compiled.get(source)
        if t is None:
            t = self._compiled[source] = super().from_string(source)
        return t


RAW_CACHED_ENV = _PlainCachingEnvironment()


def document_xml(docx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        return zf.read("word/document.xml")


def split(bench: Bench, reps: int, warmup: int) -> dict[str, float]:
    """The service's steps one by one (the same calls render() makes, in the same order), plus
    docxtpl's patch_xml of the template body alone (part of docxtpl_render)."""
    ctx = bench.context
    prepared = render_mod._prepare(ctx)
    env = render_mod._environment(False)

    def docxtpl_render() -> DocxTemplate:
        tpl = DocxTemplate(io.BytesIO(bench.template.data))
        tpl.render(prepared, jinja_env=env, autoescape=True)
        return tpl

    rendered = [docxtpl_render() for _ in range(reps + warmup)]  # save() needs a fresh rendered one

    def docxtpl_save() -> bytes:
        out = io.BytesIO()
        rendered.pop().save(out)
        return out.getvalue()

    saved = docxtpl_save()
    rendered.append(docxtpl_render())
    normalized = render_mod.normalize_docx(saved)
    probe = DocxTemplate(io.BytesIO(bench.template.data))
    probe.init_docx()
    body = probe.get_xml()
    parts = {
        "build_context_ms": bench.build,
        "prepare_ms": lambda: render_mod._prepare(ctx),
        "docxtpl_render_ms": docxtpl_render,
        "docxtpl_save_ms": docxtpl_save,
        "normalize_ms": lambda: render_mod.normalize_docx(saved),
        "sha256_ms": lambda: hashlib.sha256(normalized).hexdigest(),
    }
    out = {k: round(median_ms(v), 3) for k, v in interleaved(parts, reps, warmup).items()}
    out["patch_xml_body_ms"] = round(median_ms(interleaved({"p": lambda: probe.patch_xml(body)}, reps, warmup)["p"]), 3)
    return out


def profile_service(bench: Bench) -> None:
    prof = cProfile.Profile()
    gc.collect()
    prof.enable()
    bench.service()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(10)
    log("cProfile: one service render (build_context + render + sha256), top 10 by cumulative time")
    log(buf.getvalue())


# ---------------------------------------------------------------------------------------------
# Extra: _new_version against a real SQLite database
# ---------------------------------------------------------------------------------------------
def measure_db(bench: Bench, reps: int, warmup: int) -> tuple[float, float]:
    from service.app import build_service_context
    from service.db import migrate
    from service.db.models import Route
    from service.services import accounts, demo, deployments, documents, routes

    with tempfile.TemporaryDirectory(prefix="iom-bench-docs-") as tmp:
        ctx = build_service_context(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        migrate.upgrade(ctx.sessions.kw["bind"])
        deployments.deploy(ctx, deployments.read_workflow_files())
        documents.deploy_templates(ctx, documents.read_template_files())  # create_route issues a prikaz
        ids = demo.setup_people(ctx)
        head = accounts.load_actor(ctx, ids["head_cnppm"])
        route_id = routes.create_route(ctx, head, routes.NewRoute(ids["teacher1"], ids["tutor1"], ids["methodist"]))
        with ctx.uow() as uow:
            uow.session.get(Route, route_id).card = copy.deepcopy(bench.card)
            uow.commit()

        def one() -> None:
            with ctx.uow() as uow:  # rolled back on exit
                s = uow.session
                route = s.get(Route, route_id)
                documents._new_version(ctx, s, route, "karta", {}, NOW)

        samples = interleaved({"db": one, "service": bench.service}, reps, warmup)
        ctx.sessions.kw["bind"].dispose()
    return median_ms(samples["db"]), median_ms(samples["service"])


# ---------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--activities", type=int, default=40)
    ap.add_argument("--corrections", type=int, default=10)
    ap.add_argument("--reps", type=int, default=31)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--no-db", action="store_true", help="skip the _new_version-on-SQLite figure")
    args = ap.parse_args()
    reps = max(args.reps, 15)

    bench = Bench(args.activities, args.corrections)
    card = bench.context["card"]
    print(f"template: {TEMPLATE_FILE.relative_to(ROOT)} ({len(bench.template_bytes)} bytes), "
          f"load_template {bench.load_ms:.1f} ms (once)")
    print(f"card: {args.activities} planned activities, {len(card['corrections'])} corrections "
          f"-> {len(card['activities'])} rows in the activity table; 3 signature rows")

    # correctness first: determinism and the same document text both ways
    out1, sha1 = bench.service()
    out2, sha2 = bench.service()
    raw_out = bench.raw()
    same_sha = sha1 == sha2 and out1 == out2
    same_xml = document_xml(out1) == document_xml(raw_out)
    print(f"re-render gives the same SHA-256: {'yes' if same_sha else 'NO'} ({sha1[:16]}…)")
    print(f"word/document.xml identical to raw docxtpl's: {'yes' if same_xml else 'NO'}")
    print(f"document size: service {len(out1)} bytes, raw {len(raw_out)} bytes, "
          f"document.xml {len(document_xml(out1))} bytes")

    log(f"timing: {reps} reps after {args.warmup} warm-up each")
    samples = interleaved({"service": bench.service, "raw": bench.raw, "raw_cached": bench.raw_cached},
                          reps, args.warmup)
    service_s, raw_s, cached_s = samples["service"], samples["raw"], samples["raw_cached"]
    render_ms, raw_ms, cached_ms = median_ms(service_s), median_ms(raw_s), median_ms(cached_s)
    paired = statistics.median(a / b for a, b in zip(service_s, raw_s, strict=True))
    ratio = render_ms / raw_ms
    parts = split(bench, reps, args.warmup)
    profile_service(bench)
    db_ms, db_service_ms = (None, None) if args.no_db else measure_db(bench, reps, args.warmup)

    n = len(service_s)
    print(f"service render (build_context + render + sha256): median {render_ms:.2f} ms  "
          f"(min {min(service_s) * 1000:.2f}, n={n})")
    print(f"raw docxtpl (fresh Environment each render):      median {raw_ms:.2f} ms  "
          f"(min {min(raw_s) * 1000:.2f}, n={n})")
    print(f"raw docxtpl + caching Environment (extra):        median {cached_ms:.2f} ms  "
          f"(min {min(cached_s) * 1000:.2f}, n={n})")
    steps = {k: v for k, v in parts.items() if k != "patch_xml_body_ms"}
    total = sum(steps.values())
    print("service split (medians, each step timed alone, same loop):")
    for k, v in steps.items():
        print(f"  {k[:-3]:<16} {v:8.2f} ms  {100 * v / total:5.1f}%")
    print(f"  (inside docxtpl_render: patch_xml of the template body {parts['patch_xml_body_ms']:.2f} ms, "
          f"recomputed on every render although it depends only on the template)")
    zip_ms = parts["docxtpl_save_ms"] + parts["normalize_ms"]
    print(f"  zip work (docxtpl save + normalize): {zip_ms:.2f} ms = {100 * zip_ms / total:.1f}%; "
          f"escaping prep: {100 * parts['prepare_ms'] / total:.1f}%")
    if db_ms is not None:
        print(f"_new_version on SQLite (queries + build_context + render + insert, rolled back): "
              f"median {db_ms:.2f} ms (service render in the same loop: {db_service_ms:.2f} ms)")
    print(f"render_over_raw = {ratio:.2f} (target <= {TARGET}): {'met' if ratio <= TARGET else 'NOT met'}")
    print(f"  (median of per-repetition ratios: {paired:.2f})")
    print(f"service vs raw with caching env = {render_ms / cached_ms:.2f}")

    result = {
        "render_over_raw": round(ratio, 2),
        "render_ms": round(render_ms, 2),
        "raw_ms": round(raw_ms, 2),
        "target_met": ratio <= TARGET,
        "raw_cached_env_ms": round(cached_ms, 2),
        "render_over_raw_cached_env": round(render_ms / cached_ms, 2),
        "docx_bytes": len(out1),
        "raw_docx_bytes": len(raw_out),
        "activity_rows": len(card["activities"]),
        "corrections": len(card["corrections"]),
        "same_sha256_on_rerender": same_sha,
        "document_xml_equal_raw": same_xml,
        **{k: round(v, 2) for k, v in parts.items()},
        "normalize_share": round(parts["normalize_ms"] / total, 3),
        "docxtpl_share": round((parts["docxtpl_render_ms"] + parts["docxtpl_save_ms"]) / total, 3),
        "prepare_share": round(parts["prepare_ms"] / total, 3),
        "new_version_sqlite_ms": None if db_ms is None else round(db_ms, 2),
        "paired_ratio_median": round(paired, 2),
        "reps": n,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
