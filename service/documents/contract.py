"""The data contract between the service and the document templates in doc_templates/.

The service builds one context per document; a template may use only the top-level variables
listed in VARIABLES[kind] (checked when a template is loaded, see service.documents.render).
Every value a template prints is a ready string: dates are "дд.мм.гггг" (or "" when absent),
the date and time of a signature "дд.мм.гггг чч:мм МСК" in the region's time with its zone named
(versions created before issue 11 recorded no format and keep "дд.мм.гггг чч:мм UTC"; see
service/documents/context.py FORMAT_*). Absent sections are given with all their
keys present (empty strings, empty lists), so a template never meets an undefined value and
needs no logic beyond `if` and `for`.

Common to every kind:
    document      {title, kind, version (int), date}
    route         {id, title}
    teacher       {full_name, position, school}
    tutor         {full_name}
    methodist     {full_name}
    school        {name}
    centre        {name}
    school_head   {full_name}
    cnppm_head    {full_name}
    signatures    [{role, full_name, action, signed_at, sha256}]   ([] in the unsigned version)
    content_sha256  str                                            ("" in the unsigned version)

karta:          card {info {full_name, school, position, education,
                            courses [{institution, topic, hours, start, end}],
                            experience_years, category, attestation_date, titles, awards},
                      period {start, end},
                      entry_diagnostics {form, deficits [{area, deficit, level}]},
                      activities [{no, title, level, organizer, start, end, status,
                                   reason_not_done, result, presentation_form}],
                      final_events [{form, title, level, start, end}],
                      final_events_done [{title, done (bool), note}],
                      corrections [{no, date, reason, replaced_no, replaced_title,
                                    replacement_no, replacement_title, signed_on}],
                      final_diagnostics {form, deficits [...]},
                      conclusions {outcome_title, text, prolong_reason, prolong_until},
                      started_on, ended_on}
korrektirovka:  correction {no, date, reason, replaced_no, replaced_title,
                            replacement {title, level, organizer, start, end, presentation_form}}
vyvody:         period {start, end}, conclusions {outcome, outcome_title, text, prolong_reason,
                prolong_until}, final_diagnostics {form, deficits}, final_events_done [...]
prikaz_tutor:   order {number, date, place}, assignments [{teacher, school, tutor}]
pep_rules:      (nothing: the regulation is served as it is, not rendered; see RULES_KINDS)
"""

from __future__ import annotations

import hashlib
from typing import Any

KINDS: dict[str, str] = {
    "karta": "Карта ИОМ",
    "korrektirovka": "Лист корректировки ИОМ",
    "vyvody": "Выводы по результатам реализации ИОМ",
    "prikaz_tutor": "Распорядительный акт о закреплении тьютора",
}

TEMPLATE_FILES: dict[str, str] = {
    "karta": "karta_iom.docx",
    "korrektirovka": "korrektirovka.docx",
    "vyvody": "vyvody.docx",
    "prikaz_tutor": "prikaz_tutor.docx",
    "pep_rules": "polozhenie_pep.docx",  # not a route document: see RULES_KINDS
}

# Templates that are not documents of a route: the simple electronic signature regulation
# (Положение о ПЭП), deployed, versioned by SHA-256 and replaced like the others, but served as it
# is (never rendered with data: its contract is empty) and accepted by each signer.
PEP_KIND = "pep_rules"
RULES_KINDS: dict[str, str] = {PEP_KIND: "Положение о простой электронной подписи"}
TEMPLATE_TITLES: dict[str, str] = {**KINDS, **RULES_KINDS}

COMMON_VARIABLES: frozenset[str] = frozenset(
    {
        "document",
        "route",
        "teacher",
        "tutor",
        "methodist",
        "school",
        "centre",
        "school_head",
        "cnppm_head",
        "signatures",
        "content_sha256",
    }
)

VARIABLES: dict[str, frozenset[str]] = {
    "karta": COMMON_VARIABLES | {"card"},
    "korrektirovka": COMMON_VARIABLES | {"correction"},
    "vyvody": COMMON_VARIABLES | {"period", "conclusions", "final_diagnostics", "final_events_done"},
    "prikaz_tutor": COMMON_VARIABLES | {"order", "assignments"},
    PEP_KIND: frozenset(),
}

SIGNATURE_ACTIONS = ("подписал(а)", "согласовал(а)", "утвердил(а)", "ознакомлен(а)")

# What a hostile sample appends to every free-text value: XML/HTML specials, Russian quotes,
# both kinds of ASCII quote, a new line and a long unbroken Cyrillic run.
HOSTILE_TAIL = ' ООО «Ромашка» & Co <b>"x"</b> \'y\'\nвторая строка ' + "Щ" * 300

_SIGNERS: dict[str, list[tuple[str, str, str]]] = {
    # kind -> [(role title, person key in the context, action)]
    "karta": [
        ("Региональный методист", "methodist", "подписал(а)"),
        ("Руководитель ЦНППМ", "cnppm_head", "согласовал(а)"),
        ("Руководитель ОО", "school_head", "утвердил(а)"),
    ],
    "korrektirovka": [
        ("Региональный методист", "methodist", "подписал(а)"),
        ("Тьютор ЦНППМ", "tutor", "подписал(а)"),
        ("Педагог", "teacher", "подписал(а)"),
    ],
    "vyvody": [
        ("Региональный методист", "methodist", "подписал(а)"),
        ("Руководитель ОО", "school_head", "подписал(а)"),
        ("Педагог", "teacher", "ознакомлен(а)"),
    ],
    "prikaz_tutor": [
        ("Руководитель ЦНППМ", "cnppm_head", "подписал(а)"),
        ("Тьютор ЦНППМ", "tutor", "ознакомлен(а)"),
        ("Региональный методист", "methodist", "ознакомлен(а)"),
    ],
}

_ACTIVITY_TITLES = [
    "Курсы «Формирование математической грамотности обучающихся 5–9 классов»",
    "Стажировка «Цифровая образовательная среда на уроке математики»",
    "Вебинар «Цифровые сервисы для урока математики»",
    "Мастер-класс «Задачи с практическим содержанием на уроках алгебры»",
    "Участие в работе муниципального методического объединения учителей математики",
    "Семинар-практикум «Смысловое чтение на уроках математики»",
]
_LEVELS = ["региональный", "муниципальный", "федеральный", "уровень ОО"]
_ORGANIZERS = [
    "ЦНППМ ГАУ ДПО «ВИРО»",
    "МБОУ «СОШ № 5»",
    "ФГАОУ ДПО «Академия Минпросвещения России»",
    "Управление образования Администрации г. Вологды",
]
_FORMS = [
    "выступление на МО учителей математики",
    "методическая разработка урока",
    "открытый урок",
    "публикация в сборнике материалов конференции",
]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _date(day: int, month: int, year: int) -> str:
    return f"{day:02d}.{month:02d}.{year:04d}"


def sample_context(
    kind: str,
    *,
    hostile: bool = False,
    activities: int = 2,
    corrections: int = 1,
    signed: bool = False,
) -> dict[str, Any]:
    """A complete, realistic Russian context for `kind` (deterministic: same arguments, same dict).

    hostile=True appends HOSTILE_TAIL to every free-text value; signed=True adds three signatures
    and a content hash; `activities` and `corrections` set the list sizes of the card."""
    if kind in RULES_KINDS:
        return {}  # the regulation is served as it is: no data
    if kind not in KINDS:
        raise KeyError(f"unknown document kind: {kind!r}")

    def t(text: str) -> str:
        return text + HOSTILE_TAIL if hostile else text

    teacher = {
        "full_name": t("Иванова Мария Петровна"),
        "position": t("учитель математики"),
        "school": t("МБОУ «Средняя общеобразовательная школа № 12» г. Вологды"),
    }
    people = {
        "teacher": teacher,
        "tutor": {"full_name": t("Смирнова Ольга Викторовна")},
        "methodist": {"full_name": t("Кузнецов Андрей Николаевич")},
        "school_head": {"full_name": t("Соколова Елена Александровна")},
        "cnppm_head": {"full_name": t("Попов Дмитрий Сергеевич")},
    }
    ctx: dict[str, Any] = {
        "document": {"title": KINDS[kind], "kind": kind, "version": 3, "date": _date(15, 1, 2025)},
        "route": {"id": 42, "title": t("ИОМ учителя математики на 2024/2025 учебный год")},
        **people,
        "school": {"name": t("МБОУ «Средняя общеобразовательная школа № 12» г. Вологды")},
        "centre": {
            "name": t(
                "Центр непрерывного повышения профессионального мастерства педагогических "
                "работников ГАУ ДПО «Вологодский институт развития образования»"
            )
        },
        "signatures": [],
        "content_sha256": "",
    }
    if signed:
        ctx["signatures"] = [
            {
                "role": role,
                "full_name": people[who]["full_name"],
                "action": action,
                "signed_at": f"{_date(14 + i, 1, 2025)} {9 + i:02d}:{15 * i:02d} UTC",
                "sha256": _sha(f"{kind}:v3:{i}"),
            }
            for i, (role, who, action) in enumerate(_SIGNERS[kind])
        ]
        ctx["content_sha256"] = _sha(f"{kind}:v3:content")

    final_diagnostics = {
        "form": t("экспертная оценка"),
        "deficits": [
            {
                "area": t("методические"),
                "deficit": t("Проектирование заданий для формирования функциональной грамотности"),
                "level": t("базовый"),
            }
        ],
    }
    final_events_done = [
        {
            "title": t("Решение практико-ориентированных задач в 7 классе"),
            "done": True,
            "note": t("Открытый урок проведён 15.04.2025, 12 участников"),
        }
    ]
    conclusions = {
        "outcome": "prolong",
        "outcome_title": t("ИОМ реализован частично, требуется пролонгация"),
        "text": t(
            "Маршрут реализован в основном объёме: дефицит в области методических компетенций "
            "снижен с высокого до базового уровня.\nДефицит в области ИКТ-компетенций сохраняется."
        ),
        "prolong_reason": t("Стажировка перенесена организатором на следующий учебный год"),
        "prolong_until": _date(31, 12, 2025),
    }

    if kind == "karta":
        n_act = max(activities, 0)
        acts = []
        for i in range(n_act):
            done = i % 3 != 1
            acts.append(
                {
                    "no": i + 1,
                    "title": t(f"{_ACTIVITY_TITLES[i % len(_ACTIVITY_TITLES)]} (мероприятие {i + 1})"),
                    "level": t(_LEVELS[i % len(_LEVELS)]),
                    "organizer": t(_ORGANIZERS[i % len(_ORGANIZERS)]),
                    "start": _date(1 + i % 28, 10 + (i // 28) % 3, 2024),
                    "end": _date(1 + (i + 4) % 28, 10 + (i // 28) % 3, 2024),
                    "status": t("выполнено" if done else "не выполнено"),
                    "reason_not_done": "" if done else t("Мероприятие перенесено организатором"),
                    "result": t("Удостоверение о повышении квалификации, 72 ч.") if done else "",
                    "presentation_form": t(_FORMS[i % len(_FORMS)]),
                }
            )
        corr = []
        for k in range(1, max(corrections, 0) + 1):
            replaced_no = k
            replacement_no = n_act - corrections + k if n_act > corrections else n_act + k
            corr.append(
                {
                    "no": k,
                    "date": _date(1 + k % 28, 1, 2025),
                    "reason": t(f"Стажировка перенесена организатором (корректировка {k})"),
                    "replaced_no": replaced_no,
                    "replaced_title": t(f"Стажировка «Цифровая образовательная среда» ({replaced_no})"),
                    "replacement_no": replacement_no,
                    "replacement_title": t(f"Вебинар «Цифровые сервисы для урока математики» ({k})"),
                    "signed_on": _date(2 + k % 27, 1, 2025),
                }
            )
        ctx["card"] = {
            "info": {
                "full_name": teacher["full_name"],
                "school": teacher["school"],
                "position": teacher["position"],
                "education": t(
                    "высшее, Вологодский государственный педагогический университет, 2009, "
                    "специальность «Математика» с дополнительной специальностью «Информатика»"
                ),
                "courses": [
                    {
                        "institution": t("ГАУ ДПО «Вологодский институт развития образования»"),
                        "topic": t("Реализация требований обновлённых ФГОС ООО в работе учителя"),
                        "hours": 36,
                        "start": _date(13, 3, 2023),
                        "end": _date(24, 3, 2023),
                    }
                ],
                "experience_years": 14,
                "category": t("первая"),
                "attestation_date": _date(20, 12, 2021),
                "titles": t("Почётный работник воспитания и просвещения Российской Федерации"),
                "awards": t("Почётная грамота Департамента образования Вологодской области (2020)"),
            },
            "period": {"start": _date(1, 9, 2024), "end": _date(31, 5, 2025)},
            "entry_diagnostics": {
                "form": t("стандартизированная процедура"),
                "deficits": [
                    {
                        "area": t("методические"),
                        "deficit": t("Проектирование заданий для формирования функциональной грамотности"),
                        "level": t("высокий"),
                    },
                    {
                        "area": t("ИКТ"),
                        "deficit": t("Использование цифровых образовательных ресурсов на уроке"),
                        "level": t("средний"),
                    },
                ],
            },
            "activities": acts,
            "final_events": [
                {
                    "form": t("открытый урок"),
                    "title": t("Решение практико-ориентированных задач в 7 классе"),
                    "level": t("уровень ОО"),
                    "start": _date(15, 4, 2025),
                    "end": _date(15, 4, 2025),
                }
            ],
            "final_events_done": final_events_done,
            "corrections": corr,
            "final_diagnostics": final_diagnostics,
            "conclusions": {k: v for k, v in conclusions.items() if k != "outcome"},
            "started_on": _date(1, 9, 2024),
            "ended_on": "",
        }
    elif kind == "korrektirovka":
        ctx["correction"] = {
            "no": 1,
            "date": _date(15, 1, 2025),
            "reason": t("Стажировка перенесена организатором"),
            "replaced_no": 2,
            "replaced_title": t("Стажировка «Цифровая образовательная среда на уроке математики»"),
            "replacement": {
                "title": t("Вебинар «Цифровые сервисы для урока математики»"),
                "level": t("федеральный"),
                "organizer": t("ФГАОУ ДПО «Академия Минпросвещения России»"),
                "start": _date(12, 2, 2025),
                "end": _date(12, 2, 2025),
                "presentation_form": t("сообщение на педагогическом совете"),
            },
        }
    elif kind == "vyvody":
        ctx["period"] = {"start": _date(1, 9, 2024), "end": _date(31, 5, 2025)}
        ctx["conclusions"] = conclusions
        ctx["final_diagnostics"] = final_diagnostics
        ctx["final_events_done"] = final_events_done
    else:  # prikaz_tutor
        ctx["order"] = {"number": t("17-ИОМ"), "date": _date(2, 9, 2024), "place": t("г. Вологда")}
        ctx["assignments"] = [
            {"teacher": teacher["full_name"], "school": teacher["school"], "tutor": people["tutor"]["full_name"]},
            {
                "teacher": t("Петров Сергей Иванович"),
                "school": t("МАОУ «Гимназия № 2» г. Вологды"),
                "tutor": t("Васильева Наталья Юрьевна"),
            },
        ]
    return ctx
