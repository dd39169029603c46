"""The route list by status, stage or centre, newest first (issue 13)

Measured at 100,000 routes: `/routes?status=completed` took 170 ms on SQLite and 225 ms on
PostgreSQL at p95 — completed routes were last updated long ago, so reading `ix_routes_updated`
backwards walks past ~90,000 active routes before it finds a page of them. An index on (status,
updated_at, id) serves the filter and the order at once; the same for stage and centre (a CNPPM
head's list). Each replaces the single-column index on its first column (equality lookups use the
prefix). Plain CREATE/DROP INDEX: no table rebuild, so SQLite keeps the search triggers of 0012.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = ("status", "stage", "centre_id")


def upgrade() -> None:
    for column in COLUMNS:
        op.create_index(f"ix_routes_{column}_updated", "routes", [column, "updated_at", "id"])
        op.drop_index(f"ix_routes_{column}", table_name="routes")


def downgrade() -> None:
    for column in COLUMNS:
        op.create_index(f"ix_routes_{column}", "routes", [column])
        op.drop_index(f"ix_routes_{column}_updated", table_name="routes")
