"""The RDF and query-result formats the store reads and writes, and parsing RDF into quads.

>>> GRAPH_TYPES["text/turtle"]
<RdfFormat Turtle>
>>> parse_rdf(b'<http://ex/a> <http://ex/p> 1 .', "text/turtle", "http://ex/g")[0].graph_name
<NamedNode value=http://ex/g>
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.store.base import DataError
from kg.store.nesting import TooDeep, check_json

SELECT_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
}
"""Media types for SELECT and ASK results, first one preferred."""

GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "text/n3": ox.RdfFormat.N3,
}
"""Media types for CONSTRUCT and DESCRIBE results, first one preferred."""



def parse_rdf(data: bytes, media_type: str, graph: str | None, base_iri: str | None = None) -> list[ox.Quad]:
    """Parse RDF ``data`` into quads of ``graph``; a syntax error raises :class:`DataError`.

    >>> parse_rdf(b'<http://ex/a> <http://ex/p> 1 .', "text/turtle", "http://ex/g")[0].graph_name
    <NamedNode value=http://ex/g>
    >>> parse_rdf(b'<http://ex/a> <http://ex/p> .', "text/turtle", None)
    Traceback (most recent call last):
    ...
    kg.store.base.DataError: the text/turtle data is not valid: ...
    """
    fmt = GRAPH_TYPES.get(media_type)
    if fmt is None:
        raise DataError(f"unsupported RDF media type {media_type!r}; use one of {', '.join(GRAPH_TYPES)}")
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    try:
        if fmt == ox.RdfFormat.JSON_LD:
            check_json(data)  # the JSON-LD parser dies with SIGSEGV on deep nesting
        parsed = list(ox.parse(data, format=fmt, base_iri=base_iri))
    except TooDeep as err:
        raise DataError(f"the {media_type} data is not accepted: {err}") from None
    except SyntaxError as err:
        raise DataError(f"the {media_type} data is not valid: {err}") from None
    if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
        return parsed
    return [ox.Quad(q.subject, q.predicate, q.object, target) for q in parsed]

