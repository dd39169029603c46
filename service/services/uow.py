"""Unit of work: one transaction; rolled back unless `commit()` was called."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
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


def _lost_race(exc: BaseException | None) -> bool:
    """A version check failed (another writer committed first), or SQLite refused to upgrade a
    read snapshot that another writer made stale."""
    if isinstance(exc, StaleDataError):
        return True
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()
