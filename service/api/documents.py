"""Documents: versions of a route, downloads (.docx, .pdf), verification, template uploads."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from service.api.util import actor, ctx, reply
from service.contracts.responses import DocumentList, TemplateDeployed, VerifyResult
from service.domain.errors import BadRequestBody, NotFound
from service.services import documents, pdfs, views

bp = Blueprint("documents", __name__, url_prefix="/api")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.get("/routes/<int:route_id>/documents")
def route_documents(route_id: int):
    """Every version of every document of the route, with signatures and their validity."""
    return reply(DocumentList, {"documents": views.route_documents(ctx(), actor(), route_id)})


@bp.get("/documents/<int:document_id>/<which>.<fmt>")
def download(document_id: int, which: str, fmt: str):
    """Download a version: `content` (what is signed) or `issued` (with the signature sheet)."""
    if which not in ("content", "issued") or fmt not in ("docx", "pdf"):
        raise NotFound("Нет такого файла")
    if fmt == "pdf":  # converted once per version, then from the cache (see service.services.pdfs)
        data, name = pdfs.document_pdf(ctx(), actor(), document_id, which, pdfs.converter_for(current_app))
    else:
        data, name = views.document_file(ctx(), actor(), document_id, which)
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
    return reply(VerifyResult, documents.verify(ctx(), _uploaded_bytes()))


@bp.post("/templates/<kind>")
def upload_template(kind: str):
    """Deploy a new version of a document template (admin)."""
    deployed = documents.upload_template(ctx(), actor(), kind, _uploaded_bytes())
    return reply(TemplateDeployed, deployed, 201 if deployed["created"] else 200)
