"""SQLAlchemy 2 typed models."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service.db.packed_json import PackedJSON
from service.db.state_codec import StateBlob

JsonType = sa.JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JsonType, list[Any]: JsonType}
    metadata = sa.MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class OrgUnit(Base):
    """Region → centre (ЦНППМ) → school (ОО)."""

    __tablename__ = "org_units"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # region | centre | school
    name: Mapped[str] = mapped_column(sa.String(300))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_units.id"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())  # never deleted


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(100), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(300))
    position: Mapped[str] = mapped_column(sa.String(300), default="")
    org_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_units.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(300))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True, index=True)  # lower-cased; the import's key
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    digest_hour: Mapped[int] = mapped_column(default=8, server_default="8")  # the daily digest's hour (local)
    email_bounced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the mail server refuses it
    email_bounce: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")


class RoleGrant(Base):
    """A role a person holds, scoped to an org unit (a school's head, a centre's head…)."""

    __tablename__ = "role_grants"
    __table_args__ = (sa.UniqueConstraint("user_id", "role", "org_unit_id", name="uq_role_grants_scope"),
                      sa.Index("ix_role_grants_role_unit", "role", "org_unit_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    org_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_units.id"))


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuthFailure(Base):
    """One failed password check (a login, or a signature's confirmation), shared by every worker."""

    __tablename__ = "auth_failures"
    __table_args__ = (sa.Index("ix_auth_failures_login_at", "login", "at"),
                      sa.Index("ix_auth_failures_login_ip_at", "login", "ip", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(100))  # lower-cased, as typed (may name nobody)
    ip: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))  # login | signature
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuthKnownAddress(Base):
    """An address a login has signed in from successfully: the per-login lock does not apply there."""

    __tablename__ = "auth_known_addresses"
    login: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    ip: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    last_success_at: Mapped[datetime] = mapped_column(UtcDateTime())


class UserSession(Base):
    """A server-side login session: the cookie carries its token; logout or idleness ends it."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ip: Mapped[str] = mapped_column(sa.String(64), server_default="")
    user_agent: Mapped[str] = mapped_column(sa.String(400), server_default="")


class TeacherProfile(Base):
    """The teacher's information sheet (информационная справка), reused by every route."""

    __tablename__ = "teacher_profiles"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id"), index=True)
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_by_id: Mapped[int | None] = mapped_column()


class PasswordReset(Base):
    """A one-time password-reset link; only the SHA-256 of its token is stored."""

    __tablename__ = "password_resets"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class SavedFilter(Base):
    """A user's named filter of a list page: the page's query string, replayed on a click."""

    __tablename__ = "saved_filters"
    __table_args__ = (sa.UniqueConstraint("user_id", "page", "name", name="uq_saved_filters_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    page: Mapped[str] = mapped_column(sa.String(32))  # queue | inbox | routes
    name: Mapped[str] = mapped_column(sa.String(100))
    query: Mapped[str] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PepAcceptance(Base):
    """A user accepted a version (SHA-256) of the simple electronic signature regulation; the
    same fact is an event of the system chain."""

    __tablename__ = "pep_acceptances"
    __table_args__ = (sa.UniqueConstraint("user_id", "sha256", name="uq_pep_acceptances_once"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    accepted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ip: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")


class RouteOrder(Base):
    """One order (распорядительный акт) of a centre assigning tutors, for the routes opened with it."""

    __tablename__ = "route_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40))
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))


class WorkflowSpec(Base):
    """A deployed set of BPMN files, named by the hash of their content."""

    __tablename__ = "workflow_specs"
    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    process_id: Mapped[str] = mapped_column(sa.String(100))
    files: Mapped[dict[str, Any]] = mapped_column(deferred=True)  # file name → BPMN XML text
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deployed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # made current again by an admin


class Route(Base):
    __tablename__ = "routes"
    # the route list's ORDER BY, alone and after a filter by status, stage or centre (migration 0014)
    __table_args__ = (sa.Index("ix_routes_updated", "updated_at", "id"),
                      sa.Index("ix_routes_status_updated", "status", "updated_at", "id"),
                      sa.Index("ix_routes_stage_updated", "stage", "updated_at", "id"),
                      sa.Index("ix_routes_centre_id_updated", "centre_id", "updated_at", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    tutor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    methodist_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id"), index=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id"))
    spec_id: Mapped[int] = mapped_column(sa.ForeignKey("workflow_specs.id"))
    previous_route_id: Mapped[int | None] = mapped_column(sa.ForeignKey("routes.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))  # searched: migration 0012 (pg_trgm / FTS5)
    status: Mapped[str] = mapped_column(sa.String(16))  # active | completed | prolonged | cancelled
    stage: Mapped[str] = mapped_column(sa.String(32))
    card: Mapped[dict[str, Any]] = mapped_column(PackedJSON, default=dict, deferred=True)  # grows with corrections
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_on: Mapped[date | None] = mapped_column(sa.Date)
    ended_on: Mapped[date | None] = mapped_column(sa.Date)
    chain_head: Mapped[str | None] = mapped_column(sa.String(64))  # hash of the route's last event
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("route_orders.id"))
    next_timer_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)  # the worker fires by it
    # the handler versions its steps run with (service/tasks CURRENT_BEHAVIOUR at opening; migration 0015)
    behaviour: Mapped[int] = mapped_column(default=1, server_default="1")


class RouteState(Base):
    """The engine state of a route; `version` makes concurrent writers fail instead of
    silently overwriting each other."""

    __tablename__ = "route_states"
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("routes.id"), primary_key=True)
    state: Mapped[str] = mapped_column(StateBlob)  # JSON text here, zlib bytes in the table (state_codec.py)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}


class ReplayResult(Base):
    """A replay of a route run off the request (services/replay_jobs.py), kept by the chain head it
    checked: asking again for the same head is answered from here; a new event means a new head."""

    __tablename__ = "replay_results"
    __table_args__ = (sa.UniqueConstraint("route_id", "chain_head", "documents", name="uq_replay_results_head"),
                      {"sqlite_autoincrement": True})  # a job number is never reused: pollers hold them
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("routes.id"))
    chain_head: Mapped[str] = mapped_column(sa.String(64))
    documents: Mapped[bool] = mapped_column(sa.Boolean)  # the documents re-rendered too
    state: Mapped[str] = mapped_column(sa.String(16))  # domain.states.JobState
    done: Mapped[int] = mapped_column(default=0, server_default="0")  # steps (events, documents) done
    total: Mapped[int] = mapped_column(default=0, server_default="0")
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonType, deferred=True)
    error: Mapped[str | None] = mapped_column(sa.Text)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # a job silent too long is run again
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class MigrationBatch(Base):
    """A batch migration of a version's routes run by the worker (services/route_migration.py):
    progress, and per route what migrated and what did not, and why."""

    __tablename__ = "migration_batches"
    __table_args__ = ({"sqlite_autoincrement": True},)
    id: Mapped[int] = mapped_column(primary_key=True)
    from_spec_id: Mapped[int] = mapped_column(sa.ForeignKey("workflow_specs.id"))
    to_spec_id: Mapped[int] = mapped_column(sa.ForeignKey("workflow_specs.id"))
    stage: Mapped[str | None] = mapped_column(sa.String(32))  # only the routes at this stage
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)  # old task name → task in the new version
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(16))  # domain.states.JobState
    done: Mapped[int] = mapped_column(default=0, server_default="0")
    total: Mapped[int] = mapped_column(default=0, server_default="0")
    migrated: Mapped[int] = mapped_column(default=0, server_default="0")
    failed: Mapped[int] = mapped_column(default=0, server_default="0")
    report: Mapped[list[Any] | None] = mapped_column(JsonType, deferred=True)  # [{route_id, ok, reason}]
    error: Mapped[str | None] = mapped_column(sa.Text)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RouteMigration(Base):
    """A route moved to another workflow version; what a revert needs (the `route_migrated` event
    is the record): the engine state, its data and the stage before the move."""

    __tablename__ = "route_migrations"
    __table_args__ = (sa.Index("ix_route_migrations_route_id", "route_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("routes.id"))
    event_seq: Mapped[int] = mapped_column()  # the route_migrated event
    from_spec_id: Mapped[int] = mapped_column(sa.ForeignKey("workflow_specs.id"))
    to_spec_id: Mapped[int] = mapped_column(sa.ForeignKey("workflow_specs.id"))
    state_before: Mapped[str] = mapped_column(StateBlob, deferred=True)
    data_before: Mapped[dict[str, Any]] = mapped_column(default=dict, deferred=True)
    stage_before: Mapped[str] = mapped_column(sa.String(32))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("migration_batches.id"))
    migrated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    migrated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reverted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Task(Base):
    """A human task, one row per time it became ready: the queues read this table."""

    __tablename__ = "tasks"
    __table_args__ = (
        sa.Index("ix_tasks_assignee_queue", "assignee_id", "state", "created_at"),
        sa.Index("ix_tasks_role_queue", "role", "state", "created_at"),
        sa.Index("ix_tasks_route_state", "route_id", "state"),
        sa.Index("ix_tasks_school_queue", "school_id", "state", "created_at"),
        sa.Index("ix_tasks_centre_queue", "centre_id", "state", "created_at"),
        sa.Index("ix_tasks_state_due", "state", "due_at"),
        sa.Index("ix_tasks_assignee_due", "assignee_id", "state", "due_at"),  # the inbox by due date
        sa.Index("ix_tasks_completed_by", "completed_by_id", "completed_at"),
    )
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("routes.id"))
    engine_task_id: Mapped[str] = mapped_column(sa.String(36))
    name: Mapped[str] = mapped_column(sa.String(100))
    title: Mapped[str] = mapped_column(sa.String(300))
    form: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(sa.String(32))
    stage: Mapped[str] = mapped_column(sa.String(32))
    assignee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id"))
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id"))
    state: Mapped[str] = mapped_column(sa.String(16))  # ready | completed | cancelled
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class Event(Base):
    """Append-only history of a route: who did what, when, on which task, with which data."""

    __tablename__ = "events"
    __table_args__ = (sa.UniqueConstraint("route_id", "seq", name="uq_events_route_seq"),
                      sa.Index("uq_events_system_seq", "seq", unique=True,
                               postgresql_where=sa.text("route_id IS NULL"),
                               sqlite_where=sa.text("route_id IS NULL")))
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int | None] = mapped_column(sa.ForeignKey("routes.id"))
    seq: Mapped[int] = mapped_column()
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    task_id: Mapped[str | None] = mapped_column(sa.String(36))
    task_name: Mapped[str | None] = mapped_column(sa.String(100))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))  # not looked up by: no index (migration 0016)


class DocTemplate(Base):
    """A deployed .docx template; its SHA-256 is the template version."""

    __tablename__ = "doc_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deployed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class Document(Base):
    """One version of one document of a route: the content people sign, and once complete, the
    issued copy (the content plus its signature sheet). `data` is everything it was rendered from."""

    __tablename__ = "documents"
    __table_args__ = (sa.UniqueConstraint("route_id", "kind", "version", name="uq_documents_version"),
                      sa.Index("ix_documents_route_kind", "route_id", "kind", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("routes.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    version: Mapped[int] = mapped_column()
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("doc_templates.id"))
    state: Mapped[str] = mapped_column(sa.String(24))  # awaiting_signatures | issued | superseded
    data: Mapped[dict[str, Any]] = mapped_column(deferred=True)
    content_sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    issued_sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    issued: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Signature(Base):
    """A simple electronic signature (ПЭП): who confirmed which exact bytes, when, from where."""

    __tablename__ = "signatures"
    __table_args__ = (sa.UniqueConstraint("document_id", "signer_id", "action", name="uq_signatures_once"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id"), index=True)
    signer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(sa.String(300), server_default="")  # as at signing
    role: Mapped[str] = mapped_column(sa.String(32))
    action: Mapped[str] = mapped_column(sa.String(16))  # sign | agree | approve | acknowledge
    task_id: Mapped[str | None] = mapped_column(sa.String(36))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ip: Mapped[str] = mapped_column(sa.String(64), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(400), default="")
    # Signed by a delegate for the task's assignee (migration 0011): whose task, their name as at
    # signing, the delegation and its date — the signature sheet (format 3+) prints them.
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    on_behalf_name: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    delegation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("delegations.id"))
    delegated_on: Mapped[date | None] = mapped_column(sa.Date)


class TaskDraft(Base):
    """What a person typed into a task form and saved to finish later."""

    __tablename__ = "task_drafts"
    task_id: Mapped[str] = mapped_column(sa.ForeignKey("tasks.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column()
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PdfCache(Base):
    """The PDF of a document version's bytes, converted once (LibreOffice) and served from here."""

    __tablename__ = "pdf_cache"
    docx_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RegionDay(Base):
    """A day the region marks on top of the Russian production calendar: off, or working."""

    __tablename__ = "region_days"
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class Notification(Base):
    """What a person is told, in the app (and by e-mail per their preferences), written in the same
    transaction as the event that causes it."""

    __tablename__ = "notifications"
    __table_args__ = (sa.UniqueConstraint("event_id", "user_id", "kind", name="uq_notifications_once"),
                      sa.Index("ix_notifications_user_unread", "user_id", "read_at", "created_at"),
                      sa.Index("ix_notifications_email", "email", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str] = mapped_column(sa.String(300))  # a path of the service: /tasks/…, /routes/…
    route_id: Mapped[int | None] = mapped_column(sa.ForeignKey("routes.id"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    email: Mapped[str] = mapped_column(sa.String(16), default="none",
                                       server_default="none")  # none|queued|digest|sent


class EmailOutbox(Base):
    """A letter to send; `key` is unique (a notification's, or a person's digest of a day), so no
    letter is queued twice, and a lease (`locked_until`) keeps two dispatchers off the same row."""

    __tablename__ = "email_outbox"
    __table_args__ = (sa.Index("ix_email_outbox_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    to_addr: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    text: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(16))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")


class NotificationPref(Base):
    """How a person wants one kind of notification by e-mail: instant | digest | off (absent: instant)."""

    __tablename__ = "notification_prefs"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(16))


class RouteTimer(Base):
    """A BPMN timer armed on a route's waiting task (a reminder or an escalation), as the engine
    reported it after the route's last step; rewritten on every step (the route page shows them)."""

    __tablename__ = "route_timers"
    __table_args__ = (sa.Index("ix_route_timers_route", "route_id", "fire_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("routes.id"))
    task_id: Mapped[str | None] = mapped_column(sa.String(36))  # the service's task it is attached to
    name: Mapped[str] = mapped_column(sa.String(100))  # the boundary event's id in the BPMN
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(16))  # reminder | escalation
    task_name: Mapped[str] = mapped_column(sa.String(100))
    fire_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Delegation(Base):
    """A head (or a methodist) lets a colleague complete their tasks from `starts_on` to `ends_on`
    (inclusive, region dates) for the task kinds in `kinds` (empty: all). Never deleted: revoked
    or expired ones stay, and each change is an event of the system chain."""

    __tablename__ = "delegations"
    __table_args__ = (sa.Index("ix_delegations_delegate", "delegate_id", "ends_on"),
                      sa.Index("ix_delegations_delegator", "delegator_id", "ends_on"))
    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    delegate_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(sa.String(32))  # the delegator's role that is delegated
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_units.id"))  # that role's place
    kinds: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    expired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # when the expiry event was recorded


# ---- statistics facts (issue 15; service/services/stats_facts.py keeps them, migration 0018) ------
class StatsRoute(Base):
    """One row per route: where it is, whose, its subject, status and stage, its dates (region-local)
    and counts; `route_updated_at` is the routes.updated_at it was built from (stale when they differ)."""

    __tablename__ = "stats_routes"
    __table_args__ = (sa.Index("ix_stats_routes_centre", "centre_id", "status"),
                      sa.Index("ix_stats_routes_school", "school_id", "status"),
                      sa.Index("ix_stats_routes_tutor", "tutor_id", "status"),
                      sa.Index("ix_stats_routes_period", "created_on", "end_on"),
                      sa.Index("ix_stats_routes_seq", "seq"))
    route_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    centre_id: Mapped[int] = mapped_column()
    school_id: Mapped[int] = mapped_column()
    tutor_id: Mapped[int] = mapped_column()
    teacher_id: Mapped[int] = mapped_column()
    subject: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(16))
    stage: Mapped[str] = mapped_column(sa.String(32))
    created_on: Mapped[date] = mapped_column(sa.Date)
    end_on: Mapped[date | None] = mapped_column(sa.Date)  # completed, prolonged or cancelled on
    working_days: Mapped[int | None] = mapped_column()  # opening → end, for completed and prolonged routes
    corrections: Mapped[int] = mapped_column(default=0)
    returns: Mapped[int] = mapped_column(default=0)
    deficits_closed: Mapped[int] = mapped_column(default=0)  # completed and prolonged routes
    route_updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")  # the refresh batch's number


class StatsRouteStage(Base):
    """A stretch of time a route spent at one working stage (months as year*12 + month - 1, local)."""

    __tablename__ = "stats_route_stages"
    __table_args__ = (sa.Index("ix_stats_route_stages_route", "route_id"),
                      sa.Index("ix_stats_route_stages_stage", "stage", "entered_month"))
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column()
    stage: Mapped[str] = mapped_column(sa.String(32))
    entered_month: Mapped[int] = mapped_column()
    left_month: Mapped[int | None] = mapped_column()


class StatsStep(Base):
    """One row per task that was completed or waits: how long it waited (working days), whether it
    sent the work back, and its due date (overdue is decided at reading time)."""

    __tablename__ = "stats_steps"
    __table_args__ = (sa.Index("ix_stats_steps_route", "route_id"),
                      sa.Index("ix_stats_steps_completed", "state", "completed_on"))
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(100))
    stage: Mapped[str] = mapped_column(sa.String(32))
    assignee_id: Mapped[int] = mapped_column()
    state: Mapped[str] = mapped_column(sa.String(16))  # ready | completed
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_on: Mapped[date | None] = mapped_column(sa.Date)
    working_days: Mapped[int | None] = mapped_column()  # created → completed
    returned: Mapped[bool] = mapped_column(default=False)


class StatsStepTitle(Base):
    """A step's title by its name (the greatest seen, as the statistics show one title a step)."""

    __tablename__ = "stats_step_titles"
    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))


class StatsDeficit(Base):
    """Deficits of a route's card by competency area: entry (by level), final and closed (the
    latter two for completed and prolonged routes)."""

    __tablename__ = "stats_deficits"
    __table_args__ = (sa.Index("ix_stats_deficits_route", "route_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column()
    phase: Mapped[str] = mapped_column(sa.String(8))  # entry | final | closed
    area: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[str] = mapped_column(sa.String(16))  # the entry deficit's level; "" for final and closed
    count: Mapped[int] = mapped_column()


class StatsActivity(Base):
    """One activity of a route's card: level, form of presenting the result, done or not and why."""

    __tablename__ = "stats_activities"
    __table_args__ = (sa.Index("ix_stats_activities_route", "route_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column()
    level: Mapped[str] = mapped_column(sa.String(32))
    form: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(16))  # planned | done | not_done | replaced
    reason: Mapped[str] = mapped_column(sa.String(500), default="")


class StatsState(Base):
    """The facts' watermark (routes.updated_at processed up to) and when they were last refreshed."""

    __tablename__ = "stats_state"
    key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    value: Mapped[datetime | None] = mapped_column(UtcDateTime())
    number: Mapped[int | None] = mapped_column(sa.BigInteger)  # "seq": the last refresh batch; "epoch": rebuilds
