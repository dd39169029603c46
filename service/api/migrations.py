"""Moving running routes to another workflow version (admin): preview and migrate one route, undo
its last migration, its migrations; preview a version's routes; batches run by the background
worker. The rules are in services/route_migration.py and route_migration_batches.py."""

from __future__ import annotations

import re

from flask import Blueprint, request, url_for

from service.api.util import actor, ctx, json_body, reply
from service.contracts.migrations import (
    MigrationBatchList,
    MigrationBatchView,
    MigrationDone,
    MigrationHistory,
    MigrationReverted,
    MigrationRoutePreview,
    MigrationVersionPreview,
)
from service.domain.errors import FieldProblem, FormRejected
from service.services import route_migration, route_migration_batches

bp = Blueprint("migrations", __name__, url_prefix="/api")

STAGE = re.compile(r"[a-z_]{1,32}")


def _stage() -> str | None:
    value = request.args.get("stage", "")
    if value and not STAGE.fullmatch(value):
        raise FormRejected([FieldProblem("?stage", "Этап — латиницей, как в списке этапов")])
    return value or None


@bp.post("/routes/<int:route_id>/migration/preview")
def preview_route(route_id: int):
    """What moving the route to `to_spec_id` (with `mapping`) would do; nothing is changed."""
    who = actor()
    return reply(MigrationRoutePreview, route_migration.preview_route(ctx(), who, route_id, json_body()))


@bp.post("/routes/<int:route_id>/migration")
def migrate_route(route_id: int):
    """Move the route to another version now: {to_spec_id, mapping, reason}."""
    who = actor()
    return reply(MigrationDone, route_migration.migrate_route(ctx(), who, route_id, json_body()))


@bp.post("/routes/<int:route_id>/migration/revert")
def revert(route_id: int):
    """Undo the route's last migration while nothing was done after it: {reason}."""
    who = actor()
    return reply(MigrationReverted, route_migration.revert(ctx(), who, route_id, json_body()))


@bp.get("/routes/<int:route_id>/migrations")
def history(route_id: int):
    """The route's migrations, newest first, and which can be undone."""
    return reply(MigrationHistory, route_migration.history(ctx(), actor(), route_id))


@bp.post("/versions/workflows/<int:spec_id>/migration/preview")
def preview_version(spec_id: int):
    """What moving the version's active routes (at ?stage=) to `to_spec_id` would do."""
    who = actor()
    body = json_body()
    return reply(MigrationVersionPreview, route_migration.preview_version(ctx(), who, spec_id, body, _stage()))


def _batch_reply(batch: dict, status: int = 200):
    response, status = reply(MigrationBatchView, batch, status)
    response.headers["Location"] = url_for("migrations.batch", batch_id=batch["id"])
    return response, status


@bp.post("/migration-batches")
def start_batch():
    """Queue the migration of a version's active routes (at a stage); 202 with where to follow it."""
    who = actor()
    return _batch_reply(route_migration_batches.request_batch(ctx(), who, json_body()), 202)


@bp.get("/migration-batches/<int:batch_id>")
def batch(batch_id: int):
    """A batch: its state, progress and, once done, the report per route."""
    return _batch_reply(route_migration_batches.batch_view(ctx(), actor(), batch_id))


@bp.get("/migration-batches")
def batches():
    """The latest batches, newest first (without their reports)."""
    return reply(MigrationBatchList, {"batches": route_migration_batches.recent(ctx(), actor())})


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    from service.api.openapi import ID, _body, _json, _path_param, _responses
    from service.contracts.requests import (
        MigrationBatchRequest,
        MigrationPreviewRequest,
        MigrationRequest,
        RevertRequest,
    )

    route_id = _path_param("route_id", ID, "Идентификатор маршрута")
    spec_id = _path_param("spec_id", ID, "Идентификатор версии схемы, маршруты которой переводятся")
    batch_id = _path_param("batch_id", ID, "Номер пакетного перевода")
    stage = {"name": "stage", "in": "query", "required": False, "description": "Только маршруты на этом этапе",
             "schema": {"type": "string", "pattern": "^[a-z_]{1,32}$"}}
    location = {"Location": {"description": "Адрес пакетного перевода: GET — его ход и отчёт",
                             "schema": {"type": "string"}}}
    admin = {"e403": "Доступно только администратору"}
    blocked = ("Маршрут не в работе или уже на этой версии, текущую задачу некуда перевести (укажите mapping), "
               "либо маршрут одновременно изменён другим запросом")
    return {
        "/api/routes/{route_id}/migration/preview": {"post": {
            "tags": ["admin"], "operationId": "previewRouteMigration",
            "summary": "Предпросмотр перевода маршрута на другую версию схемы",
            "description": "Какие элементы схемы не изменятся, изменятся, исчезнут и появятся; можно ли перевести "
                           "и почему нет (задача, которой нет в новой версии, — её нужно сопоставить с задачей "
                           "новой версии в `mapping`). Ничего не меняет. Только администратор.",
            "parameters": [route_id],
            "requestBody": _body(inp(MigrationPreviewRequest)),
            "responses": _responses(("200", _json(out(MigrationRoutePreview), "Предпросмотр")), "400", "401",
                                    "403", "404", "409", "413", "415", "422", **admin,
                                    e404="Нет такого маршрута или версии схемы", e409=blocked),
        }},
        "/api/routes/{route_id}/migration": {"post": {
            "tags": ["admin"], "operationId": "migrateRoute", "summary": "Перевести маршрут на другую версию схемы",
            "description": "Маршрут продолжается по новой версии с текущих задач; событие `route_migrated` "
                           "(версии, сопоставление, причина). Перевод можно отменить, пока по новой версии не "
                           "сделано ни одного шага. Только администратор.",
            "parameters": [route_id],
            "requestBody": _body(inp(MigrationRequest)),
            "responses": _responses(("200", _json(out(MigrationDone), "Маршрут переведён")), "400", "401", "403",
                                    "404", "409", "413", "415", "422", **admin,
                                    e404="Нет такого маршрута или версии схемы", e409=blocked,
                                    e422="Нет причины, неверная версия или сопоставление задач"),
        }},
        "/api/routes/{route_id}/migration/revert": {"post": {
            "tags": ["admin"], "operationId": "revertRouteMigration", "summary": "Отменить перевод маршрута",
            "description": "Возвращает маршрут на версию до последнего перевода (с его задачами), если после "
                           "перевода не сделано ни одного шага; событие `route_migration_reverted`. "
                           "Только администратор.",
            "parameters": [route_id],
            "requestBody": _body(inp(RevertRequest)),
            "responses": _responses(("200", _json(out(MigrationReverted), "Перевод отменён")), "400", "401", "403",
                                    "404", "409", "413", "415", "422", **admin, e404="Маршрут не найден",
                                    e409="Отменять нечего: перевода нет или после него уже сделан шаг",
                                    e422="Не указана причина"),
        }},
        "/api/routes/{route_id}/migrations": {"get": {
            "tags": ["admin"], "operationId": "routeMigrations", "summary": "Переводы маршрута между версиями",
            "description": "Новые первыми; `revertible` — перевод, который ещё можно отменить. Только администратор.",
            "parameters": [route_id],
            "responses": _responses(("200", _json(out(MigrationHistory), "Переводы")), "401", "403", "404",
                                    **admin, e404="Маршрут не найден"),
        }},
        "/api/versions/workflows/{spec_id}/migration/preview": {"post": {
            "tags": ["versions"], "operationId": "previewVersionMigration",
            "summary": "Предпросмотр перевода маршрутов версии на другую версию",
            "description": "По маршрутам в работе на версии (на этапе `stage`): сколько можно перевести и "
                           "сколько нельзя, какие задачи держат маршруты (их сопоставляют в `mapping`), "
                           "предпросмотр первых 200 маршрутов. Ничего не меняет. Только администратор.",
            "parameters": [spec_id, stage],
            "requestBody": _body(inp(MigrationPreviewRequest)),
            "responses": _responses(("200", _json(out(MigrationVersionPreview), "Предпросмотр")), "400", "401",
                                    "403", "404", "409", "413", "415", "422", **admin,
                                    e404="Нет такой версии схемы", e409="Маршруты уже на этой версии"),
        }},
        "/api/migration-batches": {"get": {
            "tags": ["versions"], "operationId": "listMigrationBatches", "summary": "Последние пакетные переводы",
            "responses": _responses(("200", _json(out(MigrationBatchList), "Пакетные переводы")), "401", "403",
                                    **admin),
        }, "post": {
            "tags": ["versions"], "operationId": "startMigrationBatch",
            "summary": "Перевести маршруты версии на другую версию (в фоне)",
            "description": "Ставит в очередь фонового обработчика перевод всех маршрутов в работе на версии "
                           "`from_spec_id` (на этапе `stage`) на `to_spec_id`. Каждый маршрут переводится "
                           "отдельно; тот, что перевести нельзя, остаётся как был и попадает в отчёт с причиной. "
                           "Только администратор.",
            "requestBody": _body(inp(MigrationBatchRequest)),
            "responses": _responses(("202", _json(out(MigrationBatchView), "Перевод в очереди или выполнен: "
                                                  "спрашивайте Location (percent — ход)", location)),
                                    "400", "401", "403", "404", "409", "413", "415", "422", **admin,
                                    e404="Нет такой версии схемы", e409="Маршруты уже на этой версии",
                                    e422="Нет причины, неверные версии, этап или сопоставление задач"),
        }},
        "/api/migration-batches/{batch_id}": {"get": {
            "tags": ["versions"], "operationId": "migrationBatch", "summary": "Пакетный перевод: ход и отчёт",
            "parameters": [batch_id],
            "responses": _responses(("200", _json(out(MigrationBatchView), "Пакетный перевод", location)), "401",
                                    "403", "404", **admin, e404="Нет такого пакетного перевода"),
        }},
    }
