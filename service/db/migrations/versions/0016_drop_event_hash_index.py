"""Drop the index on events.hash (issue 13: bytes per route)

Nothing looks an event up by its hash: the chain is read by (route_id, seq), which the unique
constraint indexes. At 100,000 routes the index cost ~1 KB per route (64 hex characters per
event). Plain DROP INDEX: no table rebuild, so SQLite keeps the search triggers of 0012.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_events_hash", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_hash", "events", ["hash"])
