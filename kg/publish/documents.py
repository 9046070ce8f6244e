"""Writing a document: triples or quads in one RDF media type, sorted, without repeats, with the prefixes it uses.

A quad format (TriG, N-Quads) keeps the graphs; a triple format writes the union. JSON-LD is our compact form
(:mod:`kg.publish.jsonld`: keys are ``prefix:name``, the context is only prefixes).

>>> import pyoxigraph as ox
>>> t = ox.Triple(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("1"))
>>> write_document([t, t], "text/turtle", {"x": "http://x/", "y": "http://y/"})
b'@prefix x: <http://x/> .\\nx:a x:p "1" .\\n'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyoxigraph as ox

from kg.publish import jsonld
from kg.store.results import write_graph

QUAD_TYPES = frozenset({"application/trig", "application/n-quads"})
"""The media types that keep the graph of each statement."""


def write_document(statements: Iterable[ox.Triple] | Iterable[ox.Quad], media_type: str,
                   prefixes: Mapping[str, str]) -> bytes:
    """Write ``statements`` in ``media_type`` (see the module documentation)."""
    if media_type in QUAD_TYPES:
        quads = sorted({i if isinstance(i, ox.Quad) else ox.Quad(i.subject, i.predicate, i.object)
                        for i in statements}, key=str)
        return write_graph(quads, media_type, prefixes)
    triples = sorted({i.triple if isinstance(i, ox.Quad) else i for i in statements}, key=str)
    if media_type == "application/ld+json":
        return jsonld.dumps(jsonld.to_jsonld(triples, jsonld.context(dict(prefixes))))
    return write_graph(triples, media_type, prefixes)
