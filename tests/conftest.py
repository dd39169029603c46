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


# The longest modules (tens of seconds each, measured with --durations) start first: with
# `--dist loadscope` a module runs on one worker, and one begun last kept the other worker idle for
# minutes at the end of the run.
SLOW_FIRST = ("tests/e2e/test_api_fuzz.py", "tests/e2e/test_wheel_install.py", "tests/integration/test_worker_crash.py",
              "tests/browser/test_route_in_browser.py", "tests/e2e/test_login_lock_processes.py",
              "tests/integration/test_route_migration.py", "tests/unit/test_engine_route.py")


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order
