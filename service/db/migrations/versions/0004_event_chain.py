"""hash-chained, append-only events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from service.domain.audit import GENESIS, chain_hash, event_fields

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = [
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
]
PG_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'events are append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       FOR EACH ROW EXECUTE FUNCTION events_append_only()""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION events_append_only()""",
]


def _backfill(bind) -> None:
    """Chain the events written before this revision, in order, per route."""
    rows = bind.execute(sa.text("SELECT id, route_id, seq, at, actor_id, on_behalf_of_id, kind, task_id, task_name, "
                                "data FROM events ORDER BY route_id, seq, id")).mappings().all()
    prev: dict = {}
    seqs: dict = {}
    for row in rows:
        chain = row["route_id"]
        seq = seqs.get(chain, 0) + 1  # system events written before had seq 0: number them
        seqs[chain] = seq
        at = datetime.fromisoformat(row["at"]) if isinstance(row["at"], str) else row["at"]  # SQLite: text
        data = row["data"] if isinstance(row["data"], dict) else json.loads(row["data"])
        fields = event_fields(route_id=chain, seq=seq, at=at, actor_id=row["actor_id"],
                              on_behalf_of_id=row["on_behalf_of_id"], kind=row["kind"], task_id=row["task_id"],
                              task_name=row["task_name"], data=data)
        digest = chain_hash(prev.get(chain, GENESIS), fields)
        bind.execute(sa.text("UPDATE events SET seq = :seq, prev_hash = :p, hash = :h WHERE id = :i"),
                     {"seq": seq, "p": prev.get(chain, GENESIS), "h": digest, "i": row["id"]})
        prev[chain] = digest
    for chain, head in prev.items():
        if chain is not None:
            bind.execute(sa.text("UPDATE routes SET chain_head = :h WHERE id = :r"), {"h": head, "r": chain})


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
        batch.create_index("ix_events_hash", ["hash"])
    with op.batch_alter_table("routes") as batch:
        batch.add_column(sa.Column("chain_head", sa.String(64), nullable=True))
    bind = op.get_bind()
    _backfill(bind)
    for statement in (PG_TRIGGERS if bind.dialect.name == "postgresql" else SQLITE_TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    op.execute("DROP TRIGGER IF EXISTS events_no_update" + (" ON events" if bind.dialect.name == "postgresql" else ""))
    op.execute("DROP TRIGGER IF EXISTS events_no_delete" + (" ON events" if bind.dialect.name == "postgresql" else ""))
    with op.batch_alter_table("routes") as batch:
        batch.drop_column("chain_head")
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_hash")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
