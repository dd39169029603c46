"""Template and workflow versions (admin): list, upload with the validation report, make current,
download, and the routes running on a workflow version."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from service.documents.contract import TEMPLATE_TITLES
from service.domain.errors import FormRejected, NotFound, TemplateRejected, WorkflowRejected
from service.services import versions as service
from service.web.blueprint import bp, ctx, login_required, me

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STATUS_TITLES = {"active": "в работе", "completed": "завершено", "prolonged": "продлено", "cancelled": "отменено"}


def _page(report: dict | None = None, status: int = 200):
    return render_template("web/versions.html", templates=service.templates(ctx(), me()),
                           workflows=service.workflows(ctx(), me()), report=report, status_titles=STATUS_TITLES,
                           active="versions"), status


def _download(data: bytes, name: str, mimetype: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/versions")
@login_required
def versions():
    """Every template kind and workflow version: which is current, what uses it."""
    return _page()


@bp.post("/versions/templates/<kind>")
@login_required
def upload_template_version(kind: str):
    """A new version of one template kind; a refusal shows the validation report (422)."""
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    if not data:
        return _page({"where": kind, "message": "Выберите файл .docx"}, 422)
    try:
        done = service.upload_template(ctx(), me(), kind, data)
    except (TemplateRejected, NotFound) as exc:
        return _page({"where": kind, "message": exc.message}, exc.status)
    title = TEMPLATE_TITLES.get(kind, kind)
    flash(f"Шаблон «{title}»: {'новая версия ' if done['created'] else 'эта версия уже была, она снова текущая: '}"
          f"{done['sha256'][:12]}")
    return redirect(url_for("web.versions") + f"#kind-{kind}")


@bp.post("/versions/templates/<int:template_id>/activate")
@login_required
def activate_template_version(template_id: int):
    """Make an older template version current again."""
    done = service.activate_template(ctx(), me(), template_id)
    title = TEMPLATE_TITLES.get(done["kind"], done["kind"])
    flash(f"Шаблон «{title}»: текущая версия {done['sha256'][:12]}" if done["changed"]
          else f"Версия {done['sha256'][:12]} уже текущая")
    return redirect(url_for("web.versions") + f"#kind-{done['kind']}")


@bp.get("/versions/templates/<int:template_id>/file.docx")
@login_required
def template_version_file(template_id: int):
    return _download(*service.template_file(ctx(), me(), template_id), DOCX)


@bp.post("/versions/workflows")
@login_required
def upload_workflow_version():
    """BPMN files as a new workflow version (made current); a refusal shows the report (422)."""
    files = {f.filename or "": f.read() for f in request.files.getlist("file") if f.filename}
    try:
        done = service.upload_workflow(ctx(), me(), files)
    except WorkflowRejected as exc:
        return _page({"where": "workflow", "message": "Схема процесса отклонена", "problems": exc.problems}, 422)
    except FormRejected as exc:
        return _page({"where": "workflow", "message": "; ".join(p.message for p in exc.problems)}, 422)
    flash(f"Схема процесса: {'новая версия' if done['created'] else 'эта версия уже была'} {done['hash'][:12]} — "
          f"текущая; новые маршруты открываются на ней")
    return redirect(url_for("web.versions") + "#workflows")


@bp.post("/versions/workflows/<int:spec_id>/activate")
@login_required
def activate_workflow_version(spec_id: int):
    done = service.activate_workflow(ctx(), me(), spec_id)
    flash(f"Схема процесса: текущая версия {done['hash'][:12]}; новые маршруты открываются на ней"
          if done["changed"] else f"Версия {done['hash'][:12]} уже текущая")
    return redirect(url_for("web.versions") + "#workflows")


@bp.get("/versions/workflows/<int:spec_id>/files.zip")
@login_required
def workflow_version_files(spec_id: int):
    return _download(*service.workflow_zip(ctx(), me(), spec_id), "application/zip")


@bp.get("/versions/workflow/<int:spec_id>")
@login_required
def workflow_version_routes(spec_id: int):
    """The routes running on one workflow version, a page at a time."""
    page = request.args.get("page", "1")
    listing = service.workflow_routes(ctx(), me(), spec_id, int(page) if page.isdigit() else 1)
    return render_template("web/versions_routes.html", r=listing, active="versions")
