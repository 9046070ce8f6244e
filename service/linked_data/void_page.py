"""What the HTML view of the dataset description shows (``/.well-known/void`` in a browser): the same facts as the
VoID and DCAT in Turtle, said in words, with links to the endpoint, the dumps and the things.

>>> from kg.publish.void import Statistics
>>> stats = Statistics(triples=10, entities=3, classes=1, properties=2, distinct_subjects=3, distinct_objects=4,
...                    class_partitions={"http://xmlns.com/foaf/0.1/Person": 3})
>>> [(row.name, row.count) for row in partitions(stats.class_partitions, {})]
[('foaf:Person', 3)]
>>> when(0.0)
'1 January 1970'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kg.namespaces import PREFIXES
from kg.publish.describe import compact
from kg.publish.void import DatasetInfo, Statistics
from kg.store.formats import label_of
from service.linked_data import http
from service.linked_data.pages import Links


@dataclass(frozen=True)
class Row:
    """A class, property or graph with its count: a name to show, a link, and the IRI for the curious."""

    name: str
    iri: str
    href: str | None
    """``None`` for an IRI that is not http(s): shown as text, never as a link."""
    count: int
    label: str | None = None


@dataclass(frozen=True)
class VoidView:
    """Everything the dataset page shows."""

    info: DatasetInfo
    stats: Statistics
    modified: str
    dumps: list[tuple[str, str, str]]
    formats: list[tuple[str, str, str]]
    examples: list[Row]
    graphs: list[Row]
    classes: list[Row]
    properties: list[Row]
    vocabularies: list[tuple[str, str]]


def when(timestamp: float) -> str:
    """A date in words (the store's last change)."""
    day = datetime.fromtimestamp(timestamp, tz=UTC)
    return f"{day.day} {day:%B %Y}"


def partitions(counts: dict[str, int], labels: dict[str, str], links: Links | None = None) -> list[Row]:
    """Rows of a class or property partition, most used first."""
    rows = [
        Row(compact(iri).strip("<>"), iri, links.href(iri) if links else iri, count, labels.get(iri))
        for iri, count in counts.items()
    ]
    return sorted(rows, key=lambda r: (-r.count, r.name))


def void_view(info: DatasetInfo, stats: Statistics, links: Links, labels: dict[str, str]) -> VoidView:
    """The dataset page of ``info`` and ``stats``; ``labels`` names the things, classes and graphs it links."""
    root = links.root
    dumps = [(d.url.rsplit("/", 1)[-1], d.url.removeprefix(links.settings.base_iri), d.media_type)
             for d in info.distributions]
    return VoidView(
        info=info,
        stats=stats,
        modified=when(info.modified),
        dumps=[(name, root + path, label_of(media)) for name, path, media in dumps],
        formats=[(label_of(m), f"{root}.well-known/void.{http.SUFFIX_OF[m]}", m)
                 for m in http.RDF_TYPES],
        examples=[Row(labels.get(iri) or iri, iri, links.href(iri), 0) for iri in info.examples],
        graphs=[Row(labels.get(g) or g, g, links.href(g), n)
                for g, n in sorted(stats.graphs.items(), key=lambda item: -item[1])],
        classes=partitions(stats.class_partitions, labels, links),
        properties=partitions(stats.property_partitions, labels, links),
        vocabularies=[(prefix_of(ns), ns) for ns in stats.vocabularies],
    )


def prefix_of(namespace: str) -> str:
    """The prefix we know for a namespace, else the namespace itself.

    >>> prefix_of("http://xmlns.com/foaf/0.1/"), prefix_of("https://w3id.org/backchannel/def")
    ('foaf', 'bc')
    >>> prefix_of("http://example.org/x/")
    'http://example.org/x/'
    """
    bare = namespace.rstrip("#/")
    return next((prefix for prefix, ns in PREFIXES.items() if ns.rstrip("#/") == bare), namespace)
