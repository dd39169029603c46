"""The handler behaviour version a route runs with (issue 14)

routes.behaviour: the version of the service-task handlers (service/tasks, `CURRENT_BEHAVIOUR`)
the route started with; its steps call those handler versions, and its `route_created` event
records the same number for the replay. Routes opened before this revision ran on today's
handlers, version 1 (the default). A plain ADD COLUMN: no table rebuild, so SQLite keeps the
search triggers of 0012.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("routes", sa.Column("behaviour", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    op.drop_column("routes", "behaviour")
