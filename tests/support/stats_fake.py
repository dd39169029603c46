"""A report shaped like service/services/stats.py's (issue 15), as data without a database, with
hostile text where a test asks for it: the charts and the exports are unit-tested against it."""

from __future__ import annotations

from urllib.parse import urlencode

from service.domain.errors import NotAllowed, NotFound
from service.services.stats import StatsFilters, parse_filters  # noqa: F401 (the tests build filters)

HOSTILE = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> & «ёлка»'
SCOPED = {"cnppm_head": "centre", "school_head": "school", "deputy_head": "school", "auditor": "region",
          "admin": "region"}


def _scope(actor) -> dict:
    kind = next((SCOPED[r] for r in SCOPED if actor.has(r)), None) if not actor.is_admin else "region"
    if kind is None:
        raise NotAllowed("Статистика доступна руководителям ЦНППМ и ОО, заместителям, аудитору и администратору")
    titles = {"centre": "ЦНППМ «Развитие»", "school": "МБОУ «Гимназия № 1»", "region": "Регион"}
    return {"kind": kind, "id": None if kind == "region" else 1, "title": titles[kind]}


def _link(filters: StatsFilters, figure: str, row: str, col: str) -> str:
    return "/stats/routes?" + urlencode({"figure": figure, "row": row, "col": col, **filters.query()})


def _table(filters, key, title, columns, rows, chart=None, row_key=None) -> dict:
    cols = [{"key": k, "title": t, "kind": kind} for k, t, kind in columns]
    out = []
    for i, values in enumerate(rows):
        row = dict(zip([c["key"] for c in cols], values, strict=True))
        rid = str(row[row_key]) if row_key else str(i)
        row["_links"] = {c["key"]: _link(filters, key, rid, c["key"]) for c in cols
                         if c["kind"] in ("int",) and isinstance(row[c["key"]], int) and row[c["key"]]}
        out.append(row)
    return {"title": title, "columns": cols, "rows": out, "chart": chart}


STAGES = [("drafting", "Составление плана"), ("approval", "Согласование"), ("implementation", "Реализация"),
          ("final", "Итоги")]


def tables(filters: StatsFilters, hostile: bool = False) -> dict:
    person = HOSTILE if hostile else "Тьюторова Светлана Андреевна"
    months = ["2026-06", "2026-07", "2026-08", "2026-09"]
    t = {}
    t["status"] = _table(filters, "status", "Маршруты по состоянию",
                         [("status", "Состояние", "text"), ("count", "Маршрутов", "int")],
                         [("Открыты", 7), ("Завершены", 3), ("Продлены", 1), ("Отменены", 0)],
                         {"kind": "bar", "x": "status", "series": ["count"]}, row_key="status")
    t["stages_over_time"] = _table(
        filters, "stages_over_time", "Этапы маршрутов по месяцам",
        [("month", "Месяц", "text")] + [(k, title, "int") for k, title in STAGES],
        [(m, 2 + i, 1 + i % 2, i, i // 2) for i, m in enumerate(months)],
        {"kind": "line", "x": "month", "series": [k for k, _ in STAGES]}, row_key="month")
    t["waits_by_stage"] = _table(
        filters, "waits_by_stage", "Ожидание по этапам, раб. дн.",
        [("stage", "Этап", "text"), ("n", "Задач", "int"), ("median", "Медиана", "float"),
         ("p90", "90-й процентиль", "float")],
        [(title, 3 + i, 1.5 + i, 4.0 + i) for i, (_, title) in enumerate(STAGES)],
        {"kind": "bar", "x": "stage", "series": ["median", "p90"]}, row_key="stage")
    t["waits_by_step"] = _table(
        filters, "waits_by_step", "Ожидание по шагам, раб. дн.",
        [("step", "Шаг", "text"), ("n", "Задач", "int"), ("median", "Медиана", "float"),
         ("p90", "90-й процентиль", "float"), ("returns", "Возвратов", "int")],
        [("Подписание плана методистом", 4, 2.0, 5.0, 1), ("Утверждение руководителем ОО", 3, 1.0, 3.5, 0)],
        {"kind": "bar", "x": "step", "series": ["median"]}, row_key="step")
    t["overdue_by_person"] = _table(
        filters, "overdue_by_person", "Просроченные задачи по исполнителям",
        [("person", "Исполнитель", "text"), ("overdue", "Просрочено задач", "int"),
         ("oldest_due", "Самый ранний срок", "text")],
        [(person, 2, "2026-08-14"), ("Методистова Ольга Игоревна", 1, "2026-08-30")],
        {"kind": "bar", "x": "person", "series": ["overdue"]}, row_key="person")
    t["deficits"] = _table(
        filters, "deficits", "Профессиональные дефициты по областям",
        [("area", "Область компетенций", "text"), ("high", "Высокий", "int"), ("medium", "Средний", "int"),
         ("base", "Базовый", "int"), ("final", "На итоговой диагностике", "int"), ("closed", "Закрыто", "int")],
        [("Предметные компетенции", 3, 2, 1, 2, 4), ("Методические компетенции", 1, 2, 0, 1, 2)],
        {"kind": "stacked", "x": "area", "series": ["high", "medium", "base"]}, row_key="area")
    t["activities"] = _table(
        filters, "activities", "Мероприятия по уровню и форме",
        [("level", "Уровень", "text"), ("form", "Форма", "text"), ("planned", "Запланировано", "int"),
         ("done", "Выполнено", "int"), ("share_done", "Доля выполненных", "percent")],
        [("Региональный", "Курсы", 5, 4, 80.0), ("Муниципальный", "Семинар", 3, 1, 33.3)], None)
    t["not_done_reasons"] = _table(
        filters, "not_done_reasons", "Причины невыполнения мероприятий",
        [("reason", "Причина", "text"), ("count", "Мероприятий", "int")],
        [("Болезнь", 2), ("Мероприятие отменено организатором", 1)],
        {"kind": "bar", "x": "reason", "series": ["count"]}, row_key="reason")
    t["corrections"] = _table(
        filters, "corrections", "Корректировки на маршрут",
        [("bucket", "Корректировок", "text"), ("routes", "Маршрутов", "int")],
        [("0", 6), ("1", 3), ("2", 1), ("3+", 1)], {"kind": "bar", "x": "bucket", "series": ["routes"]},
        row_key="bucket")
    group_cols = [("routes", "Маршрутов", "int"), ("open", "Открыто", "int"), ("completed", "Завершено", "int"),
                  ("prolonged", "Продлено", "int"), ("overdue", "Просрочено задач", "int"),
                  ("median_days", "Медиана раб. дн. на маршрут", "float"),
                  ("corrections", "Корректировок на маршрут", "float"),
                  ("deficits_closed", "Дефицитов закрыто", "int")]
    t["by_school"] = _table(filters, "by_school", "По образовательным организациям",
                            [("school", "ОО", "text")] + group_cols,
                            [("МБОУ «Гимназия № 1»", 6, 4, 2, 0, 1, 40.5, 0.5, 5),
                             ("МБОУ СОШ № 2", 5, 3, 1, 1, 2, 52.0, 1.2, 1)],
                            {"kind": "stacked", "x": "school", "series": ["open", "completed", "prolonged"]},
                            row_key="school")
    t["by_tutor"] = _table(filters, "by_tutor", "По тьюторам", [("tutor", "Тьютор", "text")] + group_cols,
                           [(person, 7, 5, 2, 0, 2, 44.0, 0.8, 4)], None, row_key="tutor")
    return t


def report(ctx, actor, filters: StatsFilters, hostile: bool = False) -> dict:
    scope = _scope(actor)
    return {"scope": scope, "filters": filters.query(),
            "options": {"centres": [{"id": 1, "name": "ЦНППМ «Развитие»"}],
                        "schools": [{"id": 1, "name": "МБОУ «Гимназия № 1»"}, {"id": 2, "name": "МБОУ СОШ № 2"}],
                        "subjects": ["Математика", "Русский язык"],
                        "stages": [{"key": k, "title": t} for k, t in STAGES]},
            "as_of": "2026-09-01T12:00:00+00:00", "tables": tables(filters, hostile)}


def routes_behind(ctx, actor, filters, figure: str, row: str, col: str, page: int = 1) -> dict:
    _scope(actor)
    if figure not in tables(filters):
        raise NotFound("Такого показателя нет")
    routes = [{"id": 1, "title": "ИОМ Ивановой М. П.", "teacher": "Иванова Мария Петровна",
               "school": "МБОУ «Гимназия № 1»", "stage": "Реализация", "status": "в работе"}]
    return {"title": f"{figure}: {row} / {col}", "routes": routes if page == 1 else [], "page": page,
            "has_more": False}


def table_rows(ctx, actor, filters, key) -> tuple[list[dict], list[dict]]:
    _scope(actor)
    found = tables(filters).get(key)
    if found is None:
        raise NotFound("Такой таблицы нет")
    return found["columns"], found["rows"]
