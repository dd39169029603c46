"""Business checks on a submission that JSON Schema cannot express (dates in order,
references to activities that exist). Each returns field problems with JSON pointers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service.domain.errors import FieldProblem

Check = Callable[[dict[str, Any], dict[str, Any]], list[FieldProblem]]
END_BEFORE_START = "Дата окончания раньше даты начала"


def _dates_in_order(item: dict[str, Any], pointer: str) -> list[FieldProblem]:
    start, end = item.get("start"), item.get("end")
    if start and end and end < start:
        return [FieldProblem(f"{pointer}/end", END_BEFORE_START)]
    return []


def check_draft(submission: dict[str, Any], card: dict[str, Any]) -> list[FieldProblem]:
    problems = _dates_in_order(submission["period"], "/period")
    for i, activity in enumerate(submission["activities"]):
        problems += _dates_in_order(activity, f"/activities/{i}")
    for i, event in enumerate(submission["final_events"]):
        problems += _dates_in_order(event, f"/final_events/{i}")
    for i, course in enumerate(submission["info"].get("courses", [])):
        problems += _dates_in_order(course, f"/info/courses/{i}")
    return problems


def _open_activity(card: dict[str, Any], no: int, pointer: str) -> list[FieldProblem]:
    activity = next((a for a in card.get("activities", []) if a.get("no") == no), None)
    if activity is None:
        return [FieldProblem(pointer, f"В карте нет мероприятия № {no}")]
    if activity.get("status") == "заменено":
        return [FieldProblem(pointer, f"Мероприятие № {no} уже заменено")]
    return []


def check_correction(submission: dict[str, Any], card: dict[str, Any]) -> list[FieldProblem]:
    if submission.get("action") != "submit":
        return []
    problems = _open_activity(card, submission["activity_no"], "/activity_no")
    if submission["activity_no"] and not problems:
        activity = next(a for a in card["activities"] if a["no"] == submission["activity_no"])
        if activity.get("status") == "выполнено":
            problems.append(FieldProblem("/activity_no", "Выполненное мероприятие не заменяют"))
    return problems + _dates_in_order(submission["replacement"], "/replacement")


def check_activity_report(submission: dict[str, Any], card: dict[str, Any]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    seen: set[int] = set()
    for i, report in enumerate(submission["reports"]):
        pointer = f"/reports/{i}/activity_no"
        if report["activity_no"] in seen:
            problems.append(FieldProblem(pointer, "Мероприятие указано дважды"))
        seen.add(report["activity_no"])
        problems += _open_activity(card, report["activity_no"], pointer)
    return problems


CHECKS: dict[str, Check] = {
    "draft": check_draft,
    "correction": check_correction,
    "activity_report": check_activity_report,
}


def check_submission(form: str, submission: dict[str, Any],
                     card: dict[str, Any] | Callable[[], dict[str, Any]]) -> list[FieldProblem]:
    """Problems of a schema-valid submission against the current card; [] when acceptable.
    `card` may be a loader, called only for forms that have checks."""
    check = CHECKS.get(form)
    if check is None:
        return []
    return check(submission, card() if callable(card) else card)
