"""Statistics facts (issue 15): per-route, per-stage-stretch, per-step, per-deficit and per-activity
rows that service/services/stats_facts.py refreshes from routes, tasks, events and cards, so that
the statistics page reads small indexed tables instead of the cards and the event history.
New tables only (routes and users are not altered).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stats_routes",
        sa.Column("route_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("tutor_id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("deficits_closed", sa.Integer(), nullable=False),
        sa.Column("route_updated_at", TS, nullable=False),
        sa.Column("refreshed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("route_id", name=op.f("pk_stats_routes")),
    )
    op.create_index("ix_stats_routes_centre", "stats_routes", ["centre_id", "status"])
    op.create_index("ix_stats_routes_school", "stats_routes", ["school_id", "status"])
    op.create_index("ix_stats_routes_tutor", "stats_routes", ["tutor_id", "status"])
    op.create_index("ix_stats_routes_period", "stats_routes", ["created_on", "end_on"])
    op.create_table(
        "stats_route_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("entered_at", TS, nullable=False),
        sa.Column("left_at", TS, nullable=True),
        sa.Column("entered_month", sa.Integer(), nullable=False),
        sa.Column("left_month", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_route_stages")),
    )
    op.create_index("ix_stats_route_stages_route", "stats_route_stages", ["route_id"])
    op.create_index("ix_stats_route_stages_stage", "stats_route_stages", ["stage", "entered_month"])
    op.create_table(
        "stats_steps",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.Column("returned", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_stats_steps")),
    )
    op.create_index("ix_stats_steps_route", "stats_steps", ["route_id"])
    op.create_index("ix_stats_steps_state_due", "stats_steps", ["state", "due_at"])
    op.create_index("ix_stats_steps_completed", "stats_steps", ["state", "completed_on"])
    op.create_table(
        "stats_deficits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=8), nullable=False),
        sa.Column("area", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_deficits")),
    )
    op.create_index("ix_stats_deficits_route", "stats_deficits", ["route_id"])
    op.create_table(
        "stats_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("form", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_activities")),
    )
    op.create_index("ix_stats_activities_route", "stats_activities", ["route_id"])
    op.create_table(
        "stats_state",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", TS, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stats_state")),
    )


def downgrade() -> None:
    for table in ("stats_state", "stats_activities", "stats_deficits", "stats_steps", "stats_route_stages",
                  "stats_routes"):
        op.drop_table(table)
