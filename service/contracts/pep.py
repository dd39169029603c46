"""Request and response bodies of the ПЭП regulation API (/api/pep)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from service.contracts.base import DateTime, Request, Response, Says, Sha256


class PepAcceptRequest(Request):
    """Принятие действующей редакции Положения о ПЭП"""

    sha256: Annotated[Sha256, Field(description="SHA-256 редакции, с которой пользователь ознакомился "
                                                "(GET /api/pep, поле sha256)"),
                      Says("Укажите SHA-256 редакции Положения — 64 шестнадцатеричных символа",
                           missing="Обязательное поле")]


class PepStatus(Response):
    """Действующая редакция Положения о простой электронной подписи и её принятие мной"""

    sha256: Annotated[Sha256, Field(description="SHA-256 файла Положения: его редакция")]
    title: str
    name: Annotated[str, Field(description="Имя файла")]
    deployed_at: Annotated[DateTime, Field(description="С какого момента редакция действует")]
    accepted: Annotated[bool, Field(description="Принял ли я эту редакцию (без этого подписывать нельзя)")]
    accepted_at: DateTime | None
    page_url: Annotated[str, Field(description="Страница для чтения и принятия")]
    download_url: Annotated[str, Field(description="Файл .docx действующей редакции")]
