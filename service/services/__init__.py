"""Application services: one function per use case, each `with uow: …; uow.commit()`."""
