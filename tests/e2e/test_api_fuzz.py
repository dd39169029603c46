"""Schemathesis fuzzes every operation of /api/openapi.json with an admin's and a teacher's
token, with data that fits the schema and data that does not: no server error, and every
response matches the schema the document gives for its status.

Runs on each database of IOM_TEST_DBS (NUL bytes and ids past the column range only fail on
PostgreSQL). `IOM_FUZZ_EXAMPLES` sets the examples per operation, token and kind of data
(default 12: about 1,300 cases per database)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from service.services import accounts
from tests.support.app import ready_app

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("IOM_FUZZ_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def fuzz_app(module_database_url):
    """One app per database for the module, with a token for an admin and for a teacher."""
    gen = ready_app(module_database_url)
    app = next(gen)
    ctx = app.extensions["iom"]
    tokens = {}
    for login in ("admin", "teacher1"):
        who = accounts.load_actor(ctx, app.config["PEOPLE"][login])
        tokens[login] = accounts.issue_token(ctx, who, "fuzz", from_session=True)["token"]
    app.config["FUZZ_TOKENS"] = tokens
    yield app
    next(gen, None)


def _fuzz(app, who: str) -> tuple[int, list[str]]:
    """Every operation, positive and negative data; returns the number of cases and the failures."""
    headers = {"Authorization": f"Bearer {app.config['FUZZ_TOKENS'][who]}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    cases, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=strategy)
        @settings(max_examples=2 * EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            nonlocal cases
            cases += 1
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                   headers=headers)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 — every operation's failure is collected and reported
            failures.append(f"{operation.label}: {exc}"[:3000])
    return cases, failures


@pytest.mark.parametrize("who", ["admin", "teacher1"])
def test_no_operation_answers_with_a_server_error_or_an_undocumented_shape(fuzz_app, who):
    cases, failures = _fuzz(fuzz_app, who)
    assert not failures, "\n\n".join(failures)
    assert cases >= 500, cases  # ≥ 1,000 for the two tokens together
