"""The simple electronic signature regulation: read and accept (before the first signature)."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from service.domain.errors import ConcurrentUpdate, FieldProblem
from service.http.auth import client
from service.services import pep
from service.web.blueprint import bp, ctx, login_required, me, safe_next

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _next() -> str | None:
    target = request.values.get("next")
    return safe_next(target) if target else None


def _page(problems: list[FieldProblem] | None = None, status: int = 200):
    return render_template("web/pep.html", rules=pep.current(ctx(), me(), with_text=True), problems=problems,
                           next=_next()), status


@bp.get("/pep")
@login_required
def pep_rules():
    """The regulation in force, its file, and the acceptance form (or when I accepted it)."""
    return _page()


@bp.post("/pep/accept")
@login_required
def accept_pep_rules():
    """Accept the version read; the checkbox is required, and the version must still be in force."""
    if request.form.get("agree") != "yes":
        return _page([FieldProblem("/agree", "Отметьте «Я ознакомлен(а) и принимаю»")], 422)
    try:
        pep.accept(ctx(), me(), request.form.get("sha256", ""), client())
    except ConcurrentUpdate as exc:
        return _page([FieldProblem("/sha256", exc.message)], exc.status)
    flash("Положение о простой электронной подписи принято: теперь вы можете подписывать документы.")
    return redirect(_next() or url_for("web.pep_rules"))


@bp.get("/pep/file.docx")
@login_required
def pep_file():
    data, name = pep.current_file(ctx(), me())
    return Response(data, mimetype=DOCX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.app_context_processor
def _pep_notice():
    """`pep_needs_acceptance()` for web/_pep_notice.html: asked only by the pages that show it."""

    def needs() -> bool:
        return current_user.is_authenticated and pep.needs_acceptance(ctx(), me())

    return {"pep_needs_acceptance": needs}
