"""Handlers that keep the route card (Карта ИОМ) in the task data up to date.

The card is a dict with the sections of the Карта: info, period, entry_diagnostics,
activities, final_events, corrections, final_diagnostics, conclusions, and the marks
started_on / ended_on / result. It is stored with the route, not in the engine's task data
(the engine copies task data into every task it creates; the card grows with every
correction). Every handler gets the current card and the task data and returns a new card;
none mutates its input.
"""

from __future__ import annotations

from typing import Any

from service.domain.json_copy import copy_json
from service.tasks import StepContext

PLAN_SECTIONS = ("info", "period", "entry_diagnostics", "activities", "final_events")


def build_card(card: dict[str, Any], data: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Take the plan sections from the tutor's draft; activities get numbers and a status."""
    card = copy_json(card)
    draft = data["draft"]
    for section in PLAN_SECTIONS:
        card[section] = copy_json(draft[section])
    for no, activity in enumerate(card["activities"], start=1):
        activity["no"] = no
        activity.setdefault("status", "запланировано")
    card.setdefault("corrections", [])
    return card


def start_route(card: dict[str, Any], data: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Approval by the school head marks the start of the route."""
    card = copy_json(card)
    card["started_on"] = ctx.today.isoformat()
    return card


def record_report(card: dict[str, Any], data: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """The teacher's report marks activities done or not done (with the reason)."""
    card = copy_json(card)
    by_no = {a["no"]: a for a in card.get("activities", [])}
    for report in data["activity_report"]["reports"]:
        activity = by_no[report["activity_no"]]
        activity["status"] = "выполнено" if report["done"] else "не выполнено"
        activity["reason_not_done"] = "" if report["done"] else report.get("reason_not_done", "")
        activity["result"] = report.get("result", "")
        if report.get("presentation_form"):
            activity["presentation_form"] = report["presentation_form"]
        activity["reported_on"] = ctx.today.isoformat()
    return card


def apply_correction(card: dict[str, Any], data: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """A fully signed correction replaces an activity and enters the corrections table."""
    card = copy_json(card)
    correction = data["correction"]
    replaced = next(a for a in card["activities"] if a["no"] == correction["activity_no"])
    replaced["status"] = "заменено"
    replacement = copy_json(correction["replacement"])
    replacement["no"] = len(card["activities"]) + 1
    replacement["status"] = "запланировано"
    card["activities"].append(replacement)
    card.setdefault("corrections", []).append({
        "no": len(card["corrections"]) + 1,
        "date": correction["date"],
        "reason": correction["reason"],
        "replaced_no": replaced["no"],
        "replaced_title": replaced["title"],
        "replacement_no": replacement["no"],
        "replacement_title": replacement["title"],
        "signed_on": ctx.today.isoformat(),
    })
    return card


def record_final_results(card: dict[str, Any], data: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    card = copy_json(card)
    results = data["final_results"]
    card["final_diagnostics"] = copy_json(results["final_diagnostics"])
    card["final_events_done"] = copy_json(results["final_events"])
    return card


def record_conclusions(card: dict[str, Any], data: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    card = copy_json(card)
    card["conclusions"] = copy_json(data["conclusions"])
    return card


def close_route(card: dict[str, Any], data: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    card = copy_json(card)
    card["ended_on"] = ctx.today.isoformat()
    card["result"] = "completed"
    return card


def prolong_route(card: dict[str, Any], data: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    card = copy_json(card)
    card["ended_on"] = ctx.today.isoformat()
    card["result"] = "prolonged"
    return card


HANDLERS = {
    "build_card": build_card,
    "start_route": start_route,
    "record_report": record_report,
    "apply_correction": apply_correction,
    "record_final_results": record_final_results,
    "record_conclusions": record_conclusions,
    "close_route": close_route,
    "prolong_route": prolong_route,
}
