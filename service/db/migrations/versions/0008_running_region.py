"""What a region needs to run itself from the pages (issue 11)

- org_units.is_active: centres and schools are deactivated, never deleted (routes refer to them).
- users.email: the stable key of the bulk import (lower-cased; unique where present), and where
  notifications go; users.must_change_password: a temporary password is changed at first login.
- teacher_profiles.updated_at / updated_by_id: who last edited the information sheet.
- password_resets: one-time links (only the SHA-256 of the token is kept).
- saved_filters: a user's named filters of a list page (the approval queue, the inbox).
- pep_acceptances: who accepted which version (SHA-256) of the simple-signature regulation, when.
- route_orders + routes.order_id: one order (распорядительный акт) assigning tutors to several
  teachers, whose routes were opened together.
- workflow_specs.activated_at: an admin makes an older version current again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("org_units") as batch:
        batch.add_column(sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.create_index("ix_users_email", ["email"], unique=True)
        batch.create_index("ix_users_org_unit_id", ["org_unit_id"])
    with op.batch_alter_table("teacher_profiles") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_password_resets_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"])
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_saved_filters_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint("user_id", "page", "name", name="uq_saved_filters_name"),
    )
    op.create_table(
        "pep_acceptances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_pep_acceptances_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pep_acceptances")),
        sa.UniqueConstraint("user_id", "sha256", name="uq_pep_acceptances_once"),
    )
    op.create_table(
        "route_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["centre_id"], ["org_units.id"], name=op.f("fk_route_orders_centre_id_org_units")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_route_orders_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_orders")),
    )
    with op.batch_alter_table("routes") as batch:
        batch.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_routes_order_id_route_orders"), "route_orders", ["order_id"], ["id"])
    with op.batch_alter_table("workflow_specs") as batch:
        batch.add_column(sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workflow_specs") as batch:
        batch.drop_column("activated_at")
    with op.batch_alter_table("routes") as batch:
        batch.drop_constraint(op.f("fk_routes_order_id_route_orders"), type_="foreignkey")
        batch.drop_column("order_id")
    op.drop_table("route_orders")
    op.drop_table("pep_acceptances")
    op.drop_table("saved_filters")
    op.drop_index("ix_password_resets_user_id", table_name="password_resets")
    op.drop_table("password_resets")
    with op.batch_alter_table("teacher_profiles") as batch:
        batch.drop_column("updated_by_id")
        batch.drop_column("updated_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_org_unit_id")
        batch.drop_index("ix_users_email")
        batch.drop_column("must_change_password")
        batch.drop_column("email")
    with op.batch_alter_table("org_units") as batch:
        batch.drop_column("is_active")
