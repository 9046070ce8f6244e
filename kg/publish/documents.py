"""Writing a document: triples or quads in one RDF media type, sorted, without repeats, with the prefixes it uses.

A triple format writes the union of the graphs. A quad format (TriG, N-Quads) keeps each statement in its named
graph *and* states it in the default graph, so that a client that reads only the default graph (a link-traversal
engine such as Comunica, which asks for N-Quads first) finds every statement of the document. JSON-LD is our
compact form (:mod:`kg.publish.jsonld`: keys are ``prefix:name``, the context is only prefixes), a triple format.

>>> import pyoxigraph as ox
>>> t = ox.Triple(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("1"))
>>> write_document([t, t], "text/turtle", {"x": "http://x/", "y": "http://y/"})
b'@prefix x: <http://x/> .\\nx:a x:p "1" .\\n'
>>> print(write_document([ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode("http://x/g"))],
...                      "application/n-quads", {}).decode(), end="")
<http://x/a> <http://x/p> "1" .
<http://x/a> <http://x/p> "1" <http://x/g> .
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyoxigraph as ox

from kg.publish import jsonld
from kg.store.results import write_graph

QUAD_TYPES = frozenset({"application/trig", "application/n-quads"})
"""The media types that keep the graph of each statement."""


def _default_first(quad: ox.Quad) -> tuple[bool, str]:
    """Sort key: the default graph's statements first, then each named graph's, each in order."""
    return (isinstance(quad.graph_name, ox.NamedNode | ox.BlankNode), str(quad))


def write_document(statements: Iterable[ox.Triple] | Iterable[ox.Quad], media_type: str,
                   prefixes: Mapping[str, str]) -> bytes:
    """Write ``statements`` in ``media_type`` (see the module documentation)."""
    if media_type in QUAD_TYPES:
        quads: set[ox.Quad] = {i if isinstance(i, ox.Quad) else ox.Quad(i.subject, i.predicate, i.object)
                               for i in statements}
        quads |= {ox.Quad(q.subject, q.predicate, q.object) for q in quads}  # the union, in the default graph
        ordered: list[ox.Quad] = sorted(quads, key=_default_first)
        return write_graph(ordered, media_type, prefixes)
    triples = sorted({i.triple if isinstance(i, ox.Quad) else i for i in statements}, key=str)
    if media_type == "application/ld+json":
        return jsonld.dumps(jsonld.to_jsonld(triples, jsonld.context(dict(prefixes))))
    return write_graph(triples, media_type, prefixes)
