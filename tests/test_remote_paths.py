"""Path search with batched SPARQL (kg.paths.frontier.search) on a real Oxigraph server and on the embedded store,
checked against networkx on the whole graph."""

from __future__ import annotations

import random
from collections.abc import Iterator

import networkx as nx
import pyoxigraph as ox
import pytest

from kg.data.build import build
from kg.paths.frontier.search import Path, bidirectional_search, search
from kg.settings import Settings
from kg.store.base import Store
from kg.store.embedded import OxigraphStore
from kg.store.remote import RemoteStore
from tests.remote_backend import OxigraphServer

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
EX = "http://ex/"
DATA = b"""@prefix ex: <http://ex/> .
ex:a ex:knows ex:b , ex:c ; ex:name "a" ; a ex:Person .
ex:b ex:knows ex:d .
ex:c ex:knows ex:d .
ex:d ex:cites ex:e .
ex:a ex:long1 ex:x1 . ex:x1 ex:long2 ex:x2 . ex:x2 ex:long3 ex:x3 . ex:x3 ex:long4 ex:e .
ex:z a ex:Person ; ex:name "a" .
ex:e ex:wrote [ ex:about ex:f ] .
ex:e ex:chain3 [ ex:next [ ex:next [ ex:about ex:g ] ] ] .
ex:e ex:chain4 [ ex:next [ ex:next [ ex:next [ ex:about ex:k ] ] ] ] .
ex:hub ex:links ex:h1 , ex:h2 , ex:h3 , ex:h4 , ex:h5 , ex:h6 .
ex:island ex:knows ex:islet .
"""
SECOND = b"""@prefix ex: <http://ex/> . ex:d ex:cites ex:e ."""


def graph_data(store: Store) -> None:
    store.replace_graph(EX + "g1", DATA, "text/turtle")
    store.replace_graph(EX + "g2", SECOND, "text/turtle")


@pytest.fixture(scope="module")
def oxigraph() -> Iterator[OxigraphServer]:
    with OxigraphServer.start(timeout_s=10) as server:
        yield server


@pytest.fixture(scope="module", params=["remote", "embedded"])
def store(request: pytest.FixtureRequest, oxigraph: OxigraphServer) -> Iterator[Store]:
    made: Store = oxigraph.store() if request.param == "remote" else OxigraphStore(":memory:")
    graph_data(made)
    yield made
    made.close()


def shapes(paths: list[Path]) -> list[str]:
    """Paths as text with blank nodes masked (labels differ between engines)."""
    out = []
    for path in paths:
        text = path.describe()
        out.append(" ".join("_:" if word.startswith("_:") else word for word in text.split()))
    return out


def test_all_shortest_paths_with_their_graphs(store: Store) -> None:
    paths = bidirectional_search(store, EX + "a", EX + "e")
    assert shapes(paths) == [
        "<http://ex/a> knows <http://ex/b> knows <http://ex/d> cites <http://ex/e>",
        "<http://ex/a> knows <http://ex/c> knows <http://ex/d> cites <http://ex/e>",
    ]
    assert paths[0].hops[2].graphs == (EX + "g1", EX + "g2")
    assert paths[0].hops[0].graphs == (EX + "g1",)
    assert paths[0].nodes == [EX + "a", EX + "b", EX + "d", EX + "e"]


def test_directions_and_reverse_search(store: Store) -> None:
    backwards = bidirectional_search(store, EX + "e", EX + "a")
    assert [h.direction for h in backwards[0].hops] == ["backward", "backward", "backward"]
    assert [p.nodes for p in backwards] == [list(reversed(p.nodes)) for p in bidirectional_search(store, EX + "a",
                                                                                                   EX + "e")]


def test_literals_types_and_excluded_predicates_are_not_followed(store: Store) -> None:
    assert search(store, EX + "a", EX + "z").stopped == "exhausted"  # only a shared name and a shared class
    detour = bidirectional_search(store, EX + "a", EX + "e", exclude_predicates=[EX + "cites"])
    assert shapes(detour) == [
        "<http://ex/a> long1 <http://ex/x1> long2 <http://ex/x2> long3 <http://ex/x3> long4 <http://ex/e>"
    ]


def test_paths_through_blank_nodes(store: Store) -> None:
    assert shapes(bidirectional_search(store, EX + "e", EX + "f")) == ["<http://ex/e> wrote _: about <http://ex/f>"]
    assert shapes(bidirectional_search(store, EX + "e", EX + "g")) == [
        "<http://ex/e> chain3 _: next _: next _: about <http://ex/g>"  # the two ends meet in the middle
    ]
    assert search(store, EX + "e", EX + "k").stopped == "exhausted"  # four blank nodes in a row: a dead end


def test_limits(store: Store) -> None:
    assert search(store, EX + "a", EX + "e", max_length=2).stopped == "max_length"
    assert len(search(store, EX + "a", EX + "e", max_length=3).paths) == 2
    assert search(store, EX + "h1", EX + "h2").length == 2
    assert search(store, EX + "a", EX + "e", max_frontier=1).stopped == "max_frontier"
    assert search(store, EX + "h1", EX + "island", max_frontier=1).stopped == "exhausted"  # the small side ends
    assert search(store, EX + "island", EX + "a").stopped == "exhausted"
    assert bidirectional_search(store, EX + "a", EX + "a") == [Path(())]
    assert len(search(store, EX + "a", EX + "e", max_paths=1).paths) == 1
    assert search(store, EX + "a", EX + "e", time_budget=0).stopped == "time_budget"
    assert [(h.forward, p.length) for p in bidirectional_search(store, EX + "a", EX + "e") for h in p.hops][:1] == [
        (True, 3)]


def test_small_batches_give_the_same_paths(store: Store) -> None:
    whole = search(store, EX + "a", EX + "f")
    batched = search(store, EX + "a", EX + "f", batch_size=1)
    assert shapes(batched.paths) == shapes(whole.paths) and len(whole.paths) == 2 and whole.length == 5
    assert batched.queries > whole.queries


def test_seed_paths_match_networkx_on_the_whole_graph(oxigraph: OxigraphServer, kg_store: OxigraphStore) -> None:
    remote = RemoteStore(oxigraph.url)
    try:
        build(remote, Settings(base_iri="http://127.0.0.1:8000/", store=":memory:"))
        graph = nx.Graph()
        for quad in kg_store.quads():
            if (isinstance(quad.graph_name, ox.NamedNode) and not isinstance(quad.object, ox.Literal)
                    and quad.predicate.value != RDF_TYPE and quad.subject != quad.object):
                graph.add_edge(quad.subject, quad.object)
        things = sorted((n for n in graph if isinstance(n, ox.NamedNode) and "/id/" in n.value), key=str)
        assert len(things) > 20, "the seed should have things to connect"

        def mask(node: object) -> str:
            """A node as text, every blank node the same (labels differ between stores)."""
            if isinstance(node, ox.NamedNode):
                return node.value
            return "_:" if isinstance(node, ox.BlankNode) or str(node).startswith("_:") else str(node)

        pairs = random.Random(8).sample([(a, b) for a in things for b in things if a != b], 25)
        connected = 0
        for a, b in pairs:
            result = search(remote, a.value, b.value, max_length=10, max_paths=10_000)
            if not nx.has_path(graph, a, b):
                assert result.paths == [], (a, b)
                continue
            connected += 1
            expected = sorted({tuple(map(mask, p)) for p in nx.all_shortest_paths(graph, a, b)})
            assert sorted({tuple(map(mask, p.nodes)) for p in result.paths}) == expected, (a, b)
        assert connected > 10
    finally:
        remote.close()
