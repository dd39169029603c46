"""Compact engine state and background jobs (issue 13)

- route_states.state: the engine's JSON text zlib-compressed in a binary column (BLOB / bytea)
  instead of text (service/db/state_codec.py; sizes and costs in bench/state_storage.py and the
  README). Existing rows are converted here, and back on downgrade; the reader also accepts
  uncompressed JSON, so rows written by old code during a rolling upgrade still load.
- replay_results: a replay of a route (with or without its documents) run by the worker, kept by
  the route's chain head: asking again for the same head is answered from here, and a new event
  (a new head) makes a new row. Progress (done of total steps) is written while it runs.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import zlib

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BATCH = 500


def _text(stored) -> str:
    """A stored state as JSON text, packed or not (the same rule as service/db/state_codec.py,
    kept here so this migration does not change when the codec does)."""
    if isinstance(stored, str):
        return stored
    data = bytes(stored)
    return (zlib.decompress(data) if data[:1] == b"x" else data).decode("utf-8")


def _packed(stored) -> bytes:
    return zlib.compress(_text(stored).encode("utf-8"), 6)


def _convert(source_type, target_type, change) -> None:
    """Rewrite route_states.state as `target_type` through `change`: into a new column, in batches
    of rows, then the old column dropped and the new one named `state`."""
    with op.batch_alter_table("route_states") as batch:
        batch.add_column(sa.Column("state_new", target_type, nullable=True))
    table = sa.table("route_states", sa.column("route_id", sa.Integer), sa.column("state", source_type),
                     sa.column("state_new", target_type))
    conn, last = op.get_bind(), 0
    while True:
        rows = conn.execute(sa.select(table.c.route_id, table.c.state).where(table.c.route_id > last)
                            .order_by(table.c.route_id).limit(BATCH)).all()
        if not rows:
            break
        conn.execute(table.update().where(table.c.route_id == sa.bindparam("rid"))
                     .values(state_new=sa.bindparam("value")),
                     [{"rid": rid, "value": change(value)} for rid, value in rows])
        last = rows[-1][0]
    with op.batch_alter_table("route_states") as batch:
        batch.drop_column("state")
        batch.alter_column("state_new", new_column_name="state", existing_type=target_type, nullable=False)


def upgrade() -> None:
    _convert(sa.Text(), sa.LargeBinary(), _packed)
    op.create_table(
        "replay_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("chain_head", sa.String(length=64), nullable=False),
        sa.Column("documents", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("result", sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["route_id"], ["routes.id"], name=op.f("fk_replay_results_route_id_routes")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"],
                                name=op.f("fk_replay_results_requested_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replay_results")),
        sa.UniqueConstraint("route_id", "chain_head", "documents", name="uq_replay_results_head"),
        sqlite_autoincrement=True,  # job numbers are never reused (rows of old heads are deleted)
    )


def downgrade() -> None:
    op.drop_table("replay_results")
    _convert(sa.LargeBinary(), sa.Text(), _text)
