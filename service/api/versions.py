"""Template and workflow versions (admin): list, make current, download, upload workflow files.
(A template version is uploaded with POST /api/templates/<kind>, see service/api/documents.py.)"""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from service.api.util import actor, ctx, reply
from service.contracts.versions import TemplateActivated, VersionList, WorkflowActivated, WorkflowUploaded
from service.services import versions

bp = Blueprint("versions", __name__, url_prefix="/api/versions")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _with_links(templates: list[dict], workflows: list[dict]) -> dict:
    for kind in templates:
        for v in kind["versions"]:
            v["download_url"] = url_for("versions.template_file", template_id=v["id"])
    for w in workflows:
        w["download_url"] = url_for("versions.workflow_files", spec_id=w["id"])
    return {"templates": templates, "workflows": workflows}


@bp.get("")
def list_versions():
    """Every template kind with its versions, and every workflow version with its routes counted."""
    who = actor()
    return reply(VersionList, _with_links(versions.templates(ctx(), who), versions.workflows(ctx(), who)))


@bp.post("/templates/<int:template_id>/activate")
def activate_template(template_id: int):
    """Make a template version the current one of its kind."""
    return reply(TemplateActivated, versions.activate_template(ctx(), actor(), template_id))


@bp.get("/templates/<int:template_id>/file.docx")
def template_file(template_id: int):
    """A template version's .docx."""
    data, name = versions.template_file(ctx(), actor(), template_id)
    return Response(data, mimetype=DOCX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/workflows")
def upload_workflow():
    """Deploy BPMN files (multipart field `file`, one or several, or a .zip of them as the request's
    body) as a version, made current."""
    files = {f.filename or "": f.read() for f in request.files.getlist("file")}
    done = versions.upload_workflow(ctx(), actor(), files, None if files else request.get_data())
    return reply(WorkflowUploaded, done, 201 if done["created"] else 200)


@bp.post("/workflows/<int:spec_id>/activate")
def activate_workflow(spec_id: int):
    """Make a workflow version the one new routes start on."""
    return reply(WorkflowActivated, versions.activate_workflow(ctx(), actor(), spec_id))


@bp.get("/workflows/<int:spec_id>/files.zip")
def workflow_files(spec_id: int):
    """A workflow version's BPMN files, zipped."""
    data, name = versions.workflow_zip(ctx(), actor(), spec_id)
    return Response(data, mimetype="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    from service.api.openapi import DOCX as DOCX_TYPE
    from service.api.openapi import ID, MULTIPART, OCTET, _json, _path_param, _responses

    admin_only = {"e403": "Доступно только администратору"}
    template_id = _path_param("template_id", ID, "Идентификатор версии шаблона")
    spec_id = _path_param("spec_id", ID, "Идентификатор версии схемы процесса")

    def file(media: str, description: str) -> dict:
        return {"description": description, "content": {media: {"schema": {"contentMediaType": media}}}}

    return {
        "/api/versions": {"get": {
            "tags": ["versions"], "operationId": "listVersions", "summary": "Версии шаблонов и схем процесса",
            "description": "По каждому виду шаблона — версии (SHA-256, файл, кто и когда развернул, сколько версий "
                           "документов по ней составлено, текущая); по схеме процесса — версии с числом маршрутов "
                           "на каждой по статусам. Только администратор.",
            "responses": _responses(("200", _json(out(VersionList), "Версии")), "401", "403", **admin_only),
        }},
        "/api/versions/templates/{template_id}/activate": {"post": {
            "tags": ["versions"], "operationId": "activateTemplate", "summary": "Сделать версию шаблона текущей",
            "description": "Новые документы этого вида составляются по ней; выпущенные сохраняют свой шаблон. "
                           "Событие `template_activated` системной цепочки.",
            "parameters": [template_id],
            "responses": _responses(("200", _json(out(TemplateActivated), "Версия текущая")), "401", "403", "404",
                                    **admin_only, e404="Версия шаблона не найдена"),
        }},
        "/api/versions/templates/{template_id}/file.docx": {"get": {
            "tags": ["versions"], "operationId": "downloadTemplate", "summary": "Скачать версию шаблона (.docx)",
            "parameters": [template_id],
            "responses": _responses(("200", file(DOCX_TYPE, "Шаблон .docx")), "401", "403", "404", **admin_only,
                                    e404="Версия шаблона не найдена"),
        }},
        "/api/versions/workflows": {"post": {
            "tags": ["versions"], "operationId": "uploadWorkflow", "summary": "Загрузить схему процесса (BPMN)",
            "description": "Файлы .bpmn (поле `file` формы multipart/form-data, один или несколько, или один архив "
                           ".zip с ними — такой, как отдаёт скачивание версии; либо архив .zip телом запроса) "
                           "проверяются движком и становятся новой текущей версией; новые маршруты открываются на "
                           "ней, идущие остаются на своей. Событие `workflow_deployed` (и `workflow_activated`).",
            "requestBody": {"required": True, "content": {
                MULTIPART: {"schema": {"type": "object", "properties": {
                    "file": {"type": "array", "items": {"contentMediaType": OCTET},
                             "description": "Файлы .bpmn (или один .zip)"}}, "required": ["file"]}},
                OCTET: {"schema": {"contentMediaType": OCTET, "description": "Архив .zip с файлами .bpmn"}}}},
            "responses": _responses(
                ("201", _json(out(WorkflowUploaded), "Новая версия развёрнута и стала текущей")),
                ("200", _json(out(WorkflowUploaded), "Такая версия уже была (created=false); она снова текущая")),
                "400", "401", "403", "413", "422", **admin_only,
                e400="Файлы не приложены (нет поля file и пустое тело)",
                e422="Файлы не приложены, не .bpmn, или схема отклонена (XSD, выражения, формы, роли): "
                     "сообщение называет причину"),
        }},
        "/api/versions/workflows/{spec_id}/activate": {"post": {
            "tags": ["versions"], "operationId": "activateWorkflow", "summary": "Сделать версию схемы текущей",
            "description": "Новые маршруты открываются на ней; идущие остаются на своей. Событие "
                           "`workflow_activated` системной цепочки.",
            "parameters": [spec_id],
            "responses": _responses(("200", _json(out(WorkflowActivated), "Версия текущая")), "401", "403", "404",
                                    **admin_only, e404="Версия схемы не найдена"),
        }},
        "/api/versions/workflows/{spec_id}/files.zip": {"get": {
            "tags": ["versions"], "operationId": "downloadWorkflow", "summary": "Скачать файлы версии схемы (.zip)",
            "parameters": [spec_id],
            "responses": _responses(("200", file("application/zip", "Файлы .bpmn в архиве .zip")), "401", "403",
                                    "404", **admin_only, e404="Версия схемы не найдена"),
        }},
    }
