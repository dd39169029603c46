"""Shared fixtures. Integration and end-to-end tests run once per database in IOM_TEST_DBS
(default "sqlite,postgresql"); PostgreSQL tests each get a schema of their own."""

from __future__ import annotations

import pytest

from tests.support.databases import PG_URL, TEST_DBS, fresh_database

__all__ = ["PG_URL", "TEST_DBS"]


@pytest.fixture(params=TEST_DBS)
def database_url(request, tmp_path):
    """A fresh, empty database: an SQLite file, or a new PostgreSQL schema."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=TEST_DBS)
def module_database_url(request, tmp_path_factory):
    """Like `database_url`, shared by the tests of one module."""
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url
