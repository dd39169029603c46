"""The trigram indexes of the route search (PostgreSQL, migration 0012) are written through at
once (GIN `fastupdate = off`) and their pending lists are emptied.

With the default `fastupdate = on`, a new route or person goes into the index's pending list,
which every search reads through row by row until VACUUM merges it (up to gin_pending_list_limit,
4 MB). At 100,000 routes that list held 5,700 rows and made one search 9 ms slower on the titles
alone. Routes and people are added rarely and searched often: the rare insert pays instead.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-14
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

INDEXES = ("ix_routes_title_trgm", "ix_users_full_name_trgm")


def _present(bind) -> list[str]:
    """The trigram indexes this database has (none where pg_trgm was not available)."""
    return [name for name in INDEXES if bind.execute(sa.text("SELECT to_regclass(:n)"), {"n": name}).scalar()]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name in _present(bind):
        op.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
        bind.execute(sa.text("SELECT gin_clean_pending_list(CAST(:n AS regclass))"), {"n": name})


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name in _present(bind):
        op.execute(f"ALTER INDEX {name} RESET (fastupdate)")
