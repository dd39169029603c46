"""What a template is rendered from: the route, its people and card, as ready strings.

The result is stored with every document version (its data snapshot), so the document can be
rendered again later, byte for byte. Signatures and the content hash are added at render time
from the signature rows (see service/services/documents.py).
"""

from __future__ import annotations

import copy
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from service.domain.access import ROLE_TITLES

DATE_KEYS = {"start", "end", "date", "attestation_date", "started_on", "ended_on", "signed_on", "prolong_until",
             "reported_on"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OUTCOMES = {"effective": "ИОМ реализован эффективно", "prolong": "Требуется продление ИОМ"}
ACTIONS = {"sign": "подписал(а)", "agree": "согласовал(а)", "approve": "утвердил(а)", "acknowledge": "ознакомлен(а)"}


def ru_date(value: str | date | None) -> str:
    if not value:
        return ""
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return f"{value[8:10]}.{value[5:7]}.{value[0:4]}" if ISO_DATE.match(value) else value


# How a document prints times. A version records its format in its data snapshot when it is
# created ("format", "timezone"), and is always rendered again with that format, so documents
# issued before a change still re-render to their recorded SHA-256.
#   1 (absent): "02.12.2026 11:05 UTC"
#   2: the region's time with the zone named: "02.12.2026 14:05 МСК", "02.12.2026 16:05 МСК+2"
#   3: as 2, and a delegate's signature names the delegation after the signer's name:
#      "Завучева О. Н., за Директорова Е. В., по поручению от 01.09.2026"
#   4: as 3, and the signer's role as it is written ("Руководитель ЦНППМ", "Руководитель ОО"); 1–3
#      printed it through str.capitalize, which lower-cases the abbreviations ("Руководитель цнппм")
# The dates inside the data (card → data, `_dates`) are frozen in the snapshot, so a new way of
# writing them changes only new versions. What is formatted at render time (the signature sheet
# below) is pinned to the format number: a new way to print it is a new FORMAT_* and a new
# branch, never a change to a released one.
FORMAT_UTC = 1
FORMAT_LOCAL = 2
FORMAT_DELEGATION = 3
FORMAT_ROLE_CASE = 4
CURRENT_FORMAT = FORMAT_ROLE_CASE
MOSCOW = timedelta(hours=3)


def zone_label(value: datetime) -> str:
    """The zone as Russian documents name it: МСК, МСК+2, МСК−1; UTC+05:30 when not whole hours."""
    offset = value.utcoffset() or timedelta(0)
    hours, rest = divmod(int((offset - MOSCOW).total_seconds()), 3600)
    if rest:
        sign = "+" if offset >= timedelta(0) else "−"
        minutes = abs(int(offset.total_seconds())) // 60
        return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return "МСК" if hours == 0 else f"МСК{'+' if hours > 0 else '−'}{abs(hours)}"


def ru_datetime(value: datetime, fmt: int = FORMAT_UTC, timezone: str | None = None) -> str:
    if fmt < FORMAT_LOCAL or not timezone:
        return value.strftime("%d.%m.%Y %H:%M UTC")
    local = value.astimezone(ZoneInfo(timezone))
    return f"{local.strftime('%d.%m.%Y %H:%M')} {zone_label(local)}"


def local_iso(iso: str, timezone: str) -> str:
    """A stored ISO time as the region's time with its zone named (pages' messages, the audit
    certificate; not the signature sheets, whose format each document version records)."""
    return ru_datetime(datetime.fromisoformat(iso), FORMAT_LOCAL, timezone) if iso else ""


def formatting(timezone: str) -> dict[str, Any]:
    """What a new document version records about its formatting (see FORMAT_*)."""
    return {"format": CURRENT_FORMAT, "timezone": timezone}


def _dates(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _dates(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v, key) for v in value]
    if key in DATE_KEYS and isinstance(value, str):
        return ru_date(value)
    return value


def _diagnostics(value: dict | None) -> dict[str, Any]:
    value = value or {}
    return {"form": value.get("form", ""), "deficits": value.get("deficits", [])}


def _conclusions(value: dict | None) -> dict[str, Any]:
    value = value or {}
    return {"outcome": value.get("outcome", ""), "outcome_title": OUTCOMES.get(value.get("outcome", ""), ""),
            "text": value.get("text", ""), "prolong_reason": value.get("prolong_reason", ""),
            "prolong_until": value.get("prolong_until", "")}


ACTIVITY_KEYS = ("no", "title", "level", "organizer", "start", "end", "status", "reason_not_done", "result",
                 "presentation_form")
INFO_KEYS = ("full_name", "school", "position", "education", "courses", "experience_years", "category",
             "attestation_date", "titles", "awards")


def card_for_template(card: dict[str, Any]) -> dict[str, Any]:
    """Every section present, with every key, so a template never meets an undefined value."""
    info = card.get("info", {})
    return {
        "info": {k: info.get(k, [] if k == "courses" else "") for k in INFO_KEYS},
        "period": {"start": card.get("period", {}).get("start", ""), "end": card.get("period", {}).get("end", "")},
        "entry_diagnostics": _diagnostics(card.get("entry_diagnostics")),
        "activities": [{k: a.get(k, "") for k in ACTIVITY_KEYS} for a in card.get("activities", [])],
        "final_events": card.get("final_events", []),
        "final_events_done": card.get("final_events_done", []),
        "corrections": card.get("corrections", []),
        "final_diagnostics": _diagnostics(card.get("final_diagnostics")),
        "conclusions": _conclusions(card.get("conclusions")),
        "started_on": card.get("started_on", ""),
        "ended_on": card.get("ended_on", ""),
    }


def build_context(*, kind: str, title: str, version: int, on: date, route: dict[str, Any], people: dict[str, Any],
                  card: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """The data snapshot of one document version (without signatures and content hash)."""
    full = card_for_template(card)
    context: dict[str, Any] = {
        "document": {"title": title, "kind": kind, "version": version, "date": on.isoformat()},
        "route": route, **people,
    }
    if kind == "karta":
        context["card"] = full
    elif kind == "korrektirovka":
        correction = copy.deepcopy(extra["correction"])
        replaced = next((a for a in full["activities"] if a["no"] == correction["activity_no"]), {})
        context["correction"] = {
            "no": len(full["corrections"]) + 1, "date": correction["date"], "reason": correction["reason"],
            "replaced_no": correction["activity_no"], "replaced_title": replaced.get("title", ""),
            "replacement": {k: correction["replacement"].get(k, "") for k in
                            ("title", "level", "organizer", "start", "end", "presentation_form")},
        }
    elif kind == "prikaz_tutor" and extra.get("order"):  # one order opening several routes: it lists them all
        order = extra["order"]
        context["order"] = {"number": order["number"], "date": order["date"], "place": ""}
        context["assignments"] = [{k: a[k] for k in ("teacher", "school", "tutor")} for a in order["assignments"]]
    elif kind == "prikaz_tutor":
        context["order"] = {"number": f"{route['id']}-ИОМ", "date": on.isoformat(), "place": ""}
        context["assignments"] = [{"teacher": people["teacher"]["full_name"], "school": people["school"]["name"],
                                   "tutor": people["tutor"]["full_name"]}]
    elif kind == "vyvody":
        context.update(period=full["period"], conclusions=full["conclusions"],
                       final_diagnostics=full["final_diagnostics"], final_events_done=full["final_events_done"])
    return _dates(context)


def signature_rows(signatures, data: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """The signature sheet: role, name (as at signing), what was done, when, and the hash that was
    signed; times in the format the document version recorded in its `data` (absent: UTC)."""
    data = data or {}
    fmt, timezone = data.get("format", FORMAT_UTC), data.get("timezone")
    return [{"role": role_title(s.role, fmt), "full_name": signer_line(s, fmt),
             "action": ACTIONS.get(s.action, s.action), "signed_at": ru_datetime(s.signed_at, fmt, timezone),
             "sha256": s.sha256}
            for s in signatures]


def role_title(role: str, fmt: int) -> str:
    """The signer's role on the sheet: from format 4 with its first letter raised and the rest as
    written; formats 1–3 as they were printed (str.capitalize, abbreviations lower-cased)."""
    title = ROLE_TITLES.get(role, role)
    if fmt < FORMAT_ROLE_CASE:
        return title.capitalize()
    return title[:1].upper() + title[1:]


def signer_line(signature, fmt: int) -> str:
    """The signer's name; from format 3, a delegate's with «, за <кого>, по поручению от <дата>»."""
    if fmt < FORMAT_DELEGATION or getattr(signature, "delegation_id", None) is None:
        return signature.signer_name
    # the date as format 3 prints it, not through ru_date: the data's date style may change, a released format may not
    on = signature.delegated_on.strftime("%d.%m.%Y") if signature.delegated_on else ""
    return f"{signature.signer_name}, за {signature.on_behalf_name}, по поручению от {on}"
