"""Every format we read or write, in one table: short names, suffixes and media types, and parsing RDF into quads.

The RDF formats and SPARQL result formats come from pyoxigraph (:class:`pyoxigraph.RdfFormat`,
:class:`pyoxigraph.QueryResultsFormat`: their media type, file extension and name); :data:`FORMATS` adds the
names and media types clients also use for them, and our few extras (HTML pages, SVG pictures, plain JSON
records, SPARQL query text). Content negotiation (``service.http.negotiation``), the document suffixes
(``/doc/person/x.ttl``), ``format=`` on every route, the command line and the remote store all read this table.

A short name can mean different things on different routes (``json`` is SPARQL JSON results on ``/sparql``, plain
JSON on ``/paths``): :func:`media_type_for` picks the meaning among what a route offers.

>>> media_type_for("ttl"), media_type_for("json", ["application/json", "image/svg+xml"])
('text/turtle', 'application/json')
>>> media_type_for("json", ["application/sparql-results+json", "text/csv"])
'application/sparql-results+json'
>>> media_type_for("rdf+xml"), media_type_for("application/x-json+ld")
('application/rdf+xml', 'application/ld+json')
>>> canonical("application/x-turtle"), canonical("text/turtle; charset=utf-8"), suffix_of("application/rdf+xml")
('text/turtle', 'text/turtle', 'rdf')
>>> GRAPH_TYPES["text/turtle"]
<RdfFormat Turtle>
>>> parse_rdf(b'<http://ex/a> <http://ex/p> 1 .', "text/turtle", "http://ex/g")[0].graph_name
<NamedNode value=http://ex/g>
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox

from kg.store.base import DataError
from kg.store.entities import EntityRefused, check_entities
from kg.store.nesting import TooDeep, check_json

Kind = Literal["rdf", "results", "page", "picture", "records", "query"]


@dataclass(frozen=True)
class Format:
    """One format: its canonical media type and short name, and the other names clients use for it."""

    name: str
    """The short name (``format=ttl``) and the suffix of documents (``.ttl``)."""
    media_type: str
    kind: Kind
    label: str
    names: tuple[str, ...] = ()
    """Other short names for ``format=`` (``turtle``, ``json-ld``)."""
    media_aliases: tuple[str, ...] = ()
    """Other media types clients send for it (``application/x-turtle``)."""
    rdf: ox.RdfFormat | None = None
    results: ox.QueryResultsFormat | None = None

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.names)


def _bare(media_type: str) -> str:
    return media_type.split(";")[0].strip().lower()


def _rdf(fmt: ox.RdfFormat, names: tuple[str, ...] = (), media_aliases: tuple[str, ...] = ()) -> Format:
    return Format(fmt.file_extension, _bare(fmt.media_type), "rdf", fmt.name, names, media_aliases, rdf=fmt)


def _results(fmt: ox.QueryResultsFormat, names: tuple[str, ...] = (), media_aliases: tuple[str, ...] = ()) -> Format:
    label = fmt.name.removeprefix("SPARQL Results in ")
    return Format(fmt.file_extension, _bare(fmt.media_type), "results", f"SPARQL results ({label})", names,
                  media_aliases, results=fmt)


FORMATS: tuple[Format, ...] = (
    _results(ox.QueryResultsFormat.JSON, ("json",)),
    _results(ox.QueryResultsFormat.XML, ("xml",), ("application/xml", "text/xml")),
    _results(ox.QueryResultsFormat.CSV),
    _results(ox.QueryResultsFormat.TSV),
    _rdf(ox.RdfFormat.TURTLE, ("turtle",), ("application/x-turtle", "application/turtle")),
    _rdf(ox.RdfFormat.N_TRIPLES, ("ntriples", "n-triples"), ("text/plain",)),
    _rdf(ox.RdfFormat.N_QUADS, ("nquads", "n-quads")),
    _rdf(ox.RdfFormat.TRIG, (), ("application/x-trig",)),
    _rdf(ox.RdfFormat.RDF_XML, ("rdfxml", "rdf+xml", "rdf/xml")),
    _rdf(ox.RdfFormat.JSON_LD, ("json-ld",), ("application/x-json+ld",)),
    _rdf(ox.RdfFormat.N3),
    Format("html", "text/html", "page", "HTML", (), ("application/xhtml+xml",)),
    Format("svg", "image/svg+xml", "picture", "SVG"),
    Format("records", "application/json", "records", "JSON", ("json",)),
    Format("rq", "application/sparql-query", "query", "SPARQL", ("sparql",)),
)
"""Every format, the preferred one of each kind first. The short names include those common clients send:
SPARQLWrapper (``format=rdf+xml``, ``json-ld``, ``turtle``, ``n3``; and the media type as a second ``format``),
Jena (``format=``/``output=`` ``ttl``, ``nt``, ``nq``, ``jsonld``, ``rdfxml``); rdflib's SPARQLStore and YASGUI
use ``Accept``."""

_BY_MEDIA: dict[str, Format] = {f.media_type: f for f in reversed(FORMATS)}
_ALIASES: dict[str, str] = {alias: f.media_type for f in FORMATS for alias in f.media_aliases}


def canonical(media_type: str) -> str:
    """Our media type for one a client sent (parameters dropped, aliases resolved, lower case)."""
    bare = _bare(media_type)
    return _ALIASES.get(bare, bare)


def by_media_type(media_type: str) -> Format | None:
    """The format of a media type (or one of its aliases)."""
    return _BY_MEDIA.get(canonical(media_type))


def media_type_for(name: str, offered: Iterable[str] | None = None) -> str | None:
    """The media type a short name (or a media type) means, among ``offered`` when given; None if none fits."""
    wanted = name.strip().lower()
    candidates = [f.media_type for f in FORMATS if wanted in f.all_names]
    if "/" in wanted:
        candidates.append(canonical(wanted))
    if offered is None:
        return candidates[0] if candidates else None
    offered = list(offered)
    return next((media for media in candidates if media in offered), None)


def names_for(offered: Iterable[str]) -> list[str]:
    """The short names that select one of ``offered`` (for messages that say what to ask for).

    >>> names_for(["text/turtle", "text/html"])
    ['html', 'ttl', 'turtle']
    """
    wanted = set(offered)
    return sorted({name for f in FORMATS if f.media_type in wanted for name in f.all_names})


def suffix_of(media_type: str) -> str:
    """The document suffix (short name) of a media type."""
    found = by_media_type(media_type)
    if found is None:
        raise KeyError(media_type)
    return found.name


def label_of(media_type: str) -> str:
    """How pages name a format (``Turtle``, ``JSON-LD``)."""
    found = by_media_type(media_type)
    return found.label if found is not None else media_type


def of_kind(*kinds: Kind) -> list[Format]:
    """The formats of some kinds, in table order."""
    return [f for f in FORMATS if f.kind in kinds]


SELECT_TYPES: dict[str, ox.QueryResultsFormat] = {
    f.media_type: f.results for f in of_kind("results") if f.results is not None
} | {"application/json": ox.QueryResultsFormat.JSON}
"""Media types we write SELECT and ASK results in (the first preferred) and pyoxigraph's format for each;
``application/json`` is SPARQL JSON results for the clients that ask for plain JSON."""

GRAPH_TYPES: dict[str, ox.RdfFormat] = {f.media_type: f.rdf for f in of_kind("rdf") if f.rdf is not None}
"""Media types we read and write RDF graphs in (the first preferred) and pyoxigraph's format for each."""

READABLE_RESULTS: dict[str, ox.QueryResultsFormat] = {
    media: f.results for f in of_kind("results") if f.results is not None and f.name != "csv"
    for media in (f.media_type, *f.media_aliases)
} | {"application/json": ox.QueryResultsFormat.JSON}
"""Result formats the remote store can read back into terms (CSV loses the kinds of terms)."""

READABLE_GRAPHS: dict[str, ox.RdfFormat] = {
    media: f.rdf for f in of_kind("rdf") if f.rdf is not None for media in (f.media_type, *f.media_aliases)
}
"""Media types (aliases included) of RDF the remote store and uploads can read."""


def format_for_file(filename: str) -> str | None:
    """The RDF media type a file name's extension says (``.owl`` and ``.xml`` are RDF/XML, ``.json`` JSON-LD).

    >>> format_for_file("notes.TTL"), format_for_file("a.owl"), format_for_file("README")
    ('text/turtle', 'application/rdf+xml', None)
    """
    _, dot, extension = filename.rpartition(".")
    if not dot:
        return None
    extension = {"owl": "rdf", "xml": "rdf", "json": "jsonld"}.get(extension.lower(), extension.lower())
    fmt = ox.RdfFormat.from_extension(extension)
    return _bare(fmt.media_type) if fmt is not None else None


def offered(*kinds: Kind) -> Sequence[str]:
    """The media types of some kinds (for a route's ``offered`` list)."""
    return [f.media_type for f in of_kind(*kinds)]


def parse_rdf(data: bytes, media_type: str, graph: str | None, base_iri: str | None = None) -> list[ox.Quad]:
    """Parse RDF ``data`` into quads of ``graph``; a syntax error raises :class:`DataError`.

    >>> parse_rdf(b'<http://ex/a> <http://ex/p> .', "text/turtle", None)
    Traceback (most recent call last):
    ...
    kg.store.base.DataError: the text/turtle data is not valid: ...
    """
    fmt = GRAPH_TYPES.get(canonical(media_type))
    if fmt is None:
        raise DataError(f"unsupported RDF media type {media_type!r}; use one of {', '.join(GRAPH_TYPES)}")
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    try:
        if fmt == ox.RdfFormat.JSON_LD:
            check_json(data)  # the JSON-LD parser dies with SIGSEGV on deep nesting
        elif fmt == ox.RdfFormat.RDF_XML:
            check_entities(data)  # entities that nest expand exponentially ("billion laughs")
        parsed = list(ox.parse(data, format=fmt, base_iri=base_iri))
    except (TooDeep, EntityRefused) as err:
        raise DataError(f"the {media_type} data is not accepted: {err}") from None
    except SyntaxError as err:
        raise DataError(f"the {media_type} data is not valid: {err}") from None
    if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
        return parsed
    return [ox.Quad(q.subject, q.predicate, q.object, target) for q in parsed]
