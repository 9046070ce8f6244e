"""The representations of a linked-data document: its media types, their suffixes and their names (from the one
format table, :mod:`kg.store.formats`).

>>> SUFFIXES["ttl"], SUFFIX_OF["application/ld+json"], NAMES["application/rdf+xml"]
('text/turtle', 'jsonld', 'RDF/XML')
>>> alternates("/doc/person/a", ["text/turtle"])
'</doc/person/a.ttl>; rel="alternate"; type="text/turtle"'
>>> n3_as_turtle("text/n3, */*;q=0.1"), n3_as_turtle(None)
('text/turtle, */*;q=0.1', None)
"""

from __future__ import annotations

from collections.abc import Iterable

from kg.store.formats import canonical, label_of, media_type_for, suffix_of

HTML = "text/html"
TURTLE = "text/turtle"
JSONLD = "application/ld+json"

RDF_TYPES: list[str] = [TURTLE, JSONLD, "application/n-triples", "application/rdf+xml", "application/trig",
                        "application/n-quads"]
"""The RDF representations of a document, in the server's order of preference."""
DOCUMENT_TYPES: list[str] = [HTML, *RDF_TYPES]
"""What a document offers, in the server's order of preference (``*/*`` gets HTML, as browsers expect)."""

SUFFIX_OF: dict[str, str] = {media: suffix_of(media) for media in DOCUMENT_TYPES}
SUFFIXES: dict[str, str] = {suffix: media for media, suffix in SUFFIX_OF.items()}
"""Suffixes of the documents (``/doc/person/x.ttl``) and the media type each one fixes."""
NAMES: dict[str, str] = {media: label_of(media) for media in DOCUMENT_TYPES}
"""How a page names each representation."""


def alternates(path: str, offered: Iterable[str]) -> str:
    """A ``Link`` header listing the suffixed documents of a generic one (``rel="alternate"``)."""
    return ", ".join(f'<{path}.{SUFFIX_OF[m]}>; rel="alternate"; type="{m}"' for m in offered if m in SUFFIX_OF)


N3_TYPES = frozenset({"text/n3", "text/rdf+n3", "application/n3"})
"""Media types clients send for N3 (rdflib's ``format="n3"``, SPARQLWrapper): Turtle is the part of N3 that RDF
documents use, so a document answers them with Turtle."""


def n3_as_turtle(accept: str | None) -> str | None:
    """``Accept`` with every N3 media range read as Turtle (its parameters, such as ``q``, kept)."""
    if not accept:
        return accept
    parts = []
    for part in accept.split(","):
        media, semicolon, params = part.strip().partition(";")
        parts.append(TURTLE + semicolon + params if canonical(media) in N3_TYPES else part.strip())
    return ", ".join(parts)


def document_format(format_param: str | None) -> str | None:
    """``format=`` with N3 read as Turtle, like :func:`n3_as_turtle`.

    >>> document_format("n3"), document_format("jsonld"), document_format(None)
    ('ttl', 'jsonld', None)
    """
    if format_param and media_type_for(format_param) in N3_TYPES:
        return suffix_of(TURTLE)
    return format_param
