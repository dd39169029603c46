"""The statistics steps' (state, due_at) index goes (issue 13's bytes per route: 261 bytes a route
on SQLite). The statistics page counts overdue steps in memory (service/services/stats_columns.py);
the list of routes behind an overdue figure finds the waiting steps through the (state,
completed_on) index, whose prefix is the state.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-13
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_stats_steps_state_due", table_name="stats_steps")


def downgrade() -> None:
    op.create_index("ix_stats_steps_state_due", "stats_steps", ["state", "due_at"])
