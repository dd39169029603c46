"""Response bodies of the JSON API. The services build plain dicts (service/services/views.py and
the use cases); the API validates each against its model here and dumps it (service/api/util.py
``reply``), so a field the model does not declare, or of another type, is a bug that fails loudly.
The documents' file links are built here, in the API layer, from the document's id."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from flask import url_for
from pydantic import Field, RootModel, computed_field

from service.config import forms_dir
from service.contracts.base import AnyObject, Date, DateTime, Id, Response, Sha256, absent
from service.documents.contract import KINDS, TEMPLATE_FILES
from service.domain.access import ROLES, WORKFLOW_ROLES
from service.domain.route_rules import STAGE_TITLES
from service.domain.states import SYSTEM_EVENTS, DocumentState, EventKind, TaskState
from service.domain.states import RouteStatus as RouteStatuses
from service.forms import FormCatalog

SYSTEM_EVENT_KINDS = tuple(kind for kind in EventKind if kind in SYSTEM_EVENTS)
EVENT_KINDS = tuple(kind for kind in EventKind if kind not in SYSTEM_EVENT_KINDS)


def _values(members) -> tuple[str, ...]:
    """The plain values of the domain's StrEnum members: what the JSON carries (a Literal, not the
    enum, so that values read back from the database as plain strings validate too)."""
    return tuple(str(m.value) for m in members)


RouteStatus = Literal[_values(RouteStatuses)]  # type: ignore[valid-type]
WorkflowRole = Literal[tuple(sorted(WORKFLOW_ROLES))]  # type: ignore[valid-type]
DocumentKind = Annotated[Literal[tuple(KINDS)],  # type: ignore[valid-type]
                         Field(description="Вид документа: " + ", ".join(f"{k} — {v}" for k, v in KINDS.items()))]
SignAction = Annotated[str, Field(description="Действие подписи из схемы процесса: sign — подписал, agree — "
                                              "согласовал, approve — утвердил, acknowledge — ознакомлен")]


@cache
def form_names() -> list[str]:
    """The task forms (forms/<form>.json) the service knows."""
    return FormCatalog(forms_dir()).names()


def _form_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = form_names()


# --- people, tasks, routes --------------------------------------------------------------------


class PersonRef(Response):
    """Участник: идентификатор и ФИО"""

    id: int
    name: str | None


class OrgUnitRef(Response):
    """Организация: идентификатор и название"""

    id: int
    name: str | None


class RoleGrant(Response):
    """Роль пользователя в организации"""

    role: Literal[ROLES]  # type: ignore[valid-type]
    org_unit_id: Annotated[int | None, Field(description="Организация, в которой действует роль; null — без "
                                                         "ограничения")]


class Me(Response):
    """Вошедший пользователь с его ролями"""

    id: int
    name: Annotated[str, Field(description="ФИО")]
    roles: list[RoleGrant]


class TaskRow(Response):
    """Задача (строка списка)"""

    id: Annotated[str, Field(description="Идентификатор задачи")]
    route_id: Id
    name: Annotated[str, Field(description="Имя задачи в схеме процесса (BPMN), например plan_signatures_teacher")]
    title: Annotated[str, Field(description="Название задачи для человека")]
    form: Annotated[str, Field(description="Форма задачи (forms/<form>.json)", json_schema_extra=_form_enum)]
    role: Annotated[WorkflowRole, Field(description="Роль исполнителя")]
    stage: Annotated[str, Field(description="Этап маршрута, к которому относится задача")]
    state: Annotated[Literal[_values(TaskState)],  # type: ignore[valid-type]
                     Field(description="ready — ожидает выполнения; completed — выполнена; cancelled — снята")]
    assignee: PersonRef
    created_at: DateTime
    due_at: DateTime | None
    waiting_days: Annotated[int | None, Field(ge=0, description="Сколько рабочих дней задача ждёт: рабочие дни "
                                                                "после дня её открытия по сегодня (только для "
                                                                "state=ready)")]
    completed_at: DateTime | None
    completed_by: PersonRef | None


class RouteRef(Response):
    """Маршрут, к которому относится задача"""

    id: int
    title: str
    stage: str
    teacher: PersonRef


class DelegationRef(Response):
    """Поручение: его номер и дата («по поручению от …»)"""

    id: int
    granted_on: Date


class DelegatedFor(Response):
    """Задача другого сотрудника, которую я выполняю по его поручению"""

    person: PersonRef
    delegation: DelegationRef


class MyTask(TaskRow):
    """Задача из моего списка, с маршрутом, к которому она относится"""

    route: RouteRef
    delegated_for: DelegatedFor = absent(description="Задача другого сотрудника по его поручению мне («за <ФИО>»); "
                                                     "у моих собственных задач поля нет")


class TaskList(Response):
    """Страница моих задач (?page=, ?limit= — по умолчанию 50, не более 200); задачи по поручению — на первой"""

    tasks: list[MyTask]
    page: Annotated[int, Field(description="Номер страницы, с 1")] = 1
    limit: Annotated[int | None, Field(description="Задач на странице")] = None
    has_more: Annotated[bool, Field(description="Есть следующая страница")] = False
    total: Annotated[int | None, Field(description="Всего моих ожидающих задач (вместе с задачами по поручению)")] \
        = None
    overdue: Annotated[int | None, Field(description="Из них просрочено")] = None


class Remark(Response):
    """Замечание при возврате на доработку"""

    by: Annotated[str | None, Field(description="ФИО вернувшего")]
    role: str | None
    task: Annotated[str | None, Field(description="Название задачи, на которой вернули")]
    at: DateTime
    comment: str


# --- documents --------------------------------------------------------------------------------


class Signature(Response):
    """Подпись версии документа"""

    signer: PersonRef
    role: Annotated[WorkflowRole, Field(description="Роль подписавшего")]
    action: SignAction
    signed_at: DateTime
    sha256: Annotated[Sha256, Field(description="SHA-256 подписанного содержимого")]
    valid: Annotated[bool, Field(description="Подпись относится к хранимым байтам документа")]
    on_behalf_of: PersonRef = absent(description="Подписано по поручению: чья это была задача (ФИО на момент "
                                                 "подписи); у обычной подписи поля нет")
    delegation: DelegationRef = absent(description="Поручение, по которому подписано")


class DocumentFiles(Response):
    """Ссылки на файлы версии документа"""

    content_docx: Annotated[str, Field(description="Ссылка на файл (GET)")]
    content_pdf: Annotated[str, Field(description="Ссылка на PDF (501, если на сервере нет LibreOffice)")]
    issued_docx: Annotated[str | None, Field(description="Выпущенный экземпляр с листом подписей; null, пока не "
                                                         "выпущен")]
    issued_pdf: Annotated[str | None, Field(description="То же в PDF; null, пока не выпущен")]


def _file(document_id: int, which: str, fmt: str) -> str:
    return url_for("documents.download", document_id=document_id, which=which, fmt=fmt)


class Document(Response):
    """Версия документа маршрута с подписями"""

    id: int
    route_id: int
    kind: DocumentKind
    title: Annotated[str, Field(description="Название вида документа")]
    version: Annotated[int, Field(ge=1, description="Номер версии документа этого вида в маршруте, с 1")]
    state: Annotated[Literal[_values(DocumentState)],  # type: ignore[valid-type]
                     Field(description="awaiting_signatures — ждёт подписей; superseded — заменён новой версией; "
                                       "issued — выпущен")]
    template_sha256: Annotated[Sha256, Field(description="SHA-256 шаблона, по которому составлен документ")]
    content_sha256: Annotated[Sha256, Field(description="SHA-256 содержимого для подписания (content.docx)")]
    content_intact: Annotated[bool, Field(description="Записанные хеши согласованы; в списках документов байты не "
                                                       "перечитываются — их проверяет /api/routes/{id}/verify")]
    issued_sha256: Annotated[Sha256 | None, Field(description="SHA-256 выпущенного экземпляра (issued.docx)")]
    created_at: DateTime
    issued_at: DateTime | None
    signatures: Annotated[list[Signature], Field(description="Подписи, от старых к новым")]

    @computed_field
    @property
    def files(self) -> DocumentFiles:  # the download endpoint of service/api/documents.py
        issued = self.issued_sha256 is not None
        return DocumentFiles(content_docx=_file(self.id, "content", "docx"),
                             content_pdf=_file(self.id, "content", "pdf"),
                             issued_docx=_file(self.id, "issued", "docx") if issued else None,
                             issued_pdf=_file(self.id, "issued", "pdf") if issued else None)


class DocumentList(Response):
    documents: Annotated[list[Document], Field(description="Все версии всех документов маршрута, от старых")]


class Signing(Response):
    """Что подписывает утвердительное решение по задаче"""

    kind: DocumentKind
    action: SignAction
    document: Annotated[Document | None,
                        Field(description="Версия, ожидающая подписи (её content_sha256 передаётся в "
                                          "signature.document_sha256); null, если задача не ждёт выполнения или "
                                          "документа нет")]


class TaskView(TaskRow):
    """Задача с формой, предзаполнением, карточкой, замечаниями и документом на подпись"""

    route: RouteRef
    schema_: Annotated[AnyObject, Field(alias="schema", description="JSON Schema (draft 2020-12) формы задачи; ей "
                                                                    "должно соответствовать поле data при выполнении")]
    card: Annotated[AnyObject, Field(description="Карточка маршрута (документ ИОМ)")]
    remarks: Annotated[list[Remark], Field(description="Замечания, которые нужно учесть (только для state=ready)")]
    prefill: Annotated[AnyObject | None, Field(description="Данные для предзаполнения формы")]
    can_complete: Annotated[bool, Field(description="Может ли текущий пользователь выполнить задачу")]
    signs: Annotated[Signing | None, Field(description="Для задачи подписания — что подписывается; иначе null")]
    delegated_for: DelegatedFor = absent(description="Я могу выполнить задачу по поручению исполнителя: за кого и "
                                                     "по какому поручению")


class RouteTimerRow(Response):
    """Таймер схемы на ожидающей задаче: напоминание до срока или эскалация после него"""

    name: Annotated[str, Field(description="Граничное событие в BPMN")]
    title: str
    kind: Annotated[Literal["reminder", "escalation"], Field(description="reminder — напоминание исполнителю; "
                                                                       "escalation — ответственному о просрочке")]
    task_id: str | None
    task_name: str
    task_title: str
    fire_at: DateTime


class RouteListItem(Response):
    """Маршрут в списке"""

    id: int
    title: str
    status: RouteStatus
    stage: str
    stage_title: str
    teacher: Annotated[str | None, Field(description="ФИО педагога")]
    tutor: Annotated[str | None, Field(description="ФИО тьютора")]
    school: Annotated[str | None, Field(description="Образовательная организация")]
    updated_at: DateTime


class RouteList(Response):
    """Страница маршрутов, которые я вижу (последние изменённые первыми), без подсчёта всех совпадений"""

    routes: list[RouteListItem]
    page: Annotated[int, Field(description="Номер страницы, с 1 (по 20 маршрутов)")]
    has_more: Annotated[bool, Field(description="Есть следующая страница")]


class RouteView(Response):
    """Маршрут: этап, карточка, данные процесса, открытые задачи, таймеры"""

    id: int
    title: str
    status: RouteStatus
    stage: Annotated[str, Field(description="Этап: " + ", ".join(f"{k} — {v}" for k, v in STAGE_TITLES.items()))]
    stage_title: str
    teacher: PersonRef
    tutor: PersonRef
    methodist: PersonRef
    school: OrgUnitRef
    centre: OrgUnitRef
    card: Annotated[AnyObject, Field(description="Карточка маршрута (документ ИОМ)")]
    data: Annotated[AnyObject, Field(description="Данные процесса (движка BPMN)")]
    open_tasks: list[TaskRow]
    waiting_for: Annotated[list[str], Field(description="ФИО тех, от кого ждут действий")]
    previous_route_id: int | None
    next_route_id: Annotated[int | None, Field(description="Маршрут-продление, если есть")]
    created_at: DateTime
    started_on: Date | None
    ended_on: Date | None
    version: int | None
    timers: Annotated[list[RouteTimerRow], Field(description="Взведённые таймеры, ближайший первым")]


EVENT_KIND_TEXT = (
    "Вид события: " + ", ".join(_values(EVENT_KINDS)) + ". "
    "У document_prepared/document_issued в data — document_id, kind, version, template_sha256, content_sha256, "
    "issued_sha256; у document_signed — document_id, kind, version, sha256, action, role, signer_name, ip, "
    "user_agent; у signature_rejected (неверный пароль) — document_id, reason, ip, user_agent; "
    "ip и user_agent (устройство подписавшего) видят только аудитор и администратор, остальным они не "
    "показываются; у admin_reassigned — from, to (идентификаторы исполнителей), reason; у admin_cancelled — "
    "reason, cancelled (идентификаторы снятых задач); у admin_card_edited — pointer, old, new, reason; "
    "у timer_fired (сработал таймер схемы на задаче task_id) — "
    "timer (граничное событие), kind (reminder | escalation), title, scheduled_at (когда был назначен), round "
    "(который раз). "
    "У task_completed и document_signed, выполненных по поручению, в data — delegation: {id, granted_on, by}, "
    "а on_behalf_of — поручитель, чья это была задача. "
    "События системной цепочки (не относятся к маршруту): " + ", ".join(_values(SYSTEM_EVENT_KINDS)))


class Event(Response):
    """Событие истории маршрута"""

    seq: Annotated[int, Field(ge=1, description="Номер события в маршруте, с 1")]
    at: DateTime
    kind: Annotated[str, Field(description=EVENT_KIND_TEXT)]
    task_id: str | None
    task_name: str | None
    actor: PersonRef | None
    on_behalf_of: PersonRef | None
    data: AnyObject


class EventList(Response):
    events: list[Event]


# --- use cases ----------------------------------------------------------------------------------


class CompletionResult(Response):
    """Результат выполнения задачи"""

    task_id: str
    route_id: int
    stage: str
    status: RouteStatus
    opened: Annotated[list[str], Field(description="Идентификаторы открывшихся задач")]
    next_route_id: Annotated[int | None, Field(description="Новый маршрут, если этот продлён")]


class TokenInfo(Response):
    """Персональный токен API (без самого токена)"""

    id: int
    name: str
    created_at: DateTime
    expires_at: DateTime | None
    last_used_at: DateTime | None
    revoked_at: DateTime | None
    active: Annotated[bool, Field(description="Не отозван и не истёк")]


class Token(TokenInfo):
    """Персональный токен API"""

    token: Annotated[str, Field(pattern="^iom_", description="Токен; показывается один раз")]


class TokenList(Response):
    tokens: list[TokenInfo]


class CsrfToken(Response):
    csrf_token: Annotated[str, Field(description="Передавайте в заголовке X-CSRFToken")]


class LogoutResult(Response):
    ok: Literal[True]


class ReassignResult(Response):
    """Задача переназначена"""

    task_id: str
    assignee_id: int


class CancelResult(Response):
    """Маршрут отменён"""

    route_id: int
    status: Literal[RouteStatuses.CANCELLED.value]  # type: ignore[valid-type]


class CardEditResult(Response):
    """Карта исправлена"""

    route_id: int
    pointer: str
    old: Annotated[Any, Field(description="Прежнее значение")]
    new: Annotated[str | bool | int | float, Field(description="Новое значение")]


class RouteBrief(Response):
    """Маршрут: идентификатор и название"""

    id: int
    title: str


class FileUnknown(Response):
    """Файл не найден"""

    status: Annotated[Literal["unknown"], Field(description="Файл не выпускался сервисом или изменён")]
    sha256: Annotated[Sha256, Field(description="SHA-256 присланного файла")]
    message: Annotated[str, Field(description="Вывод по-русски")]


class FileFound(Response):
    """Файл найден"""

    status: Annotated[Literal["issued", "content"],
                      Field(description="issued — выпущенный экземпляр с листом подписей; content — содержимое, "
                                        "показанное для подписания")]
    sha256: Annotated[Sha256, Field(description="SHA-256 присланного файла")]
    message: Annotated[str, Field(description="Вывод по-русски: маршрут, документ, версия, подписи")]
    route: RouteBrief
    document: Document


class VerifyResult(RootModel[Annotated[FileUnknown | FileFound, Field(discriminator="status")]]):
    """Результат проверки файла: выпущен ли он этим сервисом и не изменён ли"""


class TemplateDeployed(Response):
    """Загруженный шаблон документа"""

    kind: Literal[tuple(TEMPLATE_FILES)]  # type: ignore[valid-type]
    name: Annotated[str, Field(description="Имя файла шаблона")]
    sha256: Annotated[Sha256, Field(description="SHA-256 шаблона")]
    created: Annotated[bool, Field(description="false — шаблон с таким SHA-256 уже был загружен")]


# --- audit --------------------------------------------------------------------------------------

SHORT_HASH = "первые 12 шестнадцатеричных цифр хеша с «…»"


class Finding(Response):
    """Расхождение, найденное проверкой или повтором"""

    where: Annotated[str, Field(description="Где: «событие № 7», «документ 12 (karta, версия 2)», «событие № 9: "
                                            "документ 12 (karta, версия 2)», «подпись 5», «состояние маршрута»")]
    expected: Annotated[str, Field(description=f"Что ожидалось (хеши — {SHORT_HASH})")]
    found: Annotated[str, Field(description="Что найдено")]


class AuditReport(Response):
    """Проверка маршрута: цепочка хешей событий, хеши документов, записи подписей"""

    route_id: Annotated[int | None, Field(description="Маршрут; null — системная цепочка")]
    ok: Annotated[bool, Field(description="Расхождений нет")]
    events: Annotated[int, Field(ge=0, description="Сколько событий проверено")]
    head: Annotated[Sha256 | None, Field(description="Хеш последнего события цепочки; null, если цепочка разорвана")]
    findings: list[Finding]


class ReplayTask(Response):
    """Задача, открытая на момент повтора"""

    name: Annotated[str, Field(description="Имя задачи в схеме процесса (BPMN)")]
    assignee_id: int
    task_id: str


class ReplayTimer(Response):
    """Таймер схемы, взведённый на ожидающей задаче на этот момент"""

    name: Annotated[str, Field(description="Граничное событие в BPMN")]
    kind: Literal["reminder", "escalation"]
    task_name: str
    fire_at: Annotated[DateTime, Field(description="Когда сработает (по производственному календарю на сегодня)")]


class ReplayState(Response):
    """Состояние маршрута, полученное повтором событий"""

    seq: Annotated[int, Field(ge=1, description="Последнее учтённое событие")]
    at: Annotated[DateTime, Field(description="Время этого события")]
    card: Annotated[AnyObject, Field(description="Карта ИОМ, полученная повтором, на этот момент")]
    spec: Annotated[str, Field(pattern="^[0-9a-f]{64}$", description="Версия схемы (хеш), действовавшая на этот "
                                                                     "момент (переводы маршрута её меняют)")]
    finished: Annotated[bool, Field(description="Процесс по схеме дошёл до конца")]
    cancelled: Annotated[bool, Field(description="Маршрут отменён администратором")]
    open_tasks: Annotated[list[ReplayTask], Field(description="Задачи, открытые на этот момент (по имени задачи)")]
    timers: Annotated[list[ReplayTimer], Field(description="Таймеры (напоминания, эскалации), взведённые "
                                                           "на этот момент")]


class AsOfState(ReplayState):
    """Состояние маршрута на момент события: карта, открытые задачи, документы"""

    documents: Annotated[list[Document], Field(description="Документы, существовавшие на этот момент, с подписями, "
                                                           "поставленными до него; state — каким он был тогда")]


class _Replayed(Response):
    ok: Annotated[bool, Field(description="Цепочка цела и повтор совпал с историей (и с базой)")]
    divergence: Annotated[Finding | None, Field(description="Первое расхождение; null — расхождений нет")]
    chain: Annotated[AuditReport, Field(description="Проверка цепочки событий (без документов)")]


class ReplayResult(_Replayed):
    """Повтор маршрута по его событиям на записанной версии схемы"""

    state: ReplayState = absent(description="Нет, если цепочка разорвана или повтор разошёлся")
    documents: list[Finding] = absent(description="Только с documents=1: расхождения при повторной отрисовке "
                                                  "документов (по порядку событий); первое из них и расхождений "
                                                  "повтора — divergence")


class AsOfResult(_Replayed):
    """Маршрут на момент события"""

    state: AsOfState = absent(description="Нет, если цепочка разорвана или повтор разошёлся")


class HistoryEvent(Event):
    """Событие (см. Event) с его звеном цепочки хешей"""

    kind: str
    prev_hash: Annotated[Sha256, Field(description="Хеш предыдущего события (у первого — 64 нуля)")]
    hash: Annotated[Sha256, Field(description="SHA-256 от prev_hash и канонического JSON события")]


class RouteSummary(Response):
    """Маршрут кратко"""

    id: int
    title: str
    teacher: Annotated[str | None, Field(description="ФИО педагога")]
    stage: str
    stage_title: str
    status: RouteStatus


class History(Response):
    """История маршрута для проверки вне сервиса"""

    route: RouteSummary
    events: Annotated[list[HistoryEvent], Field(description="От старых к новым")]
    documents: Annotated[list[Document], Field(description="Все версии документов")]
    chain_head: Annotated[Sha256 | None, Field(description="Хеш последнего события; null, если цепочка разорвана")]
    verification: AuditReport
