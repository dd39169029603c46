"""Moving running routes to another workflow version (admin pages): one route from its page (preview,
mapping of a task the new version lacks, reason and confirmation; undoing the last move), a version's
routes in a batch run by the worker (preview with counts, the batch's progress and report).
The rules are in services/route_migration.py and route_migration_batches.py."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.domain.errors import FieldProblem, FormRejected, MigrationNotRevertible, RouteNotMigratable, ServiceError
from service.domain.route_rules import STAGE_TITLES
from service.services import route_migration, route_migration_batches, versions
from service.web.blueprint import bp, ctx, login_required, me

# The stages a running route can be at (the batch's optional filter).
RUNNING_STAGES = {k: STAGE_TITLES[k] for k in ("draft", "agreement", "approval", "implementation", "conclusion")}
SHOWN_ROUTES = 20
NOT_CONFIRMED = FormRejected([FieldProblem("/confirm", "Подтвердите действие: отметьте «Подтверждаю»")])


def _spec_arg(source, name: str) -> int | None:
    value = source.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) <= 10 else None


def _mapping(source) -> dict[str, str]:
    """`map:<task>` fields → {task: task of the new version}; an empty choice is no mapping."""
    return {key[4:]: value for key, value in source.items() if key.startswith("map:") and value}


def _confirmed() -> bool:
    return request.form.get("confirm") == "yes"


def _problem(exc: ServiceError) -> dict:
    return {"message": exc.message, "problems": [p.message for p in getattr(exc, "problems", None) or []]}


# --- one route ---------------------------------------------------------------------------------


def _route_preview(route_id: int, to: int | None, mapping: dict[str, str], failed: dict | None = None,
                   status: int = 200):
    if to is None:
        flash("Выберите версию схемы, на которую перевести маршрут", "error")
        return redirect(url_for("web.route", route_id=route_id) + "#admin-migration")
    try:
        preview = route_migration.preview_route(ctx(), me(), route_id, {"to_spec_id": to, "mapping": mapping})
    except (FormRejected, RouteNotMigratable) as exc:
        problem = _problem(exc)
        flash(f"Перевод не проверен: {'; '.join(problem['problems']) or problem['message']}", "error")
        return redirect(url_for("web.route", route_id=route_id) + "#admin-migration")
    return render_template("web/migration_route.html", p=preview, failed=failed, typed=request.form,
                           active="routes"), status


@bp.get("/routes/<int:route_id>/migration")
@login_required
def route_migration_preview(route_id: int):
    """What moving the route to `?to=` would do, with a select for each task the new version lacks."""
    return _route_preview(route_id, _spec_arg(request.args, "to"), _mapping(request.args))


@bp.post("/routes/<int:route_id>/migration")
@login_required
def route_migration_apply(route_id: int):
    """Move the route as previewed (reason and confirmation required)."""
    to, mapping = _spec_arg(request.form, "to"), _mapping(request.form)
    body = {"to_spec_id": to, "mapping": mapping, "reason": request.form.get("reason", "")}
    try:
        if not _confirmed():
            raise NOT_CONFIRMED
        done = route_migration.migrate_route(ctx(), me(), route_id, body)
    except ServiceError as exc:
        if exc.status == 403 or exc.status == 404:
            raise
        return _route_preview(route_id, to, mapping, _problem(exc), exc.status)
    stage = STAGE_TITLES.get(done["stage"], done["stage"])
    flash(f"Маршрут переведён на версию схемы {done['to'][:12]}; этап: {stage}.")
    return redirect(url_for("web.route", route_id=route_id))


@bp.post("/routes/<int:route_id>/migration/revert")
@login_required
def route_migration_revert(route_id: int):
    """Undo the route's last move (reason and confirmation required)."""
    try:
        if not _confirmed():
            raise NOT_CONFIRMED
        done = route_migration.revert(ctx(), me(), route_id, {"reason": request.form.get("reason", "")})
    except (FormRejected, MigrationNotRevertible) as exc:
        problem = _problem(exc)
        flash(f"Перевод не отменён: {'; '.join(problem['problems']) or problem['message']}", "error")
        return redirect(url_for("web.route", route_id=route_id) + "#admin-migration")
    flash(f"Перевод отменён: маршрут снова на версии схемы {done['spec'][:12]}.")
    return redirect(url_for("web.route", route_id=route_id))


@bp.app_context_processor
def _migration_panel():
    """`migration_panel(route_id)` for the route page's admin block: the other versions to move to,
    and the route's migrations (whether the last can be undone)."""

    def panel(route_id: int):
        if not me().is_admin:
            return None
        history = route_migration.history(ctx(), me(), route_id)
        targets = [w for w in versions.workflows(ctx(), me()) if w["id"] != history["spec_id"]]
        last = next((m for m in history["migrations"] if m["revertible"]), None)
        return {"targets": targets, "revertible": last, "history": history}

    return {"migration_panel": panel}


# --- a version's routes ------------------------------------------------------------------------


def _version_page(spec_id: int, to: int | None, stage: str | None, mapping: dict[str, str],
                  failed: dict | None = None, status: int = 200):
    workflows = versions.workflows(ctx(), me())
    source = next((w for w in workflows if w["id"] == spec_id), None)
    if source is None:
        flash(f"Версии схемы № {spec_id} нет", "error")
        return redirect(url_for("web.versions") + "#workflows")
    preview = None
    if to is not None:
        try:
            preview = route_migration.preview_version(ctx(), me(), spec_id, {"to_spec_id": to, "mapping": mapping},
                                                      stage, limit=SHOWN_ROUTES)
        except ServiceError as exc:
            if exc.status == 403:
                raise
            failed = failed or _problem(exc)
            status = exc.status if status == 200 else status
    return render_template("web/migration_version.html", source=source, targets=[w for w in workflows
                                                                                   if w["id"] != spec_id],
                           to=to, stage=stage, stages=RUNNING_STAGES, p=preview, mapping=mapping, failed=failed,
                           typed=request.form, active="versions"), status


def _stage(source) -> str | None:
    value = source.get("stage", "")
    return value if value in RUNNING_STAGES else None


@bp.get("/versions/workflow/<int:spec_id>/migration")
@login_required
def version_migration(spec_id: int):
    """Choose the version (and stage) to move this version's routes to; with `?to=`, the preview."""
    return _version_page(spec_id, _spec_arg(request.args, "to"), _stage(request.args), _mapping(request.args))


@bp.post("/versions/workflow/<int:spec_id>/migration")
@login_required
def version_migration_start(spec_id: int):
    """Start the batch as previewed (reason and confirmation required): its page follows it."""
    to, stage, mapping = _spec_arg(request.form, "to"), _stage(request.form), _mapping(request.form)
    body = {"from_spec_id": spec_id, "to_spec_id": to, "stage": stage, "mapping": mapping,
            "reason": request.form.get("reason", "")}
    try:
        if not _confirmed():
            raise NOT_CONFIRMED
        batch = route_migration_batches.request_batch(ctx(), me(), body)
    except ServiceError as exc:
        if exc.status == 403:
            raise
        return _version_page(spec_id, to, stage, mapping, _problem(exc), exc.status)
    flash("Перевод маршрутов запущен" if batch["state"] != "done" else "Перевод маршрутов выполнен")
    return redirect(url_for("web.migration_batch", batch_id=batch["id"]))


@bp.get("/migration-batches/<int:batch_id>")
@login_required
def migration_batch(batch_id: int):
    """A batch: the progress bar while it runs (js/migration.js polls the API), then the report."""
    batch = route_migration_batches.batch_view(ctx(), me(), batch_id)
    return render_template("web/migration_batch.html", b=batch, stages=STAGE_TITLES, active="versions")
