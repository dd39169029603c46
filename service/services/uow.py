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

    def __exit__(self, *exc_info) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        """Commit; a concurrent writer that got there first turns into ConcurrentUpdate."""
        try:
            self.session.commit()
        except StaleDataError:
            self.session.rollback()
            raise ConcurrentUpdate("Маршрут изменён другим запросом; обновите страницу") from None
        except OperationalError as exc:
            self.session.rollback()
            if "locked" in str(exc).lower():
                raise ConcurrentUpdate("Маршрут изменён другим запросом; обновите страницу") from None
            raise

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError:
            raise ConcurrentUpdate("Маршрут изменён другим запросом; обновите страницу") from None
