"""GET /api/openapi.json: the OpenAPI 3.1 description of the JSON API, built here in Python.

The response shapes follow service/services/views.py (`_task_row`, `route_view`, `route_events`,
`my_tasks`, `task_view`, `_signing`, `route_documents`), service/services/routes.py (`complete_task`),
service/services/documents.py (`describe`, `verify`, `deploy_templates`),
service/services/accounts.py (`issue_token`), service/services/admin.py (`reassign_task`,
`cancel_route`, `edit_card`), service/services/audit.py (`Report`, `Finding`, `replay`, `as_of`) and
service/services/audit_export.py (`history`, `history_csv`, `certificate`); the error body follows
service/http/errors.py; the routes are those of service/api/{auth,tasks,routes,documents,audit}.py.
tests/e2e/test_openapi.py checks the document against the app's URL map and live responses.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import metadata
from typing import Any

from flask import Blueprint, jsonify

from service.config import ROOT
from service.documents.contract import KINDS, TEMPLATE_FILES
from service.domain.access import ROLES, WORKFLOW_ROLES
from service.domain.route_rules import STAGE_TITLES

bp = Blueprint("openapi", __name__, url_prefix="/api")

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
OCTET = "application/octet-stream"
MULTIPART = "multipart/form-data"

Schema = dict[str, Any]


@bp.get("/openapi.json")
def spec():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(build_spec())


# --- small builders ---------------------------------------------------------------------------


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    """`schema` or null (JSON Schema 2020-12, as OpenAPI 3.1 uses it)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    return out


def _obj(properties: dict[str, Schema], required: list[str] | None = None, description: str | None = None) -> Schema:
    out: Schema = {"type": "object", "properties": properties,
                   "required": list(properties) if required is None else required}
    if description:
        out["description"] = description
    return out


STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
ID: Schema = {"type": "integer", "minimum": 1}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
TOKEN_INFO: dict[str, Schema] = {
    "id": INT, "name": STR, "created_at": DATE_TIME, "expires_at": _nullable(DATE_TIME),
    "last_used_at": _nullable(DATE_TIME), "revoked_at": _nullable(DATE_TIME),
    "active": {"type": "boolean", "description": "Не отозван и не истёк"},
}
DATE: Schema = {"type": "string", "format": "date"}
ANY_OBJECT: Schema = {"type": "object"}
SHA256: Schema = {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "SHA-256, 64 шестнадцатеричные цифры"}
EVENT_KINDS = ("route_created", "task_completed", "route_completed", "route_prolonged", "route_prolonged_as",
               "document_prepared", "document_issued", "document_signed", "signature_rejected",
               "admin_reassigned", "admin_cancelled", "admin_card_edited")
SYSTEM_EVENT_KINDS = ("workflow_deployed", "template_deployed")
ROUTE_STATUSES = ["active", "completed", "prolonged", "cancelled"]
TEXT_CSV = "text/csv"


def _version() -> str:
    try:
        return metadata.version("iom-service")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def _forms() -> list[tuple[str, str]]:
    """(name, title) of every task form in forms/*.json."""
    out = []
    for path in sorted((ROOT / "forms").glob("*.json")):
        try:
            title = json.loads(path.read_text(encoding="utf-8")).get("title", "")
        except (OSError, ValueError, AttributeError):
            title = ""
        out.append((path.stem, title))
    return out


# --- component schemas ------------------------------------------------------------------------


def _task_row_properties(form_names: list[str]) -> dict[str, Schema]:
    """The fields of views._task_row, shared by TaskRow, MyTask and TaskView."""
    return {
        "id": {"type": "string", "description": "Идентификатор задачи"},
        "route_id": ID,
        "name": {"type": "string",
                 "description": "Имя задачи в схеме процесса (BPMN), например plan_signatures_teacher"},
        "title": {"type": "string", "description": "Название задачи для человека"},
        "form": {"type": "string", "enum": form_names, "description": "Форма задачи (forms/<form>.json)"},
        "role": {"type": "string", "enum": sorted(WORKFLOW_ROLES), "description": "Роль исполнителя"},
        "stage": {"type": "string", "description": "Этап маршрута, к которому относится задача"},
        "state": {"type": "string", "enum": ["ready", "completed", "cancelled"],
                  "description": "ready — ожидает выполнения; completed — выполнена; cancelled — снята"},
        "assignee": _ref("PersonRef"),
        "created_at": DATE_TIME,
        "due_at": _nullable(DATE_TIME),
        "waiting_days": _nullable({"type": "integer", "minimum": 0,
                                   "description": "Сколько полных дней задача ждёт (только для state=ready)"}),
        "completed_at": _nullable(DATE_TIME),
        "completed_by": _nullable(_ref("PersonRef")),
    }


def _schemas(form_names: list[str]) -> dict[str, Schema]:
    row = _task_row_properties(form_names)
    stages = ", ".join(f"{k} — {v}" for k, v in STAGE_TITLES.items())
    return {
        "FieldProblem": _obj({
            "pointer": {"type": "string",
                        "description": "JSON Pointer на поле (\"\" — вся форма), например /info/full_name"},
            "message": {"type": "string", "description": "Сообщение по-русски"},
        }, description="Ошибка в конкретном поле отправленных данных"),
        "Error": _obj({
            "error": {"type": "string", "description": "Сообщение об ошибке по-русски"},
            "status": {"type": "integer", "description": "HTTP-статус ответа"},
            "problems": {"type": "array", "items": _ref("FieldProblem"),
                         "description": "Только у 422: ошибки по полям"},
        }, ["error", "status"], "Тело любого ответа с ошибкой"),
        "PersonRef": _obj({"id": INT, "name": _nullable(STR)}, description="Участник: идентификатор и ФИО"),
        "OrgUnitRef": _obj({"id": INT, "name": _nullable(STR)}, description="Организация: идентификатор и название"),
        "RoleGrant": _obj({
            "role": {"type": "string", "enum": list(ROLES)},
            "org_unit_id": _nullable({"type": "integer", "description": "Организация, в которой действует роль; "
                                                                      "null — без ограничения"}),
        }, description="Роль пользователя в организации"),
        "Me": _obj({
            "id": INT,
            "name": {"type": "string", "description": "ФИО"},
            "roles": {"type": "array", "items": _ref("RoleGrant")},
        }, description="Вошедший пользователь с его ролями"),
        "TaskRow": _obj(row, description="Задача (строка списка)"),
        "RouteRef": _obj({"id": INT, "title": STR, "stage": STR, "teacher": _ref("PersonRef")},
                         description="Маршрут, к которому относится задача"),
        "MyTask": _obj({**row, "route": _ref("RouteRef")},
                       description="Задача из моего списка, с маршрутом, к которому она относится"),
        "TaskList": _obj({"tasks": {"type": "array", "items": _ref("MyTask")}}),
        "Remark": _obj({
            "by": _nullable({"type": "string", "description": "ФИО вернувшего"}),
            "role": _nullable(STR),
            "task": _nullable({"type": "string", "description": "Название задачи, на которой вернули"}),
            "at": DATE_TIME,
            "comment": STR,
        }, description="Замечание при возврате на доработку"),
        "TaskView": _obj({
            **row,
            "route": _ref("RouteRef"),
            "schema": {"type": "object", "description": "JSON Schema (draft 2020-12) формы задачи; "
                                                       "ей должно соответствовать поле data при выполнении"},
            "card": {"type": "object", "description": "Карточка маршрута (документ ИОМ)"},
            "remarks": {"type": "array", "items": _ref("Remark"),
                        "description": "Замечания, которые нужно учесть (только для state=ready)"},
            "prefill": _nullable({"type": "object", "description": "Данные для предзаполнения формы"}),
            "can_complete": {"type": "boolean", "description": "Может ли текущий пользователь выполнить задачу"},
            "signs": _nullable({**_ref("Signing"), "description": "Для задачи подписания — что подписывается; "
                                                                 "иначе null"}),
        }, description="Задача с формой, предзаполнением, карточкой, замечаниями и документом на подпись"),
        "RouteView": _obj({
            "id": INT,
            "title": STR,
            "status": {"type": "string", "enum": ROUTE_STATUSES},
            "stage": {"type": "string", "description": f"Этап: {stages}"},
            "stage_title": STR,
            "teacher": _ref("PersonRef"),
            "tutor": _ref("PersonRef"),
            "methodist": _ref("PersonRef"),
            "school": _ref("OrgUnitRef"),
            "centre": _ref("OrgUnitRef"),
            "card": {"type": "object", "description": "Карточка маршрута (документ ИОМ)"},
            "data": {"type": "object", "description": "Данные процесса (движка BPMN)"},
            "open_tasks": {"type": "array", "items": _ref("TaskRow")},
            "waiting_for": {"type": "array", "items": STR, "description": "ФИО тех, от кого ждут действий"},
            "previous_route_id": _nullable(INT),
            "next_route_id": _nullable({"type": "integer", "description": "Маршрут-продление, если есть"}),
            "created_at": DATE_TIME,
            "started_on": _nullable(DATE),
            "ended_on": _nullable(DATE),
            "version": _nullable(INT),
        }, description="Маршрут: этап, карточка, данные процесса, открытые задачи"),
        "Event": _obj({
            "seq": {"type": "integer", "minimum": 1, "description": "Номер события в маршруте, с 1"},
            "at": DATE_TIME,
            "kind": {"type": "string", "description": "Вид события: " + ", ".join(EVENT_KINDS) + ". "
                     "У document_prepared/document_issued в data — document_id, kind, version, template_sha256, "
                     "content_sha256, issued_sha256; у document_signed — document_id, kind, version, sha256, "
                     "action, role, ip, user_agent; у signature_rejected (неверный пароль) — document_id, reason, "
                     "ip, user_agent; у admin_reassigned — from, to (идентификаторы исполнителей), reason; "
                     "у admin_cancelled — reason, cancelled (идентификаторы снятых задач); "
                     "у admin_card_edited — pointer, old, new, reason. "
                     "События системной цепочки (не относятся к маршруту): " + ", ".join(SYSTEM_EVENT_KINDS)},
            "task_id": _nullable(STR),
            "task_name": _nullable(STR),
            "actor": _nullable(_ref("PersonRef")),
            "on_behalf_of": _nullable(_ref("PersonRef")),
            "data": ANY_OBJECT,
        }, description="Событие истории маршрута"),
        "EventList": _obj({"events": {"type": "array", "items": _ref("Event")}}),
        "CompletionResult": _obj({
            "task_id": STR,
            "route_id": INT,
            "stage": STR,
            "status": {"type": "string", "enum": ROUTE_STATUSES},
            "opened": {"type": "array", "items": STR, "description": "Идентификаторы открывшихся задач"},
            "next_route_id": _nullable({"type": "integer", "description": "Новый маршрут, если этот продлён"}),
        }, description="Результат выполнения задачи"),
        "Token": _obj({
            **TOKEN_INFO,
            "token": {"type": "string", "pattern": "^iom_", "description": "Токен; показывается один раз"},
        }, description="Персональный токен API"),
        "TokenInfo": _obj(TOKEN_INFO, description="Персональный токен API (без самого токена)"),
        "TokenList": _obj({"tokens": {"type": "array", "items": _ref("TokenInfo")}}),
        "CsrfToken": _obj({"csrf_token": {**STR, "description": "Передавайте в заголовке X-CSRFToken"}}),
        "LogoutResult": _obj({"ok": {"const": True}}),
        "LoginRequest": _obj({"login": STR, "password": STR}),
        "TokenRequest": _obj({"name": {"type": "string", "maxLength": 100, "default": "",
                                       "description": "Название токена; пустое — «token»"},
                              "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 90,
                                                  "description": "Срок действия в днях"}}, []),
        "RouteRequest": _obj({
            "teacher_id": {**ID, "description": "Педагог (с информационной справкой)"},
            "tutor_id": {**ID, "description": "Тьютор"},
            "methodist_id": {**ID, "description": "Региональный методист"},
            "title": {"type": "string", "maxLength": 300, "default": "",
                      "description": "Название; пустое — «ИОМ: <ФИО педагога>»"},
        }, ["teacher_id", "tutor_id", "methodist_id"]),
        "SignatureRequest": _obj({
            "password": {"type": "string", "description": "Пароль подписывающего (подтверждение подписи)"},
            "document_sha256": {**SHA256, "description": "content_sha256 документа, который был показан "
                                                         "(GET /api/tasks/{task_id} → signs.document)"},
        }, description="Подпись: пароль и SHA-256 просмотренной версии документа"),
        "CompleteRequest": _obj({
            "data": {"type": "object", "description": "Данные формы задачи; схема — GET /api/tasks/{task_id} → schema"},
            "signature": {**_ref("SignatureRequest"),
                          "description": "Обязательна на задаче подписания (signs не null) при утвердительном "
                                         "решении; при возврате на доработку не нужна"},
        }, ["data"]),
        "ReassignRequest": _obj({
            "assignee_id": {**ID, "description": "Новый исполнитель (активный пользователь)"},
            "reason": {"type": "string", "minLength": 1, "description": "Причина вмешательства (обязательна)"},
        }),
        "ReassignResult": _obj({"task_id": STR, "assignee_id": INT}, description="Задача переназначена"),
        "CancelRequest": _obj({
            "reason": {"type": "string", "minLength": 1, "description": "Причина отмены (обязательна)"},
        }),
        "CancelResult": _obj({"route_id": INT, "status": {"const": "cancelled"}}, description="Маршрут отменён"),
        "CardEditRequest": _obj({
            "pointer": {"type": "string", "pattern": "^/.", "description": "JSON Pointer на существующее поле "
                                                                           "карты, например /info/full_name"},
            "value": {"type": ["string", "number", "boolean"], "description": "Новое значение"},
            "reason": {"type": "string", "minLength": 1, "description": "Причина исправления (обязательна)"},
        }),
        "CardEditResult": _obj({
            "route_id": INT,
            "pointer": STR,
            "old": {"description": "Прежнее значение"},
            "new": {"type": ["string", "number", "boolean"], "description": "Новое значение"},
        }, description="Карта исправлена"),
        **_document_schemas(),
        **_audit_schemas(),
    }


def _document_schemas() -> dict[str, Schema]:
    """service/services/documents.py: `describe`, `verify`, `deploy_templates`."""
    kind = {"type": "string", "enum": list(KINDS),
            "description": "Вид документа: " + ", ".join(f"{k} — {v}" for k, v in KINDS.items())}
    link = {"type": "string", "description": "Ссылка на файл (GET)"}
    action = {"type": "string", "description": "Действие подписи из схемы процесса: sign — подписал, "
                                               "agree — согласовал, approve — утвердил, acknowledge — ознакомлен"}
    return {
        "Signature": _obj({
            "signer": _ref("PersonRef"),
            "role": {"type": "string", "enum": sorted(WORKFLOW_ROLES), "description": "Роль подписавшего"},
            "action": action,
            "signed_at": DATE_TIME,
            "sha256": {**SHA256, "description": "SHA-256 подписанного содержимого"},
            "valid": {"type": "boolean", "description": "Подпись относится к хранимым байтам документа"},
        }, description="Подпись версии документа"),
        "DocumentFiles": _obj({
            "content_docx": link,
            "content_pdf": {**link, "description": "Ссылка на PDF (501, если на сервере нет LibreOffice)"},
            "issued_docx": _nullable({**link, "description": "Выпущенный экземпляр с листом подписей; "
                                                             "null, пока не выпущен"}),
            "issued_pdf": _nullable({**link, "description": "То же в PDF; null, пока не выпущен"}),
        }, description="Ссылки на файлы версии документа"),
        "Document": _obj({
            "id": INT,
            "route_id": INT,
            "kind": kind,
            "title": {"type": "string", "description": "Название вида документа"},
            "version": {"type": "integer", "minimum": 1, "description": "Номер версии документа этого вида "
                                                                        "в маршруте, с 1"},
            "state": {"type": "string", "enum": ["awaiting_signatures", "superseded", "issued"],
                      "description": "awaiting_signatures — ждёт подписей; superseded — заменён новой версией; "
                                     "issued — выпущен"},
            "template_sha256": {**SHA256, "description": "SHA-256 шаблона, по которому составлен документ"},
            "content_sha256": {**SHA256, "description": "SHA-256 содержимого для подписания (content.docx)"},
            "content_intact": {"type": "boolean",
                               "description": "Хранимое содержимое совпадает с content_sha256"},
            "issued_sha256": _nullable({**SHA256, "description": "SHA-256 выпущенного экземпляра (issued.docx)"}),
            "created_at": DATE_TIME,
            "issued_at": _nullable(DATE_TIME),
            "signatures": {"type": "array", "items": _ref("Signature"), "description": "Подписи, от старых к новым"},
            "files": _ref("DocumentFiles"),
        }, description="Версия документа маршрута с подписями"),
        "DocumentList": _obj({"documents": {"type": "array", "items": _ref("Document"),
                                            "description": "Все версии всех документов маршрута, от старых"}}),
        "Signing": _obj({
            "kind": kind,
            "action": action,
            "document": _nullable({**_ref("Document"),
                                   "description": "Версия, ожидающая подписи (её content_sha256 передаётся в "
                                                  "signature.document_sha256); null, если задача не ждёт "
                                                  "выполнения или документа нет"}),
        }, description="Что подписывает утвердительное решение по задаче"),
        "RouteBrief": _obj({"id": INT, "title": STR}, description="Маршрут: идентификатор и название"),
        "VerifyResult": {
            "description": "Результат проверки файла: выпущен ли он этим сервисом и не изменён ли",
            "oneOf": [
                _obj({
                    "status": {"const": "unknown",
                               "description": "Файл не выпускался сервисом или изменён"},
                    "sha256": {**SHA256, "description": "SHA-256 присланного файла"},
                    "message": {"type": "string", "description": "Вывод по-русски"},
                }, description="Файл не найден"),
                _obj({
                    "status": {"type": "string", "enum": ["issued", "content"],
                               "description": "issued — выпущенный экземпляр с листом подписей; "
                                              "content — содержимое, показанное для подписания"},
                    "sha256": {**SHA256, "description": "SHA-256 присланного файла"},
                    "message": {"type": "string", "description": "Вывод по-русски: маршрут, документ, версия, подписи"},
                    "route": _ref("RouteBrief"),
                    "document": _ref("Document"),
                }, description="Файл найден"),
            ],
        },
        "TemplateDeployed": _obj({
            "kind": {"type": "string", "enum": list(TEMPLATE_FILES)},
            "name": {"type": "string", "description": "Имя файла шаблона"},
            "sha256": {**SHA256, "description": "SHA-256 шаблона"},
            "created": {"type": "boolean", "description": "false — шаблон с таким SHA-256 уже был загружен"},
        }, description="Загруженный шаблон документа"),
    }


def _audit_schemas() -> dict[str, Schema]:
    """service/services/audit.py (`Finding`, `Report`, `replay`, `as_of`) and
    service/services/audit_export.py (`history`)."""
    short_hash = "первые 12 шестнадцатеричных цифр хеша с «…»"
    replay_state = {
        "seq": {"type": "integer", "minimum": 1, "description": "Последнее учтённое событие"},
        "at": {**DATE_TIME, "description": "Время этого события"},
        "card": {"type": "object", "description": "Карта ИОМ, полученная повтором, на этот момент"},
        "finished": {"type": "boolean", "description": "Процесс по схеме дошёл до конца"},
        "cancelled": {"type": "boolean", "description": "Маршрут отменён администратором"},
        "open_tasks": {"type": "array", "items": _ref("ReplayTask"),
                       "description": "Задачи, открытые на этот момент (по имени задачи)"},
    }
    result = {
        "ok": {"type": "boolean", "description": "Цепочка цела и повтор совпал с историей (и с базой)"},
        "divergence": _nullable({**_ref("Finding"), "description": "Первое расхождение; null — расхождений нет"}),
        "chain": {**_ref("AuditReport"), "description": "Проверка цепочки событий (без документов)"},
    }
    return {
        "Finding": _obj({
            "where": {"type": "string", "description": "Где: «событие № 7», «документ 12 (karta, версия 2)», "
                                                      "«событие № 9: документ 12 (karta, версия 2)», «подпись 5», "
                                                      "«состояние маршрута»"},
            "expected": {"type": "string", "description": f"Что ожидалось (хеши — {short_hash})"},
            "found": {"type": "string", "description": "Что найдено"},
        }, description="Расхождение, найденное проверкой или повтором"),
        "AuditReport": _obj({
            "route_id": _nullable({"type": "integer", "description": "Маршрут; null — системная цепочка"}),
            "ok": {"type": "boolean", "description": "Расхождений нет"},
            "events": {"type": "integer", "minimum": 0, "description": "Сколько событий проверено"},
            "head": _nullable({**SHA256, "description": "Хеш последнего события цепочки; null, если цепочка "
                                                        "разорвана"}),
            "findings": {"type": "array", "items": _ref("Finding")},
        }, description="Проверка маршрута: цепочка хешей событий, хеши документов, записи подписей"),
        "ReplayTask": _obj({
            "name": {"type": "string", "description": "Имя задачи в схеме процесса (BPMN)"},
            "assignee_id": INT,
            "task_id": STR,
        }, description="Задача, открытая на момент повтора"),
        "ReplayState": _obj(replay_state, description="Состояние маршрута, полученное повтором событий"),
        "AsOfState": _obj({
            **replay_state,
            "documents": {"type": "array", "items": _ref("Document"),
                          "description": "Документы, существовавшие на этот момент, с подписями, поставленными "
                                         "до него; state — каким он был тогда"},
        }, description="Состояние маршрута на момент события: карта, открытые задачи, документы"),
        "ReplayResult": _obj({
            **result,
            "state": {**_ref("ReplayState"), "description": "Нет, если цепочка разорвана или повтор разошёлся"},
            "documents": {"type": "array", "items": _ref("Finding"),
                          "description": "Только с documents=1: расхождения при повторной отрисовке документов "
                                         "(по порядку событий); первое из них и расхождений повтора — divergence"},
        }, ["ok", "divergence", "chain"], "Повтор маршрута по его событиям на записанной версии схемы"),
        "AsOfResult": _obj({
            **result,
            "state": {**_ref("AsOfState"), "description": "Нет, если цепочка разорвана или повтор разошёлся"},
        }, ["ok", "divergence", "chain"], "Маршрут на момент события"),
        "HistoryEvent": _obj({
            "seq": {"type": "integer", "minimum": 1}, "at": DATE_TIME, "kind": STR,
            "task_id": _nullable(STR), "task_name": _nullable(STR),
            "actor": _nullable(_ref("PersonRef")), "on_behalf_of": _nullable(_ref("PersonRef")),
            "data": ANY_OBJECT,
            "prev_hash": {**SHA256, "description": "Хеш предыдущего события (у первого — 64 нуля)"},
            "hash": {**SHA256, "description": "SHA-256 от prev_hash и канонического JSON события"},
        }, description="Событие (см. Event) с его звеном цепочки хешей"),
        "RouteSummary": _obj({
            "id": INT, "title": STR,
            "teacher": _nullable({"type": "string", "description": "ФИО педагога"}),
            "stage": STR, "stage_title": STR,
            "status": {"type": "string", "enum": ROUTE_STATUSES},
        }, description="Маршрут кратко"),
        "History": _obj({
            "route": _ref("RouteSummary"),
            "events": {"type": "array", "items": _ref("HistoryEvent"), "description": "От старых к новым"},
            "documents": {"type": "array", "items": _ref("Document"), "description": "Все версии документов"},
            "chain_head": _nullable({**SHA256, "description": "Хеш последнего события; null, если цепочка "
                                                              "разорвана"}),
            "verification": _ref("AuditReport"),
        }, description="История маршрута для проверки вне сервиса"),
    }


# --- responses --------------------------------------------------------------------------------

_ERRORS = {
    "400": ("BadRequest", "Некорректный JSON или тело запроса — не JSON-объект"),
    "401": ("Unauthorized", "Требуется вход в систему (нет сессии или токена, либо токен отозван)"),
    "403": ("Forbidden", "Доступ запрещён: не тот участник или вне зоны доступа"),
    "404": ("NotFound", "Не найдено"),
    "409": ("Conflict", "Задача уже выполнена или снята, либо маршрут одновременно изменён другим запросом"),
    "413": ("PayloadTooLarge", "Слишком большой запрос (больше 2 МБ)"),
    "415": ("UnsupportedMediaType", "Ожидается JSON (Content-Type: application/json)"),
    "422": ("Unprocessable", "Данные не прошли проверку; problems указывает на поля"),
    "429": ("TooManyRequests", "Слишком много неудачных попыток ввода пароля: повторите позже"),
    "501": ("NotImplemented", "PDF недоступен: на сервере не установлен LibreOffice"),
    "500": ("InternalError", "Внутренняя ошибка, например не выполнен автоматический шаг процесса"),
}


def _json(schema: Schema, description: str, headers: dict | None = None) -> dict:
    out: dict[str, Any] = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


def _responses(ok: tuple[str, dict], *errors: str | tuple[str, dict], **overrides: str) -> dict:
    """The success response and the shared error responses; `overrides` (e.g. e409=...) replace
    an error's description for this operation; a (code, response) pair adds another response."""
    out = {ok[0]: ok[1]}
    for code in errors:
        if isinstance(code, tuple):
            out[code[0]] = code[1]
            continue
        text = overrides.get(f"e{code}")
        out[code] = _json(_ref("Error"), text) if text else {"$ref": f"#/components/responses/{_ERRORS[code][0]}"}
    return out


def _body(name: str, description: str | None = None) -> dict:
    out: dict[str, Any] = {"required": True, "content": {JSON: {"schema": _ref(name)}}}
    if description:
        out["description"] = description
    return out


def _file_body(description: str) -> dict:
    """A file: a multipart form field `file`, or the raw request body."""
    return {"required": True, "description": description, "content": {
        MULTIPART: {"schema": {"type": "object", "properties": {
            "file": {"contentMediaType": OCTET, "description": "Файл"}}, "required": ["file"]}},
        OCTET: {"schema": {"contentMediaType": OCTET, "description": "Файл целиком — тело запроса"}},
    }}


def _path_param(name: str, schema: Schema, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


# --- document ---------------------------------------------------------------------------------


@cache
def build_spec() -> dict[str, Any]:
    """The whole OpenAPI document (built once; do not mutate the result)."""
    forms = _forms()
    form_names = [name for name, _ in forms]
    form_list = "\n".join(f"- `{name}` — {title}" for name, title in forms)
    route_id = _path_param("route_id", ID, "Идентификатор маршрута")
    task_id = _path_param("task_id", STR, "Идентификатор задачи")
    token_id = _path_param("token_id", ID, "Идентификатор токена")
    document_id = _path_param("document_id", ID, "Идентификатор версии документа")
    which = _path_param("which", {"type": "string", "enum": ["content", "issued"]},
                        "content — содержимое для подписания; issued — выпущенный экземпляр с листом подписей")
    fmt = _path_param("fmt", {"type": "string", "enum": ["docx", "pdf"]}, "Формат файла")
    template_kind = _path_param("kind", {"type": "string", "enum": list(TEMPLATE_FILES)}, "Вид документа")
    seq = _path_param("seq", {"type": "integer", "minimum": 0},
                      "Номер события; 0 и 1 — сразу после открытия маршрута, больше последнего — последнее")
    export_fmt = _path_param("fmt", {"type": "string", "enum": ["json", "csv"]}, "Формат выгрузки")
    auditor_only = {"e403": "Доступно аудитору и администратору", "e404": "Маршрут не найден"}
    no_auth: list = []

    paths = {
        "/api/login": {"post": {
            "tags": ["auth"], "operationId": "login", "summary": "Вход по логину и паролю",
            "description": "Открывает сессию: ответ ставит cookie `session`, которую нужно передавать "
                           "в следующих запросах.",
            "security": no_auth,
            "requestBody": _body("LoginRequest"),
            "responses": _responses(
                ("200", _json(_ref("Me"), "Вход выполнен; вошедший пользователь",
                              {"Set-Cookie": {"description": "Cookie сессии `session`", "schema": STR}})),
                "400", "401", "413", "415", "422", "429",
                e401="Неверный логин или пароль, либо пользователь отключён",
                e422="Не указан логин или пароль (строки)"),
        }},
        "/api/logout": {"post": {
            "tags": ["auth"], "operationId": "logout", "summary": "Выход (завершение сессии)",
            "description": "Завершает сессию; без входа тоже отвечает 200.",
            "security": no_auth,
            "responses": _responses(("200", _json(_ref("LogoutResult"), "Сессия завершена"))),
        }},
        "/api/me": {"get": {
            "tags": ["auth"], "operationId": "me", "summary": "Текущий пользователь и его роли",
            "responses": _responses(("200", _json(_ref("Me"), "Вошедший пользователь")), "401"),
        }},
        "/api/csrf": {"get": {
            "tags": ["auth"], "operationId": "csrfToken", "summary": "CSRF-токен для запросов с cookie сессии",
            "description": "POST в /api с cookie сессии должен быть JSON или нести этот токен в заголовке "
                           "`X-CSRFToken` (например, загрузка файла multipart/form-data).",
            "responses": _responses(("200", _json(_ref("CsrfToken"), "Токен для этой сессии")), "401"),
        }},
        "/api/tokens": {"get": {
            "tags": ["auth"], "operationId": "listTokens", "summary": "Мои персональные токены API",
            "description": "Названия, даты выпуска, срока и последнего использования; сами токены не хранятся.",
            "responses": _responses(("200", _json(_ref("TokenList"), "Список токенов")), "401"),
        }, "post": {
            "tags": ["auth"], "operationId": "createToken", "summary": "Выпуск персонального токена API",
            "description": "Только из сессии входа (по токену токен не выпустить). Токен показывается один раз; "
                           "передавайте его в заголовке `Authorization: Bearer <token>`. Срок действия — "
                           "`expires_in_days` (по умолчанию 90 дней).",
            "requestBody": _body("TokenRequest"),
            "responses": _responses(("201", _json(_ref("Token"), "Токен выпущен")), "400", "401", "403", "413", "415",
                                    "422", e403="Токен выпускается только из сессии входа, не по токену",
                                    e422="Название — не строка или длиннее 100 символов; срок — не от 1 до 365 дней"),
        }},
        "/api/tokens/{token_id}": {"delete": {
            "tags": ["auth"], "operationId": "revokeToken", "summary": "Отзыв своего токена",
            "parameters": [token_id],
            "responses": _responses(("204", {"description": "Токен отозван"}), "401", "404",
                                    e404="Токен не найден (или принадлежит другому пользователю)"),
        }},
        "/api/tasks": {"get": {
            "tags": ["tasks"], "operationId": "listMyTasks", "summary": "Мои задачи, ожидающие выполнения",
            "description": "Задачи, назначенные мне и ожидающие выполнения, начиная со старых.",
            "responses": _responses(("200", _json(_ref("TaskList"), "Список задач")), "401"),
        }},
        "/api/tasks/{task_id}": {"get": {
            "tags": ["tasks"], "operationId": "getTask",
            "summary": "Задача: форма, предзаполнение, карточка, замечания, документ на подпись",
            "description": "Доступна исполнителю, администратору и тем, кто видит маршрут задачи. "
                           "Поле `schema` — JSON Schema формы, которой должны соответствовать данные при выполнении. "
                           "Поле `signs` у задачи подписания называет вид документа и действие, а `signs.document` — "
                           "версию, ожидающую подписи (ссылки на файлы и `content_sha256`).",
            "parameters": [task_id],
            "responses": _responses(("200", _json(_ref("TaskView"), "Задача")), "401", "403", "404",
                                    e403="Задача назначена другому участнику, а маршрут вне вашей зоны доступа",
                                    e404="Задача не найдена"),
        }},
        "/api/tasks/{task_id}/reassign": {"post": {
            "tags": ["admin"], "operationId": "reassignTask", "summary": "Переназначение задачи (администратор)",
            "description": "Передаёт ожидающую задачу другому активному пользователю. Причина обязательна; "
                           "вмешательство записывается в историю маршрута событием `admin_reassigned`.",
            "parameters": [task_id],
            "requestBody": _body("ReassignRequest"),
            "responses": _responses(
                ("200", _json(_ref("ReassignResult"), "Задача переназначена")),
                "400", "401", "403", "404", "409", "413", "415", "422",
                e403="Переназначать задачи может только администратор", e404="Задача не найдена",
                e409="Задача уже не ожидает выполнения",
                e422="Не указана причина, или пользователь не найден / отключён"),
        }},
        "/api/tasks/{task_id}/complete": {"post": {
            "tags": ["tasks"], "operationId": "completeTask", "summary": "Выполнение задачи: отправка формы",
            "description": "Тело — `{\"data\": {...}}`, где `data` — данные формы задачи. Схема формы "
                           "приходит в ответе GET /api/tasks/{task_id} в поле `schema` (файлы forms/<form>.json). "
                           "Формы:\n" + form_list + "\n\nВыполнить задачу может её исполнитель; администратор — "
                           "от имени исполнителя. Из двух одновременных запросов выигрывает один, второй "
                           "получает 409.\n\n"
                           "**Подпись.** У задачи подписания (`signs` в GET /api/tasks/{task_id} не null) "
                           "утвердительное решение (`decision: sign` или `accept`, `acknowledged: true`) — это подпись "
                           "документа `signs.document`, и тело должно содержать `signature`: `{\"password\": <пароль "
                           "подписывающего>, \"document_sha256\": <signs.document.content_sha256>}`. Возврат на "
                           "доработку (`decision: return`) подписи не требует. Без `signature` — 422; неверный "
                           "пароль — 403 (попытка записывается в историю маршрута событием `signature_rejected`); "
                           "документ изменился после того, как его показали (хеш не совпадает), — 409; подписать "
                           "за другого (в том числе администратору от имени исполнителя) нельзя — 403; повторная "
                           "подпись той же версии — 403.",
            "parameters": [task_id],
            "requestBody": _body("CompleteRequest"),
            "responses": _responses(
                ("200", _json(_ref("CompletionResult"), "Задача выполнена; маршрут продвинулся")),
                "400", "401", "403", "404", "409", "413", "415", "422", "429", "500",
                e403="Задача назначена другому участнику; или подпись не принята: неверный пароль (попытка "
                     "записана), подпись за другого участника, повторная подпись той же версии",
                e429="Слишком много неверных паролей подписи или входа с этого адреса: повторите позже",
                e404="Задача не найдена",
                e409="Задача уже выполнена или снята (маршрут ушёл дальше), маршрут одновременно изменён, "
                     "или подписываемый документ изменился после того, как его показали",
                e422="Нет поля data, данные не соответствуют форме задачи, или на задаче подписания нет "
                     "signature (problems — ошибки по полям)",
                e500="Не выполнен автоматический шаг процесса"),
        }},
        "/api/routes": {"post": {
            "tags": ["routes"], "operationId": "createRoute", "summary": "Открытие маршрута педагога",
            "description": "Открывает маршрут для педагога с тьютором и методистом; первая задача — проект "
                           "ИОМ у тьютора. Доступно руководителю ЦНППМ и администратору.",
            "requestBody": _body("RouteRequest"),
            "responses": _responses(
                ("201", _json(_ref("RouteView"), "Маршрут открыт")),
                "400", "401", "403", "409", "413", "415", "422", "500",
                e403="Создавать маршруты может руководитель ЦНППМ (своего центра) или администратор",
                e409="Одновременное изменение другим запросом",
                e422="Неверные поля, или участник не найден / не имеет нужной роли, или у организации "
                     "педагога не назначен руководитель"),
        }},
        "/api/routes/{route_id}": {"get": {
            "tags": ["routes"], "operationId": "getRoute", "summary": "Маршрут: этап, карточка, открытые задачи",
            "parameters": [route_id],
            "responses": _responses(("200", _json(_ref("RouteView"), "Маршрут")), "401", "403", "404",
                                    e403="Маршрут вне вашей зоны доступа", e404="Маршрут не найден"),
        }},
        "/api/routes/{route_id}/events": {"get": {
            "tags": ["routes"], "operationId": "getRouteEvents", "summary": "История маршрута (от старых к новым)",
            "parameters": [route_id],
            "responses": _responses(("200", _json(_ref("EventList"), "События маршрута")), "401", "403", "404",
                                    e403="Маршрут вне вашей зоны доступа", e404="Маршрут не найден"),
        }},
        "/api/routes/{route_id}/cancel": {"post": {
            "tags": ["admin"], "operationId": "cancelRoute", "summary": "Отмена маршрута (администратор)",
            "description": "Останавливает маршрут в работе: ожидающие задачи снимаются, история остаётся. "
                           "Причина обязательна; вмешательство записывается событием `admin_cancelled`.",
            "parameters": [route_id],
            "requestBody": _body("CancelRequest"),
            "responses": _responses(
                ("200", _json(_ref("CancelResult"), "Маршрут отменён")),
                "400", "401", "403", "404", "409", "413", "415", "422",
                e403="Отменять маршруты может только администратор", e404="Маршрут не найден",
                e409="Маршрут уже не в работе (завершён, продлён или отменён)", e422="Не указана причина"),
        }},
        "/api/routes/{route_id}/card": {"post": {
            "tags": ["admin"], "operationId": "editRouteCard",
            "summary": "Исправление значения в карте (администратор)",
            "description": "Заменяет одно существующее значение карты маршрута (например, опечатку в ФИО). "
                           "Причина обязательна; исправление записывается событием `admin_card_edited`, и повтор "
                           "маршрута его применяет.",
            "parameters": [route_id],
            "requestBody": _body("CardEditRequest"),
            "responses": _responses(
                ("200", _json(_ref("CardEditResult"), "Карта исправлена")),
                "400", "401", "403", "404", "409", "413", "415", "422",
                e403="Исправлять карту может только администратор", e404="Маршрут не найден",
                e409="Маршрут одновременно изменён другим запросом",
                e422="Не указана причина, в карте нет такого поля, или значение — не строка, число или да/нет"),
        }},
        "/api/routes/{route_id}/verify": {"get": {
            "tags": ["audit"], "operationId": "verifyRoute",
            "summary": "Проверка маршрута: цепочка событий, документы, подписи",
            "description": "Проверяет нумерацию и цепочку хешей событий (и голову цепочки маршрута), хеши "
                           "документов и их содержимого против событий, записи подписей против событий "
                           "`document_signed`. Доступно аудитору и администратору.",
            "parameters": [route_id],
            "responses": _responses(("200", _json(_ref("AuditReport"), "Результат проверки")),
                                    "401", "403", "404", **auditor_only),
        }},
        "/api/routes/{route_id}/replay": {"get": {
            "tags": ["audit"], "operationId": "replayRoute",
            "summary": "Повтор маршрута по событиям на его версии схемы",
            "description": "Заново выполняет маршрут по его событиям на записанной версии BPMN и сообщает первое "
                           "расхождение с историей или с состоянием в базе. С `documents=1` также заново "
                           "отрисовывает каждую версию документа и сравнивает SHA-256. Доступно аудитору и "
                           "администратору.",
            "parameters": [route_id, {"name": "documents", "in": "query", "required": False,
                                      "schema": {"type": "string", "enum": ["1"]},
                                      "description": "1 — также проверить повторной отрисовкой документы"}],
            "responses": _responses(("200", _json(_ref("ReplayResult"), "Результат повтора")),
                                    "401", "403", "404", **auditor_only),
        }},
        "/api/routes/{route_id}/as-of/{seq}": {"get": {
            "tags": ["audit"], "operationId": "routeAsOf", "summary": "Маршрут на момент события",
            "description": "Повтор до события `seq` включительно: карта, открытые задачи (положение на схеме) и "
                           "документы с подписями, какими они были тогда. Доступно аудитору и администратору.",
            "parameters": [route_id, seq],
            "responses": _responses(("200", _json(_ref("AsOfResult"), "Маршрут на момент события")),
                                    "401", "403", "404", **auditor_only),
        }},
        "/api/routes/{route_id}/export.{fmt}": {"get": {
            "tags": ["audit"], "operationId": "exportRouteHistory", "summary": "Выгрузка истории маршрута",
            "description": "`json` — события с хешами цепочки, все версии документов и результат проверки; "
                           "`csv` — события (seq, at, kind, actor, on_behalf_of, task, data, prev_hash, hash), "
                           "UTF-8 с BOM. Доступно аудитору и администратору.",
            "parameters": [route_id, export_fmt],
            "responses": _responses(
                ("200", {"description": "История маршрута",
                         "headers": {"Content-Disposition": {"description": "У csv: attachment; filename=\"…\"",
                                                             "schema": STR}},
                         "content": {JSON: {"schema": _ref("History")},
                                     TEXT_CSV: {"schema": {"type": "string"}}}}),
                "401", "403", "404", **{**auditor_only, "e404": "Маршрут не найден или нет такого формата"}),
        }},
        "/api/routes/{route_id}/certificate.{fmt}": {"get": {
            "tags": ["audit"], "operationId": "auditCertificate", "summary": "Справка аудита маршрута",
            "description": "Кто что сделал и когда, хеши событий и документов, результат проверки и голова "
                           "цепочки — .docx или .pdf (PDF делается LibreOffice'ом на сервере). Доступно аудитору "
                           "и администратору.",
            "parameters": [route_id, fmt],
            "responses": _responses(
                ("200", {"description": "Файл (Content-Disposition: attachment)",
                         "headers": {"Content-Disposition": {"description": "attachment; filename=\"…\"",
                                                             "schema": STR}},
                         "content": {DOCX: {"schema": {"contentMediaType": DOCX}},
                                     PDF: {"schema": {"contentMediaType": PDF}}}}),
                "401", "403", "404", "500", "501",
                **{**auditor_only, "e404": "Маршрут не найден или нет такого формата"},
                e501="PDF недоступен: на сервере не установлен LibreOffice",
                e500="Не удалось сделать PDF (ошибка LibreOffice)"),
        }},
        "/api/routes/{route_id}/documents": {"get": {
            "tags": ["documents"], "operationId": "getRouteDocuments",
            "summary": "Документы маршрута: все версии с подписями",
            "description": "Все версии всех документов маршрута (от старых к новым) с подписями, их "
                           "действительностью и ссылками на файлы.",
            "parameters": [route_id],
            "responses": _responses(("200", _json(_ref("DocumentList"), "Документы маршрута")), "401", "403", "404",
                                    e403="Маршрут вне вашей зоны доступа", e404="Маршрут не найден"),
        }},
        "/api/documents/{document_id}/{which}.{fmt}": {"get": {
            "tags": ["documents"], "operationId": "downloadDocument", "summary": "Файл версии документа",
            "description": "`content` — содержимое, которое подписывают; `issued` — выпущенный экземпляр с "
                           "листом подписей (есть только у выпущенной версии). PDF делается из .docx "
                           "LibreOffice'ом на сервере. Доступно тем, кто видит маршрут.",
            "parameters": [document_id, which, fmt],
            "responses": _responses(
                ("200", {"description": "Файл (Content-Disposition: attachment)",
                         "headers": {"Content-Disposition": {"description": "attachment; filename=\"…\"",
                                                             "schema": STR}},
                         "content": {DOCX: {"schema": {"contentMediaType": DOCX}},
                                     PDF: {"schema": {"contentMediaType": PDF}}}}),
                "401", "403", "404", "501",
                e403="Маршрут документа вне вашей зоны доступа",
                e404="Документ не найден, ещё не выпущен (issued), или нет такого файла (which/fmt)",
                e501="PDF недоступен: на сервере не установлен LibreOffice"),
        }},
        "/api/verify": {"post": {
            "tags": ["documents"], "operationId": "verifyDocument",
            "summary": "Проверка файла: выпущен ли он сервисом и не изменён ли",
            "description": "Файл — поле `file` формы multipart/form-data или всё тело запроса. Сравнивается "
                           "SHA-256 файла с выпущенными экземплярами и с содержимым, показанным для подписания.",
            "requestBody": _file_body("Проверяемый файл (.docx)"),
            "responses": _responses(("200", _json(_ref("VerifyResult"), "Результат проверки")), "400", "401", "413",
                                    e400="Файл не приложен (пустое тело и нет поля file)"),
        }},
        "/api/templates/{kind}": {"post": {
            "tags": ["documents"], "operationId": "uploadTemplate", "summary": "Загрузка шаблона документа",
            "description": "Новая версия шаблона .docx для документов вида `kind` (администратор). Шаблон "
                           "проверяется: .docx, и использует только данные, которые сервис передаёт (см. "
                           "service/documents/contract.py). Новые документы составляются по последнему "
                           "загруженному шаблону. Файл — поле `file` формы multipart/form-data или всё тело запроса.",
            "parameters": [template_kind],
            "requestBody": _file_body("Шаблон .docx"),
            "responses": _responses(
                ("201", _json(_ref("TemplateDeployed"), "Новая версия шаблона принята")),
                ("200", _json(_ref("TemplateDeployed"), "Такой шаблон уже был (created=false); он снова текущий")),
                "400", "401", "403", "404", "413", "422",
                e400="Файл не приложен (пустое тело и нет поля file)",
                e403="Загружать шаблоны может только администратор",
                e404="Нет такого вида документа",
                e422="Шаблон отклонён: не .docx, повреждён, или использует данные, которых сервис не передаёт"),
        }},
        "/api/openapi.json": {"get": {
            "tags": ["meta"], "operationId": "openapi", "summary": "Описание API (OpenAPI 3.1)",
            "security": no_auth,
            "responses": {"200": _json({"type": "object"}, "Этот документ")},
        }},
    }

    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "ИОМ — маршруты педагогов",
            "version": _version(),
            "description": "JSON API индивидуальных образовательных маршрутов (ИОМ) педагогов: задачи участников, "
                           "маршруты и их история, документы (версии, подписи, файлы, проверка), аудит. Все ошибки — "
                           "JSON-объект `Error` с сообщением по-русски.",
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "auth", "description": "Вход, выход, токены"},
            {"name": "tasks", "description": "Задачи участников"},
            {"name": "routes", "description": "Маршруты"},
            {"name": "documents", "description": "Документы маршрутов: версии, подписи, файлы, проверка, шаблоны"},
            {"name": "audit", "description": "Аудит: проверка цепочки событий, повтор, история на момент "
                                             "события, выгрузка, справка"},
            {"name": "admin", "description": "Вмешательства администратора (с причиной, в истории маршрута)"},
            {"name": "meta", "description": "Описание API"},
        ],
        "security": [{"cookieAuth": []}, {"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                               "description": "Cookie сессии, которую ставит POST /api/login"},
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "iom_…",
                               "description": "Персональный токен из POST /api/tokens"},
            },
            "schemas": _schemas(form_names),
            "responses": {name: _json(_ref("Error"), text) for name, text in _ERRORS.values()},
        },
    }
