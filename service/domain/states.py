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


class JobState(StrEnum):
    """A background job's (a replay's) progress through the worker."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


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
    TIMER_FIRED = "timer_fired"  # a BPMN timer (reminder, escalation) fired on a waiting task
    ROUTE_MIGRATED = "route_migrated"  # moved to another workflow version (services/route_migration.py)
    ROUTE_MIGRATION_REVERTED = "route_migration_reverted"  # that move undone, before any step on the new one
    # the system chain (route_id NULL)
    TEMPLATE_DEPLOYED = "template_deployed"
    WORKFLOW_DEPLOYED = "workflow_deployed"
    # template/workflow versions made current again, the ПЭП regulation accepted (system chain)
    TEMPLATE_ACTIVATED = "template_activated"
    WORKFLOW_ACTIVATED = "workflow_activated"
    PEP_ACCEPTED = "pep_accepted"
    # organisation and people (system chain; never passwords or tokens in the data)
    ORG_UNIT_CREATED = "org_unit_created"
    ORG_UNIT_RENAMED = "org_unit_renamed"
    ORG_UNIT_DEACTIVATED = "org_unit_deactivated"
    ORG_UNIT_REACTIVATED = "org_unit_reactivated"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    ROLE_GRANTED = "role_granted"
    ROLE_REVOKED = "role_revoked"
    PASSWORD_RESET_ISSUED = "password_reset_issued"
    PASSWORD_CHANGED = "password_changed"
    PEOPLE_IMPORTED = "people_imported"  # one per bulk import: file SHA-256, counts, created ids
    REGION_DAY_SET = "region_day_set"  # the region marks a day off / working day (system chain)
    REGION_DAY_REMOVED = "region_day_removed"
    DELEGATION_GRANTED = "delegation_granted"  # a head lets a colleague act for them (system chain)
    DELEGATION_REVOKED = "delegation_revoked"
    DELEGATION_EXPIRED = "delegation_expired"


DOCUMENT_EVENTS = (EventKind.DOCUMENT_PREPARED, EventKind.DOCUMENT_ISSUED)  # they record a version's hashes

# Events of the system chain (route_id NULL): deployments, versions, the ПЭП, organisation and people.
SYSTEM_EVENTS = frozenset({
    EventKind.TEMPLATE_DEPLOYED, EventKind.WORKFLOW_DEPLOYED, EventKind.TEMPLATE_ACTIVATED,
    EventKind.WORKFLOW_ACTIVATED, EventKind.PEP_ACCEPTED, EventKind.ORG_UNIT_CREATED, EventKind.ORG_UNIT_RENAMED,
    EventKind.ORG_UNIT_DEACTIVATED, EventKind.ORG_UNIT_REACTIVATED, EventKind.USER_CREATED, EventKind.USER_UPDATED,
    EventKind.USER_DEACTIVATED, EventKind.USER_REACTIVATED, EventKind.ROLE_GRANTED, EventKind.ROLE_REVOKED,
    EventKind.PASSWORD_RESET_ISSUED, EventKind.PASSWORD_CHANGED, EventKind.PEOPLE_IMPORTED,
    EventKind.REGION_DAY_SET, EventKind.REGION_DAY_REMOVED, EventKind.DELEGATION_GRANTED,
    EventKind.DELEGATION_REVOKED, EventKind.DELEGATION_EXPIRED,
})
