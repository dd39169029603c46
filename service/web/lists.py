"""My tasks, the approval queue (with bulk agreement/approval, saved filters and the .xlsx
export), what I completed, the list of routes."""

from __future__ import annotations

import io
from datetime import date, datetime

from flask import current_app, flash, redirect, render_template, request, send_file, url_for

from service.domain.errors import ServiceError, SignatureRefused, TooManyAttempts
from service.http.auth import client
from service.services import queue_export, queues, routes, saved_filters, views
from service.web.blueprint import bp, ctx, login_required, me

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _queue_filter() -> queues.QueueFilter:
    sort = request.args.get("sort", "")
    return queues.QueueFilter(stage=request.args.get("stage") or None, school_id=_int("school"),
                              tutor_id=_int("tutor"), min_days=_int("min_days"), date_from=_date("from"),
                              date_to=_date("to"), sort=sort if sort in queues.SORTS else "oldest",
                              overdue=request.args.get("overdue") == "1", page=_int("page") or 1)


def _current_query(page: str) -> str:
    """This page's filter as a query string (known arguments only): what "Сохранить фильтр" saves."""
    return saved_filters.clean_query(page, request.query_string.decode("utf-8", "replace"))


@bp.get("/inbox")
@login_required
def inbox():
    """My waiting tasks: the longest waiting first, or by due date; overdue ones marked and counted."""
    sort = "due" if request.args.get("sort") == "due" else "oldest"
    data = views.inbox(ctx(), me(), sort=sort, documents=True, page=_int("page") or 1, limit=views.INBOX_PAGE)
    tasks = data["tasks"]
    for t in tasks:  # ISO strings → datetimes, shown as the region's dates
        t["since"] = datetime.fromisoformat(t["created_at"])
        t["due"] = datetime.fromisoformat(t["due_at"]) if t["due_at"] else None
    return render_template("web/inbox.html", tasks=tasks, sort=sort, overdue=data["overdue"], data=data,
                           args={k: v for k, v in request.args.items() if k != "page"},
                           saved=saved_filters.list_filters(ctx(), me(), "inbox"), page_key="inbox",
                           query=_current_query("inbox"), active="inbox")


def _queue_page(selected: frozenset[str] = frozenset(), error: str | None = None, status: int = 200):
    f = _queue_filter()
    data = queues.queue(ctx(), me(), f)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("web/queue.html", q=data, f=f, args=request.args, filter_args=args, selected=selected,
                           bulk_error=error, saved=saved_filters.list_filters(ctx(), me(), "queue"),
                           page_key="queue", query=_current_query("queue"), active="queue"), status


@bp.get("/queue")
@login_required
def queue():
    """Routes waiting for my decision, with filters, counts per stage and overdue, sorting and pages."""
    return _queue_page()


@bp.post("/queue/bulk")
@login_required
def bulk():
    """Agree or approve several routes at once: one password, each recorded as its own signature.
    A refused password shows the queue again with the same routes ticked and the filter kept."""
    ids = request.form.getlist("task_id")
    password = request.form.get("password", "")
    back = url_for("web.queue", **request.args)
    if not ids:
        flash("Не выбрано ни одного маршрута.", "error")
        return redirect(back)
    done, failed = 0, []
    for task_id in ids:
        signature = {"password": password, "document_sha256": request.form.get(f"sha256_{task_id}", "")}
        try:
            routes.complete_task(ctx(), me(), task_id, {"decision": "accept", "comment": ""}, signature, client())
            done += 1
        except (SignatureRefused, TooManyAttempts) as exc:
            if not done:
                # One password for all: trying it on the rest would only count more failed attempts.
                return _queue_page(frozenset(ids), exc.message, exc.status)
            failed.append(exc.message)
        except ServiceError as exc:
            failed.append(exc.message)
    if done:
        flash(f"Подписано маршрутов: {done}.", "success")
    for message in sorted(set(failed)):
        flash(f"Не выполнено ({failed.count(message)}): {message}", "error")
    return redirect(back)


@bp.get("/queue/export.xlsx")
@login_required
def queue_export_xlsx():
    """The queue under the current filter as .xlsx: every matching row, not one page."""
    zone = current_app.config["IOM_ZONE"]
    data = queue_export.export(ctx(), me(), _queue_filter(), zone)
    today = ctx().clock().astimezone(zone).date()
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=f"ochered-{today}.xlsx")


@bp.get("/completed")
@login_required
def completed():
    """The tasks I completed, newest first."""
    data = queues.completed_by_me(ctx(), me(), _int("page") or 1)
    return render_template("web/completed.html", c=data, args=request.args, active="completed")


def _back_to(page: str, query: str = ""):
    target = url_for("web.queue" if page == "queue" else "web.inbox")
    return redirect(f"{target}?{query}" if query else target, code=303)


@bp.post("/filters")
@login_required
def save_filter():
    """Save the page's current filter under a name."""
    page = request.form.get("page", "")
    query = request.form.get("query", "")
    try:
        saved = saved_filters.create_filter(ctx(), me(), {"page": page, "name": request.form.get("name", ""),
                                                          "query": query})
    except ServiceError as exc:
        problems = getattr(exc, "problems", [])
        flash(problems[0].message if problems else exc.message, "error")
        return _back_to(page, saved_filters.clean_query(page, query))
    flash(f"Фильтр «{saved['name']}» сохранён.", "success")
    return _back_to(saved["page"], saved["query"])


@bp.post("/filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int):
    """Delete one of my saved filters."""
    saved_filters.delete_filter(ctx(), me(), filter_id)
    flash("Фильтр удалён.", "success")
    return _back_to(request.form.get("page", ""))


@bp.get("/routes", endpoint="routes")
@login_required
def routes_list():
    """All routes I may see (an auditor: every route), filterable."""
    data = queues.list_routes(ctx(), me(), status=request.args.get("status") or None,
                              stage=request.args.get("stage") or None, school_id=_int("school"),
                              text=request.args.get("q") or None, page=_int("page") or 1)
    return render_template("web/routes.html", r=data, args=request.args, active="routes")
