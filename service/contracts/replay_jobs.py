"""Bodies of the replay jobs API: a replay with documents run by the background worker and kept by
the route's chain head (service/services/replay_jobs.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from service.contracts.base import DateTime, Request, Response, absent
from service.contracts.responses import ReplayResult
from service.domain.states import JobState


class ReplayJob(Response):
    """Повтор маршрута, выполняемый в фоне"""

    id: Annotated[int, Field(description="Номер задания повтора")]
    route_id: int
    documents: Annotated[bool, Field(description="С повторной отрисовкой документов")]
    chain_head: Annotated[str, Field(description="Голова цепочки маршрута, которую проверяет повтор")]
    current: Annotated[bool, Field(description="Это голова цепочки маршрута сейчас (false — после повтора "
                                               "маршрут получил новые события, результат устарел)")]
    state: Annotated[Literal[tuple(str(s.value) for s in JobState)],  # type: ignore[valid-type]
                     Field(description="queued — ждёт фонового обработчика; running — выполняется; done — готов "
                                       "(result); failed — не выполнен (error), его можно запросить снова")]
    done: Annotated[int, Field(description="Сделано шагов: событий повторено и документов отрисовано")]
    total: Annotated[int, Field(description="Всего шагов (0 — ещё не начат)")]
    percent: Annotated[int, Field(ge=0, le=100)]
    requested_at: DateTime
    started_at: DateTime | None
    finished_at: DateTime | None
    error: Annotated[str | None, Field(description="Почему задание не выполнено (state = failed)")]
    result: ReplayResult = absent(description="Только при state = done: результат повтора")


class ReplayJobRequest(Request):
    """Запустить повтор заново"""

    documents: bool = Field(default=True, description="С повторной отрисовкой документов (по умолчанию да)")
