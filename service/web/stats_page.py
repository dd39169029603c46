"""The statistics page (issue 15): filters, tables and server-drawn charts; the routes behind a
figure; every table as .xlsx and .csv, the period's report as .docx. Who sees which figures
(their centre, their school, the region) is decided by service/services/stats.py."""

from __future__ import annotations

import io
import re

from flask import current_app, render_template, request, send_file

from service.domain.errors import FormRejected
from service.services import stats, stats_export, svg_charts
from service.web.blueprint import bp, ctx, login_required, me

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STATUS_TITLES = {"active": "в работе", "completed": "завершён", "prolonged": "продлён", "cancelled": "отменён"}
FILTER_KEYS = ("from", "to", "centre", "school", "subject", "stage")


def _filter_args() -> dict[str, str]:
    """The filter as it came in (kept in the form and the links even when it was refused)."""
    return {k: request.args[k] for k in FILTER_KEYS if request.args.get(k)}


@bp.get("/stats")
@login_required
def stats_page():
    """Tables and charts of the routes in my scope under the filter; a refused filter shows the
    form again with the reasons (422)."""
    problems, status = None, 200
    try:
        filters = stats.parse_filters(request.args)
    except FormRejected as exc:
        problems, status = exc.problems, exc.status
        filters = stats.parse_filters({})  # the form still needs its choices
    data = stats.report(ctx(), me(), filters)
    tables = [] if problems else [{"key": k, **t, "svg": svg_charts.for_table(t)} for k, t in data["tables"].items()]
    query = _filter_args() if problems else data["filters"]
    return render_template("web/stats.html", r=data, tables=tables, query=query, problems=problems,
                           number=stats_export.cell_text, active="stats"), status


def _page() -> int:
    """?page=N, 1 when absent or not a positive number (too large a number is refused by the guards)."""
    page = request.args.get("page", "")
    return int(page) if page.isdigit() and int(page) > 0 else 1


@bp.get("/stats/routes")
@login_required
def stats_routes():
    """The routes one figure of the statistics counts, a page at a time."""
    filters, page = stats.parse_filters(request.args), _page()
    figure, row, col = (request.args.get(k, "") for k in ("figure", "row", "col"))
    data = stats.routes_behind(ctx(), me(), filters, figure, row, col, page)
    args = {**filters.query(), "figure": figure, "row": row, "col": col}
    return render_template("web/stats_routes.html", d=data, args=args, query=filters.query(),
                           status_titles=STATUS_TITLES, active="stats")


@bp.get("/stats/table")
@login_required
def stats_table():
    """One statistics table under the filter, a page at a time (the statistics page shows its first rows)."""
    filters, page = stats.parse_filters(request.args), _page()
    data = stats.table_page(ctx(), me(), filters, request.args.get("table", ""), page)
    return render_template("web/stats_table.html", d=data, query=filters.query(), number=stats_export.cell_text,
                           active="stats")


def _today() -> str:
    return ctx().clock().astimezone(current_app.config["IOM_ZONE"]).date().isoformat()


def _name(key: str, ext: str) -> str:
    today = _today()
    safe = re.sub(r"[^a-z0-9_]", "", key.lower()) or "tablica"
    return f"statistika-{safe}-{today}.{ext}"


@bp.get("/stats/export.xlsx")
@login_required
def stats_export_xlsx():
    """One table (`table=`) under the filter as .xlsx."""
    key = request.args.get("table", "")
    data = stats_export.table_xlsx(ctx(), me(), stats.parse_filters(request.args), key)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=_name(key, "xlsx"))


@bp.get("/stats/export.csv")
@login_required
def stats_export_csv():
    """One table (`table=`) under the filter as .csv (UTF-8 with BOM, ";")."""
    key = request.args.get("table", "")
    data = stats_export.table_csv(ctx(), me(), stats.parse_filters(request.args), key)
    return send_file(io.BytesIO(data), mimetype="text/csv", as_attachment=True, download_name=_name(key, "csv"))


@bp.get("/stats/report.docx")
@login_required
def stats_report_docx():
    """Every table and chart for the period under the filter as one .docx report."""
    data = stats_export.report_docx(ctx(), me(), stats.parse_filters(request.args))
    return send_file(io.BytesIO(data), mimetype=DOCX, as_attachment=True,
                     download_name=f"statistika-otchet-{_today()}.docx")
