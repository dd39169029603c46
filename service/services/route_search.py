"""Text search over routes (their title and the teacher's name), served by an index on each
database (migration 0012): PostgreSQL ILIKE '%…%' over pg_trgm GIN indexes, SQLite an FTS5 table
with the trigram tokenizer. Both match a substring of 3 characters or more, case-insensitively
for Cyrillic too; a shorter text cannot be served by a trigram index and is not searched."""

from __future__ import annotations

import sqlalchemy as sa

from service.db.models import Route, User

MIN_LENGTH = 3


def searchable(text: str | None) -> bool:
    return text is not None and len(text.strip()) >= MIN_LENGTH


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matching_ids(session, text: str) -> sa.Select:
    """SELECT of the ids of routes whose title or teacher's name contains `text`."""
    text = text.strip()
    if session.get_bind().dialect.name == "sqlite":
        phrase = '"' + text.replace('"', '""') + '"'  # one FTS5 string: no query syntax from the user
        return sa.select(sa.literal_column("rowid")).select_from(sa.table("route_search")).where(
            sa.text("route_search MATCH :phrase").bindparams(phrase=phrase))
    pattern = f"%{_escape_like(text)}%"
    by_title = sa.select(Route.id).where(Route.title.ilike(pattern, escape="\\"))  # ix_routes_title_trgm
    by_teacher = (sa.select(Route.id).join(User, User.id == Route.teacher_id)  # ix_users_full_name_trgm
                  .where(User.full_name.ilike(pattern, escape="\\")))
    return sa.union(by_title, by_teacher)
