"""Bodies of the migration API: moving running routes to another workflow version, one route or a
version's routes in a batch run by the worker, and undoing a move (services/route_migration*.py).
The request bodies are in requests.py (MigrationPreviewRequest, MigrationRequest, MigrationBatchRequest,
RevertRequest)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from service.contracts.base import DateTime, Id, Response, Sha256, absent
from service.domain.states import JobState

Names = Annotated[list[str], Field(description="Имена элементов схемы (сначала задачи участников)")]


class SpecRef(Response):
    """Версия схемы процесса"""

    id: Id
    hash: Sha256


class TaskChoice(Response):
    """Задача участника новой версии"""

    name: str
    title: str


class MigrationRoutePreview(Response):
    """Что сделает перевод маршрута на другую версию схемы"""

    route_id: int
    title: str
    stage: str
    from_: Annotated[SpecRef, Field(alias="from")]
    to: SpecRef
    from_hash: Sha256
    to_hash: Sha256
    unchanged: Names
    changed: Annotated[Names, Field(description="Элементы, которые есть в обеих версиях, но изменились")]
    removed: Annotated[Names, Field(description="Элементы маршрута, которых нет в новой версии")]
    added: Annotated[Names, Field(description="Элементы только новой версии")]
    current: Annotated[list[str], Field(description="Текущие задачи участников")]
    blocked: Annotated[list[str], Field(description="Текущие задачи, которых нет в новой версии и для которых "
                                                    "не указано (годное) сопоставление")]
    mapping: dict[str, str]
    can_migrate: bool
    reason: Annotated[str | None, Field(description="Почему перевести нельзя")]
    targets: list[TaskChoice] = absent(description="Задачи участников новой версии (для сопоставления)")
    titles: dict[str, str] = absent(description="Названия задач участников обеих версий по именам")


class MigrationVersionPreview(Response):
    """Что сделает перевод маршрутов версии (на этапе) на другую версию"""

    from_: Annotated[SpecRef, Field(alias="from")]
    to: SpecRef
    stage: str | None
    total: Annotated[int, Field(description="Маршрутов в работе на версии (на этапе)")]
    can_migrate: int
    cannot_migrate: int
    blocked_tasks: Annotated[dict[str, int], Field(description="Задача, которой нет в новой версии → сколько "
                                                               "маршрутов она держит")]
    routes: Annotated[list[MigrationRoutePreview], Field(description="Первые маршруты (не больше 200)")]
    shown: int
    estimated: Annotated[int, Field(description="Маршрутов, оценённых по задачам, которых они ждут (сверх первых "
                                                "1000, проверенных движком)")]
    targets: list[TaskChoice]
    titles: dict[str, str]


class MigrationDone(Response):
    """Маршрут переведён на другую версию схемы"""

    route_id: int
    from_: Annotated[Sha256, Field(alias="from")]
    to: Sha256
    stage: str
    seq: Annotated[int, Field(description="Номер события route_migrated")]
    opened: Annotated[list[str], Field(description="Открытые задачи")]
    cancelled: Annotated[list[str], Field(description="Снятые задачи")]


class MigrationReverted(Response):
    """Перевод отменён: маршрут снова на прежней версии"""

    route_id: int
    spec: Sha256
    stage: str
    seq: Annotated[int, Field(description="Номер события route_migration_reverted")]
    opened: list[str]
    cancelled: list[str]


class MigrationRecord(Response):
    """Один перевод маршрута"""

    id: int
    seq: int
    from_: Annotated[SpecRef, Field(alias="from")]
    to: SpecRef
    batch_id: int | None
    migrated_at: DateTime
    reverted_at: DateTime | None
    revertible: Annotated[bool, Field(description="Этот перевод можно отменить")]


class MigrationHistory(Response):
    """Переводы маршрута (новые первыми)"""

    route_id: int
    spec_id: int
    migrations: list[MigrationRecord]


class BatchReportRow(Response):
    """Итог по одному маршруту пакетного перевода"""

    route_id: int
    ok: bool
    reason: str | None


class MigrationBatchView(Response):
    """Пакетный перевод маршрутов, выполняемый в фоне"""

    id: int
    from_: Annotated[SpecRef, Field(alias="from")]
    to: SpecRef
    stage: str | None
    mapping: dict[str, str]
    reason: str
    state: Annotated[Literal[tuple(str(s.value) for s in JobState)],  # type: ignore[valid-type]
                     Field(description="queued — ждёт фонового обработчика; running — выполняется; done — готов "
                                       "(report); failed — прерван (error)")]
    done: int
    total: int
    migrated: int
    failed: int
    percent: Annotated[int, Field(ge=0, le=100)]
    requested_at: DateTime
    started_at: DateTime | None
    finished_at: DateTime | None
    error: str | None
    report: list[BatchReportRow] = absent(description="По маршрутам: переведён или нет и почему")


class MigrationBatchList(Response):
    """Последние пакетные переводы (без отчётов)"""

    batches: list[MigrationBatchView]
