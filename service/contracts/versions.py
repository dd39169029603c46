"""Response bodies of the versions API (/api/versions): template and workflow versions (admin)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from service.contracts.base import DateTime, Response, Sha256


class TemplateVersion(Response):
    """Версия шаблона (её SHA-256)"""

    id: int
    sha256: Sha256
    name: Annotated[str, Field(description="Имя файла шаблона")]
    deployed_at: Annotated[DateTime, Field(description="Когда версия впервые развёрнута")]
    deployed_by: Annotated[str | None, Field(description="Кто развернул (null — команда deploy)")]
    current_since: Annotated[DateTime, Field(description="Когда версия развёрнута или сделана текущей в последний раз")]
    documents: Annotated[int, Field(description="Сколько версий документов составлено по этому шаблону")]
    current: Annotated[bool, Field(description="По этой версии составляются новые документы")]
    download_url: str


class TemplateKindVersions(Response):
    """Вид шаблона и его версии, новые сначала"""

    kind: str
    title: str
    file: Annotated[str, Field(description="Имя файла шаблона в doc_templates/")]
    versions: list[TemplateVersion]


class WorkflowVersion(Response):
    """Версия схемы процесса (хеш её файлов BPMN)"""

    id: int
    hash: Sha256
    deployed_at: DateTime
    deployed_by: str | None
    activated_at: Annotated[DateTime | None, Field(description="Когда администратор сделал её текущей")]
    current: Annotated[bool, Field(description="На этой версии открываются новые маршруты")]
    files: list[str]
    routes: Annotated[dict[str, int], Field(description="Маршрутов на этой версии по статусам")]
    routes_total: int
    download_url: str


class VersionList(Response):
    """Версии шаблонов (по видам) и схем процесса"""

    templates: list[TemplateKindVersions]
    workflows: list[WorkflowVersion]


class TemplateActivated(Response):
    """Версия шаблона стала текущей"""

    id: int
    kind: str
    sha256: Sha256
    changed: Annotated[bool, Field(description="false — она уже была текущей")]


class WorkflowActivated(Response):
    """Версия схемы процесса стала текущей"""

    id: int
    hash: Sha256
    changed: Annotated[bool, Field(description="false — она уже была текущей")]


class WorkflowUploaded(Response):
    """Загруженная схема процесса (стала текущей)"""

    id: int
    hash: Sha256
    created: Annotated[bool, Field(description="false — такая версия уже была; она снова текущая")]
    changed: Annotated[bool, Field(description="Сменилась ли текущая версия")]
