"""Opening routes (a CNPPM head): pick teachers, tutor, methodist, period; one order for all.

Works without JavaScript: a GET search lists matching teachers with checkboxes (the teachers
already chosen ride along as `teacher` parameters); "Добавить отмеченных" keeps the checked ones;
"Открыть маршруты" opens them all. service/static/js/pickers.js searches as one types instead."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import redirect, render_template, request, url_for

from service.domain.errors import FieldProblem, FormRejected
from service.domain.limits import MAX_ID
from service.services import opening, pickers
from service.web.blueprint import bp, ctx, login_required, me


def _ids(values: list[str]) -> list[int]:
    """The teacher ids of a form, in order, once each (anything else is not an id and is dropped)."""
    out = [int(v) for v in values if v.isdigit() and len(v) < 11 and 1 <= int(v) <= MAX_ID]
    return list(dict.fromkeys(out))[:opening.MAX_TEACHERS + 1]


def _today() -> date:
    return ctx().clock().astimezone(ZoneInfo(ctx().timezone)).date()


def _page(q: str, chosen: list[int], form: dict, problems: list[FieldProblem], status: int = 200):
    """The page: the people to pick from, the chosen teachers, the search results, the problems."""
    who = me()
    lists = pickers.options(ctx(), who, ("tutors", "methodists"))
    selected = pickers.teachers_by_id(ctx(), who, chosen)
    results, search_problem = [], None
    if q:
        try:
            results = [p for p in pickers.search(ctx(), who, "teachers", q) if p["id"] not in set(chosen)]
        except FormRejected as exc:
            search_problem = exc.problems[0].message
    at = {p.pointer: p.message for p in problems}
    rows = {f"/teachers/{i}/": tid for i, tid in enumerate(form.get("order", []))}
    per_teacher: dict[int, list[str]] = {}
    for pointer, message in at.items():
        for prefix, tid in rows.items():
            if pointer.startswith(prefix):
                per_teacher.setdefault(tid, []).append(message)
    return render_template("web/open_routes.html", q=q, selected=selected, results=results,
                           search_problem=search_problem, tutors=lists["tutors"], methodists=lists["methodists"],
                           form=form, at=at, per_teacher=per_teacher, max_teachers=opening.MAX_TEACHERS,
                           active="open_routes"), status


@bp.get("/routes/new", endpoint="open_routes")
@login_required
def open_routes():
    """The form; with ?q= the teachers found; ?teacher= the ones chosen so far."""
    today = _today()
    form = {"start": today.isoformat(), "end": (today + timedelta(days=364)).isoformat()}  # about a year
    return _page(request.args.get("q", "").strip(), _ids(request.args.getlist("teacher")), form, [])


def _form() -> dict:
    f = request.form
    return {"start": f.get("start", ""), "end": f.get("end", ""), "methodist": f.get("methodist", ""),
            "tutor_all": f.get("tutor_all", ""), "tutors": {k[6:]: v for k, v in f.items() if k.startswith("tutor_")}}


@bp.post("/routes/new")
@login_required
def open_routes_submit():
    """Keep the checked teachers ("add"), or open a route for each under one order ("open")."""
    chosen = _ids(request.form.getlist("teacher"))
    form = _form()
    if request.form.get("action") != "open":
        return _page("", chosen, form, [])
    form["order"] = chosen
    try:
        batch = _batch(chosen, form)
        result = opening.open_batch(ctx(), me(), batch)
    except FormRejected as exc:
        return _page("", chosen, form, exc.problems, 422)
    return redirect(url_for("web.route_order", order_id=result["order"]["id"]))


def _batch(chosen: list[int], form: dict) -> opening.Batch:
    """The form as a batch, or the problems of its fields (pointers as in the API)."""
    problems = []
    dates = {}
    for key, label in (("start", "начала"), ("end", "окончания")):
        try:
            dates[key] = date.fromisoformat(form[key])
        except ValueError:
            problems.append(FieldProblem(f"/period/{key}", f"Укажите дату {label} периода"))
    if not chosen:
        problems.append(FieldProblem("/teachers", "Отметьте хотя бы одного педагога"))
    methodist = form["methodist"]
    if not methodist.isdigit() or len(methodist) > 10:
        problems.append(FieldProblem("/methodist_id", "Выберите методиста"))
    tutors = []
    for i, tid in enumerate(chosen):
        tutor = form["tutors"].get(str(tid)) or form["tutor_all"]
        if not tutor.isdigit() or len(tutor) > 10:
            problems.append(FieldProblem(f"/teachers/{i}/tutor_id", "Выберите тьютора (для педагога или для всех)"))
        tutors.append(int(tutor) if tutor.isdigit() and len(tutor) <= 10 else 0)
    if problems:
        raise FormRejected(problems)
    return opening.Batch([opening.Assignment(t, u) for t, u in zip(chosen, tutors, strict=True)], int(methodist),
                         dates["start"], dates["end"])


@bp.get("/routes/orders/<int:order_id>")
@login_required
def route_order(order_id: int):
    """An order (распорядительный акт) and the routes opened with it."""
    return render_template("web/open_routes_order.html", order=opening.order_view(ctx(), me(), order_id),
                           active="open_routes")
