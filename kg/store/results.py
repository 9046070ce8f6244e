"""Writing answers: the SPARQL 1.1 result formats, and graphs with only the prefixes they use.

SELECT and ASK results are written here (JSON, XML, CSV, TSV) so that a row
limit can cut them; graphs are written by pyoxigraph. An answer holding a character
XML 1.0 forbids is refused in the XML formats (:mod:`kg.store.xmlchars`).

>>> from pyoxigraph import NamedNode, Literal
>>> rows = [{"s": NamedNode("http://ex/a"), "o": Literal("x", language="en")}]
>>> print(write_select(["s", "o"], rows, "text/csv").decode(), end="")
s,o\r
http://ex/a,x\r
>>> write_ask(True, "application/sparql-results+json")
b'{"head":{},"boolean":true}'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from kg.store.base import Term, term_value
from kg.store.formats import GRAPH_TYPES, SELECT_TYPES
from kg.store.xmlchars import check_xml

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def term_to_json(term: Term) -> dict[str, object]:
    """A term as in the SPARQL 1.1 JSON results format.

    >>> term_to_json(ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
    {'type': 'literal', 'value': '1', 'datatype': 'http://www.w3.org/2001/XMLSchema#integer'}
    """
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": term_to_json(term.subject),
            "predicate": term_to_json(term.predicate),
            "object": term_to_json(term.object),
        },
    }


def _texts(term: Term) -> Iterable[str]:
    """The strings a term puts into an XML document (value, language, datatype; a triple term's parts)."""
    if isinstance(term, ox.Triple):
        for part in (term.subject, term.predicate, term.object):
            yield from _texts(part)
    elif isinstance(term, ox.Literal):
        yield term.value
        yield term.language or term.datatype.value
    else:
        yield term.value


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (
        f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
        f"</predicate><object>{_xml_term(term.object)}</object></triple>"
    )


def _csv_field(term: Term | None) -> str:
    if term is None:
        return ""
    value = term_value(term)
    if isinstance(term, ox.BlankNode):
        value = "_:" + value
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _tsv_field(term: Term | None) -> str:
    if term is None:
        return ""
    text = str(term)
    return text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def write_select(variables: list[str], rows: Iterable[Mapping[str, Term | None]], media_type: str) -> bytes:
    """Serialise SELECT results in one of :data:`SELECT_TYPES`."""
    fmt = SELECT_TYPES[media_type]
    if fmt == ox.QueryResultsFormat.JSON:
        bindings = [{k: term_to_json(v) for k, v in row.items() if v is not None} for row in rows]
        doc = {"head": {"vars": variables}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    if fmt == ox.QueryResultsFormat.XML:
        rows = list(rows)
        check_xml((text for row in rows for term in row.values() if term is not None for text in _texts(term)),
                  "SPARQL XML results")
        parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        parts += [f"<variable name={quoteattr(v)}/>" for v in variables]
        parts.append("</head><results>")
        for row in rows:
            parts.append("<result>")
            parts += [
                f"<binding name={quoteattr(k)}>{_xml_term(v)}</binding>" for k, v in row.items() if v is not None
            ]
            parts.append("</result>")
        parts.append("</results></sparql>")
        return "".join(parts).encode()
    if fmt == ox.QueryResultsFormat.CSV:
        lines = [",".join(variables)] + [",".join(_csv_field(row.get(v)) for v in variables) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode()
    lines = ["\t".join("?" + v for v in variables)] + [
        "\t".join(_tsv_field(row.get(v)) for v in variables) for row in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def write_ask(value: bool, media_type: str) -> bytes:
    """Serialise an ASK result in one of :data:`SELECT_TYPES`."""
    fmt = SELECT_TYPES[media_type]
    word = "true" if value else "false"
    if fmt == ox.QueryResultsFormat.JSON:
        return b'{"head":{},"boolean":' + word.encode() + b"}"
    if fmt == ox.QueryResultsFormat.XML:
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
            f"<boolean>{word}</boolean></sparql>"
        ).encode()
    if fmt == ox.QueryResultsFormat.CSV:
        return f"_askResult\r\n{word}\r\n".encode()
    return f"?_askResult\n{word}\n".encode()


def write_graph(triples: Iterable[ox.Triple | ox.Quad], media_type: str, prefixes: Mapping[str, str]) -> bytes:
    """Serialise triples (or quads) in one of :data:`GRAPH_TYPES`, with prefixes where the format has them
    (only those :func:`used_prefixes` keeps, so no prefixed name needs a backslash escape)."""
    fmt = GRAPH_TYPES[media_type]
    items: list[ox.Quad] | list[ox.Triple]
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        items = [t if isinstance(t, ox.Quad) else ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    else:
        items = [t.triple if isinstance(t, ox.Quad) else t for t in triples]
    if fmt == ox.RdfFormat.RDF_XML:
        check_xml((text for item in items for term in (item.subject, item.predicate, item.object)
                   for text in _texts(term)), "RDF/XML")
    with_prefixes = fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3, ox.RdfFormat.RDF_XML)
    out = ox.serialize(items, format=fmt, prefixes=used_prefixes(items, prefixes) if with_prefixes else None)
    return out if out is not None else b""


_PN_CHARS_U = (
    "A-Za-z_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
    "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
PLAIN_LOCAL = re.compile(f"(?:[{_PN_CHARS_U}:0-9](?:[{_PN_CHARS}.:]*[{_PN_CHARS}:])?)?")
"""A Turtle local name that needs no backslash escape (PN_LOCAL without PLX); empty is fine (``dbr:``)."""


def used_prefixes(items: Iterable[ox.Triple | ox.Quad], prefixes: Mapping[str, str]) -> dict[str, str]:
    """The prefixes a document should declare: those some IRI in ``items`` is written with, and none under which
    an IRI would need a backslash escape (``dbr:Washington\\,_D.C\\.`` is legal Turtle 1.1, but rdflib and older
    tools reject it). Longest namespace first: Oxigraph's writer takes the first prefix that fits.

    >>> t = ox.Triple(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("x"))
    >>> used_prefixes([t], {"ex": "http://ex/", "other": "http://other/"})
    {'ex': 'http://ex/'}
    >>> odd = ox.Triple(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.NamedNode("http://db/D.C."))
    >>> used_prefixes([odd], {"ex": "http://ex/", "db": "http://db/"})  # db:D.C\\. would need an escape
    {'ex': 'http://ex/'}
    """
    iris: set[str] = set()
    for item in items:
        for term in (item.subject, item.predicate, item.object, getattr(item, "graph_name", None)):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    kept = dict(sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0])))
    while True:
        written: dict[str, bool] = {}  # prefix → every IRI it writes is plain
        for iri in iris:
            name = next((name for name, ns in kept.items() if iri.startswith(ns)), None)
            if name is not None:
                plain = PLAIN_LOCAL.fullmatch(iri[len(kept[name]):]) is not None
                written[name] = written.get(name, True) and plain
        unsafe = [name for name, plain in written.items() if not plain]
        if not unsafe:
            return {name: ns for name, ns in kept.items() if name in written}
        for name in unsafe:  # its IRIs are written in full, or with a shorter prefix that fits: look again
            del kept[name]


def parse_term(text: str) -> Term:
    """Parse one term written in N-Triples syntax.

    >>> parse_term('<http://ex/a>')
    <NamedNode value=http://ex/a>
    >>> parse_term('"3"^^<http://www.w3.org/2001/XMLSchema#integer>').value
    '3'
    """
    quads = list(ox.parse(f"<urn:x:s> <urn:x:p> {text} .".encode(), format=ox.RdfFormat.N_TRIPLES))
    if len(quads) != 1:
        raise ValueError(f"not one RDF term: {text!r}")
    return quads[0].object
