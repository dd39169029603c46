"""Generate the Word templates in doc_templates/ (docxtpl / Jinja2 tags inside ordinary .docx).

    python tools/build_templates.py          # rewrites doc_templates/*.docx

The generated files are committed and may also be edited by hand in Word or LibreOffice Writer
(see doc_templates/README.md); the service only reads the .docx. The output is deterministic:
running the script again without changes gives byte-identical files (the SHA-256 of a template
is its version).

Layout: A4, margins 2 / 2 / 3 / 1.5 cm (top / bottom / left / right), Times New Roman 12 pt,
table text 10 pt, header rows repeated on every page, "Страница N из M" in the footer.
The variables are those of service/documents/contract.py.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "doc_templates"

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


SIGN = "________________ / "


def signature_lines(doc, lines: Sequence[tuple[str, str]]) -> None:
    """Role on the left, '________ / {{ name }}' on the right, one row each."""
    layout_table(doc, [(role, SIGN + name) for role, name in lines], (6.0, 10.5))


def signature_sheet(doc) -> None:
    """The signature sheet every template ends with, shown only for a signed version."""
    tag(doc, "{%p if signatures %}")
    heading(doc, "Лист подписания (простая электронная подпись)", 2, page_break_before=True)
    para(doc, "Документ: {{ document.title }}, версия {{ document.version }} от {{ document.date }}",
         space_after=6)
    data_table(
        doc,
        ["№", "Роль", "ФИО", "Действие", "Дата и время", "SHA-256 подписанного содержимого"],
        (0.7, 2.9, 3.4, 2.6, 2.4, 4.5),
        loop="s in signatures",
        loop_row=["{{ loop.index }}", "{{ s.role }}", "{{ s.full_name }}", "{{ s.action }}",
                  "{{ s.signed_at }}", "{{ s.sha256 }}"],
    )
    para(doc, "SHA-256 содержимого документа: {{ content_sha256 }}", style="Small Text", space_before=6)
    para(doc, "Документ подписан простой электронной подписью в информационной системе сопровождения ИОМ "
              "(Федеральный закон от 06.04.2011 № 63-ФЗ «Об электронной подписи»). Подписанное содержимое "
              "проверяется сравнением его SHA-256 с указанным в листе подписания.", style="Small Text")
    tag(doc, "{%p endif %}")


def new_document(title: str):
    doc = Document()
    # python-docx's default document starts with no paragraphs; keep it so
    setup_styles(doc)
    setup_settings(doc)
    setup_page(doc)
    set_core(doc, title)
    return doc


def diagnostics(doc, var: str) -> None:
    """Form + deficits table of a diagnostics object `var` ({form, deficits}), or '—'."""
    tag(doc, f"{{%p if {var}.form or {var}.deficits %}}")
    labelled(doc, "Форма диагностики:", f"{{{{ {var}.form }}}}", keep_with_next=True)
    tag(doc, f"{{%p if {var}.deficits %}}")
    data_table(
        doc,
        ["№", "Область компетенций", "Выявленный профессиональный дефицит", "Уровень"],
        (0.8, 4.2, 8.5, 3.0),
        loop=f"d in {var}.deficits",
        loop_row=["{{ loop.index }}", "{{ d.area }}", "{{ d.deficit }}", "{{ d.level }}"],
    )
    tag(doc, "{%p else %}")
    para(doc, "Профессиональные дефициты не выявлены.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p else %}")
    para(doc, "—")
    tag(doc, "{%p endif %}")


def final_events_done(doc, var: str) -> None:
    data_table(
        doc,
        ["№", "Мероприятие", "Отметка о выполнении", "Примечание"],
        (0.8, 7.0, 3.2, 5.5),
        loop=f"e in {var}",
        loop_row=["{{ loop.index }}", "{{ e.title }}",
                  "{% if e.done %}выполнено{% else %}не выполнено{% endif %}", "{{ e.note }}"],
    )


def conclusions_text(doc, var: str) -> None:
    para(doc, f"{{{{ {var}.outcome_title }}}}", bold=True, space_after=3)
    para(doc, f"{{{{ {var}.text }}}}")
    tag(doc, f"{{%p if {var}.prolong_reason %}}")
    labelled(doc, "Причины низкой результативности и пути пролонгации:", f"{{{{ {var}.prolong_reason }}}}")
    tag(doc, "{%p endif %}")
    tag(doc, f"{{%p if {var}.prolong_until %}}")
    labelled(doc, "ИОМ пролонгирован до:", f"{{{{ {var}.prolong_until }}}}")
    tag(doc, "{%p endif %}")


# --------------------------------------------------------------------------- the templates


def build_karta():
    doc = new_document("Карта индивидуального образовательного маршрута педагога")
    date_line = "«____» ____________ 20____ г."
    stamp_sign = "____________ / "
    layout_table(
        doc,
        [(
            ["**СОГЛАСОВАНО", "Руководитель ЦНППМ", "{{ centre.name }}", "", stamp_sign + "{{ cnppm_head.full_name }}",
             date_line],
            ["**УТВЕРЖДАЮ", "Руководитель ОО", "{{ school.name }}", "", stamp_sign + "{{ school_head.full_name }}",
             date_line],
        )],
        (8.0, 8.5),
    )
    heading(doc, "Карта индивидуального образовательного маршрута педагога", 1)
    para(doc, "{{ route.title }}", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    para(doc, "Маршрут № {{ route.id }}, версия документа {{ document.version }} от {{ document.date }}",
         style="Small Text", align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    labelled(doc, "Тьютор:", "{{ tutor.full_name }}")
    labelled(doc, "Региональный методист:", "{{ methodist.full_name }}")
    labelled(doc, "Период реализации ИОМ:", "с {{ card.period.start }} по {{ card.period.end }}")
    labelled(doc, "Начало реализации ИОМ:",
             "{% if card.started_on %}{{ card.started_on }}{% else %}________________{% endif %}")
    labelled(doc, "Окончание:", "{% if card.ended_on %}{{ card.ended_on }}{% else %}________________{% endif %}")

    heading(doc, "1. Информационная справка о педагоге")
    info = "card.info"
    data_table(
        doc,
        ["Показатель", "Сведения"],
        (6.0, 10.5),
        rows=[
            ("Фамилия, имя, отчество", f"{{{{ {info}.full_name }}}}"),
            ("Образовательная организация", f"{{{{ {info}.school }}}}"),
            ("Должность", f"{{{{ {info}.position }}}}"),
            ("Образование", f"{{{{ {info}.education }}}}"),
            ("Педагогический стаж, лет", f"{{{{ {info}.experience_years }}}}"),
            ("Квалификационная категория", f"{{{{ {info}.category }}}}"),
            ("Дата аттестации", f"{{{{ {info}.attestation_date }}}}"),
            ("Почётные звания", f"{{{{ {info}.titles }}}}"),
            ("Награды", f"{{{{ {info}.awards }}}}"),
        ],
    )
    para(doc, "Курсы повышения квалификации:", bold=True, space_before=6, keep_with_next=True)
    tag(doc, "{%p if card.info.courses %}")
    data_table(
        doc,
        ["№", "Организация", "Тема", "Объём, ч", "Сроки"],
        (0.8, 5.0, 6.2, 1.7, 2.8),
        loop="c in card.info.courses",
        loop_row=["{{ loop.index }}", "{{ c.institution }}", "{{ c.topic }}", "{{ c.hours }}",
                  "{{ c.start }} – {{ c.end }}"],
    )
    tag(doc, "{%p else %}")
    para(doc, "—")
    tag(doc, "{%p endif %}")

    heading(doc, "2. Результаты входной диагностики")
    diagnostics(doc, "card.entry_diagnostics")

    heading(doc, "3. Перечень мероприятий")
    tag(doc, "{%p if card.activities %}")
    data_table(
        doc,
        ["№", "Мероприятие", "Уровень", f"Органи{SHY}затор", "Сроки",
         f"Отметка о выполнении / причина невы{SHY}полнения", "Результат",
         f"Форма представ{SHY}ления результата"],
        (0.6, 2.7, 2.45, 2.0, 1.85, 2.3, 2.3, 2.3),
        small=True,
        loop="a in card.activities",
        loop_row=[
            "{{ a.no }}", "{{ a.title }}", "{{ a.level }}", "{{ a.organizer }}", "{{ a.start }} – {{ a.end }}",
            ["{{ a.status }}", "{%p if a.reason_not_done %}", "Причина: {{ a.reason_not_done }}", "{%p endif %}"],
            "{{ a.result }}", "{{ a.presentation_form }}",
        ],
    )
    tag(doc, "{%p else %}")
    para(doc, "—")
    tag(doc, "{%p endif %}")
    para(doc, "Перечень мероприятий подписали:", bold=True, space_before=6, keep_with_next=True)
    signature_lines(doc, [("Региональный методист", "{{ methodist.full_name }}"),
                          ("Педагог", "{{ teacher.full_name }}")])

    heading(doc, "4. Заключительное публичное мероприятие")
    tag(doc, "{%p if card.final_events %}")
    data_table(
        doc,
        ["№", "Форма", "Тема", "Уровень", "Сроки"],
        (0.8, 3.5, 6.6, 2.8, 2.8),
        loop="e in card.final_events",
        loop_row=["{{ loop.index }}", "{{ e.form }}", "{{ e.title }}", "{{ e.level }}", "{{ e.start }} – {{ e.end }}"],
    )
    tag(doc, "{%p else %}")
    para(doc, "—")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if card.final_events_done %}")
    para(doc, "Отметка о выполнении:", bold=True, space_before=6, keep_with_next=True)
    final_events_done(doc, "card.final_events_done")
    tag(doc, "{%p endif %}")

    heading(doc, "5. Сведения о корректировке ИОМ")
    tag(doc, "{%p if card.corrections %}")
    data_table(
        doc,
        ["№", "Дата", "Причина корректировки", "Мероприятие заменено", "Введено мероприятие"],
        (0.8, 2.5, 4.4, 4.4, 4.4),
        loop="c in card.corrections",
        loop_row=[
            "{{ c.no }}",
            ["{{ c.date }}", "{%p if c.signed_on %}", "подписано {{ c.signed_on }}", "{%p endif %}"],
            "{{ c.reason }}",
            "№ {{ c.replaced_no }}. {{ c.replaced_title }}",
            "№ {{ c.replacement_no }}. {{ c.replacement_title }}",
        ],
    )
    tag(doc, "{%p else %}")
    para(doc, "Корректировки не вносились.")
    tag(doc, "{%p endif %}")

    heading(doc, "6. Результаты итоговой диагностики")
    diagnostics(doc, "card.final_diagnostics")

    heading(doc, "7. Выводы")
    tag(doc, "{%p if card.conclusions.outcome_title or card.conclusions.text %}")
    conclusions_text(doc, "card.conclusions")
    para(doc).paragraph_format.space_after = Pt(6)
    signature_lines(doc, [("Региональный методист", "{{ methodist.full_name }}"),
                          ("Руководитель ОО", "{{ school_head.full_name }}"),
                          ("С выводами ознакомлен(а):", "{{ teacher.full_name }}")])
    tag(doc, "{%p else %}")
    para(doc, "—")
    tag(doc, "{%p endif %}")

    signature_sheet(doc)
    return doc


def route_header(doc):
    """The route line and the people of the route, as in every per-route document."""
    para(doc, "Маршрут № {{ route.id }}, версия документа {{ document.version }} от {{ document.date }}",
         style="Small Text", align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    labelled(doc, "Маршрут:", "{{ route.title }}")
    labelled(doc, "Педагог:", "{{ teacher.full_name }}, {{ teacher.position }}")
    labelled(doc, "Образовательная организация:", "{{ teacher.school }}")
    labelled(doc, "Тьютор:", "{{ tutor.full_name }}")
    labelled(doc, "Региональный методист:", "{{ methodist.full_name }}")


def build_korrektirovka():
    doc = new_document("Лист корректировки ИОМ")
    heading(doc, "Лист корректировки индивидуального образовательного маршрута педагога", 1)
    para(doc, "Корректировка № {{ correction.no }} от {{ correction.date }}", align=WD_ALIGN_PARAGRAPH.CENTER,
         bold=True)
    route_header(doc)

    heading(doc, "1. Причина корректировки")
    para(doc, "{{ correction.reason }}")

    heading(doc, "2. Заменяемое мероприятие")
    data_table(doc, ["№ в перечне", "Мероприятие"], (2.5, 14.0),
               rows=[("{{ correction.replaced_no }}", "{{ correction.replaced_title }}")])

    heading(doc, "3. Вводимое мероприятие")
    r = "correction.replacement"
    data_table(
        doc,
        ["Мероприятие", "Уровень", "Организатор", "Сроки", "Форма представления результата"],
        (5.0, 2.4, 3.6, 2.5, 3.0),
        rows=[(f"{{{{ {r}.title }}}}", f"{{{{ {r}.level }}}}", f"{{{{ {r}.organizer }}}}",
               f"{{{{ {r}.start }}}} – {{{{ {r}.end }}}}", f"{{{{ {r}.presentation_form }}}}")],
    )

    heading(doc, "Подписи")
    signature_lines(doc, [("Региональный методист", "{{ methodist.full_name }}"),
                          ("Тьютор", "{{ tutor.full_name }}"),
                          ("Педагог", "{{ teacher.full_name }}")])
    signature_sheet(doc)
    return doc


def build_vyvody():
    doc = new_document("Выводы по результатам реализации ИОМ")
    heading(doc, "Выводы по результатам реализации индивидуального образовательного маршрута педагога", 1)
    route_header(doc)
    labelled(doc, "Период реализации ИОМ:", "с {{ period.start }} по {{ period.end }}")

    heading(doc, "1. Результаты итоговой диагностики")
    diagnostics(doc, "final_diagnostics")

    heading(doc, "2. Заключительное публичное мероприятие")
    tag(doc, "{%p if final_events_done %}")
    final_events_done(doc, "final_events_done")
    tag(doc, "{%p else %}")
    para(doc, "—")
    tag(doc, "{%p endif %}")

    heading(doc, "3. Выводы")
    conclusions_text(doc, "conclusions")

    para(doc).paragraph_format.space_after = Pt(6)
    signature_lines(doc, [("Региональный методист", "{{ methodist.full_name }}"),
                          ("Руководитель ОО", "{{ school_head.full_name }}")])
    para(doc).paragraph_format.space_after = Pt(6)
    p = para(doc)
    p.add_run("С выводами ознакомлен(а): ").bold = True
    p.add_run(SIGN + "{{ teacher.full_name }}")
    signature_sheet(doc)
    return doc


def build_prikaz_tutor():
    doc = new_document("Распорядительный акт о закреплении тьютора")
    para(doc, "{{ centre.name }}", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, space_after=6)
    heading(doc, "Распорядительный акт о закреплении тьютора", 1)
    layout_table(doc, [("{{ order.date }}", "№ {{ order.number }}")], (8.25, 8.25))
    doc.tables[-1].rows[0].cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    para(doc, "{{ order.place }}", align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    para(doc, "О закреплении тьюторов за педагогами", bold=True, space_after=12)
    para(doc, "В целях организации сопровождения разработки и реализации индивидуальных образовательных "
              "маршрутов педагогических работников", align=WD_ALIGN_PARAGRAPH.JUSTIFY, space_after=6)
    para(doc, "ПРИКАЗЫВАЮ:", bold=True, space_after=6)
    para(doc, "1. Закрепить тьюторов за педагогами согласно списку:", space_after=6)
    data_table(
        doc,
        ["№", "Педагог", "Образовательная организация", "Тьютор"],
        (0.8, 5.0, 5.9, 4.8),
        loop="a in assignments",
        loop_row=["{{ loop.index }}", "{{ a.teacher }}", "{{ a.school }}", "{{ a.tutor }}"],
    )
    para(doc, "2. Тьюторам обеспечить сопровождение разработки и реализации индивидуальных образовательных "
              "маршрутов закреплённых педагогов.", align=WD_ALIGN_PARAGRAPH.JUSTIFY, space_before=6)
    para(doc, "3. Контроль за исполнением распорядительного акта оставляю за собой.", space_after=18)
    signature_lines(doc, [("Руководитель ЦНППМ", "{{ cnppm_head.full_name }}")])
    signature_sheet(doc)
    return doc


BUILDERS = {
    "karta_iom.docx": build_karta,
    "korrektirovka.docx": build_korrektirovka,
    "vyvody.docx": build_vyvody,
    "prikaz_tutor.docx": build_prikaz_tutor,
}


# Schema order of the property elements this script touches (Word refuses misordered children).
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


def build(name: str) -> bytes:
    sys.path.insert(0, str(ROOT))
    from service.documents.render import normalize_docx

    doc = BUILDERS[name]()
    _schema_order(doc.element)
    _schema_order(doc.styles.element)
    _schema_order(doc.sections[0].footer._element)
    buf = io.BytesIO()
    doc.save(buf)
    return normalize_docx(buf.getvalue())


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name in BUILDERS:
        data = build(name)
        path = OUT / name
        changed = not path.exists() or path.read_bytes() != data
        path.write_bytes(data)
        print(f"{'wrote' if changed else 'unchanged'} {path.relative_to(ROOT)} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
