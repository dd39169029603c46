"""Handlers that ask for documents. The BPMN decides when a document is prepared for signing
and when it is issued; the service renders and stores it after the engine step."""

from __future__ import annotations

from typing import Any

from service.tasks import StepContext


def prepare_document(card: dict[str, Any], data: dict[str, Any], ctx: StepContext) -> None:
    """A new version of `kind` for the people who must sign it (the earlier one is superseded)."""
    kind = ctx.params["kind"]
    extra = {"correction": data["correction"]} if kind == "korrektirovka" else {}
    ctx.request_document("prepare", kind, extra)


def issue_document(card: dict[str, Any], data: dict[str, Any], ctx: StepContext) -> None:
    """Issue `kind`: the signed version with its signature sheet, or, when nothing awaits
    signatures, a new version from the current card (a Карта after a correction)."""
    ctx.request_document("issue", ctx.params["kind"])


HANDLERS = {"prepare_document": prepare_document, "issue_document": issue_document}
