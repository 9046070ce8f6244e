"""Property-based tests of the whole HTTP API from its own OpenAPI description (schemathesis 4).

Every operation of the live server's ``/openapi.json`` (SPARQL, Graph Store — with the write
token —, linked data, paths, search, influence, every named query, operations) gets generated
requests, valid ones and ones that break the schema. No answer may be a 5xx, and every answer must match the
response schema the API declares. Bounded so it runs in CI in a couple of minutes (``MAX_EXAMPLES`` per operation).

The operations are walked in one test (schemathesis' pytest plugin does not work with pytest 9,
and the named-query operations exist only once the app has started), each failure reported with
the operation and the smallest failing request Hypothesis found.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support import TOKEN, LiveServer, start_server

MAX_EXAMPLES = 40


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[LiveServer]:
    server = start_server(query_timeout=5.0)
    yield server
    server.stop()
    server.store.close()


def check_operation(operation: schemathesis.APIOperation, mode: GenerationMode) -> str | None:
    """Run generated requests (valid ones, or ones that break the schema) against one operation; a failure or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None, print_blob=False)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {TOKEN}"},
            checks=[not_a_server_error, response_schema_conformance],
            timeout=30,
        )

    try:
        run()
    except Unsatisfiable:  # nothing to break: the operation takes no parameters
        return None
    except (AssertionError, BaseExceptionGroup) as failure:  # schemathesis' Failure / FailureGroup
        return f"{operation.label} ({mode.value} data): {str(failure)[:2000]}"
    return None


@pytest.mark.slow
def test_no_server_error_and_responses_match_their_schema(fuzzed: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(fuzzed.url + "openapi.json")
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operations.append(result.ok())
    labels = {op.label for op in operations}
    assert {"GET /sparql", "POST /sparql", "PUT /store", "GET /paths", "GET /search", "GET /ready"} <= labels
    assert any(label.startswith("GET /api/queries/") for label in labels)
    failures = [failure for op in operations for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                if (failure := check_operation(op, mode)) is not None]
    assert not failures, "\n\n".join(failures)
