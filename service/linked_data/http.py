"""The representations of a linked-data document: its media types, their suffixes and their names.

>>> SUFFIXES["ttl"], SUFFIX_OF["application/ld+json"]
('text/turtle', 'jsonld')
>>> alternates("/doc/person/a", ["text/turtle"])
'</doc/person/a.ttl>; rel="alternate"; type="text/turtle"'
"""

from __future__ import annotations

from collections.abc import Iterable

HTML = "text/html"
TURTLE = "text/turtle"
JSONLD = "application/ld+json"

SUFFIXES: dict[str, str] = {
    "html": HTML,
    "ttl": TURTLE,
    "jsonld": JSONLD,
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
    "trig": "application/trig",
    "nq": "application/n-quads",
}
"""Suffixes of the documents (``/doc/person/x.ttl``) and the media type each one fixes."""

SUFFIX_OF: dict[str, str] = {media: suffix for suffix, media in SUFFIXES.items()}
RDF_TYPES: list[str] = [m for m in SUFFIXES.values() if m != HTML]
DOCUMENT_TYPES: list[str] = [HTML, *RDF_TYPES]
"""What a document offers, in the server's order of preference (``*/*`` gets HTML, as browsers expect)."""

NAMES: dict[str, str] = {
    HTML: "HTML",
    TURTLE: "Turtle",
    JSONLD: "JSON-LD",
    "application/n-triples": "N-Triples",
    "application/rdf+xml": "RDF/XML",
    "application/trig": "TriG",
    "application/n-quads": "N-Quads",
}
"""How a page names each representation."""


def alternates(path: str, offered: Iterable[str]) -> str:
    """A ``Link`` header listing the suffixed documents of a generic one (``rel="alternate"``)."""
    return ", ".join(f'<{path}.{SUFFIX_OF[m]}>; rel="alternate"; type="{m}"' for m in offered if m in SUFFIX_OF)
