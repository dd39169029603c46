"""GET /api/openapi.json: the OpenAPI 3.1 description of the JSON API.

Every request and response shape is a pydantic model in service/contracts (the one declaration:
requests are validated by it, responses serialized through it); this module only lists the
operations — method, path, summary, description, request model, response model per status, the
error statuses with their Russian descriptions — and takes the schemas from pydantic's own JSON
Schema output (`models_json_schema`). A plain table rather than flask-smorest, APIFlask, spectree or
flask-openapi3: those would mean rewriting the blueprints around their decorators, while here the
blueprints stay plain Flask views (parse → one call → reply).
tests/e2e/test_openapi.py checks the document against the app's URL map and live responses.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata
from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema

from service.config import forms_dir
from service.contracts.errors import Error
from service.contracts.requests import (
    CancelRequest,
    CardEditRequest,
    CompleteRequest,
    LoginRequest,
    ReassignRequest,
    RouteRequest,
    TokenRequest,
)
from service.contracts.responses import (
    AsOfResult,
    AuditReport,
    CancelResult,
    CardEditResult,
    CompletionResult,
    CsrfToken,
    DocumentList,
    EventList,
    History,
    LogoutResult,
    Me,
    ReassignResult,
    ReplayResult,
    RouteList,
    RouteView,
    TaskList,
    TaskView,
    TemplateDeployed,
    Token,
    TokenList,
    VerifyResult,
)
from service.documents.contract import TEMPLATE_FILES
from service.forms import FormCatalog

bp = Blueprint("openapi", __name__, url_prefix="/api")

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
OCTET = "application/octet-stream"
MULTIPART = "multipart/form-data"
TEXT_CSV = "text/csv"
REF = "#/components/schemas/{model}"

Schema = dict[str, Any]
STR: Schema = {"type": "string"}
ID: Schema = {"type": "integer", "minimum": 1}


@bp.get("/openapi.json")
def spec():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(build_spec())


def _version() -> str:
    try:
        return metadata.version("iom-service")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def _forms() -> list[tuple[str, str]]:
    """(name, title) of every task form the service knows (forms/*.json)."""
    catalog = FormCatalog(forms_dir())
    return [(name, catalog.schema(name).get("title", "")) for name in catalog.names()]


# --- schemas from the models ------------------------------------------------------------------


class _Untitled(GenerateJsonSchema):
    """pydantic's JSON Schema without the generated English titles ("Teacher Id")."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


class _Models:
    """The models the operations name, each with its mode: a request body is what validation
    accepts, a response what serialization gives (with its computed fields)."""

    def __init__(self) -> None:
        self.modes: dict[type[BaseModel], JsonSchemaMode] = {Error: "serialization"}

    def request(self, model: type[BaseModel]) -> Schema:
        return self._ref(model, "validation")

    def response(self, model: type[BaseModel]) -> Schema:
        return self._ref(model, "serialization")

    def _ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> Schema:
        assert self.modes.setdefault(model, mode) == mode, f"{model.__name__} is both a request and a response"
        return _ref(model.__name__)

    def schemas(self) -> dict[str, Schema]:
        _, top = models_json_schema(list(self.modes.items()), ref_template=REF, schema_generator=_Untitled)
        found = top["$defs"]
        missing = {m.__name__ for m in self.modes} - set(found)
        assert not missing, f"pydantic named these models otherwise: {missing}"
        return {name: {k: v for k, v in schema.items() if k != "title"} for name, schema in sorted(found.items())}


def _ref(name: str) -> Schema:
    return {"$ref": REF.format(model=name)}


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
    "503": ("Busy", "Все преобразования в PDF заняты: повторите позже"),
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


def _body(schema: Schema, description: str | None = None) -> dict:
    out: dict[str, Any] = {"required": True, "content": {JSON: {"schema": schema}}}
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
    models = _Models()
    out, inp = models.response, models.request
    forms = _forms()
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
            "requestBody": _body(inp(LoginRequest)),
            "responses": _responses(
                ("200", _json(out(Me), "Вход выполнен; вошедший пользователь",
                              {"Set-Cookie": {"description": "Cookie сессии `session`", "schema": STR}})),
                "400", "401", "413", "415", "422", "429",
                e401="Неверный логин или пароль, либо пользователь отключён",
                e422="Не указан логин или пароль (строки)"),
        }},
        "/api/logout": {"post": {
            "tags": ["auth"], "operationId": "logout", "summary": "Выход (завершение сессии)",
            "description": "Завершает сессию; без входа тоже отвечает 200.",
            "security": no_auth,
            "responses": _responses(("200", _json(out(LogoutResult), "Сессия завершена"))),
        }},
        "/api/me": {"get": {
            "tags": ["auth"], "operationId": "me", "summary": "Текущий пользователь и его роли",
            "responses": _responses(("200", _json(out(Me), "Вошедший пользователь")), "401"),
        }},
        "/api/csrf": {"get": {
            "tags": ["auth"], "operationId": "csrfToken", "summary": "CSRF-токен для запросов с cookie сессии",
            "description": "POST в /api с cookie сессии должен быть JSON или нести этот токен в заголовке "
                           "`X-CSRFToken` (например, загрузка файла multipart/form-data).",
            "responses": _responses(("200", _json(out(CsrfToken), "Токен для этой сессии")), "401"),
        }},
        "/api/tokens": {"get": {
            "tags": ["auth"], "operationId": "listTokens", "summary": "Мои персональные токены API",
            "description": "Названия, даты выпуска, срока и последнего использования; сами токены не хранятся.",
            "responses": _responses(("200", _json(out(TokenList), "Список токенов")), "401"),
        }, "post": {
            "tags": ["auth"], "operationId": "createToken", "summary": "Выпуск персонального токена API",
            "description": "Только из сессии входа (по токену токен не выпустить). Токен показывается один раз; "
                           "передавайте его в заголовке `Authorization: Bearer <token>`. Срок действия — "
                           "`expires_in_days` (по умолчанию 90 дней).",
            "requestBody": _body(inp(TokenRequest)),
            "responses": _responses(("201", _json(out(Token), "Токен выпущен")), "400", "401", "403", "413", "415",
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
            "description": "Задачи, назначенные мне и ожидающие выполнения, начиная со старых (`sort=due` — по "
                           "сроку), страницами: `has_more` — есть следующая; задачи по поручению — на первой.",
            "parameters": [
                {"name": "page", "in": "query", "required": False, "description": "Номер страницы, с 1",
                 "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {"name": "limit", "in": "query", "required": False, "description": "Задач на странице",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                {"name": "sort", "in": "query", "required": False, "description": "oldest — дольше всех ждут, "
                 "due — по сроку", "schema": {"type": "string", "enum": ["oldest", "due"], "default": "oldest"}}],
            "responses": _responses(("200", _json(out(TaskList), "Список задач")), "401", "422",
                                    e422="page или limit — не целое число в допустимых пределах"),
        }},
        "/api/tasks/{task_id}": {"get": {
            "tags": ["tasks"], "operationId": "getTask",
            "summary": "Задача: форма, предзаполнение, карточка, замечания, документ на подпись",
            "description": "Доступна исполнителю, администратору и тем, кто видит маршрут задачи. "
                           "Поле `schema` — JSON Schema формы, которой должны соответствовать данные при выполнении. "
                           "Поле `signs` у задачи подписания называет вид документа и действие, а `signs.document` — "
                           "версию, ожидающую подписи (ссылки на файлы и `content_sha256`).",
            "parameters": [task_id],
            "responses": _responses(("200", _json(out(TaskView), "Задача")), "401", "403", "404",
                                    e403="Задача назначена другому участнику, а маршрут вне вашей зоны доступа",
                                    e404="Задача не найдена"),
        }},
        "/api/tasks/{task_id}/reassign": {"post": {
            "tags": ["admin"], "operationId": "reassignTask", "summary": "Переназначение задачи (администратор)",
            "description": "Передаёт ожидающую задачу другому активному пользователю. Причина обязательна; "
                           "вмешательство записывается в историю маршрута событием `admin_reassigned`.",
            "parameters": [task_id],
            "requestBody": _body(inp(ReassignRequest)),
            "responses": _responses(
                ("200", _json(out(ReassignResult), "Задача переназначена")),
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
                           "подпись той же версии — 403; до первой подписи (и после замены Положения) нужно принять "
                           "Положение о простой электронной подписи (GET /api/pep, POST /api/pep/accept), иначе — 403.",
            "parameters": [task_id],
            "requestBody": _body(inp(CompleteRequest)),
            "responses": _responses(
                ("200", _json(out(CompletionResult), "Задача выполнена; маршрут продвинулся")),
                "400", "401", "403", "404", "409", "413", "415", "422", "429", "500",
                e403="Задача назначена другому участнику; или подпись не принята: неверный пароль (попытка "
                     "записана), подпись за другого участника, повторная подпись той же версии, или не принято "
                     "действующее Положение о простой электронной подписи (GET /api/pep, POST /api/pep/accept)",
                e429="Слишком много неверных паролей подписи или входа с этого адреса: повторите позже",
                e404="Задача не найдена",
                e409="Задача уже выполнена или снята (маршрут ушёл дальше), маршрут одновременно изменён, "
                     "или подписываемый документ изменился после того, как его показали",
                e422="Нет поля data, данные не соответствуют форме задачи, или на задаче подписания нет "
                     "signature (problems — ошибки по полям)",
                e500="Не выполнен автоматический шаг процесса"),
        }},
        "/api/routes": {"get": {
            "tags": ["routes"], "operationId": "listRoutes", "summary": "Маршруты, которые я вижу",
            "description": "Последние изменённые первыми, по 20 на странице; всех совпадений не считает "
                           "(`has_more` — есть следующая страница). `q` — часть названия или ФИО педагога "
                           "(от 3 символов; короче — не ищет), без учёта регистра.",
            "parameters": [
                {"name": "q", "in": "query", "required": False, "schema": {"type": "string"},
                 "description": "Часть названия маршрута или ФИО педагога"},
                {"name": "status", "in": "query", "required": False, "schema": {"type": "string"},
                 "description": "active, completed, prolonged"},
                {"name": "stage", "in": "query", "required": False, "schema": {"type": "string"},
                 "description": "Этап маршрута"},
                {"name": "school", "in": "query", "required": False, "description": "Идентификатор ОО",
                 "schema": {"type": "integer", "minimum": 1}},
                {"name": "page", "in": "query", "required": False, "description": "Номер страницы, с 1",
                 "schema": {"type": "integer", "minimum": 1, "default": 1}}],
            "responses": _responses(("200", _json(out(RouteList), "Страница маршрутов")), "401", "422",
                                    e422="school или page — не целое число от 1, или управляющий символ"),
        }, "post": {
            "tags": ["routes"], "operationId": "createRoute", "summary": "Открытие маршрута педагога",
            "description": "Открывает маршрут для педагога с тьютором и методистом; первая задача — проект "
                           "ИОМ у тьютора. Доступно руководителю ЦНППМ и администратору.",
            "requestBody": _body(inp(RouteRequest)),
            "responses": _responses(
                ("201", _json(out(RouteView), "Маршрут открыт")),
                "400", "401", "403", "409", "413", "415", "422", "500",
                e403="Создавать маршруты может руководитель ЦНППМ (своего центра) или администратор",
                e409="Одновременное изменение другим запросом",
                e422="Неверные поля, или участник не найден / не имеет нужной роли, или у организации "
                     "педагога не назначен руководитель"),
        }},
        "/api/routes/{route_id}": {"get": {
            "tags": ["routes"], "operationId": "getRoute", "summary": "Маршрут: этап, карточка, открытые задачи",
            "parameters": [route_id],
            "responses": _responses(("200", _json(out(RouteView), "Маршрут")), "401", "403", "404",
                                    e403="Маршрут вне вашей зоны доступа", e404="Маршрут не найден"),
        }},
        "/api/routes/{route_id}/events": {"get": {
            "tags": ["routes"], "operationId": "getRouteEvents", "summary": "История маршрута (от старых к новым)",
            "parameters": [route_id],
            "responses": _responses(("200", _json(out(EventList), "События маршрута")), "401", "403", "404",
                                    e403="Маршрут вне вашей зоны доступа", e404="Маршрут не найден"),
        }},
        "/api/routes/{route_id}/cancel": {"post": {
            "tags": ["admin"], "operationId": "cancelRoute", "summary": "Отмена маршрута (администратор)",
            "description": "Останавливает маршрут в работе: ожидающие задачи снимаются, история остаётся. "
                           "Причина обязательна; вмешательство записывается событием `admin_cancelled`.",
            "parameters": [route_id],
            "requestBody": _body(inp(CancelRequest)),
            "responses": _responses(
                ("200", _json(out(CancelResult), "Маршрут отменён")),
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
            "requestBody": _body(inp(CardEditRequest)),
            "responses": _responses(
                ("200", _json(out(CardEditResult), "Карта исправлена")),
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
            "responses": _responses(("200", _json(out(AuditReport), "Результат проверки")),
                                    "401", "403", "404", **auditor_only),
        }},
        "/api/routes/{route_id}/replay": {"get": {
            "tags": ["audit"], "operationId": "replayRoute",
            "summary": "Повтор маршрута по событиям на его версии схемы",
            "description": "Заново выполняет маршрут по его событиям на записанной версии BPMN и сообщает первое "
                           "расхождение с историей или с состоянием в базе. С `documents=1` также заново "
                           "отрисовывает каждую версию документа и сравнивает SHA-256; это долго (минуты у "
                           "маршрута с сотнями корректировок), поэтому выполняется фоновым обработчиком и "
                           "хранится по голове цепочки маршрута: если результат по текущей голове есть — ответ "
                           "200 сразу; иначе повтор ставится в очередь (один на голову, сколько бы раз его ни "
                           "спросили) и ответ 202 — задание `ReplayJob` и его адрес в `Location`; когда оно "
                           "готово, этот же запрос отвечает 200. Новое событие маршрута меняет голову — и "
                           "повтор нужен новый. Доступно аудитору и администратору.",
            "parameters": [route_id, {"name": "documents", "in": "query", "required": False,
                                      "schema": {"type": "string", "enum": ["1"]},
                                      "description": "1 — также проверить повторной отрисовкой документы"}],
            "responses": _responses(("200", _json(out(ReplayResult), "Результат повтора")),
                                    ("202", _json(_ref("ReplayJob"), "Только с documents=1: повтор в очереди или "
                                                  "выполняется; следите за ним по Location",
                                                  {"Location": {"description": "Адрес задания повтора",
                                                                "schema": STR}})),
                                    "401", "403", "404", **auditor_only),
        }},
        "/api/routes/{route_id}/as-of/{seq}": {"get": {
            "tags": ["audit"], "operationId": "routeAsOf", "summary": "Маршрут на момент события",
            "description": "Повтор до события `seq` включительно: карта, открытые задачи (положение на схеме) и "
                           "документы с подписями, какими они были тогда. Доступно аудитору и администратору.",
            "parameters": [route_id, seq],
            "responses": _responses(("200", _json(out(AsOfResult), "Маршрут на момент события")),
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
                         "content": {JSON: {"schema": out(History)},
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
                "401", "403", "404", "500", "501", "503",
                **{**auditor_only, "e404": "Маршрут не найден или нет такого формата"},
                e501="PDF недоступен: на сервере не установлен LibreOffice",
                e503="Все преобразования в PDF на сервере заняты дольше PDF_WAIT_SECONDS: повторите позже",
                e500="Не удалось сделать PDF (ошибка LibreOffice)"),
        }},
        "/api/routes/{route_id}/documents": {"get": {
            "tags": ["documents"], "operationId": "getRouteDocuments",
            "summary": "Документы маршрута: все версии с подписями",
            "description": "Все версии всех документов маршрута (от старых к новым) с подписями, их "
                           "действительностью и ссылками на файлы.",
            "parameters": [route_id],
            "responses": _responses(("200", _json(out(DocumentList), "Документы маршрута")), "401", "403", "404",
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
                "401", "403", "404", "501", "503",
                e403="Маршрут документа вне вашей зоны доступа",
                e404="Документ не найден, ещё не выпущен (issued), или нет такого файла (which/fmt)",
                e501="PDF недоступен: на сервере не установлен LibreOffice",
                e503="Все преобразования в PDF на сервере заняты дольше PDF_WAIT_SECONDS: повторите позже"),
        }},
        "/api/verify": {"post": {
            "tags": ["documents"], "operationId": "verifyDocument",
            "summary": "Проверка файла: выпущен ли он сервисом и не изменён ли",
            "description": "Файл — поле `file` формы multipart/form-data или всё тело запроса. Сравнивается "
                           "SHA-256 файла с выпущенными экземплярами и с содержимым, показанным для подписания.",
            "requestBody": _file_body("Проверяемый файл (.docx)"),
            "responses": _responses(("200", _json(out(VerifyResult), "Результат проверки")), "400", "401", "413",
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
                ("201", _json(out(TemplateDeployed), "Новая версия шаблона принята")),
                ("200", _json(out(TemplateDeployed), "Такой шаблон уже был (created=false); он снова текущий")),
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

    from service.api import DOCUMENTED

    for module in DOCUMENTED:
        paths.update(module.openapi_paths(out, inp))

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
            {"name": "org", "description": "Организации региона: центры и школы"},
            {"name": "people", "description": "Люди, роли, пароли, импорт, поиск для выбора участников"},
            {"name": "versions", "description": "Версии шаблонов и схем процесса"},
            {"name": "pep", "description": "Положение о простой электронной подписи"},
            {"name": "queues", "description": "Очереди: сохранённые фильтры, выгрузка"},
            {"name": "notifications", "description": "Мои уведомления и их настройки"},
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
            "schemas": models.schemas(),
            "responses": {name: _json(_ref("Error"), text) for name, text in _ERRORS.values()},
        },
    }
