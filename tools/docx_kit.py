"""The docx kit of the ИОМ templates: house style, page, tables and paragraphs with python-docx.

Used by tools/build_templates.py, which builds the four documents from it. What it gives:
A4, margins 2 / 2 / 3 / 1.5 cm (top / bottom / left / right), Times New Roman 12 pt (every
script, no theme fonts), Russian text, table text 10 pt hyphenated (9 pt in a "small" table),
header rows repeated on every page, "Страница N из M" in the footer; and :func:`docx_bytes`,
which writes the property elements it touches in the schema order Word insists on.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

FONT = "Times New Roman"
TEXT_WIDTH_CM = 21.0 - 3.0 - 1.5  # 16.5 cm between the margins

# A cell is one paragraph (str) or several (list of str); a leading "**" makes that paragraph bold.
Cell = str | Sequence[str]


# --------------------------------------------------------------------------- styles


def _set_fonts(rpr, size_pt: float | None = None, bold: bool | None = None) -> None:
    """Times New Roman for every script (ascii, hAnsi, eastAsia, cs), no theme fonts."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)
    if size_pt is not None:
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), str(int(size_pt * 2)))
    if bold is not None:
        for tag in ("w:b", "w:bCs"):
            el = rpr.find(qn(tag))
            if bold and el is None:
                rpr.append(OxmlElement(tag))
            elif not bold and el is not None:
                rpr.remove(el)


def _set_lang(rpr) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "ru-RU")
    lang.set(qn("w:eastAsia"), "ru-RU")
    lang.set(qn("w:bidi"), "ar-SA")


def _style_rpr(style):
    return style.element.get_or_add_rPr()


def setup_styles(doc) -> None:
    styles = doc.styles
    # document defaults
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr_default, 12)
    _set_lang(rpr_default)
    ppr_default = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr_default.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    spacing.set(qn("w:lineRule"), "auto")

    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(12)
    _set_fonts(_style_rpr(normal), 12)
    _set_lang(_style_rpr(normal))
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.line_spacing = 1.0

    for name, size, before, after, align in (
        ("Heading 1", 14, 12, 6, WD_ALIGN_PARAGRAPH.CENTER),
        ("Heading 2", 12, 12, 6, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        st = styles[name]
        _set_fonts(_style_rpr(st), size, bold=True)
        st.font.color.rgb = RGBColor(0, 0, 0)
        color = _style_rpr(st).find(qn("w:color"))
        for attr in ("w:themeColor", "w:themeShade"):
            if color is not None and color.get(qn(attr)) is not None:
                del color.attrib[qn(attr)]
        st.paragraph_format.space_before = Pt(before)
        st.paragraph_format.space_after = Pt(after)
        st.paragraph_format.alignment = align
        st.paragraph_format.keep_with_next = True

    for name in ("Header", "Footer"):
        st = styles[name]
        _set_fonts(_style_rpr(st), 10)

    table_text = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    table_text.quick_style = True
    _set_fonts(_style_rpr(table_text), 10)

    table_heading = styles.add_style("Table Heading", WD_STYLE_TYPE.PARAGRAPH)
    table_heading.base_style = table_text
    table_heading.quick_style = True
    _set_fonts(_style_rpr(table_heading), 10, bold=True)
    table_heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table_heading.paragraph_format.keep_with_next = True

    table_text_small = styles.add_style("Table Text Small", WD_STYLE_TYPE.PARAGRAPH)
    table_text_small.base_style = table_text
    _set_fonts(_style_rpr(table_text_small), 9)

    table_heading_small = styles.add_style("Table Heading Small", WD_STYLE_TYPE.PARAGRAPH)
    table_heading_small.base_style = table_heading
    _set_fonts(_style_rpr(table_heading_small), 9, bold=True)

    small = styles.add_style("Small Text", WD_STYLE_TYPE.PARAGRAPH)
    small.base_style = normal
    _set_fonts(_style_rpr(small), 10)

    _hyphenation(normal, allowed=False)
    _hyphenation(table_text, allowed=True)
    _hyphenation(table_heading, allowed=False)
    _hyphenation(table_heading_small, allowed=False)


# --------------------------------------------------------------------------- page


def setup_settings(doc) -> None:
    """Russian proofing and automatic hyphenation (Word only hyphenates the table styles,
    which allow it; body text suppresses it)."""
    settings = doc.settings.element
    tab_stop = settings.find(qn("w:defaultTabStop"))
    hyph = OxmlElement("w:autoHyphenation")
    tab_stop.addnext(hyph)
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:val"), "ru-RU")
        del lang.attrib[qn("w:eastAsia")]


def _hyphenation(style, allowed: bool) -> None:
    ppr = style.element.get_or_add_pPr()
    el = OxmlElement("w:suppressAutoHyphens")
    if allowed:
        el.set(qn("w:val"), "0")
    # keep schema order: suppressAutoHyphens comes right after keepNext/keepLines/pageBreakBefore/…
    ppr.insert(0, el)


def setup_page(doc) -> None:
    section = doc.sections[0]
    section.page_width = Cm(21.0)
    section.page_height = Cm(29.7)
    section.top_margin = Cm(2.0)
    section.bottom_margin = Cm(2.0)
    section.left_margin = Cm(3.0)
    section.right_margin = Cm(1.5)
    section.header_distance = Cm(1.0)
    section.footer_distance = Cm(1.0)

    footer = section.footer
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.style = doc.styles["Footer"]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("Страница ")
    _add_field(p, "PAGE")
    p.add_run(" из ")
    _add_field(p, "NUMPAGES")


def _add_field(paragraph, instruction: str) -> None:
    """A complex field (PAGE, NUMPAGES) that Word and LibreOffice update on display."""

    def fld(kind: str):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
        run._r.append(el)

    fld("begin")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    fld("separate")
    paragraph.add_run("1")
    fld("end")


def set_core(doc, title: str) -> None:
    cp = doc.core_properties
    cp.title = title
    cp.subject = "Индивидуальный образовательный маршрут педагога"
    cp.author = "Сервис ИОМ"
    cp.last_modified_by = "Сервис ИОМ"
    cp.comments = "Шаблон docxtpl: переменные описаны в doc_templates/README.md"
    cp.keywords = "ИОМ"
    cp.language = "ru-RU"
    cp.revision = 1


# --------------------------------------------------------------------------- content helpers


def para(container, text: str = "", *, style: str | None = None, bold: bool = False,
         align=None, italic: bool = False, page_break_before: bool = False, space_after: float | None = None,
         space_before: float | None = None, keep_with_next: bool = False):
    p = container.add_paragraph(style=style)
    if text:
        run = p.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
    if align is not None:
        p.alignment = align
    if page_break_before:
        p.paragraph_format.page_break_before = True
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    if space_before is not None:
        p.paragraph_format.space_before = Pt(space_before)
    if keep_with_next:
        p.paragraph_format.keep_with_next = True
    return p


def tag(container, text: str) -> None:
    """A paragraph holding only a docxtpl paragraph tag ({%p if … %}); it disappears on render."""
    container.add_paragraph(text)


def heading(doc, text: str, level: int = 2, *, page_break_before: bool = False) -> None:
    p = doc.add_paragraph(text, style=f"Heading {level}")
    if page_break_before:
        p.paragraph_format.page_break_before = True


def labelled(doc, label: str, value: str, *, keep_with_next: bool = False) -> None:
    """'Label: value' with the label in bold."""
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = keep_with_next or None
    p.add_run(label).bold = True
    p.add_run(" " + value)


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _fixed_layout(table, widths_cm: Sequence[float]) -> None:
    table.autofit = False  # <w:tblLayout w:type="fixed"/>
    tbl_pr = table._tbl.tblPr
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), str(int(Cm(sum(widths_cm)).twips)))
    width.set(qn("w:type"), "dxa")
    existing = tbl_pr.find(qn("w:tblW"))
    if existing is not None:
        tbl_pr.remove(existing)
    tbl_pr.append(width)
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_cm, strict=True):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(w)


def _cell_margins(table, side_cm: float) -> None:
    tbl_pr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(int(Cm(side_cm).twips)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tbl_pr.append(mar)


def _mark_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    for tag_name in ("w:cantSplit", "w:tblHeader"):
        el = OxmlElement(tag_name)
        tr_pr.append(el)


def _fill(cell, content: Cell, style: str) -> None:
    texts = [content] if isinstance(content, str) else list(content)
    first = cell.paragraphs[0]
    for i, text in enumerate(texts):
        p = first if i == 0 else cell.add_paragraph()
        p.style = cell.part.document.styles[style]
        bold = text.startswith("**")
        if bold:
            text = text[2:]
        if text:
            run = p.add_run(text.replace(SHY, ""))
            if bold:
                run.bold = True
            if SHY in text:
                _soft_hyphens(run, text)


SHY = "\u00ad"  # marks an optional hyphen in a header word; written as <w:softHyphen/>


def _soft_hyphens(run, text: str) -> None:
    """Rewrite the run's text so each SHY becomes Word's optional hyphen element."""
    r = run._r
    for t in r.findall(qn("w:t")):
        r.remove(t)
    for i, piece in enumerate(text.split(SHY)):
        if i:
            r.append(OxmlElement("w:softHyphen"))
        t = OxmlElement("w:t")
        t.set(qn("xml:space"), "preserve")
        t.text = piece
        r.append(t)


def data_table(doc, headers: Sequence[str], widths_cm: Sequence[float], rows: Iterable[Sequence[Cell]] = (),
               *, loop: str | None = None, loop_row: Sequence[Cell] | None = None, small: bool = False) -> None:
    """A bordered table with a repeating header row; then fixed rows, and/or a docxtpl row loop:
    `{%tr for … %}` row, the row template, `{%tr endfor %}` row. small: 9 pt instead of 10 pt."""
    suffix = " Small" if small else ""
    text_style, heading_style = "Table Text" + suffix, "Table Heading" + suffix
    assert abs(sum(widths_cm) - TEXT_WIDTH_CM) < 0.01, (headers, sum(widths_cm))
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _fill(cell, text, heading_style)
    _mark_header(table.rows[0])
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            _fill(cell, value, text_style)
    if loop is not None:
        assert loop_row is not None
        table.add_row().cells[0].paragraphs[0].add_run("{%tr for " + loop + " %}")
        cells = table.add_row().cells
        for cell, value in zip(cells, loop_row, strict=True):
            _fill(cell, value, text_style)
        table.add_row().cells[0].paragraphs[0].add_run("{%tr endfor %}")
    _fixed_layout(table, widths_cm)
    _cell_margins(table, 0.1)


def layout_table(doc, rows: Sequence[Sequence[Cell]], widths_cm: Sequence[float], style: str = "Normal") -> None:
    """A borderless table that only places text side by side (approval stamps, signatures)."""
    table = doc.add_table(rows=0, cols=len(widths_cm))
    _no_borders(table)
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            _fill(cell, value, style)
    _fixed_layout(table, widths_cm)



# --------------------------------------------------------------------------- document


def new_document(title: str):
    doc = Document()
    # python-docx's default document starts with no paragraphs; keep it so
    setup_styles(doc)
    setup_settings(doc)
    setup_page(doc)
    set_core(doc, title)
    return doc


# Schema order of the property elements this kit touches (Word refuses misordered children).
_ORDER = {
    "w:pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
    "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
    "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
    "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "w:rPr": "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
    "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText "
    "vertAlign rtl cs em lang eastAsianLayout specVanish oMath",
    "w:tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
    "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription tblPrChange",
}


def _schema_order(root) -> None:
    for tag_name, names in _ORDER.items():
        rank = {qn(f"w:{n}"): i for i, n in enumerate(names.split())}
        for el in root.iter(qn(tag_name)):
            children = list(el)
            ordered = sorted(children, key=lambda c: rank.get(c.tag, len(rank)))
            if ordered != children:
                for c in children:
                    el.remove(c)
                el.extend(ordered)


def docx_bytes(doc) -> bytes:
    """The document as .docx bytes (not yet normalised), its property elements in schema order."""
    _schema_order(doc.element)
    _schema_order(doc.styles.element)
    _schema_order(doc.sections[0].footer._element)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
