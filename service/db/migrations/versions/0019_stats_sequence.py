"""Statistics facts carry a sequence number (issue 15): each refresh batch takes the next number
from stats_state (key "seq", column `number`) and writes it on the routes it rebuilt, so that a web
process holding the facts in memory (service/services/stats_columns.py) fetches only the routes
rebuilt since the number it has. Rows built before this revision have seq 0; the key "epoch" is
bumped by a full rebuild and tells every process to load anew.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-12
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stats_routes") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=False, server_default="0"))
        batch.create_index("ix_stats_routes_seq", ["seq"])
    with op.batch_alter_table("stats_state") as batch:
        batch.add_column(sa.Column("number", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stats_state") as batch:
        batch.drop_column("number")
    with op.batch_alter_table("stats_routes") as batch:
        batch.drop_index("ix_stats_routes_seq")
        batch.drop_column("seq")
