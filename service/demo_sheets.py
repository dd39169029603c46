"""The demo teachers' own information sheets and route plans, each suited to their subject.

The first teacher (Иванова, mathematics) is the one of service/samples.py; the others have their
own education, courses, experience, category, awards and activities, so that no demo card shows
another teacher's details. Treat as read-only: take ``copy.deepcopy`` before changing anything.
"""

from __future__ import annotations

import copy
from typing import Any

from service.samples import VALID

PERIOD = {"start": "2026-09-01", "end": "2027-05-31"}
ORGANISATIONS = {
    "iro": "ГАУ ДПО «Институт развития образования Энской области»",
    "academy": "ФГАОУ ДПО «Академия Минпросвещения России»",
    "cnppm": "ЦНППМ «Учитель будущего» Энской области",
    "lyceum": "МАОУ «Лицей № 1» г. Энска",
}

SHEETS: dict[str, dict[str, Any]] = {
    "teacher1": {k: v for k, v in VALID["draft"]["info"].items() if k not in ("full_name", "school")},
    "teacher2": {
        "position": "учитель физики",
        "education": "высшее, Ярославский государственный педагогический университет им. К. Д. Ушинского, 2016, "
                     "специальность «Физика» с дополнительной специальностью «Астрономия»",
        "courses": [
            {"institution": ORGANISATIONS["academy"], "topic": "Школа современного учителя физики",
             "hours": 100, "start": "2022-02-01", "end": "2022-04-29"},
        ],
        "experience_years": 7,
        "category": "соответствие занимаемой должности",
        "attestation_date": "2022-11-15",
        "titles": "",
        "awards": "Благодарность Управления образования г. Энска (2023)",
    },
    "teacher3": {
        "position": "учитель русского языка & литературы",
        "education": "высшее, Московский педагогический государственный университет, 2004, "
                     "специальность «Русский язык и литература»",
        "courses": [
            {"institution": ORGANISATIONS["iro"],
             "topic": "Подготовка обучающихся к итоговому сочинению и ЕГЭ по русскому языку",
             "hours": 72, "start": "2023-10-02", "end": "2023-10-20"},
            {"institution": "ФГБНУ «Федеральный институт педагогических измерений»",
             "topic": "Оценивание развёрнутых ответов участников ЕГЭ по литературе",
             "hours": 24, "start": "2024-03-11", "end": "2024-03-15"},
        ],
        "experience_years": 21,
        "category": "высшая",
        "attestation_date": "2020-04-10",
        "titles": "Почётный работник сферы образования Российской Федерации",
        "awards": "Почётная грамота Министерства просвещения Российской Федерации (2019)",
    },
    "teacher4": {
        "position": "учитель информатики",
        "education": "высшее, Энский государственный университет, 2012, "
                     "специальность «Прикладная информатика в образовании»",
        "courses": [
            {"institution": ORGANISATIONS["iro"], "topic": "Преподавание программирования на Python в 7–9 классах",
             "hours": 48, "start": "2024-01-15", "end": "2024-02-09"},
        ],
        "experience_years": 11,
        "category": "первая",
        "attestation_date": "2023-02-27",
        "titles": "",
        "awards": "",
    },
}


def _activity(title: str, level: str, organizer: str, start: str, end: str, form: str) -> dict[str, str]:
    return {"title": title, "level": level, "organizer": organizer, "start": start, "end": end,
            "presentation_form": form}


def _deficit(area: str, deficit: str, level: str) -> dict[str, str]:
    return {"area": area, "deficit": deficit, "level": level}


PLANS: dict[str, dict[str, Any]] = {
    "teacher1": {**{k: v for k, v in VALID["draft"].items() if k != "info"}, "period": PERIOD},
    "teacher2": {
        "period": PERIOD,
        "entry_diagnostics": {"form": "самодиагностика", "deficits": [
            _deficit("предметные", "Методика решения олимпиадных задач по физике", "высокий"),
            _deficit("ИКТ", "Цифровые лаборатории в учебном эксперименте", "средний")]},
        "activities": [
            _activity("Курсы «Цифровая лаборатория на уроках физики: от демонстрации к исследованию»", "региональный",
                      ORGANISATIONS["cnppm"], "2026-10-05", "2026-10-16", "выступление на МО учителей физики"),
            _activity("Стажировка «Подготовка школьников к олимпиадам по физике»", "муниципальный",
                      ORGANISATIONS["lyceum"], "2027-01-18", "2027-01-22", "сборник разобранных олимпиадных задач"),
        ],
        "final_events": [{"form": "мастер-класс", "title": "Исследовательский эксперимент с цифровыми датчиками "
                                                         "в 8 классе", "level": "муниципальный",
                          "start": "2027-04-14", "end": "2027-04-14"}],
    },
    "teacher3": {
        "period": PERIOD,
        "entry_diagnostics": {"form": "экспертная оценка", "deficits": [
            _deficit("методические", "Формирование читательской грамотности на уроках литературы", "средний"),
            _deficit("психолого-педагогические", "Работа с обучающимися, испытывающими трудности в обучении",
                     "высокий")]},
        "activities": [
            _activity("Курсы «Смысловое чтение и работа с текстом на уроках русского языка и литературы»",
                      "региональный", ORGANISATIONS["iro"], "2026-10-12", "2026-10-23",
                      "выступление на МО учителей русского языка и литературы"),
            _activity("Семинар-практикум «Инклюзивный урок литературы»", "муниципальный",
                      "МБОУ «СОШ № 5» г. Энска", "2026-12-08", "2026-12-08", "методическая разработка урока"),
        ],
        "final_events": [{"form": "открытый урок", "title": "Читательская конференция по повести А. С. Пушкина "
                                                          "«Капитанская дочка», 8 класс", "level": "уровень ОО",
                          "start": "2027-04-20", "end": "2027-04-20"}],
    },
    "teacher4": {
        "period": PERIOD,
        "entry_diagnostics": {"form": "стандартизированная процедура", "deficits": [
            _deficit("предметные", "Преподавание основ искусственного интеллекта и анализа данных", "высокий"),
            _deficit("коммуникативные", "Организация командной проектной работы обучающихся", "средний")]},
        "activities": [
            _activity("Курсы «Анализ данных и основы машинного обучения в школьном курсе информатики»", "федеральный",
                      ORGANISATIONS["academy"], "2026-10-01", "2026-11-30", "выступление на педагогическом совете"),
            _activity("Стажировка «Проектная деятельность в IT-классе»", "муниципальный", ORGANISATIONS["lyceum"],
                      "2027-02-08", "2027-02-12", "паспорт ученического проекта"),
        ],
        "final_events": [{"form": "выступление на конференции", "title": "Командные проекты по анализу данных "
                                                                        "в 8 классе", "level": "региональный",
                          "start": "2027-05-13", "end": "2027-05-13"}],
    },
}

CORRECTIONS: dict[str, dict[str, Any]] = {
    "teacher3": {
        "action": "submit", "date": "2026-11-30", "reason": "Семинар-практикум отменён организатором",
        "activity_no": 2,
        "replacement": _activity("Вебинар «Дифференцированные задания по литературе для обучающихся с ОВЗ»",
                                 "федеральный", ORGANISATIONS["academy"], "2026-12-15", "2026-12-15",
                                 "сообщение на педагогическом совете"),
    },
}

FINAL_RESULTS: dict[str, dict[str, Any]] = {
    "teacher4": {
        "final_diagnostics": {"form": "экспертная оценка", "deficits": [
            _deficit("предметные", "Преподавание основ искусственного интеллекта и анализа данных", "базовый")]},
        "final_events": [{"title": PLANS["teacher4"]["final_events"][0]["title"], "done": True,
                          "note": "Доклад на региональной конференции 13.05.2027, представлены три проекта"}],
    },
}


def sheet(login: str) -> dict[str, Any]:
    """The demo teacher's own information sheet (without name and school: the records hold those)."""
    return copy.deepcopy(SHEETS[login])


def draft(login: str, info: dict[str, Any]) -> dict[str, Any]:
    """The tutor's draft for the demo teacher: `info` (the card's sheet, as prefilled) and their plan."""
    return {"info": copy.deepcopy(info), **copy.deepcopy(PLANS[login])}
