"""Optional: the remote store on Virtuoso 7 (Debian's ``virtuoso-opensource``).

Runs only with ``BACKCHANNEL_TEST_VIRTUOSO=1`` and Virtuoso installed (``apt-get install virtuoso-opensource``;
the tests never install anything). Each run starts a throw-away Virtuoso in a temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from kg.data.build import build
from kg.paths.frontier.search import search
from kg.settings import Settings
from kg.store.base import QueryRequest, QuerySyntaxError, QueryTimeout
from kg.store.embedded import OxigraphStore
from kg.store.remote import RemoteStore
from tests.remote_backend import VirtuosoServer, virtuoso_available
from tests.test_remote_store import PROLOGUE, QUERIES, rows_without_bnodes

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("BACKCHANNEL_TEST_VIRTUOSO") != "1",
                       reason="set BACKCHANNEL_TEST_VIRTUOSO=1 to run the Virtuoso integration tests"),
    pytest.mark.skipif(not virtuoso_available(), reason="Virtuoso is not installed (apt-get install "
                       "virtuoso-opensource)"),
]
BASE = "http://127.0.0.1:8000/"
VIRTUOSO_REWRITES = ("http://www.w3.org/2001/XMLSchema#boolean", "http://www.w3.org/2001/XMLSchema#duration")


@pytest.fixture(scope="module")
def virtuoso() -> Iterator[RemoteStore]:
    with VirtuosoServer() as server:
        store = server.store(timeout=30, chunk_size=500)
        build(store, Settings(base_iri=BASE, store=":memory:"))
        yield store
        store.close()


def comparable(quads: list[ox.Quad]) -> list[str]:
    """Canonical quads, without the literals Virtuoso rewrites (booleans become 1/0, durations months)."""
    kept = [q for q in quads if not (isinstance(q.object, ox.Literal) and q.object.datatype.value in VIRTUOSO_REWRITES)]
    dataset = ox.Dataset(kept)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(map(str, dataset))


def test_build_graphs_and_quads(virtuoso: RemoteStore, kg_store: OxigraphStore) -> None:
    assert virtuoso.graph_names() == kg_store.graph_names()
    for graph in kg_store.graph_names():
        assert comparable(virtuoso.graph_quads(graph)) == comparable(kg_store.graph_quads(graph)), graph
    assert comparable(list(virtuoso.quads())) == comparable(list(kg_store.quads()))


@pytest.mark.parametrize("query", QUERIES)
def test_select_same_as_embedded(query: str, virtuoso: RemoteStore, kg_store: OxigraphStore) -> None:
    assert rows_without_bnodes(virtuoso.select(PROLOGUE + query)) == rows_without_bnodes(
        kg_store.select(PROLOGUE + query))


def test_execute_bindings_errors_and_paths(virtuoso: RemoteStore, kg_store: OxigraphStore) -> None:
    request = QueryRequest("SELECT ?s ?l { ?s rdfs:label ?l FILTER(isIRI(?s)) } ORDER BY ?s ?l", "text/csv",
                           prefixes=(("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),), max_rows=7)
    assert virtuoso.execute(request, 30).body == kg_store.execute_here(request).body
    thing = ox.NamedNode(BASE + "id/person/joseph-v-montville")
    query = "SELECT ?t ?o { ?s ?p ?o FILTER(?s = ?t && !isBlank(?o)) }"
    assert rows_without_bnodes(virtuoso.select(query, {"t": thing})) == rows_without_bnodes(
        kg_store.select(query, {"t": thing}))
    with pytest.raises(QuerySyntaxError):
        virtuoso.execute(QueryRequest("SELECT * { ?s ?p "), 30)
    with pytest.raises(QueryTimeout):
        virtuoso.execute(QueryRequest("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"), 5)
    target = BASE + "id/person/d-d-kaye"
    assert search(virtuoso, thing.value, target).length == search(kg_store, thing.value, target).length


def test_writes_and_version(virtuoso: RemoteStore) -> None:
    version = virtuoso.version
    virtuoso.replace_graph("http://ex/g", b'@prefix ex: <http://ex/> . ex:a ex:p [ ex:q "x" ] .', "text/turtle")
    assert virtuoso.version != version
    assert len(virtuoso.graph_quads("http://ex/g")) == 2 and virtuoso.has_graph("http://ex/g")
    virtuoso.drop_graph("http://ex/g")
    assert not virtuoso.has_graph("http://ex/g")
