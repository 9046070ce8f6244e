"""Compact JSON-LD: statements as JSON objects keyed by ``prefix:name``, with our prefixes as the ``@context``.

The context is only prefixes, so every compact IRI expands back to the same
IRI and any JSON-LD 1.1 processor reads the document as the same statements.
Quads keep their graphs: a named graph is a node object with its own ``@graph``.

>>> import pyoxigraph as ox
>>> from kg.namespaces import RDFS
>>> t = ox.Triple(ox.NamedNode("http://x/id/person/a"), ox.NamedNode(RDFS + "label"), ox.Literal("Ann", language="en"))
>>> doc = to_jsonld([t], context({"rdfs": RDFS, "person": "http://x/id/person/"}))
>>> doc["@graph"]
[{'@id': 'person:a', 'rdfs:label': [{'@value': 'Ann', '@language': 'en'}]}]
>>> len(from_jsonld(json.dumps(doc).encode()))
1
>>> q = ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode("http://x/id/source/s"))
>>> to_jsonld([q], context({"person": "http://x/id/person/"}))["@graph"][0]["@graph"][0]["@id"]
'person:a'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import pyoxigraph as ox

from kg.namespaces import RDF, XSD

XSD_STRING = XSD + "string"


def context(prefixes: dict[str, str]) -> dict[str, object]:
    """A JSON-LD ``@context`` that declares ``prefixes`` (and nothing else)."""
    return {"@context": {name: iri for name, iri in sorted(prefixes.items())}}


class _Compactor:
    def __init__(self, prefixes: dict[str, str]) -> None:
        self.pairs = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))

    def iri(self, value: str) -> str:
        for name, namespace in self.pairs:
            if value.startswith(namespace):
                local = value[len(namespace):]
                if not local.startswith("//") and re.fullmatch(r"[^\s:]*", local):
                    return f"{name}:{local}"
        return value


def _id(term: ox.NamedNode | ox.BlankNode | ox.Triple, c: _Compactor) -> str:
    if isinstance(term, ox.Triple):
        raise ValueError(f"JSON-LD 1.1 has no triple terms: {term}")
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else c.iri(term.value)


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, c: _Compactor) -> dict[str, str]:
    if isinstance(term, ox.Triple):
        raise ValueError(f"JSON-LD 1.1 has no triple terms: {term}")
    if isinstance(term, ox.NamedNode):
        return {"@id": c.iri(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD_STRING:
        return {"@value": term.value}
    return {"@value": term.value, "@type": c.iri(term.datatype.value)}


def _nodes(triples: Iterable[ox.Triple], c: _Compactor) -> list[dict[str, object]]:
    """Node objects of the triples, one per subject, sorted."""
    nodes: dict[str, dict[str, object]] = {}
    for triple in sorted(set(triples), key=str):
        key = _id(triple.subject, c)
        obj = nodes.setdefault(key, {"@id": key})
        if triple.predicate.value == RDF + "type" and isinstance(triple.object, ox.NamedNode):
            types = obj.setdefault("@type", [])
            assert isinstance(types, list)
            types.append(c.iri(triple.object.value))
            continue
        values = obj.setdefault(c.iri(triple.predicate.value), [])
        assert isinstance(values, list)
        values.append(_value(triple.object, c))
    return [nodes[k] for k in sorted(nodes)]


def to_jsonld(statements: Iterable[ox.Triple] | Iterable[ox.Quad], ctx: dict[str, object]) -> dict[str, object]:
    """The statements as a compact JSON-LD document: ``{"@context": …, "@graph": [node objects]}``, sorted; the
    quads of a named graph go into ``{"@id": graph, "@graph": [node objects]}``."""
    prefixes = ctx["@context"]
    assert isinstance(prefixes, dict)
    c = _Compactor({k: v for k, v in prefixes.items() if isinstance(v, str)})
    graphs: dict[str, list[ox.Triple]] = {}
    default: list[ox.Triple] = []
    for item in statements:
        if isinstance(item, ox.Quad) and isinstance(item.graph_name, ox.NamedNode | ox.BlankNode):
            graphs.setdefault(_id(item.graph_name, c), []).append(item.triple)
        else:
            default.append(item.triple if isinstance(item, ox.Quad) else item)
    named = [{"@id": g, "@graph": _nodes(graphs[g], c)} for g in sorted(graphs)]
    return {"@context": prefixes, "@graph": _nodes(default, c) + named}


def dumps(doc: dict[str, object]) -> bytes:
    """The document as UTF-8 JSON, indented for people."""
    return json.dumps(doc, indent=2, ensure_ascii=False).encode()


def from_jsonld(data: bytes) -> list[ox.Triple]:
    """Parse JSON-LD back to triples, the union of its graphs (pyoxigraph's parser; used by tests and doctests)."""
    return [q.triple for q in ox.parse(data, format=ox.RdfFormat.JSON_LD)]
