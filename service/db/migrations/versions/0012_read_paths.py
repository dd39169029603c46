"""Indexes and text search for the read paths (issue 13)

- routes.previous_route_id: the route page and /api/routes/<id> look up the next route by it.
- routes (updated_at, id): the route list's ORDER BY, read backwards, LIMIT a page.
- tasks (assignee_id, state, due_at): the inbox sorted by due date and its overdue count.
- Text search over the route title and the teacher's name:
  PostgreSQL: pg_trgm trigram GIN indexes on routes.title and users.full_name (ILIKE '%…%' is
  served by them; the extension goes to the public schema when it is not installed yet);
  SQLite: an FTS5 table `route_search` (rowid = route id; title, teacher) with the trigram
  tokenizer (substring match, case folded for Cyrillic too), kept in sync by triggers.
  A later migration that rebuilds `routes` or `users` on SQLite (batch_alter_table copies the
  table and drops the old one, and its triggers with it) must create the triggers again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE route_search USING fts5(title, teacher, tokenize = 'trigram case_sensitive 0')",
    "INSERT INTO route_search (rowid, title, teacher) "
    "SELECT r.id, r.title, u.full_name FROM routes r JOIN users u ON u.id = r.teacher_id",
    "CREATE TRIGGER route_search_insert AFTER INSERT ON routes BEGIN "
    "INSERT INTO route_search (rowid, title, teacher) "
    "VALUES (new.id, new.title, (SELECT full_name FROM users WHERE id = new.teacher_id)); END",
    "CREATE TRIGGER route_search_update AFTER UPDATE OF title, teacher_id ON routes BEGIN "
    "DELETE FROM route_search WHERE rowid = old.id; "
    "INSERT INTO route_search (rowid, title, teacher) "
    "VALUES (new.id, new.title, (SELECT full_name FROM users WHERE id = new.teacher_id)); END",
    "CREATE TRIGGER route_search_delete AFTER DELETE ON routes BEGIN "
    "DELETE FROM route_search WHERE rowid = old.id; END",
    "CREATE TRIGGER route_search_teacher_renamed AFTER UPDATE OF full_name ON users BEGIN "
    "UPDATE route_search SET teacher = new.full_name "
    "WHERE rowid IN (SELECT id FROM routes WHERE teacher_id = new.id); END",
]


def _trigram_schema(bind) -> str | None:
    """The schema pg_trgm lives in (installing it into public when it is available and absent)."""
    available = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar()
    if not available:  # no contrib package: search still works, by a scan
        return None
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    return bind.execute(sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                                "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")).scalar()


def upgrade() -> None:
    op.create_index("ix_routes_previous_route_id", "routes", ["previous_route_id"])
    op.create_index("ix_routes_updated", "routes", ["updated_at", "id"])
    op.create_index("ix_tasks_assignee_due", "tasks", ["assignee_id", "state", "due_at"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        schema = _trigram_schema(bind)
        if schema:
            ops = f'"{schema}".gin_trgm_ops'
            op.execute(f"CREATE INDEX ix_routes_title_trgm ON routes USING gin (title {ops})")
            op.execute(f"CREATE INDEX ix_users_full_name_trgm ON users USING gin (full_name {ops})")
    elif bind.dialect.name == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_users_full_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_routes_title_trgm")
    elif bind.dialect.name == "sqlite":
        for trigger in ("route_search_teacher_renamed", "route_search_delete", "route_search_update",
                        "route_search_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS route_search")
    op.drop_index("ix_tasks_assignee_due", table_name="tasks")
    op.drop_index("ix_routes_updated", table_name="routes")
    op.drop_index("ix_routes_previous_route_id", table_name="routes")
