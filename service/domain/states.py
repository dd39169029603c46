"""The states a task, a document version and a route go through, and the kinds of events of a
route's history. `StrEnum`s: stored, compared, hashed and serialised as their plain values, so
the database and the hash chain hold the same strings as before."""

from __future__ import annotations

from enum import StrEnum


class TaskState(StrEnum):
    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # withdrawn: the route moved on, or an admin cancelled the route


class DocumentState(StrEnum):
    AWAITING_SIGNATURES = "awaiting_signatures"
    ISSUED = "issued"
    SUPERSEDED = "superseded"  # a newer version of the same document was prepared


class RouteStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    PROLONGED = "prolonged"  # ended, continued by a new linked route
    CANCELLED = "cancelled"


class EventKind(StrEnum):
    ROUTE_CREATED = "route_created"
    TASK_COMPLETED = "task_completed"
    DOCUMENT_PREPARED = "document_prepared"
    DOCUMENT_ISSUED = "document_issued"
    DOCUMENT_SIGNED = "document_signed"
    SIGNATURE_REJECTED = "signature_rejected"
    ROUTE_COMPLETED = "route_completed"
    ROUTE_PROLONGED = "route_prolonged"
    ROUTE_PROLONGED_AS = "route_prolonged_as"
    ADMIN_CARD_EDITED = "admin_card_edited"
    ADMIN_REASSIGNED = "admin_reassigned"
    ADMIN_CANCELLED = "admin_cancelled"
    # the system chain (route_id NULL)
    TEMPLATE_DEPLOYED = "template_deployed"
    WORKFLOW_DEPLOYED = "workflow_deployed"


DOCUMENT_EVENTS = (EventKind.DOCUMENT_PREPARED, EventKind.DOCUMENT_ISSUED)  # they record a version's hashes
