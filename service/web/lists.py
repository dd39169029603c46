"""My tasks, the approval queue (with bulk agreement/approval), the list of routes."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for

from service.domain.errors import ServiceError
from service.http.auth import client
from service.services import queues, routes, views
from service.web.blueprint import bp, ctx, login_required, me


def _int(name: str) -> int | None:
    """A whole number from the query string; anything else is no filter (numbers past their range
    were refused before the view: service/http/guards.py)."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/inbox")
@login_required
def inbox():
    """My waiting tasks, oldest first."""
    return render_template("web/inbox.html", tasks=views.my_tasks(ctx(), me()), active="inbox")


@bp.get("/queue")
@login_required
def queue():
    """Routes waiting for my decision, with filters, counts per stage, sorting and pages."""
    f = queues.QueueFilter(stage=request.args.get("stage") or None, school_id=_int("school"), tutor_id=_int("tutor"),
                           min_days=_int("min_days"), date_from=_date("from"), date_to=_date("to"),
                           newest_first=request.args.get("sort") == "newest", page=_int("page") or 1)
    data = queues.queue(ctx(), me(), f)
    return render_template("web/queue.html", q=data, f=f, args=request.args, active="queue")


@bp.post("/queue/bulk")
@login_required
def bulk():
    """Agree or approve several routes at once: one password, each recorded as its own signature."""
    ids = request.form.getlist("task_id")
    password = request.form.get("password", "")
    if not ids:
        flash("Не выбрано ни одного маршрута.", "error")
        return redirect(url_for("web.queue"))
    done, failed = 0, []
    for task_id in ids:
        signature = {"password": password, "document_sha256": request.form.get(f"sha256_{task_id}", "")}
        try:
            routes.complete_task(ctx(), me(), task_id, {"decision": "accept", "comment": ""}, signature, client())
            done += 1
        except ServiceError as exc:
            failed.append(exc.message)
    if done:
        flash(f"Подписано маршрутов: {done}.", "success")
    for message in sorted(set(failed)):
        flash(f"Не выполнено ({failed.count(message)}): {message}", "error")
    return redirect(url_for("web.queue"))


@bp.get("/routes", endpoint="routes")
@login_required
def routes_list():
    """All routes I may see (an auditor: every route), filterable."""
    data = queues.list_routes(ctx(), me(), status=request.args.get("status") or None,
                              stage=request.args.get("stage") or None, school_id=_int("school"),
                              text=request.args.get("q") or None, page=_int("page") or 1)
    return render_template("web/routes.html", r=data, args=request.args, active="routes")

