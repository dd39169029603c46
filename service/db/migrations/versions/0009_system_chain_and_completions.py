"""The system chain cannot fork; "completed by me" reads an index

- uq_events_system_seq: a unique index on the numbers of the system chain's events (route_id NULL;
  the (route_id, seq) key does not apply to NULLs), so two system events written at once cannot
  take the same number (the loser gets 409; PostgreSQL writers also take an advisory lock first).
- ix_tasks_completed_by: the tasks a person completed, newest first (/completed).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_events_system_seq", "events", ["seq"], unique=True,
                    postgresql_where=sa.text("route_id IS NULL"), sqlite_where=sa.text("route_id IS NULL"))
    op.create_index("ix_tasks_completed_by", "tasks", ["completed_by_id", "completed_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_completed_by", table_name="tasks")
    op.drop_index("uq_events_system_seq", table_name="events")
