"""Replays run by the background worker: start one anew, and follow one (state, progress, result).
`GET /api/routes/<id>/replay?documents=1` (service/api/audit.py) asks for the kept one first."""

from __future__ import annotations

from flask import Blueprint, request, url_for

from service.api.util import actor, ctx, json_body, reply
from service.contracts import parse
from service.contracts.replay_jobs import ReplayJob, ReplayJobRequest
from service.services import replay_jobs

bp = Blueprint("replay_jobs", __name__, url_prefix="/api/routes")


def job_reply(job: dict):
    """200 with the job once done, else 202 with where to follow it (Location)."""
    response, status = reply(ReplayJob, job, 200 if job["state"] == "done" else 202)
    response.headers["Location"] = url_for("replay_jobs.job", route_id=job["route_id"], job_id=job["id"])
    return response, status


@bp.post("/<int:route_id>/replay-jobs")
def start(route_id: int):
    """Replay the route's current chain head anew, off the request (a kept result is replaced)."""
    who = actor()
    asked = parse(ReplayJobRequest, json_body() if request.content_length else {})
    return job_reply(replay_jobs.request_replay(ctx(), who, route_id, documents=asked.documents, again=True))


@bp.get("/<int:route_id>/replay-jobs/<int:job_id>")
def job(route_id: int, job_id: int):
    """A replay job: its state and progress; its result once done."""
    return job_reply(replay_jobs.job_view(ctx(), actor(), route_id, job_id))


def openapi_paths(out, inp) -> dict:
    """This blueprint's operations for /api/openapi.json (see service/api/openapi.py)."""
    from service.api.openapi import _body, _json, _path_param, _responses

    route_id = _path_param("route_id", {"type": "integer", "minimum": 1}, "Идентификатор маршрута")
    job_id = _path_param("job_id", {"type": "integer", "minimum": 1}, "Номер задания повтора")
    location = {"Location": {"description": "Адрес задания: GET — его состояние", "schema": {"type": "string"}}}
    running = ("202", _json(out(ReplayJob), "Задание в очереди или выполняется: спрашивайте Location "
                                            "(поле percent — ход выполнения)", location))
    return {
        "/api/routes/{route_id}/replay-jobs": {"post": {
            "tags": ["audit"], "operationId": "startReplayJob", "summary": "Повторить маршрут заново в фоне",
            "description": "Ставит в очередь фонового обработчика повтор маршрута по текущей голове его цепочки "
                           "(по умолчанию с документами), даже если результат по этой голове уже есть: проверка "
                           "свежа настолько, насколько свеж её запуск. Если повтор уже выполняется, отвечает им. "
                           "Доступно аудитору и администратору.",
            "parameters": [route_id],
            "requestBody": {**_body(inp(ReplayJobRequest)), "required": False},
            "responses": _responses(("200", _json(out(ReplayJob), "Повтор выполнен сразу (result)", location)),
                                    running, "400", "401", "403", "404", "413", "415", "422",
                                    e403="Доступно аудитору и администратору", e404="Маршрут не найден"),
        }},
        "/api/routes/{route_id}/replay-jobs/{job_id}": {"get": {
            "tags": ["audit"], "operationId": "replayJob", "summary": "Задание повтора: ход и результат",
            "description": "Состояние задания (queued, running, done, failed), сделано шагов из скольких (шаг — "
                           "событие повтора или отрисованный документ) и, когда готово, результат. `current` — "
                           "false, если с тех пор маршрут получил новые события.",
            "parameters": [route_id, job_id],
            "responses": _responses(("200", _json(out(ReplayJob), "Повтор готов (result)", location)),
                                    running, "401", "403", "404",
                                    e403="Доступно аудитору и администратору",
                                    e404="Нет такого маршрута или задания (задание по старой голове цепочки "
                                         "удаляется, когда запрошен повтор по новой)"),
        }},
    }
