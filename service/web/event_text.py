"""One line per history event, the same on the route page's timeline and the auditor's page:
what happened, on which task or document (and version), and who did it."""

from __future__ import annotations

from typing import Any

from service.documents.contract import KINDS
from service.domain.delegation import performed_by

EVENT_TITLES = {
    "route_created": "Маршрут создан", "task_completed": "Выполнен шаг", "document_prepared": "Подготовлен документ",
    "document_issued": "Выпущен документ", "document_signed": "Документ подписан",
    "signature_rejected": "Подпись отклонена (неверный пароль)", "route_completed": "Маршрут завершён",
    "route_prolonged": "Маршрут продлён", "route_prolonged_as": "Создан маршрут продления",
    "admin_card_edited": "Карта исправлена администратором",
    "admin_reassigned": "Задача переназначена администратором", "admin_cancelled": "Маршрут отменён администратором",
    "delegation_granted": "Дано поручение", "delegation_revoked": "Поручение отозвано",
    "delegation_expired": "Срок поручения истёк", "timer_fired": "Сработал таймер",
    "route_migrated": "Маршрут переведён на другую версию схемы",
    "route_migration_reverted": "Перевод на другую версию схемы отменён",
}


def event_title(e: dict[str, Any]) -> str:
    """What happened and to what: «Документ подписан: Карта ИОМ, версия 2», «Выполнен шаг: …»."""
    data = e.get("data") or {}
    text = EVENT_TITLES.get(e["kind"], e["kind"])
    if data.get("title"):
        text += f": {data['title']}"
    elif e["kind"].startswith("document_") or e["kind"] == "signature_rejected":
        kind = KINDS.get(data.get("kind", ""), "")
        if kind:
            text += f": {kind}" + (f", версия {data['version']}" if data.get("version") else "")
        elif data.get("document_id"):
            text += f": документ № {data['document_id']}"
    elif e["kind"] == "admin_reassigned" and e.get("task_name"):
        text += f": {e['task_name']}"
    elif e["kind"] == "route_migrated" and data.get("from") and data.get("to"):
        text += f": {str(data['from'])[:12]} → {str(data['to'])[:12]}"
    return text


def returned_with(e: dict[str, Any]) -> str | None:
    """The remark of a return (a review or signature sent back), else None."""
    submission = (e.get("data") or {}).get("submission")
    if isinstance(submission, dict) and submission.get("decision") == "return":
        return str(submission.get("comment", ""))
    return None


def event_line(e: dict[str, Any]) -> str:
    """The title with the return's remark and an intervention's reason."""
    text = event_title(e)
    remark = returned_with(e)
    if remark is not None:
        text += f" — возвращено: {remark}"
    reason = (e.get("data") or {}).get("reason")
    if (e["kind"].startswith("admin_") or e["kind"].startswith("route_migra")) and reason:
        text += f" — причина: {reason}"
    return text


def event_actor(e: dict[str, Any]) -> str:
    """Who did it; for an admin acting for the assignee, whose task it was — phrased so that any
    name in any gender reads right: «Админов А. А. (от имени исполнителя: Иванова И. И.)»; for a
    delegate, «Завучева О. Н., за Директорова Е. В., по поручению от 01.09.2026»."""
    who = e["actor"]["name"] if e.get("actor") else "система"
    behalf = (e.get("on_behalf_of") or {}).get("name")
    return performed_by(who, behalf, (e.get("data") or {}).get("delegation"))
