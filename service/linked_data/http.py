"""The representations of a linked-data document: its media types, their suffixes and their names (from the one
format table, :mod:`kg.store.formats`).

>>> SUFFIXES["ttl"], SUFFIX_OF["application/ld+json"], NAMES["application/rdf+xml"]
('text/turtle', 'jsonld', 'RDF/XML')
>>> alternates("/doc/person/a", ["text/turtle"])
'</doc/person/a.ttl>; rel="alternate"; type="text/turtle"'
"""

from __future__ import annotations

from collections.abc import Iterable

from kg.store.formats import label_of, suffix_of

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
