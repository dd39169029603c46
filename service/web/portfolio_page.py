"""The teacher's portfolio download for the pages, and whether a page offers its link."""

from __future__ import annotations

from flask import Response

from service.services import portfolio
from service.web.blueprint import bp, ctx, login_required, me


@bp.get("/teachers/<int:teacher_id>/portfolio.zip")
@login_required
def teacher_portfolio(teacher_id: int):
    """All the issued documents of the teacher's routes, with the cover list, in one ZIP."""
    archive = portfolio.build(ctx(), me(), teacher_id)
    response = Response(archive.data, mimetype="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{archive.filename}"'})
    response.set_etag(archive.sha256)
    return response


@bp.app_template_global()
def may_take_portfolio(teacher_id: int) -> bool:
    """Whether to show «Портфолио (все документы)» (the service's rule, see portfolio.may_take)."""
    return portfolio.may_take(ctx(), me(), teacher_id)
