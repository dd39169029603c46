"""Bulk import of teachers and staff from .xlsx/.csv: preview with per-row errors, then import."""

from __future__ import annotations

from flask import Blueprint, request

from service.api.util import actor, ctx, reply
from service.contracts.imports import ImportReport
from service.domain.errors import BadRequestBody, FieldProblem, FormRejected
from service.domain.limits import MAX_ID
from service.services import people_import

bp = Blueprint("imports", __name__, url_prefix="/api/imports")


def query_id(name: str) -> int | None:
    """An optional id in the query string; 422 naming it when it is not 1…2147483647."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw[:12]) <= MAX_ID:
        raise FormRejected([FieldProblem(f"?{name}", f"Идентификатор — целое число от 1 до {MAX_ID}")])
    return int(raw)


def uploaded() -> tuple[bytes, str]:
    """The file (multipart field `file`, or the whole body) and its name ("" for a raw body)."""
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data()
    if not data:
        raise BadRequestBody("Приложите файл (поле file формы или тело запроса)")
    return data, (upload.filename or "") if upload is not None else request.args.get("file_name", "")


@bp.post("/people")
def import_people():
    """Preview or import people from an .xlsx/.csv file (see service/services/people_import.py)."""
    who, centre = actor(), query_id("centre")
    data, name = uploaded()
    report = people_import.import_people(ctx(), who, data, file_name=name, centre_id=centre,
                                         mode=request.args.get("mode", "preview"))
    return reply(ImportReport, report)


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    from service.api.openapi import ID, STR, _file_body, _json, _responses

    return {"/api/imports/people": {"post": {
        "tags": ["people"], "operationId": "importPeople", "summary": "Импорт педагогов и сотрудников из .xlsx/.csv",
        "description": (
            "Файл .xlsx (первый лист) или .csv (UTF-8 с BOM или без, либо Windows-1251; разделитель `;` или `,`) — "
            "поле `file` формы multipart/form-data или всё тело запроса. Столбцы ищутся по заголовкам в первой "
            "непустой строке, в любом порядке, без учёта регистра и пробелов: «ФИО», «E-mail» (или «Email», "
            "«Электронная почта»), «Организация» (или «Школа») — обязательные; «Должность», «Роль» (педагог по "
            "умолчанию; тьютор, руководитель ОО, заместитель руководителя ОО), «Логин» (по умолчанию — e-mail). "
            "Организация — название действующей школы (для тьютора — ЦНППМ) в пределах доступа; сравнивается без "
            "учёта регистра, пробелов и вида кавычек.\n\n"
            "Ключ — e-mail (без учёта регистра): строка с e-mail существующего человека обновляет только изменившееся "
            "(ФИО, должность, организацию, роль); повторный импорт того же файла ничего не меняет. Новые люди "
            "создаются без пароля (вход — по ссылке сброса пароля от администратора).\n\n"
            "`mode=preview` (по умолчанию) ничего не записывает; `mode=import` записывает всё одной транзакцией и "
            "отказывает (422, ошибки строк в problems с указателями /rows/{строка}/{столбец}), пока в файле есть "
            "ошибки; `mode=import_valid` импортирует только строки без ошибок. Каждый импорт, который что-то "
            "изменил, — одно событие people_imported системной цепочки (SHA-256 файла, счётчики, созданные люди).\n\n"
            "Ограничения: файл до 2 МБ, до 10 000 строк, до 50 столбцов, до 300 символов в ячейке; формулы не "
            "вычисляются (ячейка с формулой — ошибка строки); .xlsx-архив проверяется до распаковки."),
        "parameters": [
            {"name": "mode", "in": "query", "required": False,
             "schema": {"type": "string", "enum": list(people_import.MODES), "default": "preview"},
             "description": "preview — предпросмотр; import — импорт, если ошибок нет; import_valid — только строки "
                            "без ошибок"},
            {"name": "centre", "in": "query", "required": False, "schema": ID,
             "description": "ЦНППМ, в школы которого идёт импорт. Администратор может не указывать (все школы "
                            "региона); руководитель ЦНППМ — только свой (обязателен, если он руководит несколькими)"},
            {"name": "file_name", "in": "query", "required": False, "schema": STR,
             "description": "Имя файла, если он передан телом запроса (для отчёта и события)"},
        ],
        "requestBody": _file_body("Таблица .xlsx или .csv"),
        "responses": _responses(
            ("200", _json(out(ImportReport), "Отчёт: строки, ошибки, счётчики; после импорта — созданные люди")),
            "400", "401", "403", "404", "409", "413", "422",
            e400="Файл не приложен (пустое тело и нет поля file)",
            e403="Импорт доступен администратору и руководителю ЦНППМ (только в школы своего центра)",
            e404="Нет такого ЦНППМ",
            e409="Те же люди одновременно изменены другим запросом: ничего не записано",
            e422="Файл отклонён (problems с указателем /file: не .xlsx/.csv, нет обязательного столбца, слишком "
                 "много строк или столбцов, zip-бомба), неверный параметр, или при mode=import в файле есть ошибки "
                 "(problems с указателями /rows/{строка}/{столбец}); ничего не записано"),
    }}}
