"""Generate the Word templates in doc_templates/ (docxtpl / Jinja2 tags inside ordinary .docx).

    python tools/build_templates.py          # rewrites doc_templates/*.docx

The generated files are committed and may also be edited by hand in Word or LibreOffice Writer
(see doc_templates/README.md); the service only reads the .docx. The output is deterministic:
running the script again without changes gives byte-identical files (the SHA-256 of a template
is its version).

Layout: A4, margins 2 / 2 / 3 / 1.5 cm (top / bottom / left / right), Times New Roman 12 pt,
table text 10 pt, header rows repeated on every page, "Страница N из M" in the footer.
The variables are those of service/documents/contract.py. The house style, page and tables
come from tools/docx_kit.py; this file holds the four documents and the ПЭП regulation.
tests/unit/test_doc_templates_generated.py checks that the committed templates are what this script writes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx_kit import SHY, data_table, docx_bytes, heading, labelled, layout_table, new_document, para, tag

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "doc_templates"


# --------------------------------------------------------------------------- parts of several documents


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


PEP_SECTIONS: list[tuple[str, list[str]]] = [
    ("1. Общие положения", [
        "1.1. Настоящее Положение устанавливает правила использования простой электронной подписи (далее — "
        "ПЭП) в информационной системе сопровождения индивидуальных образовательных маршрутов педагогов "
        "(далее — Система) и является соглашением участников электронного взаимодействия в смысле части 2 "
        "статьи 6 и статьи 9 Федерального закона от 06.04.2011 № 63-ФЗ «Об электронной подписи».",
        "1.2. Стороны Положения: оператор Системы — организация, эксплуатирующая Систему в регионе "
        "(региональный центр непрерывного повышения профессионального мастерства педагогических работников, "
        "ЦНППМ), и пользователь Системы — педагогический работник, тьютор, региональный методист, руководитель "
        "ЦНППМ, руководитель или заместитель руководителя образовательной организации, которому оператор "
        "предоставил учётную запись.",
        "1.3. Пользователь присоединяется к Положению, отмечая в Системе «Я ознакомлен(а) и принимаю». "
        "Присоединение относится к версии Положения, определяемой её хешем SHA-256; принятие фиксируется в "
        "журнале событий Системы с указанием пользователя, хеша версии, даты, времени и сетевого адреса.",
        "1.4. До принятия действующей версии Положения пользователь не может подписывать документы в Системе. "
        "После утверждения новой версии её необходимо принять перед следующей подписью.",
    ]),
    ("2. Идентификация подписанта", [
        "2.1. Ключом ПЭП является сочетание логина (уникального имени пользователя) и пароля, известного "
        "только пользователю. Оператор хранит пароль только в виде необратимой свёртки и не может его узнать.",
        "2.2. Пользователь входит в Систему по логину и паролю. Каждая подпись дополнительно подтверждается "
        "вводом пароля в момент подписания; без верного пароля подпись не принимается.",
        "2.3. Подписывается конкретная версия документа: Система вычисляет хеш SHA-256 содержимого документа, "
        "показанного пользователю, и принимает подпись только если документ не изменился с момента просмотра.",
        "2.4. Лицо, подписавшее документ, определяется по учётной записи, под которой выполнен вход и введён "
        "пароль. Система записывает фамилию, имя, отчество подписанта, его роль, дату и время подписи, хеш "
        "подписанного содержимого, сетевой адрес и сведения о браузере.",
    ]),
    ("3. Обязанности сторон", [
        "3.1. Пользователь обязан соблюдать конфиденциальность пароля: не сообщать его другим лицам, в том "
        "числе работникам оператора, не записывать его в доступных другим местах и не позволять другим лицам "
        "подписывать документы от своего имени.",
        "3.2. При подозрении, что пароль стал известен другому лицу, пользователь обязан немедленно сменить "
        "пароль и сообщить об этом администратору Системы. До сообщения действия, совершённые с "
        "использованием пароля пользователя, считаются совершёнными пользователем.",
        "3.3. Оператор обязан обеспечивать хранение документов, подписей и журнала событий в неизменном виде, "
        "ограничивать число попыток ввода неверного пароля и не раскрывать сведения о подписях третьим лицам, "
        "кроме случаев, установленных законодательством Российской Федерации.",
    ]),
    ("4. Юридическая сила", [
        "4.1. Электронный документ, подписанный ПЭП в соответствии с настоящим Положением, признаётся "
        "равнозначным документу на бумажном носителе, подписанному собственноручной подписью (часть 2 "
        "статьи 6 и статья 9 Федерального закона № 63-ФЗ).",
        "4.2. Подпись относится только к той версии документа, хеш SHA-256 которой указан в листе подписания. "
        "Любое изменение документа после подписания делает подпись недействительной для изменённого документа.",
    ]),
    ("5. Проверка подписи", [
        "5.1. Каждый выпущенный документ содержит лист подписания: роль, ФИО подписанта, действие, дату и "
        "время подписи и хеш SHA-256 подписанного содержимого.",
        "5.2. Подлинность документа проверяется в Системе: загруженный файл сравнивается по хешу SHA-256 с "
        "выпущенным; совпадение подтверждает, что файл выпущен Системой и не изменён.",
        "5.3. По запросу аудитора Система формирует справку аудита маршрута: журнал событий с хешами цепочки, "
        "версии документов с их хешами и сведения о том, какую версию настоящего Положения принял каждый "
        "подписант и когда.",
    ]),
    ("6. Заключительные положения", [
        "6.1. Новая версия Положения утверждается оператором и размещается в Системе; каждая версия хранится "
        "неизменной и доступна для просмотра и скачивания.",
        "6.2. Споры, связанные с применением ПЭП, разрешаются на основании данных журнала событий Системы "
        "и листов подписания документов.",
    ]),
]


def build_pep_rules():
    """The simple electronic signature regulation: plain text, no tags (its data contract is empty)."""
    doc = new_document("Положение о простой электронной подписи")
    heading(doc, "Положение о простой электронной подписи в информационной системе сопровождения ИОМ", 1)
    para(doc, "(соглашение участников электронного взаимодействия, Федеральный закон от 06.04.2011 № 63-ФЗ)",
         align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    for title, clauses in PEP_SECTIONS:
        heading(doc, title)
        for clause in clauses:
            para(doc, clause, align=WD_ALIGN_PARAGRAPH.JUSTIFY, space_after=4)
    return doc


BUILDERS = {
    "karta_iom.docx": build_karta,
    "korrektirovka.docx": build_korrektirovka,
    "vyvody.docx": build_vyvody,
    "prikaz_tutor.docx": build_prikaz_tutor,
    "polozhenie_pep.docx": build_pep_rules,
}


def build(name: str) -> bytes:
    """The template `name` (a key of BUILDERS) as the bytes committed in doc_templates/."""
    sys.path.insert(0, str(ROOT))
    from service.documents.render import normalize_docx

    return normalize_docx(docx_bytes(BUILDERS[name]()))


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
