"""Response bodies of the people import (service/services/people_import.py builds them as dicts)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from service.contracts.base import Id, Response, Sha256, absent


class ImportCounts(Response):
    """Сколько строк файла в каждом исходе"""

    rows: Annotated[int, Field(ge=0, description="Строк с данными (без заголовка и пустых строк)")]
    new: Annotated[int, Field(ge=0, description="Новые люди (создаются)")]
    update: Annotated[int, Field(ge=0, description="Уже есть (по e-mail) и что-то изменилось: ФИО, должность, "
                                                 "организация или роль")]
    unchanged: Annotated[int, Field(ge=0, description="Уже есть и ничего не изменилось")]
    errors: Annotated[int, Field(ge=0, description="Строки с ошибками (не импортируются)")]


class ImportProblem(Response):
    """Ошибка в строке файла"""

    row: Annotated[int, Field(ge=1, description="Номер строки, как в файле")]
    column: Annotated[str, Field(description="Столбец: ФИО, E-mail, Организация, Должность, Роль или Логин")]
    message: Annotated[str, Field(description="Сообщение по-русски: «Строка 7, столбец «E-mail»: …»")]


class ImportRow(Response):
    """Строка файла и что с ней будет (или стало)"""

    row: Annotated[int, Field(ge=1, description="Номер строки, как в файле")]
    action: Annotated[Literal["new", "update", "unchanged", "error"],
                      Field(description="new — создаётся, update — обновляется, unchanged — без изменений, "
                                        "error — ошибка, строка не импортируется")]
    full_name: str
    email: str
    organisation: str
    role: Annotated[str, Field(description="Роль по-русски: педагог, тьютор, руководитель ОО, заместитель "
                                           "руководителя ОО")]
    position: str
    login: Annotated[str, Field(description="Логин нового человека (у существующего не меняется)")]
    changes: Annotated[list[str], Field(description="Что изменится у существующего: ФИО, должность, "
                                                    "организация, роль")]
    problems: list[str]


class ImportReport(Response):
    """Отчёт импорта: предпросмотр или результат"""

    sha256: Sha256
    file_name: str
    mode: Literal["preview", "import", "import_valid"]
    centre_id: Annotated[Id | None, Field(description="ЦНППМ, в школы которого шёл импорт (null — все)")]
    written: Annotated[bool, Field(description="Записано ли что-нибудь (false у предпросмотра и у повторного "
                                               "импорта того же файла)")]
    counts: ImportCounts
    notes: Annotated[list[str], Field(description="Замечания к файлу: например, неиспользуемые столбцы")]
    problems: Annotated[list[ImportProblem], Field(description="Все ошибки строк, по порядку строк")]
    rows: Annotated[list[ImportRow], Field(description="Строки: сначала с ошибками, затем остальные")]
    created_user_ids: list[Id] = absent(description="Только после импорта: идентификаторы созданных людей")
