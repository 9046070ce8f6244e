"""Run a W3C evaluation test two ways: over the SPARQL protocol against a live server, and in pyoxigraph.

Both ways give the engine the same dataset and read the answer in the same format, so that they can
be compared test for test:

- a query's files are loaded into graphs named by their own IRIs; the query names its dataset with
  ``default-graph-uri`` (the ``qt:data`` files, or an empty graph) and ``named-graph-uri`` (the
  ``qt:graphData`` files), unless it has its own ``FROM``; its text gets ``BASE <the query file>``;
- the answer is asked for in the result file's own format (SRX, SRJ, TSV, CSV; JSON for a Turtle
  result set; N-Triples for a graph) and read back with :mod:`tests.w3c.answers`;
- an update starts from an empty graph store holding only the test's graphs (``DROP ALL`` first on the
  server); the store after it is read back whole (its default graph and every named graph's quads).

:class:`Protocol` runs against a server (``httpx`` client on its base URL, with the write token);
:class:`InProcess` runs on a new ``pyoxigraph.Store`` per test. Each method returns the
:class:`~tests.w3c.answers.Answer`, or raises :class:`Failed` with what went wrong.

>>> fmt_for(QueryCase("t", "n", "query", "q.rq", (), (), "r.srx"), None)
'srx'
>>> has_own_from("PREFIX : <http://e/> CONSTRUCT FROM <data.ttl> WHERE { ?s ?p ?o }")
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import httpx
import pyoxigraph as ox

from kg.store.base import Term
from tests.w3c.answers import Answer, quad_row, read_expected, read_graph, read_results
from tests.w3c.evaluation import QueryCase, UpdateCase, path_of

EMPTY_GRAPH = "urn:x-backchannel:w3c:empty"
"""The default graph of a query test that has no ``qt:data`` (a graph nobody writes)."""
MEDIA = {"srx": "application/sparql-results+xml", "srj": "application/sparql-results+json",
         "tsv": "text/tab-separated-values", "csv": "text/csv", "nt": "application/n-triples"}
OX_RESULTS = {"srx": ox.QueryResultsFormat.XML, "srj": ox.QueryResultsFormat.JSON,
              "tsv": ox.QueryResultsFormat.TSV, "csv": ox.QueryResultsFormat.CSV}
NETWORK = re.compile(r"\b(LOAD|SERVICE)\b", re.I)
OWN_FROM = re.compile(r"\bFROM\s+(NAMED\s+)?<", re.I)
Subject = ox.NamedNode | ox.BlankNode | ox.Triple


class Failed(Exception):
    """The engine did not answer (an error status, an exception, an unreadable answer)."""


def fmt_for(case: QueryCase, expected: Answer | None) -> str:
    """The format to ask for: the result file's own, JSON for a Turtle result set, N-Triples for a graph."""
    if case.kind == "csv":
        return "csv"
    suffix = case.result.rsplit(".", 1)[-1]
    if suffix in MEDIA:
        return suffix
    return "nt" if expected is not None and expected.kind == "graph" else "srj"


def has_own_from(query: str) -> bool:
    """Whether the query names its own dataset (then no protocol dataset is sent: it would override it)."""
    return bool(OWN_FROM.search(query))


def needs_network(text: str) -> bool:
    """Whether an operation would fetch from the web (``LOAD``, ``SERVICE``): never run in process here."""
    return bool(NETWORK.search(text))


def quads_of(iri: str, root: Path, graph: ox.NamedNode | ox.DefaultGraph, tag: str) -> list[ox.Quad]:
    """The triples of the suite's file ``iri`` in ``graph``; blank nodes renamed apart with ``tag``."""
    path = path_of(iri, root)
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE
    renamed: dict[str, ox.BlankNode] = {}

    def fresh(node: ox.BlankNode) -> ox.BlankNode:
        return renamed.setdefault(node.value, ox.BlankNode(f"{tag}{len(renamed)}"))

    def subject(t: Subject) -> Subject:
        return fresh(t) if isinstance(t, ox.BlankNode) else t

    def obj(t: Term) -> Term:
        return fresh(t) if isinstance(t, ox.BlankNode) else t

    return [ox.Quad(subject(t.subject), t.predicate, obj(t.object), graph)
            for t in ox.parse(path=path, format=fmt, base_iri=iri)]


def expected_answer(case: QueryCase, root: Path) -> Answer:
    """The answer the test expects."""
    return read_expected(path_of(case.result, root), case.result)


def expected_store(case: UpdateCase, root: Path) -> Answer:
    """The graph store the update test expects after the update."""
    return Answer.graph(_dataset(case.result_data, case.result_graphs, root))


def _dataset(data: Iterable[str], graphs: Iterable[tuple[str, str]], root: Path) -> list[ox.Quad]:
    quads = [q for n, iri in enumerate(data) for q in quads_of(iri, root, ox.DefaultGraph(), f"d{n}_")]
    for n, (iri, name) in enumerate(graphs):
        quads += quads_of(iri, root, ox.NamedNode(name), f"g{n}_")
    return quads


def _text(iri: str, root: Path) -> str:
    return f"BASE <{iri}>\n" + path_of(iri, root).read_text(encoding="utf-8")


def _read(body: bytes, fmt: str) -> Answer:
    try:
        if fmt == "nt":
            return read_graph(body, ox.RdfFormat.N_TRIPLES)
        return read_results(body, fmt)
    except (SyntaxError, ValueError, IndexError, UnicodeDecodeError) as err:
        raise Failed(f"the {fmt} answer does not parse: {err}: {body[:200]!r}") from err


# --- in process --------------------------------------------------------------------------------------------


class InProcess:
    """The tests on pyoxigraph in this process (a new in-memory store for each)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def query(self, case: QueryCase, fmt: str) -> Answer:
        store = ox.Store()
        store.extend([q for n, iri in enumerate((*case.data, *case.graph_data))
                      for q in quads_of(iri, self.root, ox.NamedNode(iri), f"f{n}_")])
        text = path_of(case.query, self.root).read_text(encoding="utf-8")
        dataset: dict[str, object] = {}
        if not has_own_from(text):
            dataset = {"default_graph": [ox.NamedNode(g) for g in case.data or (EMPTY_GRAPH,)],
                       "named_graphs": [ox.NamedNode(g) for g in case.graph_data]}
        try:
            result = store.query(text, base_iri=case.query, **dataset)  # type: ignore[arg-type]
            if isinstance(result, ox.QueryTriples):
                body = result.serialize(format=ox.RdfFormat.N_TRIPLES)
            else:
                body = result.serialize(format=OX_RESULTS["srj" if fmt == "nt" else fmt])
        except (SyntaxError, OSError, ValueError) as err:
            raise Failed(f"pyoxigraph: {err}") from err
        assert body is not None
        return _read(body, "nt" if isinstance(result, ox.QueryTriples) else fmt)

    def update(self, case: UpdateCase) -> Answer:
        store = ox.Store()
        store.extend(_dataset(case.data, case.graphs, self.root))
        try:
            store.update(path_of(case.request, self.root).read_text(encoding="utf-8"), base_iri=case.request)
        except (SyntaxError, OSError, ValueError) as err:
            raise Failed(f"pyoxigraph: {err}") from err
        return Answer.graph(store.quads_for_pattern(None, None, None, None))


# --- over the protocol --------------------------------------------------------------------------------------


class Protocol:
    """The tests over the SPARQL 1.1 Protocol and Graph Store Protocol of a live server."""

    def __init__(self, client: httpx.Client, root: Path, token: str) -> None:
        self.client = client
        self.root = root
        self.auth = {"Authorization": f"Bearer {token}"}
        self.loaded: set[str] = set()
        """Graphs (file IRIs) already put on the server; forgotten when an update test empties it."""

    def _put(self, params: dict[str, str], quads: list[ox.Quad], post: bool = False) -> None:
        body = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads],
                            format=ox.RdfFormat.N_TRIPLES) or b""
        response = self.client.request("POST" if post else "PUT", "store", params=params, content=body,
                                       headers=self.auth | {"Content-Type": MEDIA["nt"]})
        if response.status_code not in (200, 201, 204):
            raise Failed(f"loading {params}: {response.status_code} {response.text[:300]}")

    def _load(self, iri: str) -> None:
        if iri not in self.loaded:
            self._put({"graph": iri}, quads_of(iri, self.root, ox.NamedNode(iri), "f"))
            self.loaded.add(iri)

    def query(self, case: QueryCase, fmt: str) -> Answer:
        for iri in (*case.data, *case.graph_data):
            self._load(iri)
        text = _text(case.query, self.root)
        form: dict[str, str | list[str]] = {"query": text}
        if not has_own_from(text):
            form["default-graph-uri"] = list(case.data or (EMPTY_GRAPH,))
            form["named-graph-uri"] = list(case.graph_data)
        accept = MEDIA[fmt] if fmt != "nt" else f"{MEDIA['nt']}, {MEDIA['srj']};q=0.9"
        response = self.client.post("sparql", data=form, headers={"Accept": accept})
        if response.status_code != 200:
            raise Failed(f"{response.status_code}: {response.text[:300]}")
        media = response.headers.get("content-type", "").split(";")[0].strip()
        got = next((name for name, value in MEDIA.items() if value == media), None)
        if got is None:
            raise Failed(f"answered as {media}")
        return _read(response.content, got)

    def _sparql_update(self, text: str) -> None:
        response = self.client.post("sparql", content=text.encode(),
                                    headers=self.auth | {"Content-Type": "application/sparql-update"})
        if response.status_code != 204:
            raise Failed(f"{response.status_code}: {response.text[:300]}")

    def update(self, case: UpdateCase) -> Answer:
        self.loaded.clear()
        self._sparql_update("DROP ALL")
        for n, iri in enumerate(case.data):
            self._put({"default": ""}, quads_of(iri, self.root, ox.DefaultGraph(), f"d{n}_"), post=True)
        for n, (iri, name) in enumerate(case.graphs):
            self._put({"graph": name}, quads_of(iri, self.root, ox.NamedNode(name), f"g{n}_"), post=True)
        self._sparql_update(_text(case.request, self.root))
        return self.dump()

    def dump(self) -> Answer:
        """The whole graph store: its default graph (Graph Store Protocol) and the quads of every named graph."""
        default = self.client.get("store", params={"default": ""}, headers={"Accept": MEDIA["nt"]})
        if default.status_code not in (200, 404):
            raise Failed(f"reading the default graph: {default.status_code} {default.text[:300]}")
        document = default.content if default.status_code == 200 else b""
        quads = [quad_row(t.subject, t.predicate, t.object, ox.DefaultGraph(), tag="d")
                 for t in ox.parse(document, format=ox.RdfFormat.N_TRIPLES)]
        named = self.client.post("sparql", data={"query": "SELECT ?s ?p ?o ?g { GRAPH ?g { ?s ?p ?o } }"},
                                 headers={"Accept": MEDIA["srj"]})
        if named.status_code != 200:
            raise Failed(f"reading the named graphs: {named.status_code} {named.text[:300]}")
        solutions = ox.parse_query_results(named.content, ox.QueryResultsFormat.JSON)
        assert isinstance(solutions, ox.QuerySolutions)
        quads += [quad_row(row["s"], row["p"], row["o"], row["g"], tag="n") for row in solutions]
        return Answer("graph", rows=tuple(set(quads)))
