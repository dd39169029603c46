"""The teacher's portfolio: every issued document of their routes in one ZIP (service/services/portfolio.py)."""

from __future__ import annotations

from flask import Blueprint, Response

from service.api.util import actor, ctx
from service.services import portfolio

bp = Blueprint("portfolio", __name__, url_prefix="/api")

ZIP = "application/zip"


def zip_response(archive: portfolio.Portfolio) -> Response:
    """The archive as a download; its SHA-256 is its ETag (the same documents give the same bytes)."""
    response = Response(archive.data, mimetype=ZIP,
                        headers={"Content-Disposition": f'attachment; filename="{archive.filename}"'})
    response.set_etag(archive.sha256)
    return response


@bp.get("/teachers/<int:teacher_id>/portfolio")
def teacher_portfolio(teacher_id: int):
    """All the issued documents of the teacher's routes (a tutor: of the routes they accompany)."""
    return zip_response(portfolio.build(ctx(), actor(), teacher_id))


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    from service.api.openapi import _path_param, _responses

    teacher_id = _path_param("teacher_id", {"type": "integer", "minimum": 1}, "Идентификатор педагога")
    return {
        "/api/teachers/{teacher_id}/portfolio": {"get": {
            "tags": ["documents"], "operationId": "teacherPortfolio",
            "summary": "Портфолио педагога: все выпущенные документы одним архивом",
            "description": "ZIP: по папке на маршрут (`<id>_<название>/`) с каждой выпущенной версией документа "
                           "(`<вид>-v<версия>.docx` — ровно те байты, что выпустил сервис, поэтому POST /api/verify "
                           "принимает каждый файл), опись `00_opis.docx` (маршрут, документ, версия, время выпуска, "
                           "подписи с ролью, действием, временем и поручением, SHA-256 файла) и `manifest.json` "
                           "(то же для программ). Для тех же документов архив побайтно тот же (ETag — его SHA-256). "
                           "Педагог, аудитор и администратор получают все маршруты педагога, тьютор — "
                           f"сопровождаемые им. Не более {portfolio.MAX_DOCUMENTS} документов.",
            "parameters": [teacher_id],
            "responses": _responses(
                ("200", {"description": "Архив (Content-Disposition: attachment)",
                         "headers": {"Content-Disposition": {"description": "attachment; filename=\"…\"",
                                                             "schema": {"type": "string"}},
                                     "ETag": {"description": "SHA-256 архива", "schema": {"type": "string"}}},
                         "content": {ZIP: {"schema": {"contentMediaType": ZIP}}}}),
                "401", "403", "404", "422",
                e403="Портфолио доступно самому педагогу, его тьютору, аудитору и администратору",
                e404="Педагог не найден",
                e422=f"Больше {portfolio.MAX_DOCUMENTS} документов или "
                     f"{portfolio.MAX_BYTES // (1024 * 1024)} МБ: скачайте документы со страниц маршрутов"),
        }},
    }
