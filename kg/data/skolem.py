"""Stable IRIs for blank nodes: the qualified influences, memberships, attributions and time spans of the sources.

A blank node's label changes every time a file is parsed, so nothing outside can link to it. The build gives
each one an IRI under the deployment's base (RDF 1.1 Concepts, 3.5 "Replacing Blank Nodes with IRIs"):
``{base}.well-known/genid/{digest}``. The digest is a hash of what the source says *of* the node (its own
statements, nested blank nodes included) and *about* it (the statements that point at it, with their subjects),
and of the source graph, with IRIs read relative to the base; so the IRI survives a rebuild (and a move to another
base IRI keeps its digest), and changes only when that part of the source changes.
Two blank nodes that the same source describes identically in the same place are one node (the graph says the
same with one). The service dereferences these IRIs like any thing's.

>>> import pyoxigraph as ox
>>> g = ox.NamedNode("http://x/id/source/s")
>>> data = b'<http://x/id/a> <http://ex/when> [ <http://ex/year> 1981 ] .'
>>> first = skolemize([ox.Quad(*t.triple, g) for t in ox.parse(data, format=ox.RdfFormat.TURTLE)], "http://x/")
>>> again = skolemize([ox.Quad(*t.triple, g) for t in ox.parse(data, format=ox.RdfFormat.TURTLE)], "http://x/")
>>> first == again, [q.object.value for q in first if q.subject.value == "http://x/id/a"]
(True, ['http://x/.well-known/genid/f42820c0c9193024dc71'])
>>> moved = [ox.Quad(*t.triple, ox.NamedNode("http://y/id/source/s"))
...          for t in ox.parse(data.replace(b"http://x/", b"http://y/"), format=ox.RdfFormat.TURTLE)]
>>> [q.object.value for q in skolemize(moved, "http://y/") if q.subject.value == "http://y/id/a"]
['http://y/.well-known/genid/f42820c0c9193024dc71']
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from kg.namespaces import GENID

Subject = ox.NamedNode | ox.BlankNode | ox.Triple
Object = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


class _Digests:
    """The digest of each blank node of one graph, from what the graph says of it and about it."""

    def __init__(self, graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph, quads: Iterable[ox.Quad],
                 base_iri: str) -> None:
        self.base = base_iri
        self.graph = self.text(graph) if isinstance(graph, ox.NamedNode) else str(graph)
        self.outgoing: dict[ox.BlankNode, list[tuple[str, Object]]] = defaultdict(list)
        self.incoming: dict[ox.BlankNode, list[tuple[Subject, str]]] = defaultdict(list)
        for q in quads:
            if isinstance(q.subject, ox.BlankNode):
                self.outgoing[q.subject].append((q.predicate.value, q.object))
            if isinstance(q.object, ox.BlankNode):
                self.incoming[q.object].append((q.subject, q.predicate.value))
        self._content: dict[ox.BlankNode, str] = {}
        self._digest: dict[ox.BlankNode, str] = {}

    def text(self, term: Subject | Object) -> str:
        """A term as in N-Triples, an IRI under the base written relative to it."""
        if isinstance(term, ox.NamedNode) and term.value.startswith(self.base):
            return f"<{term.value[len(self.base):]}>"
        return str(term)

    def content(self, node: ox.BlankNode, seen: frozenset[ox.BlankNode] = frozenset()) -> str:
        """What the graph says of ``node``: its statements, a nested blank node by its own content."""
        if node in seen:
            return "_:cycle"
        if node not in self._content:
            lines = sorted(f"{p} {self.content(o, seen | {node}) if isinstance(o, ox.BlankNode) else self.text(o)}"
                           for p, o in self.outgoing.get(node, []))
            self._content[node] = "[" + " ; ".join(lines) + "]"
        return self._content[node]

    def digest(self, node: ox.BlankNode, seen: frozenset[ox.BlankNode] = frozenset()) -> str:
        """The hash of the node's graph, content, and the statements that point at it (a blank subject by its
        own digest)."""
        if node in seen:
            return "cycle"
        if node not in self._digest:
            pointing = sorted(f"{self.digest(s, seen | {node}) if isinstance(s, ox.BlankNode) else self.text(s)} {p}"
                              for s, p in self.incoming.get(node, []))
            text = "\n".join([self.graph, self.content(node), *pointing])
            self._digest[node] = hashlib.sha256(text.encode()).hexdigest()[:20]
        return self._digest[node]


def skolemize(quads: list[ox.Quad], base_iri: str) -> list[ox.Quad]:
    """``quads`` with every blank node replaced by its stable IRI ``{base_iri}.well-known/genid/{digest}``
    (a blank node is scoped to its graph: the digest is taken graph by graph)."""
    by_graph: dict[ox.NamedNode | ox.BlankNode | ox.DefaultGraph, list[ox.Quad]] = defaultdict(list)
    for q in quads:
        by_graph[q.graph_name].append(q)
    iris: dict[ox.BlankNode, ox.NamedNode] = {}
    for graph, members in by_graph.items():
        digests = _Digests(graph, members, base_iri)
        for node in set(digests.outgoing) | set(digests.incoming):
            iris[node] = ox.NamedNode(f"{base_iri}{GENID}{digests.digest(node)}")

    def term(t: Object) -> Object:
        return iris.get(t, t) if isinstance(t, ox.BlankNode) else t

    out: dict[ox.Quad, None] = {}
    for q in quads:
        subject = term(q.subject)
        assert not isinstance(subject, ox.Literal)
        out[ox.Quad(subject, q.predicate, term(q.object), q.graph_name)] = None
    return list(out)
