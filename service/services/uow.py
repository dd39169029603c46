"""Unit of work: one transaction; rolled back unless `commit()` was called."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from service.domain.errors import ConcurrentUpdate


class UnitOfWork:
    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.session.rollback()
        self.session.close()
        if _lost_race(exc):
            raise ConcurrentUpdate(RACE_MESSAGE) from exc

    def commit(self) -> None:
        """Commit; a concurrent writer that got there first surfaces (on leaving the block) as
        ConcurrentUpdate."""
        self.session.commit()


RACE_MESSAGE = "Маршрут изменён другим запросом; обновите страницу"


_RACE_WORDS = ("locked", "deadlock", "could not serialize", "duplicate key", "unique constraint")


def _lost_race(exc: BaseException | None) -> bool:
    """A version check failed (another writer committed first); SQLite refused to upgrade a read
    snapshot that another writer made stale; PostgreSQL found a deadlock or a serialization
    failure; or a unique key (an event's number in its route, a signature) was taken by a
    concurrent writer between our read and our insert."""
    if isinstance(exc, StaleDataError):
        return True
    if isinstance(exc, OperationalError | IntegrityError):
        text = str(exc.orig if getattr(exc, "orig", None) is not None else exc).lower()
        return any(word in text for word in _RACE_WORDS)
    return False
