"""Request and response bodies of the saved filters API (/api/saved-filters)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from service.contracts.base import DateTime, Id, Request, Response, Says

NAME_MAX, QUERY_MAX = 100, 1000
FILTER_PAGES = ("queue", "inbox")
Page = Literal["queue", "inbox"]


class SavedFilterRequest(Request):
    """Новый именованный фильтр страницы"""

    page: Annotated[Page, Field(description="Страница: queue — очередь согласований, inbox — мои задачи"),
                    Says("Страница — queue или inbox", missing="Обязательное поле")]
    name: Annotated[str, Field(min_length=1, max_length=NAME_MAX, pattern=r"\S",
                               description=f"Название фильтра, до {NAME_MAX} символов, своё у каждого пользователя "
                                           "на странице"),
                    Says(f"Название фильтра — непустая строка до {NAME_MAX} символов", missing="Обязательное поле")]
    query: Annotated[str, Field(max_length=QUERY_MAX,
                                description="Строка запроса страницы без «?», например stage=agreement&overdue=1; "
                                            "допускаются только параметры фильтра этой страницы"),
                     Says(f"Фильтр — строка запроса до {QUERY_MAX} символов")] = ""


class SavedFilter(Response):
    """Сохранённый фильтр"""

    id: Id
    page: Page
    name: str
    query: Annotated[str, Field(description="Строка запроса (только известные параметры)")]
    created_at: DateTime


class SavedFilterList(Response):
    filters: list[SavedFilter]
