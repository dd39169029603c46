"""A .docx template is code: uploads that reach into Python are refused (naming the tag), rendering
runs in Jinja's sandbox, and zip bombs are refused from the central directory before anything
inflates them."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from docx import Document
from docxtpl import DocxTemplate
from jinja2 import Environment
from jinja2.exceptions import SecurityError

from service.db.models import DocTemplate, Route
from service.documents import archive
from service.documents.contract import KINDS, TEMPLATE_FILES, sample_context
from service.documents.render import Template, UnsafeTemplate, _prepare, load_template, normalize_docx, render
from service.domain.errors import TemplateRejected
from tests.support import app as driver
from tests.support.hostile_files import with_members

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "doc_templates"
MB = 1024 * 1024


@pytest.fixture
def app(database_url):
    yield from driver.ready_app(database_url, CLOCK=driver.FakeClock())


@pytest.fixture
def admin(app) -> driver.Person:
    return driver.Person(app, "admin")


def template_bytes(kind: str) -> bytes:
    return (TEMPLATES_DIR / TEMPLATE_FILES[kind]).read_bytes()


def docx_with(kind: str, *paragraphs: str) -> bytes:
    """The shipped template of `kind` with paragraphs appended to its body (one run each)."""
    doc = Document(io.BytesIO(template_bytes(kind)))
    for text in paragraphs:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def upload(person, kind: str, data: bytes):
    """A multipart upload with the session's CSRF token (cookie-authenticated posts that are not JSON
    need it where the service asks for one)."""
    r = person.client.get("/api/csrf")
    headers = {"X-CSRFToken": r.get_json()["csrf_token"]} if r.status_code == 200 else {}
    return person.client.post(f"/api/templates/{kind}", data={"file": (io.BytesIO(data), TEMPLATE_FILES[kind])},
                              content_type="multipart/form-data", headers=headers)


def template_versions(app, kind: str) -> int:
    with app.extensions["iom"].sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(DocTemplate).where(DocTemplate.kind == kind))


# --------------------------------------------------------------------------- SSTI at upload

# (payload with {marker} for a file it would create if it ran, what the refusal must name)
RUNS_A_COMMAND = [
    ("{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}", "cycler.__init__.__globals__"),
    ("{{{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}}}", "lipsum.__globals__"),
    ("{{{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}",
     "_TemplateReference__context"),
    ("{{% for c in [].__class__.__base__.__subclasses__() %}}{{% if c.__name__ == 'Popen' %}}"
     "{{{{ c('touch {marker}', shell=True) }}}}{{% endif %}}{{% endfor %}}", "__subclasses__"),
    ("{{{{ (route|attr('__class__')|attr('__init__')|attr('__globals__'))['os'].popen('touch {marker}') }}}}",
     "attr('__class__')"),
    ("{{% set ns = namespace(x=joiner) %}}{{{{ ns.x.__init__.__globals__.os.popen('touch {marker}') }}}}",
     "__globals__"),
]

REACHES_INSIDE = [
    ("{{ ''.__class__.__mro__ }}", "__class__"),
    ("{{ route.title|attr('__class__') }}", "attr('__class__')"),
    ("{{ self._TemplateReference__context }}", "_TemplateReference__context"),
    ("{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}", "__subclasses__"),
    ("{{ route['__class__'] }}", "route['__class__']"),
    ("{{ route['_' ~ '_class__'] }}", "вычисляемому имени"),
    ("{{ signatures|map(attribute='__class__')|list }}", "map(attribute='__class__')"),
    ("{{ '{0.__class__}'.format(route) }}", "format"),
    ("{{ range(10)|list }}", "range"),
    ("{% include 'other.xml' %}", "include"),
]


def test_a_template_that_would_run_a_command_is_refused_and_never_runs(app, admin, tmp_path):
    before = template_versions(app, "korrektirovka")
    for payload, named in RUNS_A_COMMAND:
        marker = tmp_path / f"marker-{uuid.uuid4().hex}"
        r = upload(admin, "korrektirovka", docx_with("korrektirovka", payload.format(marker=marker)))
        body = r.get_json()
        assert r.status_code == 422, (payload, body)
        assert "korrektirovka.docx" in body["error"] and named in body["error"], body["error"]
        assert "тег «" in body["error"] and "word/document.xml" in body["error"]
        assert not marker.exists(), payload
    assert template_versions(app, "korrektirovka") == before
    r = upload(admin, "korrektirovka", template_bytes("korrektirovka"))  # the shipped one still deploys
    assert r.status_code == 200, r.get_json()


@pytest.mark.parametrize("payload, named", REACHES_INSIDE)
def test_a_template_reaching_inside_python_is_refused_naming_the_tag(payload, named):
    with pytest.raises(TemplateRejected) as err:
        load_template("korrektirovka", "korrektirovka.docx", docx_with("korrektirovka", payload))
    assert named in err.value.message and "korrektirovka.docx" in err.value.message


def test_jinja_globals_are_outside_the_contract():
    for name in ("cycler", "joiner", "namespace", "range", "lipsum", "dict"):
        with pytest.raises(TemplateRejected, match=f"нет в данных: {name}"):
            load_template("karta", "karta_iom.docx", docx_with("karta", f"{{{{ {name} }}}}"))


def test_tags_in_a_footer_or_the_document_properties_are_checked_too():
    doc = Document(io.BytesIO(template_bytes("karta")))
    doc.sections[0].footer.add_paragraph("{{ ''.__class__ }}")
    out = io.BytesIO()
    doc.save(out)
    with pytest.raises(TemplateRejected, match="footer"):
        load_template("karta", "karta_iom.docx", out.getvalue())
    doc = Document(io.BytesIO(template_bytes("karta")))
    doc.core_properties.title = "{{ cycler.__init__ }}"
    out = io.BytesIO()
    doc.save(out)
    with pytest.raises(TemplateRejected, match=r"docProps/core\.xml \(title\)"):
        load_template("karta", "karta_iom.docx", out.getvalue())


def test_ordinary_jinja_stays_allowed():
    data = docx_with("karta", "{% for a in card.activities %}{{ loop.index }}. {{ a.title|upper }}"
                              "{% if not loop.last %}, {% endif %}{% endfor %}",
                     "{{ card.activities[0].title if card.activities else '________' }}",
                     "{% set n = card.activities|length %}{{ n * 2 }} "
                     "{{ signatures|map(attribute='role')|join(', ') }}")
    load_template("karta", "karta_iom.docx", data)


# --------------------------------------------------------------------------- the sandbox at run time


def _bypassing(kind: str, payload: str) -> Template:
    """A template that never went through load_template (as if written to the database directly)."""
    data = docx_with(kind, payload)
    return Template(kind, TEMPLATE_FILES[kind], hashlib.sha256(data).hexdigest(), data)


@pytest.mark.parametrize("payload", [p for p, _ in RUNS_A_COMMAND] + ["{{{{ ''.__class__ }}}}"])
def test_rendering_a_template_that_bypassed_the_checks_is_refused_by_the_sandbox(tmp_path, payload):
    marker = tmp_path / "marker"
    with pytest.raises(UnsafeTemplate) as err:
        render(_bypassing("korrektirovka", payload.format(marker=marker)), sample_context("korrektirovka"))
    assert isinstance(err.value.__cause__, SecurityError)
    assert "небезопасен" in err.value.message
    assert not marker.exists()


def test_a_route_whose_stored_template_is_malicious_fails_without_running_it(app, tmp_path):
    marker = tmp_path / "marker"
    bad = _bypassing("prikaz_tutor", f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}")
    ctx = app.extensions["iom"]
    with ctx.sessions() as s:
        s.add(DocTemplate(kind="prikaz_tutor", name=bad.name, sha256=bad.sha256, data=bad.data,
                          deployed_at=datetime.now(UTC) + timedelta(days=3650)))
        s.commit()
        routes = s.scalar(sa.select(sa.func.count()).select_from(Route))
    ids = app.config["PEOPLE"]
    r = driver.Person(app, "head_cnppm").post("/api/routes", {"teacher_id": ids["teacher1"], "tutor_id": ids["tutor1"],
                                                  "methodist_id": ids["methodist"]})
    assert r.status_code == 500 and "небезопасен" in r.get_json()["error"], r.get_json()
    assert not marker.exists()
    with ctx.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Route)) == routes  # nothing written


def _plain_render(template_data: bytes, context: dict) -> bytes:
    tpl = DocxTemplate(io.BytesIO(template_data))
    tpl.render(_prepare(context), jinja_env=Environment(autoescape=True), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return normalize_docx(out.getvalue())


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_sandbox_renders_the_shipped_templates_byte_for_byte_like_a_plain_environment(kind):
    data = template_bytes(kind)
    template = load_template(kind, TEMPLATE_FILES[kind], data)
    for context in (sample_context(kind, hostile=True, signed=True), sample_context(kind, activities=0, corrections=0)):
        assert render(template, context) == _plain_render(data, context)


# --------------------------------------------------------------------------- zip bombs


def _with_members(kind: str, extra: dict[str, bytes | int]) -> bytes:
    """The shipped template plus members: bytes as they are, an int n as n MiB of zeros."""
    return with_members(template_bytes(kind), extra)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = _with_members("korrektirovka", {"word/media/image1.bin": 1100})
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/media/image1.bin")
    assert info.file_size > 1024**3 and len(data) < 2 * MB  # fits the upload limit
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open(info) as member:
        assert member.read(MB) == bytes(MB)  # a real deflate stream of zeros
    return data


@pytest.fixture
def inflations(monkeypatch):
    """How many members anything opened for reading (zipfile.ZipFile.open in read mode)."""
    opened = []
    original = zipfile.ZipFile.open

    def counting(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return original(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counting)
    return opened


def test_a_zip_bomb_upload_is_refused_before_anything_inflates_it(app, admin, bomb, inflations):
    before = template_versions(app, "korrektirovka")
    r = upload(admin, "korrektirovka", bomb)
    assert r.status_code == 422, r.get_json()
    message = r.get_json()["error"]
    assert "korrektirovka.docx" in message and "word/media/image1.bin" in message and "МБ" in message
    assert inflations == []
    assert template_versions(app, "korrektirovka") == before


def test_too_many_members_are_refused(inflations):
    data = _with_members("karta", {f"customXml/item{i}.xml": b"<a/>" for i in range(10, 10 + archive.MAX_MEMBERS)})
    inflations.clear()
    with pytest.raises(TemplateRejected, match=f"не более {archive.MAX_MEMBERS}"):
        load_template("karta", "karta_iom.docx", data)
    assert inflations == []


def test_a_member_compressed_too_well_is_refused(inflations):
    data = _with_members("karta", {"word/media/image1.bin": 3})  # 3 MiB of zeros in ~3 KB
    inflations.clear()
    with pytest.raises(TemplateRejected, match="сжата в .* раз"):
        load_template("karta", "karta_iom.docx", data)
    assert inflations == []


def test_too_much_in_total_is_refused_even_at_ordinary_ratios(monkeypatch, inflations):
    monkeypatch.setattr(archive, "MAX_TOTAL_SIZE", 1_000_000)  # the shipped template is ~0.87 MB
    data = _with_members("karta", {"word/media/image1.png": os.urandom(200_000)})
    inflations.clear()
    with pytest.raises(TemplateRejected, match="более чем в 1,0 МБ"):
        load_template("karta", "karta_iom.docx", data)
    assert inflations == []


def _lying(data: bytes, name: str, declared: int) -> bytes:
    """`data` with the central directory entry of `name` declaring `declared` bytes uncompressed."""
    raw = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    at = raw.find(b"PK\x01\x02")
    while raw[at + 46:at + 46 + len(name)] != name.encode():
        at = raw.find(b"PK\x01\x02", at + 4)
    assert int.from_bytes(raw[at + 24:at + 28], "little") == info.file_size
    raw[at + 24:at + 28] = declared.to_bytes(4, "little")
    return bytes(raw)


def test_a_member_that_inflates_beyond_its_declared_size_is_refused_and_read_only_that_far():
    honest = _with_members("karta", {"word/media/image1.bin": 40})  # 40 MiB, but it claims 4 KB
    lying = _lying(honest, "word/media/image1.bin", 4096)
    zf = zipfile.ZipFile(io.BytesIO(lying))
    archive.check_archive(zf, "Шаблон k.docx")  # the central directory looks harmless…
    with pytest.raises(TemplateRejected, match="повреждён"):
        archive.read_member(zf, "word/media/image1.bin", "Шаблон k.docx")  # …reading stops at 4 KB: bad CRC
    with pytest.raises(TemplateRejected, match="повреждён"):
        load_template("karta", "karta_iom.docx", lying)


def test_the_shipped_templates_are_within_the_limits():
    for kind in KINDS:
        with archive.open_archive(template_bytes(kind), kind) as zf:
            archive.verify_members(zf, kind)
            assert archive.read_member(zf, "word/document.xml") == zf.read("word/document.xml")
        assert archive.is_docx(template_bytes(kind))
    assert not archive.is_docx(b"not a zip") and not archive.is_docx(_with_members("karta", {"a.bin": 3}))
