"""W3C SPARQL 1.1 query (235) and update (94) evaluation tests, over the protocol, against pyoxigraph in process.

Every evaluation test of the suites in ``../shared/w3c/sparql11/<category>/`` is run twice
(:mod:`tests.w3c.engines`): against a live server of ours over the SPARQL protocol (its data put
into graphs of their own through the Graph Store Protocol and named by ``default-graph-uri`` /
``named-graph-uri``; updates on an emptied graph store, with the write token), and on pyoxigraph
in this process with the same dataset. Answers are compared with the expected results as bags,
blank nodes up to renaming, numbers by value (:mod:`tests.w3c.answers`).

Each test asserts the outcome we know: a test outside :data:`KNOWN_QUERY_FAILURES` /
:data:`KNOWN_UPDATE_FAILURES` must pass both ways; a known engine failure must fail both ways
(in process too, which shows it is the engine's, not ours). So a change of ours that alters an
answer fails here, and so does a fix: when a listed test starts to pass, delete its line.

The score is printed after the protocol scores, e.g.
``W3C SPARQL 1.1 Query evaluation: 223/235 (pyoxigraph in process 223/235), Update evaluation: 94/94
(pyoxigraph in process 92/92; 2 with LOAD not run in process)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import TOKEN, LiveServer, start_server
from tests.w3c.answers import Answer, differ
from tests.w3c.engines import (
    Failed,
    InProcess,
    Protocol,
    expected_answer,
    expected_store,
    fmt_for,
    needs_network,
)
from tests.w3c.evaluation import QueryCase, UpdateCase, path_of, read_query_cases, read_update_cases

ROOT = Path(__file__).resolve().parents[1] / ".." / "shared" / "w3c" / "sparql11"

KNOWN_QUERY_FAILURES: dict[str, str] = {
    "aggregates/agg-groupconcat-04": "GROUP_CONCAT of literals all tagged @en keeps the tag (expected: a string)",
    "aggregates/agg-groupconcat-06": "GROUP_CONCAT of one literal tagged @en keeps the tag (expected: a string)",
    "aggregates/agg-empty-group-count-graph": "COUNT in a subquery inside GRAPH ?g: one row, ?g unbound, no 0 row",
    "bindings/graph": "VALUES inside GRAPH ?g binding ?g: the UNDEF row comes back with ?g unbound",
    "negation/graph-minus": "MINUS inside GRAPH ?g: removes a solution it should keep",
    "csv-tsv-res/csv03": "CSV of typed literals: \"1.0E6\"^^xsd:double written as 1000000",
    "csv-tsv-res/tsv03": "TSV of typed literals: \"-3\"^^xsd:negativeInteger written as -3 (an xsd:integer)",
    "functions/bnode01": "BNODE(str): the same blank node in different solutions (one per solution expected)",
    "property-path/zero_or_more_set_start": "a * path from a constant on an empty dataset: no zero-length match",
    "property-path/zero_or_more_set_end": "a * path to a constant on an empty dataset: no zero-length match",
    "property-path/zero_or_one_set_start": "a ? path from a constant on an empty dataset: no zero-length match",
    "property-path/zero_or_one_set_end": "a ? path to a constant on an empty dataset: no zero-length match",
}
"""Query tests that pyoxigraph itself fails (0.5.13), with what goes wrong. Delete a line when it passes."""

KNOWN_UPDATE_FAILURES: dict[str, str] = {}
"""Update tests that fail over our protocol (none since LOAD SILENT to a target the federation guard refuses
became a no-op that succeeds)."""

QUERY_CASES = read_query_cases(ROOT) if ROOT.exists() else []
UPDATE_CASES = read_update_cases(ROOT) if ROOT.exists() else []


class Score:
    """Passed tests per suite, over the protocol and in process; printed in the terminal summary."""

    def __init__(self) -> None:
        self.passed: dict[tuple[str, str], int] = {}
        self.run: dict[tuple[str, str], int] = {}

    def count(self, suite: str, way: str, outcome: str | None, ran: bool = True) -> None:
        self.run[suite, way] = self.run.get((suite, way), 0) + ran
        self.passed[suite, way] = self.passed.get((suite, way), 0) + (ran and outcome is None)

    def line(self) -> str:
        parts = []
        for suite, total in (("Query evaluation", len(QUERY_CASES)), ("Update evaluation", len(UPDATE_CASES))):
            run = self.run.get((suite, "protocol"), 0)
            if not run:
                continue
            text = f"{suite}: {self.passed.get((suite, 'protocol'), 0)}/{run}"
            text += f" ({total - run} of {total} not run)" if run < total else ""
            local, ran = self.passed.get((suite, "in process"), 0), self.run.get((suite, "in process"), 0)
            text += f" (pyoxigraph in process {local}/{ran}"
            text += f"; {run - ran} with LOAD not run in process)" if ran < run else ")"
            parts.append(text)
        return "W3C SPARQL 1.1 " + ", ".join(parts)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not terminalreporter.config.pluginmanager.has_plugin("backchannel-w3c-score"):
            terminalreporter.write_sep("=", "W3C conformance")  # the protocol scores did not run
        terminalreporter.write_line(self.line())


@pytest.fixture(scope="module")
def score(request: pytest.FixtureRequest) -> Score:
    tally = Score()
    request.config.pluginmanager.register(tally, "backchannel-w3c-evaluation-score")
    return tally


@pytest.fixture(scope="module")
def eval_server() -> Iterator[LiveServer]:
    """A server of its own: the update tests empty its graph store."""
    live = start_server()
    yield live
    live.stop()
    live.store.close()


@pytest.fixture(scope="module")
def protocol(eval_server: LiveServer) -> Iterator[Protocol]:
    with httpx.Client(base_url=eval_server.url, timeout=60) as client:
        yield Protocol(client, ROOT, TOKEN)


@pytest.fixture(scope="module")
def in_process() -> InProcess:
    return InProcess(ROOT)


def _outcome(expected: Answer, run: Callable[[], Answer]) -> str | None:
    """None if the run gave the expected answer, else what differed or failed."""
    try:
        return differ(expected, run())
    except Failed as err:
        return f"failed: {err}"


def _check(test_id: str, known: dict[str, str], ours: str | None, local: str | None, local_ran: bool) -> None:
    if test_id in known:
        assert ours is not None, f"{test_id} now passes over the protocol: delete it from the known failures"
        if local_ran and test_id in KNOWN_QUERY_FAILURES:
            assert local is not None, f"{test_id} passes in pyoxigraph but not over the protocol ({known[test_id]})"
        return
    assert ours is None, f"over the protocol: {ours}"
    assert not local_ran or local is None, f"pyoxigraph in process: {local} (but the protocol run passes?)"


def test_suites_are_there() -> None:
    assert ROOT.exists(), f"the W3C suites are missing (expected beside the repository): {ROOT}"
    assert (len(QUERY_CASES), len(UPDATE_CASES)) == (235, 94)
    ids = {c.id for c in QUERY_CASES} | {c.id for c in UPDATE_CASES}
    assert set(KNOWN_QUERY_FAILURES) | set(KNOWN_UPDATE_FAILURES) <= ids, "a known failure that is no test"


@pytest.mark.parametrize("case", QUERY_CASES, ids=[c.id for c in QUERY_CASES])
def test_query_evaluation(case: QueryCase, protocol: Protocol, in_process: InProcess, score: Score) -> None:
    expected = expected_answer(case, ROOT)
    fmt = fmt_for(case, expected)
    local = _outcome(expected, lambda: in_process.query(case, fmt))
    ours = _outcome(expected, lambda: protocol.query(case, fmt))
    score.count("Query evaluation", "in process", local)
    score.count("Query evaluation", "protocol", ours)
    _check(case.id, KNOWN_QUERY_FAILURES, ours, local, True)


@pytest.mark.parametrize("case", UPDATE_CASES, ids=[c.id for c in UPDATE_CASES])
def test_update_evaluation(case: UpdateCase, protocol: Protocol, in_process: InProcess, score: Score) -> None:
    expected = expected_store(case, ROOT)
    offline = not needs_network(path_of(case.request, ROOT).read_text(encoding="utf-8"))
    local = _outcome(expected, lambda: in_process.update(case)) if offline else None
    ours = _outcome(expected, lambda: protocol.update(case))
    score.count("Update evaluation", "in process", local, ran=offline)
    score.count("Update evaluation", "protocol", ours)
    _check(case.id, KNOWN_UPDATE_FAILURES, ours, local, offline)
