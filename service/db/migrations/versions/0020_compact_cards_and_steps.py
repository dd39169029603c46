"""Smaller rows per route (issue 13's bytes per route):

- routes.card is stored zlib-compressed on SQLite (`service.db.packed_json.PackedJSON`; PostgreSQL
  keeps its JSON, which TOAST already compresses): the existing cards are packed here, a batch of
  routes at a time.
- the statistics facts' steps lose what the page never reads: the task's id as a 36-character key
  (an integer key instead), its creation time, and its title, which goes once per step name into
  stats_step_titles; stage stretches lose their exact times (the months stay).

The facts are derived, so their tables are emptied and the epoch moved: the worker rebuilds them
from the routes (`flask --app service stats-rebuild` does it at once).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-13
"""

import zlib

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BATCH = 2_000


def _empty_facts() -> None:
    for table in ("stats_routes", "stats_route_stages", "stats_deficits", "stats_activities"):
        op.execute(f"DELETE FROM {table}")
    op.execute("DELETE FROM stats_state WHERE key = 'watermark'")
    op.execute("UPDATE stats_state SET number = COALESCE(number, 0) + 1 WHERE key = 'epoch'")
    op.execute("INSERT INTO stats_state (key, value, number) SELECT 'epoch', NULL, 1 "
               "WHERE NOT EXISTS (SELECT 1 FROM stats_state WHERE key = 'epoch')")


def _steps(compact: bool) -> None:
    op.drop_table("stats_steps")
    key = [sa.Column("id", sa.Integer(), nullable=False)] if compact else [
        sa.Column("task_id", sa.String(length=36), nullable=False)]
    extra = [] if compact else [sa.Column("title", sa.String(length=300), nullable=False),
                                sa.Column("created_at", TS, nullable=False)]
    op.create_table(
        "stats_steps", *key,
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.Column("returned", sa.Boolean(), nullable=False),
        *extra,
        sa.PrimaryKeyConstraint("id" if compact else "task_id", name=op.f("pk_stats_steps")),
    )
    op.create_index("ix_stats_steps_route", "stats_steps", ["route_id"])
    op.create_index("ix_stats_steps_state_due", "stats_steps", ["state", "due_at"])
    op.create_index("ix_stats_steps_completed", "stats_steps", ["state", "completed_on"])


def _cards(pack: bool) -> None:
    """SQLite only: every routes.card packed (or unpacked), BATCH routes a statement batch."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, card FROM routes WHERE id > :last ORDER BY id LIMIT :n"),
                            {"last": last, "n": BATCH}).all()
        if not rows:
            return
        changed = []
        for rid, card in rows:
            data = bytes(card) if isinstance(card, bytes | memoryview) else card.encode("utf-8")
            packed = data[:1] == b"x"
            if pack and not packed:
                changed.append({"i": rid, "c": zlib.compress(data, 6)})
            elif not pack and packed:
                changed.append({"i": rid, "c": zlib.decompress(data).decode("utf-8")})
        if changed:
            bind.execute(sa.text("UPDATE routes SET card = :c WHERE id = :i"), changed)
        last = rows[-1][0]


def upgrade() -> None:
    _empty_facts()
    _steps(compact=True)
    op.create_table(
        "stats_step_titles",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stats_step_titles")),
    )
    with op.batch_alter_table("stats_route_stages") as batch:
        batch.drop_column("entered_at")
        batch.drop_column("left_at")
    _cards(pack=True)


def downgrade() -> None:
    _cards(pack=False)
    _empty_facts()
    with op.batch_alter_table("stats_route_stages") as batch:
        batch.add_column(sa.Column("entered_at", TS, nullable=False, server_default="1970-01-01 00:00:00"))
        batch.add_column(sa.Column("left_at", TS, nullable=True))
    op.drop_table("stats_step_titles")
    _steps(compact=False)

