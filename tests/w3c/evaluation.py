"""Read the W3C SPARQL 1.1 query and update *evaluation* manifests into test cases.

A query evaluation test (``mf:QueryEvaluationTest``, ``mf:CSVResultFormatTest``) names a query file, the
files of its default graph (``qt:data``) and of its named graphs (``qt:graphData``), and the expected
result file (``mf:result``: SRX, SRJ, TSV, CSV or Turtle). An update evaluation test
(``mf:UpdateEvaluationTest``) names an update, the graph store before it (``ut:data`` for the default
graph, ``ut:graphData`` with an ``rdfs:label`` naming each graph) and the graph store after it.

Every file is named by the IRI it has on the W3C site (``W3C_BASE`` + its path under ``sparql11/``),
whatever folder the suite was copied to, so that relative IRIs in queries and results resolve as the
suite's authors meant them.

>>> iri_of(Path("/x/sparql11/aggregates/agg01.ttl"), Path("/x/sparql11"))
'http://www.w3.org/2009/sparql/docs/tests/data-sparql11/aggregates/agg01.ttl'
>>> path_of(W3C_BASE + "bind/data.ttl", Path("/x/sparql11"))
PosixPath('/x/sparql11/bind/data.ttl')
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.store.base import Term

W3C_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"

QUERY_CATEGORIES = ("aggregates", "bind", "bindings", "cast", "construct", "csv-tsv-res", "exists", "functions",
                    "grouping", "json-res", "negation", "project-expression", "property-path", "subquery")
UPDATE_CATEGORIES = ("add", "basic-update", "clear", "copy", "delete", "delete-data", "delete-insert",
                     "delete-where", "drop", "move", "update-silent")
QUERY_TYPES = {MF + "QueryEvaluationTest": "query", MF + "CSVResultFormatTest": "csv"}
UPDATE_TYPE = MF + "UpdateEvaluationTest"


def iri_of(path: Path, root: Path) -> str:
    """The W3C IRI of a file of the suite copied to ``root`` (the ``sparql11`` folder)."""
    return W3C_BASE + path.relative_to(root).as_posix()


def path_of(iri: str, root: Path) -> Path:
    """The local file of a W3C IRI (the inverse of :func:`iri_of`)."""
    assert iri.startswith(W3C_BASE), f"{iri} is not a file of the W3C suite"
    return root / iri.removeprefix(W3C_BASE)


@dataclass(frozen=True)
class QueryCase:
    """One query evaluation test. ``kind`` is ``query``, or ``csv`` for a CSV result format test."""

    iri: str
    name: str
    kind: str
    query: str
    """IRI of the query file (also its base IRI)."""
    data: tuple[str, ...]
    """IRIs of the files merged into the default graph."""
    graph_data: tuple[str, ...]
    """IRIs of the files loaded as named graphs, each named by its own IRI."""
    result: str

    @property
    def id(self) -> str:
        """The test's short name: the category and the fragment, e.g. ``aggregates/agg01``."""
        return _short(self.iri)


@dataclass(frozen=True)
class UpdateCase:
    """One update evaluation test: the graph store before (``data``, ``graphs``) and after (``result_*``)."""

    iri: str
    name: str
    request: str
    data: tuple[str, ...]
    graphs: tuple[tuple[str, str], ...]
    """(file IRI, graph name) of each named graph before the update."""
    result_data: tuple[str, ...]
    result_graphs: tuple[tuple[str, str], ...]

    @property
    def id(self) -> str:
        return _short(self.iri)


def _short(iri: str) -> str:
    return iri.removeprefix(W3C_BASE).replace("/manifest#", "/")


class _Manifest:
    """A parsed manifest with the few look-ups the readers need."""

    def __init__(self, path: Path, root: Path) -> None:
        self.base = iri_of(path, root)
        self.triples = list(ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=self.base))

    def objects(self, subject: ox.NamedNode | ox.BlankNode, predicate: str) -> list[Term]:
        return [t.object for t in self.triples if t.subject == subject and t.predicate.value == predicate]

    def value(self, subject: ox.NamedNode | ox.BlankNode, predicate: str) -> Term | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def texts(self, subject: ox.NamedNode | ox.BlankNode, predicate: str) -> list[str]:
        """The IRIs, labels and literal values of ``subject``'s ``predicate``."""
        return [o.value for o in self.objects(subject, predicate) if not isinstance(o, ox.Triple)]

    def text(self, subject: ox.NamedNode | ox.BlankNode, predicate: str) -> str | None:
        found = self.texts(subject, predicate)
        return found[0] if found else None

    def iris(self, subject: ox.NamedNode | ox.BlankNode, predicate: str) -> tuple[str, ...]:
        return tuple(sorted(o.value for o in self.objects(subject, predicate) if isinstance(o, ox.NamedNode)))

    def items(self, head: Term | None) -> Iterator[Term]:
        """The members of an RDF list."""
        while isinstance(head, ox.NamedNode | ox.BlankNode) and head.value != RDF + "nil":
            first = self.value(head, RDF + "first")
            if first is not None:
                yield first
            head = self.value(head, RDF + "rest")

    def entries(self) -> list[ox.NamedNode | ox.BlankNode]:
        manifest = ox.NamedNode(self.base)
        listed = self.items(self.value(manifest, MF + "entries"))
        return [e for e in listed if isinstance(e, ox.NamedNode | ox.BlankNode)]

    def graphs(self, node: Term | None) -> tuple[tuple[str, str], ...]:
        """(file IRI, graph name) of each ``ut:graphData`` of ``node``."""
        if not isinstance(node, ox.NamedNode | ox.BlankNode):
            return ()
        found = []
        for graph in self.objects(node, UT + "graphData"):
            if isinstance(graph, ox.NamedNode):  # a bare file: the graph is named by the file
                found.append((graph.value, graph.value))
            elif isinstance(graph, ox.BlankNode):
                file = self.text(graph, UT + "graph")
                assert file is not None, f"ut:graphData without ut:graph in {self.base}"
                found.append((file, self.text(graph, RDFS + "label") or file))
        return tuple(sorted(found))


def read_query_cases(root: Path) -> list[QueryCase]:
    """The query evaluation tests of :data:`QUERY_CATEGORIES`, in manifest order."""
    cases = []
    for category in QUERY_CATEGORIES:
        manifest = _Manifest(root / category / "manifest.ttl", root)
        for entry in manifest.entries():
            kind = next((QUERY_TYPES[t] for t in manifest.texts(entry, RDF + "type") if t in QUERY_TYPES), None)
            if kind is None:
                continue  # syntax tests: not evaluation tests
            action = manifest.value(entry, MF + "action")
            result = manifest.text(entry, MF + "result")
            assert isinstance(action, ox.BlankNode | ox.NamedNode) and result is not None, entry
            query = manifest.text(action, QT + "query")
            assert query is not None, entry
            cases.append(QueryCase(entry.value, manifest.text(entry, MF + "name") or "", kind, query,
                                   manifest.iris(action, QT + "data"), manifest.iris(action, QT + "graphData"),
                                   result))
    return cases


def read_update_cases(root: Path) -> list[UpdateCase]:
    """The update evaluation tests of :data:`UPDATE_CATEGORIES`, in manifest order."""
    cases = []
    for category in UPDATE_CATEGORIES:
        manifest = _Manifest(root / category / "manifest.ttl", root)
        for entry in manifest.entries():
            if UPDATE_TYPE not in manifest.texts(entry, RDF + "type"):
                continue
            action = manifest.value(entry, MF + "action")
            result = manifest.value(entry, MF + "result")
            assert isinstance(action, ox.BlankNode | ox.NamedNode), entry
            assert isinstance(result, ox.BlankNode | ox.NamedNode), entry
            request = manifest.text(action, UT + "request")
            assert request is not None, entry
            cases.append(UpdateCase(entry.value, manifest.text(entry, MF + "name") or "", request,
                                    manifest.iris(action, UT + "data"), manifest.graphs(action),
                                    manifest.iris(result, UT + "data"), manifest.graphs(result)))
    return cases

