"""W3C SPARQL 1.1 conformance: the Protocol (34), Graph Store Protocol (13) and Service Description (3) manifests.

Each manifest entry must have a row in :data:`PLANS` (keyed by the test IRI):
what the test checks and how it is run here. Protocol and Graph Store tests are
replayed from the manifest's own ``ht:Request`` descriptions (tests/w3c/runner.py);
the Service Description manifest has no machine-readable action, so its three
checks are written out below. A manifest entry without a plan, or a plan
without an entry, fails the run: no test is skipped silently.

The tests run against a server of their own (they CLEAR and DROP ALL), started
like the ``server`` fixture; every graph is dropped before each test so that
"201 Created" expectations hold. Writes carry the bearer token.
The score is printed at the end of the run, e.g.
``W3C SPARQL 1.1 Protocol: 34/34, Graph Store Protocol: 13/13, Service Description: 3/3``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import rdflib

from tests.support import TOKEN, LiveServer, start_server
from tests.w3c.runner import (
    ManifestTest,
    load_graph_data,
    parse_graph,
    read_manifest,
    replay,
)

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
W3C = SHARED / "w3c" / "sparql11"
PROTOCOL = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"
GSP = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/http-rdf-update/manifest#"
SDT = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/service-description/manifest#"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PATHS = {"/sparql/": "sparql", "/gsp": "store"}

SUITES = {
    "SPARQL 1.1 Protocol": W3C / "protocol" / "manifest.ttl",
    "Graph Store Protocol": W3C / "graph-store-protocol" / "manifest.ttl",
    "Service Description": W3C / "service-description" / "manifest.ttl",
}

Check = Callable[[httpx.Client, str], None]


@dataclass(frozen=True)
class Plan:
    """How one manifest test is run: replayed from the manifest, or by ``check`` (Service Description)."""

    suite: str
    checks: str
    check: Check | None = None


# --- Service Description checks ------------------------------------------------------------------

RDF_TYPES = ["text/turtle", "application/rdf+xml", "application/n-triples", "application/ld+json"]


def _description(client: httpx.Client, accept: str = "text/turtle") -> tuple[rdflib.Graph, httpx.Response]:
    response = client.get("sparql", headers={"Accept": accept})
    assert response.status_code == 200, response.text
    media = response.headers["content-type"].split(";")[0]
    return parse_graph(response.content, media, str(response.url)), response


def sd_returns_rdf(client: httpx.Client, endpoint: str) -> None:
    """GET on the endpoint (no query) returns RDF, whichever RDF syntax is asked for, and without Accept."""
    plain = client.get("sparql")
    assert plain.status_code == 200 and plain.headers["content-type"].split(";")[0] in RDF_TYPES
    for accept in RDF_TYPES:
        graph, response = _description(client, accept)
        assert response.headers["content-type"].split(";")[0] == accept
        assert len(graph) > 0


def sd_has_endpoint_triple(client: httpx.Client, endpoint: str) -> None:
    """The description has ``?service sd:endpoint <the URL that was dereferenced>``."""
    graph, response = _description(client)
    assert str(response.url) == endpoint
    services = set(graph.subjects(SD.endpoint, rdflib.URIRef(endpoint)))
    assert services, f"no sd:endpoint <{endpoint}>"
    assert all((s, rdflib.RDF.type, SD.Service) in graph for s in services)


SD_LANGUAGES = {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}
SD_FEATURES = {SD.DereferencesURIs, SD.UnionDefaultGraph, SD.RequiresDataset, SD.EmptyGraphs,
               SD.BasicFederatedQuery}


def sd_conforms_to_schema(client: httpx.Client, endpoint: str) -> None:
    """The description uses the SD vocabulary as its schema says (domains, ranges, cardinalities)."""
    graph, _ = _description(client)
    (service,) = set(graph.subjects(rdflib.RDF.type, SD.Service))
    for prop in (SD.endpoint, SD.resultFormat, SD.defaultEntailmentRegime, SD.supportedLanguage, SD.feature):
        values = list(graph.objects(service, prop))
        assert values and all(isinstance(v, rdflib.URIRef) for v in values), f"sd:{prop.fragment} must be IRIs"
    assert set(graph.objects(service, SD.supportedLanguage)) <= SD_LANGUAGES
    assert set(graph.objects(service, SD.feature)) <= SD_FEATURES
    datasets = list(graph.objects(service, SD.defaultDataset))
    assert len(datasets) == 1 and (datasets[0], rdflib.RDF.type, SD.Dataset) in graph
    (dataset,) = datasets
    default_graphs = list(graph.objects(dataset, SD.defaultGraph))
    assert len(default_graphs) == 1 and (default_graphs[0], rdflib.RDF.type, SD.Graph) in graph
    for named in graph.objects(dataset, SD.namedGraph):
        assert (named, rdflib.RDF.type, SD.NamedGraph) in graph
        names = list(graph.objects(named, SD.name))
        assert len(names) == 1 and isinstance(names[0], rdflib.URIRef), "a named graph has one sd:name IRI"
        for inner in graph.objects(named, SD.graph):
            assert (inner, rdflib.RDF.type, SD.Graph) in graph
    for count in graph.objects(None, VOID.triples):
        assert isinstance(count, rdflib.Literal) and isinstance(count.toPython(), int) and count.toPython() >= 0


# --- the table ------------------------------------------------------------------------------------------

P, G, S = "SPARQL 1.1 Protocol", "Graph Store Protocol", "Service Description"

PLANS: dict[str, Plan] = {
    PROTOCOL + "query_post_form": Plan(P, "ASK {} by URL-encoded POST, default-graph-uri in the URL: true"),
    PROTOCOL + "query_dataset_default_graphs_get": Plan(P, "GET with two default-graph-uri: their merge is used"),
    PROTOCOL + "query_dataset_default_graphs_post": Plan(P, "direct POST with two default-graph-uri in the URL"),
    PROTOCOL + "query_dataset_named_graphs_post": Plan(P, "direct POST with two named-graph-uri: GRAPH ?g finds both"),
    PROTOCOL + "query_dataset_named_graphs_get": Plan(P, "GET with two named-graph-uri"),
    PROTOCOL + "query_dataset_full": Plan(P, "default-graph-uri and named-graph-uri together"),
    PROTOCOL + "query_multiple_dataset": Plan(P, "protocol dataset overrides the query's FROM / FROM NAMED"),
    PROTOCOL + "query_get": Plan(P, "ASK {} by GET: boolean true"),
    PROTOCOL + "query_content_type_select": Plan(P, "SELECT answers in a tabular results format"),
    PROTOCOL + "query_content_type_ask": Plan(P, "ASK answers as SPARQL JSON or XML"),
    PROTOCOL + "query_content_type_describe": Plan(P, "DESCRIBE answers as RDF (Turtle by default)"),
    PROTOCOL + "query_content_type_construct": Plan(P, "CONSTRUCT answers as RDF (Turtle by default)"),
    PROTOCOL + "update_dataset_default_graph": Plan(P, "using-graph-uri becomes USING on the modify operation"),
    PROTOCOL + "update_dataset_default_graphs": Plan(P, "two using-graph-uri: both graphs, not the third"),
    PROTOCOL + "update_dataset_named_graphs": Plan(P, "using-named-graph-uri becomes USING NAMED"),
    PROTOCOL + "update_dataset_full": Plan(P, "using-graph-uri and using-named-graph-uri together"),
    PROTOCOL + "update_post_form": Plan(P, "update= by URL-encoded POST (with the bearer token)"),
    PROTOCOL + "update_post_direct": Plan(P, "application/sparql-update POST (with the bearer token)"),
    PROTOCOL + "update_base_uri": Plan(P, "relative IRIs of an update resolve against the endpoint"),
    PROTOCOL + "query_post_direct": Plan(P, "application/sparql-query POST"),
    PROTOCOL + "bad_query_method": Plan(P, "PUT on the endpoint: 405"),
    PROTOCOL + "bad_multiple_queries": Plan(P, "two query parameters: 400"),
    PROTOCOL + "bad_query_wrong_media_type": Plan(P, "POST text/plain: 415"),
    PROTOCOL + "bad_query_missing_form_type": Plan(P, "form body without Content-Type: 415"),
    PROTOCOL + "bad_query_missing_direct_type": Plan(P, "query body without Content-Type: 415"),
    PROTOCOL + "bad_query_non_utf8": Plan(P, "query in UTF-16: 415"),
    PROTOCOL + "bad_query_syntax": Plan(P, "ASK { : 400 with the parser's position"),
    PROTOCOL + "bad_update_get": Plan(P, "update by GET: 400"),
    PROTOCOL + "bad_multiple_updates": Plan(P, "two update parameters: 400"),
    PROTOCOL + "bad_update_wrong_media_type": Plan(P, "update as text/plain: 415"),
    PROTOCOL + "bad_update_missing_form_type": Plan(P, "update form body without Content-Type: 415"),
    PROTOCOL + "bad_update_non_utf8": Plan(P, "update in UTF-16: 415"),
    PROTOCOL + "bad_update_syntax": Plan(P, "CLEAR XYZ: 400"),
    PROTOCOL + "bad_update_dataset_conflict": Plan(P, "WITH in the update plus using-named-graph-uri: 400"),
    GSP + "put_get_repeat_direct": Plan(G, "PUT 201, GET equals, PUT 204, GET equals (/store/person/1.ttl)"),
    GSP + "put_delete_get_delete_direct": Plan(G, "PUT, DELETE 204, GET 404, DELETE 404 (direct)"),
    GSP + "post_get_post_get_direct": Plan(G, "POST merges; multipart/form-data POST merges two parts (direct)"),
    GSP + "head_existing_direct": Plan(G, "HEAD on a graph: 200, Content-Type, no body (direct)"),
    GSP + "put_get_repeat_indirect": Plan(G, "PUT/GET repetition with ?graph="),
    GSP + "put_get_default": Plan(G, "PUT/GET on ?default"),
    GSP + "put_delete_get_delete_indirect": Plan(G, "PUT, DELETE, GET 404, DELETE 404 with ?graph="),
    GSP + "post_get_post_get_indirect": Plan(G, "POST and multipart POST merge with ?graph="),
    GSP + "post_get_new_graph": Plan(G, "POST to /store: 201 with Location; GET ?graph=<Location>"),
    GSP + "head_existing_indirect": Plan(G, "HEAD on an existing graph with ?graph="),
    GSP + "head_non_existing_indirect": Plan(G, "HEAD on a missing graph: 404"),
    GSP + "put_get_uri_pct_encoded_indirect": Plan(G, "the same graph IRI percent-encoded or not"),
    GSP + "put_get_uri_pct_encoded_twice": Plan(G, "the graph parameter is percent-decoded once only"),
    SDT + "has-endpoint-triple": Plan(S, "sd:endpoint is the dereferenced URL", sd_has_endpoint_triple),
    SDT + "returns-rdf": Plan(S, "GET /sparql returns RDF in each syntax asked for", sd_returns_rdf),
    SDT + "conforms-to-schema": Plan(S, "the description follows the SD schema", sd_conforms_to_schema),
}


def _read_suites() -> dict[str, list[ManifestTest]]:
    return {suite: read_manifest(path) if path.exists() else [] for suite, path in SUITES.items()}


CASES: tuple[tuple[str, ManifestTest], ...] = tuple(
    (suite, test) for suite, tests in _read_suites().items() for test in tests
)


# --- fixtures: a server of its own, the score ---------------------------------------------------------------


class Score:
    """Passed and run tests per suite; printed in the terminal summary."""

    def __init__(self) -> None:
        self.passed: dict[str, int] = {suite: 0 for suite in SUITES}
        self.run: dict[str, int] = {suite: 0 for suite in SUITES}
        self.total: dict[str, int] = {suite: sum(1 for s, _ in CASES if s == suite) for suite in SUITES}

    def line(self) -> str:
        return "W3C " + ", ".join(f"{suite}: {self.passed[suite]}/{self.total[suite]}" for suite in SUITES)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.write_sep("=", "W3C conformance")
        terminalreporter.write_line(self.line())


@pytest.fixture(scope="module")
def score(request: pytest.FixtureRequest) -> Score:
    tally = Score()
    request.config.pluginmanager.register(tally, "backchannel-w3c-score")
    return tally


@pytest.fixture(scope="module")
def w3c_server() -> Iterator[LiveServer]:
    live = start_server()
    yield live
    live.stop()
    live.store.close()


@pytest.fixture(scope="module")
def client(w3c_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=w3c_server.url, timeout=60) as http:
        yield http


def _reset(client: httpx.Client) -> None:
    response = client.post("sparql", data={"update": "DROP ALL"}, headers=AUTH)
    assert response.status_code == 204, response.text


# --- the tests ---------------------------------------------------------------------------------------------------


def test_manifests_are_there() -> None:
    missing = [str(path) for path in SUITES.values() if not path.exists()]
    assert not missing, f"the W3C manifests are missing (expected beside the repository, in ../shared): {missing}"
    assert {s: sum(1 for x, _ in CASES if x == s) for s in SUITES} == {P: 34, G: 13, S: 3}


def test_every_manifest_test_has_a_plan() -> None:
    listed = {test.iri for _, test in CASES}
    assert listed - PLANS.keys() == set(), "manifest tests without a plan"
    assert PLANS.keys() - listed == set(), "plans for tests that are not in the manifests"
    for suite, test in CASES:
        assert PLANS[test.iri].suite == suite, test.iri
        assert test.requests or PLANS[test.iri].check is not None, f"{test.iri}: nothing to run"


@pytest.mark.parametrize("suite,test", CASES, ids=[t.iri.rsplit("#", 1)[1] for _, t in CASES])
def test_w3c(suite: str, test: ManifestTest, client: httpx.Client, w3c_server: LiveServer, score: Score) -> None:
    plan = PLANS[test.iri]
    score.run[suite] += 1
    _reset(client)
    load_graph_data(client, test, "store", AUTH)
    if plan.check is not None:
        plan.check(client, w3c_server.url + "sparql")
    else:
        replay(client, test, PATHS, AUTH)
    score.passed[suite] += 1
