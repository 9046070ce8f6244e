"""The remote store against a real Oxigraph server: the same answers as the embedded store, time limits,
retries, safe bindings, writes, the build and the command line."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from kg.data.build import build
from kg.settings import Settings
from kg.store.base import (
    DataError,
    QueryRequest,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
    Term,
    term_value,
)
from kg.store.embedded import OxigraphStore
from kg.store.factory import open_store
from kg.store.remote import RemoteStore
from kg.store.remote_http import RemoteUnavailable
from tests.remote_backend import OxigraphServer

BASE = "http://127.0.0.1:8000/"
SEED = BASE + "id/source/track-two-diplomacy"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def settings() -> Settings:
    return Settings(base_iri=BASE, store=":memory:")


def canonical(quads: Iterable[ox.Quad | ox.Triple]) -> list[str]:
    """Quads or triples as sorted strings with blank nodes canonically labelled (RDFC-1.0)."""
    items = [q if isinstance(q, ox.Quad) else ox.Quad(q.subject, q.predicate, q.object) for q in quads]
    dataset = ox.Dataset(items)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(map(str, dataset))


def rows_without_bnodes(rows: Sequence[Mapping[str, object]]) -> list[list[tuple[str, str]]]:
    """Rows as comparable values, every blank node written as ``_:`` (engines label them differently)."""
    return sorted(
        sorted((k, "_:" if isinstance(v, ox.BlankNode) else str(v)) for k, v in row.items()) for row in rows
    )


@pytest.fixture(scope="module")
def oxigraph() -> Iterator[OxigraphServer]:
    with OxigraphServer.start(timeout_s=10) as server:
        yield server


@pytest.fixture(scope="module")
def remote(oxigraph: OxigraphServer) -> Iterator[RemoteStore]:
    store = oxigraph.store(timeout=10)
    build(store, settings())
    yield store
    store.close()


@pytest.fixture
def scratch() -> Iterator[tuple[RemoteStore, OxigraphStore]]:
    """An empty remote store on its own server, and an empty embedded store to compare with."""
    with OxigraphServer.start(timeout_s=5) as server:
        remote, embedded = server.store(timeout=5, chunk_size=3), OxigraphStore(":memory:")
        yield remote, embedded
        remote.close()
        embedded.close()


# --- reads: the same answers as the embedded store ---------------------------------------------------------

QUERIES = [
    "SELECT ?s ?l { ?s rdfs:label ?l } ORDER BY ?s ?l",
    "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c } GROUP BY ?c ORDER BY ?c",
    "SELECT DISTINCT ?p { ?s ?p ?o } ORDER BY ?p",
    "SELECT ?s ?o { ?s skos:prefLabel ?o FILTER(LANG(?o) = 'en') } ORDER BY ?s LIMIT 7",
    "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "SELECT ?x { OPTIONAL { ?x owl:sameAs ?y } } ORDER BY ?x",
]
PROLOGUE = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
)


@pytest.mark.parametrize("query", QUERIES)
def test_select_same_as_embedded(query: str, remote: RemoteStore, kg_store: OxigraphStore) -> None:
    expected = kg_store.select(PROLOGUE + query)
    assert expected, "the query should find something in the seed"
    assert rows_without_bnodes(remote.select(PROLOGUE + query)) == rows_without_bnodes(expected)


def test_listed_union_same_as_embedded(oxigraph: OxigraphServer, remote: RemoteStore,
                                      kg_store: OxigraphStore) -> None:
    """``union_default_graph="listed"`` (the dataset named in every query, as for Virtuoso) answers the same."""
    listed = RemoteStore(oxigraph.url, union_default_graph="listed")
    try:
        for query in QUERIES:
            assert rows_without_bnodes(listed.select(PROLOGUE + query)) == rows_without_bnodes(
                kg_store.select(PROLOGUE + query)), query
        request = QueryRequest("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
                               "text/csv")
        assert listed.execute(request, 10).body == kg_store.execute_here(request).body
        assert listed.graph_names() == kg_store.graph_names()
    finally:
        listed.close()


def test_ask_construct_describe_same_as_embedded(remote: RemoteStore, kg_store: OxigraphStore) -> None:
    assert remote.ask("ASK { ?s ?p ?o }") is kg_store.ask("ASK { ?s ?p ?o }") is True
    assert remote.ask("ASK { <urn:x:nothing> ?p ?o }") is False
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) }"
    assert canonical(remote.construct(construct)) == canonical(kg_store.construct(construct))
    thing = kg_store.select("SELECT ?s { ?s a ?c FILTER(isIRI(?s)) } ORDER BY ?s LIMIT 1")[0]["s"]
    describe = f"DESCRIBE {thing}"
    assert canonical(remote.construct(describe)) == canonical(kg_store.construct(describe))


def test_bindings_like_substitutions(remote: RemoteStore, kg_store: OxigraphStore) -> None:
    """Bound variables are seen by FILTERs and aggregates, as with the embedded store's substitutions."""
    thing = kg_store.select(f"SELECT ?s {{ ?s {RDFS_LABEL} ?l FILTER(isIRI(?s)) }} ORDER BY ?s LIMIT 1")[0]["s"]
    cases = [
        ("SELECT ?thing ?p ?o { ?thing ?p ?o } ORDER BY ?p ?o", {"thing": thing}),
        ("SELECT ?thing ?o { ?s ?p ?o FILTER(?s = ?thing) } ORDER BY ?o", {"thing": thing}),
        ("SELECT ?thing (COUNT(*) AS ?n) { ?thing ?p ?o } GROUP BY ?thing", {"thing": thing}),
        ("SELECT ?thing ?l { OPTIONAL { ?thing <http://www.w3.org/2000/01/rdf-schema#label> ?l } }",
         {"thing": thing}),
        # a sub-query that projects the variable is bound too; one that does not has a variable of its own
        ("SELECT ?thing ?n { { SELECT ?thing (COUNT(*) AS ?n) { ?thing ?p ?o } GROUP BY ?thing } } LIMIT 3",
         {"thing": thing}),
        ("SELECT ?thing ?n { { SELECT * { ?thing ?p ?n } } } ORDER BY ?n", {"thing": thing}),
        ("SELECT ?thing ?n { { SELECT (COUNT(*) AS ?n) { ?thing ?p ?o } } }", {"thing": thing}),
    ]
    for query, bindings in cases:
        assert rows_without_bnodes(remote.select(query, bindings)) == rows_without_bnodes(
            kg_store.select(query, bindings)
        ), query
    assert remote.ask("ASK { ?t ?p ?o }", {"t": thing}) is True
    construct = "CONSTRUCT { ?t ?p ?o } WHERE { ?t ?p ?o }"
    assert canonical(remote.construct(construct, {"t": thing})) == canonical(
        kg_store.construct(construct, {"t": thing}))
    assert canonical(remote.construct("CONSTRUCT WHERE { ?t ?p ?o }", {"t": thing})) == canonical(
        kg_store.construct(construct, {"t": thing})
    )


FORMATS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values"]


@pytest.mark.parametrize("media_type", FORMATS)
def test_execute_same_bytes_as_embedded(media_type: str, remote: RemoteStore, kg_store: OxigraphStore) -> None:
    request = QueryRequest(
        "SELECT ?s ?l { ?s rdfs:label ?l FILTER(isIRI(?s)) } ORDER BY ?s ?l",
        select_type=media_type, prefixes=(("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),), max_rows=5,
    )
    got, expected = remote.execute(request, 10), kg_store.execute_here(request)
    assert (got.kind, got.rows, got.truncated, got.media_type) == ("select", 5, True, media_type)
    assert got.body == expected.body


def test_execute_ask_graph_dataset_and_substitutions(remote: RemoteStore, kg_store: OxigraphStore) -> None:
    ask = QueryRequest("ASK { ?s ?p ?o }", select_type="application/sparql-results+xml")
    assert remote.execute(ask, 10).body == kg_store.execute_here(ask).body
    graph = QueryRequest("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(isIRI(?s) && isIRI(?o)) }",
                         graph_type="application/n-triples", max_rows=100_000)
    got = remote.execute(graph, 10)
    assert got.kind == "graph" and not got.truncated
    assert sorted(got.body.splitlines()) == sorted(kg_store.execute_here(graph).body.splitlines())
    cut = remote.execute(QueryRequest(graph.query, max_rows=4), 10)
    assert (cut.rows, cut.truncated) == (4, True)
    ontology = "https://w3id.org/backchannel/def"
    one_graph = QueryRequest("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", select_type="text/csv",
                             default_graphs=(ontology,))
    assert remote.execute(one_graph, 10).body == kg_store.execute_here(one_graph).body
    assert remote.execute(one_graph, 10).body != remote.execute(QueryRequest(one_graph.query, "text/csv"), 10).body
    subs = QueryRequest("SELECT ?t ?n { { SELECT (COUNT(*) AS ?n) { ?t ?p ?o } } }", select_type="text/csv",
                        substitutions=(("t", f"<{ontology}>"),))
    assert remote.execute(subs, 10).body == kg_store.execute_here(subs).body
    based = QueryRequest("SELECT ?p { <def> ?p ?o } ORDER BY ?p LIMIT 1", select_type="text/csv",
                         base_iri="https://w3id.org/backchannel/")
    assert remote.execute(based, 10).body == kg_store.execute_here(based).body


def test_syntax_errors_carry_the_engine_message(remote: RemoteStore, kg_store: OxigraphStore) -> None:
    prefixes = (("rdfs", "http://www.w3.org/2000/01/rdf-schema#"), ("ex", "http://ex/"))
    for query in ["SELECT * { ?s ?p ", "SELECT * WHERE {\n  ?s ?p ?o ?x }", "ASK { ?s rdfs:label ?o ; }}"]:
        request = QueryRequest(query, prefixes=prefixes, base_iri="http://ex/")
        with pytest.raises(QuerySyntaxError) as got:
            remote.execute(request, 10)
        with pytest.raises(QuerySyntaxError) as expected:
            kg_store.execute_here(request)
        assert str(got.value) == str(expected.value)  # positions are the query's own, despite the prologue
    with pytest.raises(QuerySyntaxError):
        remote.update("INSERT DATA { <urn:x:a> <urn:x:b> }")
    with pytest.raises(QuerySyntaxError, match="not a SPARQL variable name"):
        remote.execute(QueryRequest("SELECT * {}", substitutions=(("a) } DROP ALL #", '"x"'),)), 10)


def test_graph_reads_same_as_embedded(remote: RemoteStore, kg_store: OxigraphStore) -> None:
    assert remote.graph_names() == kg_store.graph_names()
    assert SEED in remote.graph_names()
    assert remote.has_graph(SEED) and remote.has_graph(None) and not remote.has_graph(BASE + "id/source/none")
    assert canonical(remote.graph_quads(SEED)) == canonical(kg_store.graph_quads(SEED))
    assert canonical(remote.quads()) == canonical(kg_store.quads())
    assert len(remote) == len(kg_store)


def test_paged_reads_without_graph_store(oxigraph: OxigraphServer, remote: RemoteStore,
                                         kg_store: OxigraphStore) -> None:
    paged = RemoteStore(oxigraph.url + "query", page_size=97)
    try:
        assert paged.endpoints.graph_store is None
        assert canonical(paged.quads()) == canonical(kg_store.quads())
        assert canonical(paged.graph_quads(SEED)) == canonical(kg_store.graph_quads(SEED))
    finally:
        paged.close()


# --- safety: bound values are data, never query text -------------------------------------------------------

HOSTILE = [
    '" } ; DROP ALL ; INSERT DATA { <urn:x:evil> <urn:x:evil> "',
    "x' } DROP ALL #",
    '"""} DROP ALL #"""',
    "a\\\" } DROP ALL #",
    "\\u0022 } DROP ALL #",
    "line\n} DROP ALL\r\n#",
    "<urn:x:evil> } DROP ALL",
    "tab\tand \x01 control",
]


def test_hostile_bindings_are_inert(scratch: tuple[RemoteStore, OxigraphStore]) -> None:
    remote, _ = scratch
    quads = [ox.Quad(ox.NamedNode(f"urn:x:s{i}"), RDFS_LABEL, ox.Literal(v), ox.NamedNode("urn:x:g"))
             for i, v in enumerate(HOSTILE)]
    remote.replace_graphs([], quads)
    before = canonical(remote.quads())
    for i, value in enumerate(HOSTILE):
        rows = remote.select("SELECT ?s { ?s ?p ?v }", {"v": ox.Literal(value)})
        assert [term_value(r["s"]) for r in rows] == [f"urn:x:s{i}"], value
        request = QueryRequest("SELECT ?s { ?s ?p ?v }", select_type="text/csv",
                               substitutions=(("v", str(ox.Literal(value))),))
        assert remote.execute(request, 5).rows == 1
        both: dict[str, Term] = {"w": ox.Literal(value), "s": ox.NamedNode(f"urn:x:s{i}")}
        assert remote.ask("ASK { ?s ?p ?v FILTER(STR(?v) = ?w) }", both) is True
        tagged = ox.Literal(value, language="en")
        assert remote.select("SELECT ?v { }", {"v": tagged}) == [{"v": tagged}]
    assert canonical(remote.quads()) == before
    with pytest.raises(QuerySyntaxError, match="blank node"):
        remote.select("SELECT ?s { ?s ?p ?o }", {"s": ox.BlankNode("b0")})
    with pytest.raises(QuerySyntaxError):
        remote.execute(QueryRequest("SELECT ?s {}", substitutions=(("s", '"x" } DROP ALL #'),)), 5)
    assert canonical(remote.quads()) == before


# --- writes: the same results as the embedded store --------------------------------------------------------

TTL = b"""@prefix ex: <http://ex/> .
ex:a ex:p "one" , "two" ; ex:q [ ex:r "nested" ; ex:s [ ex:t 1 ] ] .
ex:b ex:p ( 1 2 3 ) .
"""


def test_writes_same_as_embedded(scratch: tuple[RemoteStore, OxigraphStore]) -> None:
    remote, embedded = scratch
    steps = [
        lambda s: s.replace_graph("http://ex/g1", TTL, "text/turtle"),
        lambda s: s.add_to_graph("http://ex/g1", b'<http://ex/c> <http://ex/p> "three" .', "application/n-triples"),
        lambda s: s.add_to_graph("http://ex/empty", b"", "text/turtle"),
        lambda s: s.replace_graph(None, b'<http://ex/d> <http://ex/p> "default" .', "text/turtle"),
        lambda s: s.replace_graph("http://ex/g2", b'<x> <y> "z" .', "text/turtle", "http://base/"),
        lambda s: s.replace_graph("http://ex/g2", b"", "text/turtle"),
        lambda s: s.add_to_graph(None, b'<http://ex/t> <http://ex/p> "x" <http://ex/g3> .', "application/n-quads"),
        lambda s: s.drop_graph("http://ex/g3"),
        lambda s: s.replace_graphs(["http://ex/g1", "http://ex/none"],
                                   [ox.Quad(ox.NamedNode("http://ex/n"), ox.NamedNode("http://ex/p"),
                                            ox.Literal("new"), ox.NamedNode("http://ex/g4"))]),
        lambda s: s.update("INSERT DATA { GRAPH <http://ex/g5> { <http://ex/u> <http://ex/p> 5 } }"),
        lambda s: s.drop_graph(None),
    ]
    for number, step in enumerate(steps):
        version = remote.version
        step(remote)
        step(embedded)
        assert remote.version != version, number
        assert remote.graph_names() == embedded.graph_names(), number
        assert canonical(remote.quads()) == canonical(embedded.quads()), number
        for graph in [None, *embedded.graph_names()]:
            assert canonical(remote.graph_quads(graph)) == canonical(embedded.graph_quads(graph)), (number, graph)


def test_bad_data_changes_nothing(scratch: tuple[RemoteStore, OxigraphStore]) -> None:
    remote, _ = scratch
    remote.replace_graph("http://ex/g", TTL, "text/turtle")
    before, version = canonical(remote.quads()), remote.version
    with pytest.raises(DataError):
        remote.replace_graph("http://ex/g", b"<http://ex/a> <http://ex/p> .", "text/turtle")
    with pytest.raises(DataError):
        remote.add_to_graph("http://ex/g", b"{}", "application/ld+json-nope")
    with pytest.raises(QuerySyntaxError):
        remote.update("DROP ALL ; INSERT DATA { nonsense }")
    assert canonical(remote.quads()) == before
    assert remote.graph_names() == ["http://ex/g"]
    assert remote.version != version  # an update was attempted: caches are dropped rather than trusted


def test_blank_nodes_survive_chunking(scratch: tuple[RemoteStore, OxigraphStore]) -> None:
    remote, embedded = scratch  # chunk_size=3: the nested blank nodes of TTL span more than one chunk
    remote.replace_graph("http://ex/g", TTL, "text/turtle")
    embedded.replace_graph("http://ex/g", TTL, "text/turtle")
    assert canonical(remote.quads()) == canonical(embedded.quads())


def test_bulk_load_graph_store_and_chunks(tmp_path: Path, scratch: tuple[RemoteStore, OxigraphStore]) -> None:
    remote, embedded = scratch
    data = tmp_path / "data.ttl"
    data.write_bytes(TTL)
    remote.bulk_load(str(data), "text/turtle", "http://ex/bulk")
    embedded.bulk_load(str(data), "text/turtle", "http://ex/bulk")
    chunked = RemoteStore(remote.endpoints.query, chunk_size=2)
    try:
        assert chunked.endpoints.graph_store is None
        chunked.bulk_load(str(data), "text/turtle", "http://ex/chunked")
        embedded.bulk_load(str(data), "text/turtle", "http://ex/chunked")
    finally:
        chunked.close()
    assert canonical(remote.quads()) == canonical(embedded.quads())
    data.write_bytes(b"<http://ex/a> <http://ex/p> .")
    with pytest.raises(StoreError, match="rejected"):
        remote.bulk_load(str(data), "text/turtle", "http://ex/bulk")


def test_external_writes_change_the_version(scratch: tuple[RemoteStore, OxigraphStore]) -> None:
    remote, _ = scratch
    remote.fingerprint_interval = 0  # re-read the remote counts at every look
    version = remote.version
    assert remote.version == version
    httpx.post(remote.endpoints.update, content=b"INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }",
               headers={"Content-Type": "application/sparql-update"}).raise_for_status()
    deadline = time.monotonic() + 10  # later readings run in the background: the change shows shortly
    while remote.version == version and time.monotonic() < deadline:
        time.sleep(0.05)
    assert remote.version != version


def test_counts_after_the_first_run_off_the_request_thread(scratch: tuple[RemoteStore, OxigraphStore]) -> None:
    """Regression: every 5 s one request waited for COUNT(*) over the whole remote graph (13 s at 10M triples)."""
    remote, _ = scratch
    remote.fingerprint_interval = 0
    threads: list[str] = []
    select = remote._select  # record which thread runs the real count queries

    def recording_select(query: str, **options: Any) -> list[dict[str, Term]]:
        threads.append(threading.current_thread().name)
        return select(query, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(remote, "_select", recording_select)
        remote._fingerprint = "0"  # as after opening: the first reading
        _ = remote.version
        first = list(threads)
        deadline = time.monotonic() + 10
        _ = remote.version  # a later reading: started in the background
        while len(threads) == len(first) and time.monotonic() < deadline:
            time.sleep(0.02)
    assert first and set(first) == {threading.current_thread().name}
    assert threads[len(first):] and set(threads[len(first):]) == {"backchannel-fingerprint"}


def test_closing_waits_for_a_background_count() -> None:
    """Regression (CI, 2026-12-02): a store closed while its background count ran left that thread to send on a
    closed client ("Cannot send a request, as the client has been closed")."""
    failures: list[BaseException] = []
    with OxigraphServer.start() as server, pytest.MonkeyPatch.context() as patch:
        patch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
        store = server.store()
        _ = store.version  # the first reading, in this thread
        store.fingerprint_interval = 0
        select = store._select
        started = threading.Event()

        def slow_select(query: str, **options: Any) -> list[dict[str, Term]]:
            started.set()
            time.sleep(0.3)
            return select(query, **options)

        patch.setattr(store, "_select", slow_select)
        _ = store.version  # starts a background count
        assert started.wait(10)
        store.close()
        _ = store.version  # a closed store starts no count
        background = [t for t in threading.enumerate() if t.name == "backchannel-fingerprint"]
        for thread in background:
            thread.join(10)
    assert not failures


# --- time limits, failures and retries ---------------------------------------------------------------------

CROSS = "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def test_timeouts_are_query_timeouts(tmp_path: Path) -> None:
    with OxigraphServer.start(timeout_s=2) as server:
        store = server.store(timeout=0.5)
        try:
            store.replace_graph("http://ex/g", b"".join(b"<http://ex/%d> <http://ex/p> %d .\n" % (i, i)
                                                          for i in range(200)), "text/turtle")
            with pytest.raises(QueryTimeout):  # the engine works before the first byte
                store.execute(QueryRequest(f"SELECT (COUNT(*) AS ?n) {CROSS}"), 0.5)
            with pytest.raises(QueryTimeout):  # the answer streams for longer than the limit
                store.execute(QueryRequest(f"SELECT * {CROSS}", max_rows=10**12), 0.5)
            with pytest.raises(QueryTimeout):  # trusted queries have the store's limit
                store.select(f"SELECT (COUNT(*) AS ?n) {CROSS}")
        finally:
            store.close()


def test_unreachable_endpoint_is_unavailable() -> None:
    from tests.remote_backend import free_port

    store = RemoteStore(f"http://127.0.0.1:{free_port()}", retries=2, backoff=0.01, timeout=5)
    try:
        with pytest.raises(RemoteUnavailable, match="after 3 attempts"):
            store.select("SELECT * {}")
        with pytest.raises(RemoteUnavailable):
            store.drop_graph("http://ex/g")
        assert store.version  # a version is still given while the engine is away
    finally:
        store.close()


def test_wrong_path_is_not_retried(oxigraph: OxigraphServer) -> None:
    store = RemoteStore(oxigraph.url + "nothing/here", retries=50, backoff=10)
    try:
        with pytest.raises(StoreError, match="HTTP 404"):
            store.select("SELECT * {}")
    finally:
        store.close()


def test_retries_outlast_a_restart() -> None:
    with OxigraphServer.start(timeout_s=5) as server:
        store = server.store(retries=10, backoff=0.1, max_backoff=1.0, timeout=60)
        try:
            store.update("INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }")
            server.pause()
            answers: list[object] = []
            asking = threading.Thread(target=lambda: answers.append(store.ask("ASK { <urn:x:a> ?p ?o }")))
            asking.start()
            asking.join(0.5)  # it is retrying now: the server is down
            server.resume()
            asking.join(60)
            assert answers == [True]
        finally:
            store.close()


# --- the build, the command line and the service -----------------------------------------------------------

def test_build_into_remote_same_as_embedded(oxigraph: OxigraphServer, remote: RemoteStore,
                                            kg_store: OxigraphStore) -> None:
    """(The ``remote`` fixture was built by kg.data.build.build through the Store interface.)"""
    report = build(remote, settings())
    expected = build(OxigraphStore(":memory:"), settings())
    assert (report.graphs, report.classes) == (expected.graphs, expected.classes)
    assert canonical(remote.quads()) == canonical(kg_store.quads())


COUNT_QUADS = "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"


def count_over_http(url: str | None, store: OxigraphStore | None = None) -> int:
    """Quads in named graphs, asked of the service's SPARQL endpoint at ``url`` (or of ``store``)."""
    if store is not None:
        return int(term_value(store.select(COUNT_QUADS)[0]["n"]))
    assert url is not None
    answer = httpx.get(url + "sparql", params={"query": COUNT_QUADS},
                       headers={"Accept": "application/sparql-results+json"}, timeout=10)
    answer.raise_for_status()
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def test_cli_build_and_serve_on_remote(tmp_path: Path, kg_store: OxigraphStore) -> None:
    import socket

    import uvicorn

    from service.app import create_app
    from service.cli import main

    with OxigraphServer.start(timeout_s=10) as server:
        location = "sparql+" + server.url
        assert main(["--store", location, "--base-iri", BASE, "build", "--dump-dir", str(tmp_path)]) == 0
        assert (tmp_path / "backchannel.nq").exists()
        opened = open_store(location)
        try:
            assert isinstance(opened, RemoteStore)
            assert canonical(opened.quads()) == canonical(kg_store.quads())
        finally:
            opened.close()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        app = create_app(Settings(base_iri=BASE, store=location))
        web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=web.run, daemon=True)
        thread.start()
        try:
            for _ in range(600):
                if web.started:
                    break
                thread.join(0.05)
            assert count_over_http(f"http://127.0.0.1:{port}/") == count_over_http(None, kg_store)
        finally:
            web.should_exit = True
            thread.join(30)


def test_conftest_switch_serves_a_remote_store(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support import start_server

    monkeypatch.setenv("BACKCHANNEL_TEST_BACKEND", "remote")
    live = start_server()
    try:
        assert isinstance(live.store, RemoteStore)
        assert count_over_http(live.url) == len(live.store) > 0
    finally:
        live.stop()
        live.store.close()


def test_the_version_settles_in_one_step_after_our_own_write(scratch: tuple[RemoteStore, OxigraphStore]) -> None:
    """Regression: after a write the version changed at once and again when a background count finished,
    so the result cache missed and If-None-Match got 200 right after a write."""
    remote, _ = scratch
    remote.fingerprint_interval = 3600  # no periodic reading during the test
    remote.update("INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> 1 } }")
    settled = remote.version
    time.sleep(0.3)
    assert remote.version == settled
    assert not any(t.name == "backchannel-fingerprint" for t in threading.enumerate())
