"""Running routes move to another workflow version (issue 14)

- route_migrations: one row per migration of a route (the `route_migrated` event is the record;
  this row keeps what a revert needs): the engine state and stage before it, both versions, and
  when it was reverted.
- migration_batches: a batch migration of a version's routes run by the worker, with its progress
  and a per-route report of what migrated and what did not, and why.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "migration_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_spec_id", sa.Integer(), nullable=False),
        sa.Column("to_spec_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=True),
        sa.Column("mapping", JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("migrated", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("report", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["from_spec_id"], ["workflow_specs.id"],
                                name=op.f("fk_migration_batches_from_spec_id_workflow_specs")),
        sa.ForeignKeyConstraint(["to_spec_id"], ["workflow_specs.id"],
                                name=op.f("fk_migration_batches_to_spec_id_workflow_specs")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"],
                                name=op.f("fk_migration_batches_requested_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migration_batches")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "route_migrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("from_spec_id", sa.Integer(), nullable=False),
        sa.Column("to_spec_id", sa.Integer(), nullable=False),
        sa.Column("state_before", sa.LargeBinary(), nullable=False),
        sa.Column("data_before", JSON, nullable=False),
        sa.Column("stage_before", sa.String(length=32), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("migrated_by_id", sa.Integer(), nullable=True),
        sa.Column("migrated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reverted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["route_id"], ["routes.id"], name=op.f("fk_route_migrations_route_id_routes")),
        sa.ForeignKeyConstraint(["from_spec_id"], ["workflow_specs.id"],
                                name=op.f("fk_route_migrations_from_spec_id_workflow_specs")),
        sa.ForeignKeyConstraint(["to_spec_id"], ["workflow_specs.id"],
                                name=op.f("fk_route_migrations_to_spec_id_workflow_specs")),
        sa.ForeignKeyConstraint(["batch_id"], ["migration_batches.id"],
                                name=op.f("fk_route_migrations_batch_id_migration_batches")),
        sa.ForeignKeyConstraint(["migrated_by_id"], ["users.id"],
                                name=op.f("fk_route_migrations_migrated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_migrations")),
    )
    op.create_index("ix_route_migrations_route_id", "route_migrations", ["route_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_route_migrations_route_id", table_name="route_migrations")
    op.drop_table("route_migrations")
    op.drop_table("migration_batches")
