"""Generate the statistics report template, service/templates/docx/stats_report.docx (docxtpl tags).

    python tools/build_stats_template.py

The house style of the route documents (tools/docx_kit.py: Times New Roman, table styles, repeated
header rows, "Страница N из M"), on landscape A4: the statistics tables are wide. Not one of the
route documents' kinds (doc_templates/, service/documents/contract.py): it is not signed, issued or
versioned, so it lives with the pages' templates and is rendered by service/services/stats_export.py
through the same renderer (service/documents/render.py: escaping, sandbox, reproducible bytes).

Its data: `report {title, scope, period, filters, as_of}` and `tables [{title, columns [str],
rows [[str]], chart {title, legend, bars [{label, bar, value}]} | none}]`: every value a ready string.
The tables have as many columns as their data (docxtpl's `{%tc for %}` column loop). The charts are
drawn with proportional bar characters (the service has no image library to draw a PNG with).
tests/unit/test_stats_export.py checks that the committed file is what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm
from docx_kit import (
    _cell_margins,
    _fill,
    _fixed_layout,
    _mark_header,
    docx_bytes,
    heading,
    labelled,
    new_document,
    para,
    tag,
)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "service" / "templates" / "docx" / "stats_report.docx"


def _landscape(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(2.0), Cm(1.5)


def _full_width(table) -> None:
    """Autofit columns across the whole text width (the column count comes from the data)."""
    tbl_pr = table._tbl.tblPr
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), "5000")
    width.set(qn("w:type"), "pct")
    existing = tbl_pr.find(qn("w:tblW"))
    if existing is not None:
        tbl_pr.remove(existing)
    tbl_pr.append(width)


def _loop_table(doc, header: list[str] | None, row: list[str], loop: str, *, small: bool = True,
                borders: bool = True, widths_cm: list[float] | None = None):
    """A table whose header row (if any) and body row are given cell by cell (with `{%tc %}` cells
    for a column loop), the body row repeated by a `{%tr for loop %}`."""
    suffix = " Small" if small else ""
    table = doc.add_table(rows=0, cols=len(row))
    if borders:
        table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if header is not None:
        for cell, text in zip(table.add_row().cells, header, strict=True):
            _fill(cell, text, "Table Heading" + suffix)
        _mark_header(table.rows[0])
    table.add_row().cells[0].paragraphs[0].add_run("{%tr for " + loop + " %}")
    for cell, text in zip(table.add_row().cells, row, strict=True):
        _fill(cell, text, "Table Text" + suffix)
    table.add_row().cells[0].paragraphs[0].add_run("{%tr endfor %}")
    if widths_cm:
        _fixed_layout(table, widths_cm)
    else:
        _full_width(table)
    _cell_margins(table, 0.1)
    return table


def build_stats_report():
    doc = new_document("Статистика индивидуальных образовательных маршрутов")
    _landscape(doc)
    heading(doc, "{{ report.title }}", 1)
    labelled(doc, "Охват:", "{{ report.scope }}")
    labelled(doc, "Период:", "{{ report.period }}")
    labelled(doc, "Отбор:", "{{ report.filters }}")
    labelled(doc, "Данные на:", "{{ report.as_of }}")
    tag(doc, "{%p for t in tables %}")
    heading(doc, "{{ loop.index }}. {{ t.title }}", 2)
    tag(doc, "{%p if t.rows %}")
    _loop_table(doc, ["{%tc for c in t.columns %}", "{{ c }}", "{%tc endfor %}"],
                ["{%tc for v in r %}", "{{ v }}", "{%tc endfor %}"], "r in t.rows")
    tag(doc, "{%p else %}")
    para(doc, "Нет данных за выбранный период.", italic=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if t.chart %}")
    para(doc, "Диаграмма: {{ t.chart.title }}", bold=True, space_before=8, keep_with_next=True)
    tag(doc, "{%p if t.chart.legend %}")
    para(doc, "{{ t.chart.legend }}", style="Small Text", keep_with_next=True)
    tag(doc, "{%p endif %}")
    _loop_table(doc, None, ["{{ b.label }}", "{{ b.bar }}", "{{ b.value }}"], "b in t.chart.bars",
                borders=False, widths_cm=[7.0, 16.2, 3.0])
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    return doc


def build() -> bytes:
    """The template as the bytes committed at OUT."""
    sys.path.insert(0, str(ROOT))
    from service.documents.render import normalize_docx

    return normalize_docx(docx_bytes(build_stats_report()))


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    data = build()
    changed = not OUT.exists() or OUT.read_bytes() != data
    OUT.write_bytes(data)
    print(f"{'wrote' if changed else 'unchanged'} {OUT.relative_to(ROOT)} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
