"""The .docx templates in doc_templates/ and the renderer: contract, escaping, new lines,
determinism, signature sheet, layout, template validation, PDF."""

from __future__ import annotations

import copy
import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from service.documents.contract import HOSTILE_TAIL, KINDS, TEMPLATE_FILES, VARIABLES, sample_context
from service.documents.render import (
    FIXED_CORE_TIME,
    Template,
    load_template,
    pdf_available,
    render,
    to_pdf,
)
from service.domain.errors import TemplateRejected

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "doc_templates"
SHEET_TITLE = "Лист подписания (простая электронная подпись)"

# Context values a template does not print (everything else must appear in the document).
NOT_PRINTED: dict[str, set[str]] = {
    "karta": {"document.kind", "teacher.position", "teacher.school"},
    "korrektirovka": {"document.kind", "school.name", "centre.name", "school_head.full_name", "cnppm_head.full_name"},
    "vyvody": {"document.kind", "school.name", "centre.name", "cnppm_head.full_name", "conclusions.outcome"},
    "prikaz_tutor": {
        "document.kind", "route.title", "teacher.full_name", "teacher.position", "teacher.school",
        "tutor.full_name", "methodist.full_name", "school.name", "school_head.full_name",
    },
}


# --------------------------------------------------------------------------- helpers


def template_bytes(kind: str) -> bytes:
    return (TEMPLATES_DIR / TEMPLATE_FILES[kind]).read_bytes()


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return {kind: load_template(kind, TEMPLATE_FILES[kind], template_bytes(kind)) for kind in KINDS}


def _paragraphs_of(container) -> Iterator[str]:
    for p in container.paragraphs:
        yield p.text
    for table in container.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from _paragraphs_of(cell)  # nested tables too


def texts(docx: bytes) -> list[str]:
    """Every paragraph's text: body, table cells (nested), headers and footers."""
    doc = Document(io.BytesIO(docx))
    out = list(_paragraphs_of(doc))
    for section in doc.sections:
        out += list(_paragraphs_of(section.header)) + list(_paragraphs_of(section.footer))
    return out


def printed_strings(kind: str, ctx: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, value) of every non-empty string in the context that the template prints."""
    if isinstance(ctx, dict):
        for key, value in ctx.items():
            yield from printed_strings(kind, value, f"{path}.{key}" if path else key)
    elif isinstance(ctx, list):
        for i, value in enumerate(ctx):
            yield from printed_strings(kind, value, f"{path}[{i}]")
    elif isinstance(ctx, str) and ctx and path not in NOT_PRINTED[kind]:
        yield path, ctx


def assert_printed(docx: bytes, kind: str, ctx: dict) -> None:
    paragraphs = texts(docx)
    missing = [path for path, value in printed_strings(kind, ctx) if not any(value in t for t in paragraphs)]
    assert not missing, f"{kind}: not reproduced exactly: {missing}"


def docx_with_paragraph(kind: str, text: str) -> bytes:
    doc = Document(io.BytesIO(template_bytes(kind)))
    doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- loading


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_template_loads_and_uses_only_contract_variables(kind):
    data = template_bytes(kind)
    t = load_template(kind, TEMPLATE_FILES[kind], data)
    assert (t.kind, t.name, t.data) == (kind, TEMPLATE_FILES[kind], data)
    assert t.sha256 == hashlib.sha256(data).hexdigest()
    from docxtpl import DocxTemplate

    assert DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables() <= VARIABLES[kind]


def test_every_file_in_doc_templates_is_a_known_template():
    on_disk = {p.name for p in TEMPLATES_DIR.glob("*.docx")}
    assert on_disk == set(TEMPLATE_FILES.values())


def test_unknown_top_level_variable_is_rejected_by_name(tmp_path):
    path = tmp_path / "karta_iom.docx"
    path.write_bytes(docx_with_paragraph("karta", "Секрет: {{ secret_value }} и {{ another_one }}"))
    with pytest.raises(TemplateRejected) as err:
        load_template("karta", path.name, path.read_bytes())
    msg = err.value.message
    assert "karta_iom.docx" in msg and "secret_value" in msg and "another_one" in msg
    assert "переменные, которых нет в данных" in msg


def test_variable_of_another_kind_is_rejected():
    data = docx_with_paragraph("korrektirovka", "{{ card.info.full_name }}")
    with pytest.raises(TemplateRejected, match="card"):
        load_template("korrektirovka", "korrektirovka.docx", data)


def test_unknown_nested_field_is_rejected():
    data = docx_with_paragraph("karta", "{{ card.info.shoe_size }}")
    with pytest.raises(TemplateRejected, match="shoe_size"):
        load_template("karta", "karta_iom.docx", data)


def test_random_bytes_are_not_a_docx():
    with pytest.raises(TemplateRejected, match=r"x\.docx не является документом \.docx"):
        load_template("karta", "x.docx", os.urandom(4096))


def test_zip_that_is_not_a_docx_is_rejected():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "привет")
    with pytest.raises(TemplateRejected, match="не является документом .docx"):
        load_template("karta", "hello.docx", buf.getvalue())


def test_truncated_docx_is_rejected():
    data = template_bytes("karta")
    with pytest.raises(TemplateRejected, match="karta_iom.docx"):
        load_template("karta", "karta_iom.docx", data[: len(data) // 2])


def test_docx_with_a_damaged_member_is_rejected():
    src = zipfile.ZipFile(io.BytesIO(template_bytes("karta")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for info in src.infolist():
            zf.writestr(info.filename, src.read(info), compress_type=zipfile.ZIP_STORED)
    raw = buf.getvalue()
    assert raw.count(b"<w:body>") == 1
    damaged = raw.replace(b"<w:body>", b"<w:bodY>")  # same length, wrong CRC
    with pytest.raises(TemplateRejected, match="повреждён"):
        load_template("karta", "karta_iom.docx", damaged)


def test_broken_jinja_tag_is_rejected():
    data = docx_with_paragraph("karta", "{{ card.info.full_name ")
    with pytest.raises(TemplateRejected, match="karta_iom.docx"):
        load_template("karta", "karta_iom.docx", data)


def test_unknown_filter_is_rejected():
    data = docx_with_paragraph("karta", "{{ card.info.full_name|no_such_filter }}")
    with pytest.raises(TemplateRejected, match="no_such_filter"):
        load_template("karta", "karta_iom.docx", data)


def test_unknown_kind_is_rejected():
    with pytest.raises(TemplateRejected, match="неизвестный вид"):
        load_template("spravka", "karta_iom.docx", template_bytes("karta"))


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize("kind", list(KINDS))
def test_hostile_values_are_reproduced_exactly(templates, kind):
    ctx = sample_context(kind, hostile=True, signed=True)
    out = render(templates[kind], ctx)
    assert_printed(out, kind, ctx)
    paragraphs = texts(out)
    assert any(HOSTILE_TAIL in t for t in paragraphs)
    assert not any("{{" in t or "{%" in t or "%}" in t or "}}" in t for t in paragraphs), "raw template tags left"
    xml = zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml").decode()
    assert "<w:br/>" in xml  # a "\n" is a Word line break, not a literal new line in <w:t>
    assert "&amp;amp;" not in xml and "&amp;lt;" not in xml  # escaped once, not twice
    assert "<b>" not in xml


@pytest.mark.parametrize("kind", list(KINDS))
def test_plain_sample_renders_every_value(templates, kind):
    ctx = sample_context(kind, signed=True)
    assert_printed(render(templates[kind], ctx), kind, ctx)


def test_karta_lists_are_all_rendered(templates):
    ctx = sample_context("karta", activities=40, corrections=10)
    paragraphs = texts(render(templates["karta"], ctx))
    for a in ctx["card"]["activities"]:
        assert a["title"] in paragraphs
    for c in ctx["card"]["corrections"]:
        assert c["reason"] in paragraphs
        assert f"№ {c['replaced_no']}. {c['replaced_title']}" in paragraphs
        assert f"№ {c['replacement_no']}. {c['replacement_title']}" in paragraphs
    not_done = [a for a in ctx["card"]["activities"] if a["reason_not_done"]]
    assert not_done and all(f"Причина: {a['reason_not_done']}" in paragraphs for a in not_done)


def test_empty_sections_show_a_dash_and_leave_no_tag_paragraphs(templates):
    ctx = sample_context("karta", activities=0, corrections=0)
    card = ctx["card"]
    card["final_diagnostics"] = {"form": "", "deficits": []}
    card["conclusions"] = {"outcome_title": "", "text": "", "prolong_reason": "", "prolong_until": ""}
    card["final_events"], card["final_events_done"], card["info"]["courses"] = [], [], []
    paragraphs = texts(render(templates["karta"], ctx))
    joined = "\n".join(paragraphs)
    assert "Корректировки не вносились." in paragraphs
    assert paragraphs.count("—") >= 5  # courses, activities, final event, final diagnostics, conclusions
    assert "Начало реализации ИОМ: 01.09.2024" in paragraphs
    assert "Окончание: ________________" in paragraphs
    assert "{%" not in joined and "%}" not in joined


def test_special_sequences_and_control_characters(templates):
    ctx = sample_context("karta")
    ctx["route"]["title"] = "a{_{b}_}c{_%d%_}e\tf\r\ng\rh\x01i\x0bj — «ё» & <w:t>"
    paragraphs = texts(render(templates["karta"], ctx))
    assert "a{_{b}_}c{_%d%_}e\tf\ng\nhij — «ё» & <w:t>" in paragraphs


def test_render_does_not_mutate_the_context(templates):
    ctx = sample_context("karta", hostile=True, signed=True)
    before = copy.deepcopy(ctx)
    render(templates["karta"], ctx)
    assert ctx == before
    assert all(type(v) is str for _, v in printed_strings("karta", ctx))


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("kind", list(KINDS))
def test_same_template_and_context_give_identical_bytes(templates, kind):
    ctx = sample_context(kind, hostile=True, signed=True)
    first = render(templates[kind], ctx)
    second = render(templates[kind], copy.deepcopy(ctx))
    assert first == second
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()

    other = copy.deepcopy(ctx)
    other["document"]["version"] += 1
    assert render(templates[kind], other) != first


def test_rendering_in_parallel_threads_is_deterministic(templates):
    ctx = sample_context("karta", activities=10, corrections=3, signed=True)
    expected = render(templates["karta"], ctx)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: render(templates["karta"], ctx), range(8)))
    assert all(r == expected for r in results)


def test_zip_is_normalized(templates):
    out = render(templates["karta"], sample_context("karta"))
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        infos = zf.infolist()
        assert infos[0].filename == "[Content_Types].xml"
        assert [i.filename for i in infos[2:]] == sorted(i.filename for i in infos[2:])
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr for i in infos} == {0o100644 << 16}
        assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
        core = zf.read("docProps/core.xml").decode()
    assert core.count(FIXED_CORE_TIME) == 2


# --------------------------------------------------------------------------- signature sheet


@pytest.mark.parametrize("kind", list(KINDS))
def test_signature_sheet_only_in_signed_version(templates, kind):
    unsigned = texts(render(templates[kind], sample_context(kind)))
    assert not any(SHEET_TITLE in t or "SHA-256" in t for t in unsigned)

    ctx = sample_context(kind, signed=True)
    signed = texts(render(templates[kind], ctx))
    assert SHEET_TITLE in signed
    assert f"SHA-256 содержимого документа: {ctx['content_sha256']}" in signed
    assert len(ctx["signatures"]) == 3
    for s in ctx["signatures"]:
        for key in ("role", "full_name", "action", "signed_at", "sha256"):
            assert s[key] in signed, (key, s[key])

    doc = Document(io.BytesIO(render(templates[kind], ctx)))
    sheet = doc.tables[-1]
    assert sheet.rows[0].cells[-1].text == "SHA-256 подписанного содержимого"
    assert len(sheet.rows) == 1 + len(ctx["signatures"])


# --------------------------------------------------------------------------- layout


@pytest.mark.parametrize("kind", list(KINDS))
def test_page_font_header_rows_and_page_numbers(templates, kind):
    doc = Document(io.BytesIO(render(templates[kind], sample_context(kind, activities=40, signed=True))))
    for section in doc.sections:
        assert abs(section.page_width - Cm(21)) < Cm(0.01)
        assert abs(section.page_height - Cm(29.7)) < Cm(0.01)
        assert abs(section.left_margin - Cm(3)) < Cm(0.01)
        assert abs(section.right_margin - Cm(1.5)) < Cm(0.01)
        assert abs(section.top_margin - Cm(2)) < Cm(0.01)
        assert abs(section.bottom_margin - Cm(2)) < Cm(0.01)

    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size == Pt(12)
    rfonts = normal.element.rPr.rFonts
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        assert rfonts.get(qn(attr)) == "Times New Roman", attr

    grid_tables = [t for t in doc.tables if t.style is not None and t.style.name == "Table Grid"]
    assert grid_tables
    for table in grid_tables:
        first, *rest = table.rows
        assert first._tr.trPr is not None and first._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr is None or r._tr.trPr.find(qn("w:tblHeader")) is None for r in rest)

    footer_xml = doc.sections[0].footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml
    assert "Страница" in footer_xml and " из " in footer_xml


def test_karta_has_approval_block_and_seven_sections(templates):
    ctx = sample_context("karta", signed=True)
    paragraphs = texts(render(templates["karta"], ctx))
    for expected in (
        "СОГЛАСОВАНО", "УТВЕРЖДАЮ", "Руководитель ЦНППМ", "Руководитель ОО",
        "Карта индивидуального образовательного маршрута педагога",
        "1. Информационная справка о педагоге", "2. Результаты входной диагностики", "3. Перечень мероприятий",
        "4. Заключительное публичное мероприятие", "5. Сведения о корректировке ИОМ",
        "6. Результаты итоговой диагностики", "7. Выводы",
    ):
        assert expected in paragraphs, expected
    assert f"________________ / {ctx['teacher']['full_name']}" in paragraphs
    assert f"________________ / {ctx['methodist']['full_name']}" in paragraphs


# --------------------------------------------------------------------------- PDF


NO_LIBREOFFICE = "LibreOffice (soffice) is not installed: run .ci/install-libreoffice.sh"


@pytest.mark.skipif(not pdf_available(), reason=NO_LIBREOFFICE)
@pytest.mark.parametrize("kind", list(KINDS))
def test_pdf(templates, kind):
    pdf = to_pdf(render(templates[kind], sample_context(kind, hostile=True, signed=True)))
    assert pdf is not None and pdf.startswith(b"%PDF")


@pytest.mark.skipif(not pdf_available(), reason=NO_LIBREOFFICE)
def test_pdf_refuses_what_is_not_a_docx():
    with pytest.raises(ValueError):
        to_pdf(b"not a document" * 100)
