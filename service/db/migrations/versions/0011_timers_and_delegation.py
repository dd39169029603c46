"""Timers and delegation (issue 12, second part)

- routes.next_timer_at: when the route's next BPMN timer (a reminder or an escalation) is due;
  the worker picks routes by it (indexed), so it never loads a route that has nothing to fire.
- route_timers: the timers armed on a route's waiting tasks, as the engine reported them after the
  route's last step (name, kind, task, when): the route page shows them.
- signatures.on_behalf_of_id, on_behalf_name, delegation_id, delegated_on: a delegate's signature
  names whose task it was and by which delegation (the signature sheet of format 3 prints it).
- delegations: a head (or a methodist) lets a colleague complete their tasks for a date range,
  for chosen kinds of tasks or all; revoked or expired ones are kept (the history is in events).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("routes") as batch:
        batch.add_column(sa.Column("next_timer_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_routes_next_timer_at", "routes", ["next_timer_at"])
    op.create_table(
        "route_timers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("task_name", sa.String(length=100), nullable=False),
        sa.Column("fire_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["route_id"], ["routes.id"], name=op.f("fk_route_timers_route_id_routes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_timers")),
    )
    op.create_index("ix_route_timers_route", "route_timers", ["route_id", "fire_at"])
    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delegator_id", sa.Integer(), nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["delegator_id"], ["users.id"], name=op.f("fk_delegations_delegator_id_users")),
        sa.ForeignKeyConstraint(["delegate_id"], ["users.id"], name=op.f("fk_delegations_delegate_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_units.id"], name=op.f("fk_delegations_unit_id_org_units")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_delegations_created_by_id_users")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"], name=op.f("fk_delegations_revoked_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegations")),
    )
    op.create_index("ix_delegations_delegate", "delegations", ["delegate_id", "ends_on"])
    op.create_index("ix_delegations_delegator", "delegations", ["delegator_id", "ends_on"])
    # A signature given by a delegate records for whom and by which delegation (the signature sheet).
    with op.batch_alter_table("signatures") as batch:
        batch.add_column(sa.Column("on_behalf_of_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("on_behalf_name", sa.String(length=300), nullable=False, server_default=""))
        batch.add_column(sa.Column("delegation_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("delegated_on", sa.Date(), nullable=True))
        batch.create_foreign_key(op.f("fk_signatures_on_behalf_of_id_users"), "users", ["on_behalf_of_id"], ["id"])
        batch.create_foreign_key(op.f("fk_signatures_delegation_id_delegations"), "delegations", ["delegation_id"],
                                 ["id"])


def downgrade() -> None:
    with op.batch_alter_table("signatures") as batch:
        batch.drop_constraint(op.f("fk_signatures_delegation_id_delegations"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_signatures_on_behalf_of_id_users"), type_="foreignkey")
        batch.drop_column("delegated_on")
        batch.drop_column("delegation_id")
        batch.drop_column("on_behalf_name")
        batch.drop_column("on_behalf_of_id")
    op.drop_index("ix_delegations_delegator", table_name="delegations")
    op.drop_index("ix_delegations_delegate", table_name="delegations")
    op.drop_table("delegations")
    op.drop_index("ix_route_timers_route", table_name="route_timers")
    op.drop_table("route_timers")
    op.drop_index("ix_routes_next_timer_at", table_name="routes")
    with op.batch_alter_table("routes") as batch:
        batch.drop_column("next_timer_at")
