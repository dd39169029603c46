"""Fixtures for the engine tests: the real route BPMN deployed once per module, and a fresh
route on it for each test."""

from __future__ import annotations

import pytest

from tests.support.engine_driver import Driver, deployed_engine


@pytest.fixture(scope="module")
def deployed():
    return deployed_engine()


@pytest.fixture
def route(deployed) -> Driver:
    engine, spec_hash = deployed
    return Driver(engine, spec_hash)
