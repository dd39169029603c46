"""Documents: versions of a route, downloads (.docx, .pdf), verification, template uploads."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from service.api.util import actor, ctx
from service.documents.contract import TEMPLATE_FILES
from service.documents.render import pdf_available, to_pdf
from service.domain.access import require_admin
from service.domain.errors import BadRequestBody, NotFound, PdfUnavailable
from service.services import documents, views

bp = Blueprint("documents", __name__, url_prefix="/api")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.get("/routes/<int:route_id>/documents")
def route_documents(route_id: int):
    """Every version of every document of the route, with signatures and their validity."""
    return jsonify({"documents": views.route_documents(ctx(), actor(), route_id)})


@bp.get("/documents/<int:document_id>/<which>.<fmt>")
def download(document_id: int, which: str, fmt: str):
    """Download a version: `content` (what is signed) or `issued` (with the signature sheet)."""
    if which not in ("content", "issued") or fmt not in ("docx", "pdf"):
        raise NotFound("Нет такого файла")
    data, name = views.document_file(ctx(), actor(), document_id, which)
    if fmt == "pdf":
        if not pdf_available():
            raise PdfUnavailable("PDF недоступен: на сервере не установлен LibreOffice")
        data, name = to_pdf(data), name.removesuffix(".docx") + ".pdf"
    return Response(data, mimetype=DOCX if fmt == "docx" else "application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _uploaded_bytes() -> bytes:
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data()
    if not data:
        raise BadRequestBody("Приложите файл (поле file формы или тело запроса)")
    return data


@bp.post("/verify")
def verify():
    """Was this file issued by the service, unaltered? Which route, document, version, signatures."""
    actor()
    return jsonify(documents.verify(ctx(), _uploaded_bytes()))


@bp.post("/templates/<kind>")
def upload_template(kind: str):
    """Deploy a new version of a document template (admin)."""
    who = actor()
    require_admin(who)
    if kind not in TEMPLATE_FILES:
        raise NotFound("Нет такого вида документа")
    deployed = documents.deploy_templates(ctx(), {TEMPLATE_FILES[kind]: _uploaded_bytes()}, who.user_id)
    return jsonify(deployed[0]), 201 if deployed[0]["created"] else 200
