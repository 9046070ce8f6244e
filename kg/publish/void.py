"""The dataset described in VoID and DCAT: statistics counted from the store, and the triples that publish them.

Counting conventions (each number is a SPARQL COUNT over the store, the union of its graphs):
``void:triples`` distinct triples; ``void:entities`` distinct subjects whose IRI is in the
``void:uriSpace``; ``void:distinctSubjects`` / ``void:distinctObjects`` distinct subjects / objects;
``void:classes`` distinct objects of ``rdf:type``; ``void:properties`` distinct predicates;
a class partition's ``void:entities`` its distinct instances; a property partition's ``void:triples``
its distinct triples; a named-graph subset's ``void:triples`` the triples in that graph.

>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> store.replace_graph("http://x/id/source/s", b'<http://x/id/a> a <http://ex/C> ; <http://ex/p> "1" .', "text/turtle")
>>> stats = statistics(store, "http://x/id/")
>>> stats.triples, stats.entities, stats.classes, stats.graphs
(2, 1, 1, {'http://x/id/source/s': 2})
>>> store.close()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox

from kg.namespaces import DCAT, DCTERMS, FOAF, PREFIXES, RDF, SD, VOCAB, VOID, XSD
from kg.store.base import Store, term_value


@dataclass(frozen=True)
class Statistics:
    """The numbers VoID publishes about the dataset."""

    triples: int
    entities: int
    classes: int
    properties: int
    distinct_subjects: int
    distinct_objects: int
    class_partitions: dict[str, int] = field(default_factory=dict)
    property_partitions: dict[str, int] = field(default_factory=dict)
    graphs: dict[str, int] = field(default_factory=dict)
    vocabularies: tuple[str, ...] = ()


def _count(store: Store, query: str) -> int:
    rows = store.select(query)
    return int(term_value(rows[0]["n"])) if rows else 0


def statistics(store: Store, uri_space: str) -> Statistics:
    """Count everything VoID publishes (a handful of aggregate queries over the union of the graphs)."""
    space = ox.Literal(uri_space)
    distinct = "{ SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }"
    classes = {
        term_value(r["c"]): int(term_value(r["n"]))
        for r in store.select("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c FILTER isIRI(?c) } GROUP BY ?c")
    }
    properties = {
        term_value(r["p"]): int(term_value(r["n"]))
        for r in store.select(f"SELECT ?p (COUNT(*) AS ?n) {{ {distinct} }} GROUP BY ?p")
    }
    graphs = {
        term_value(r["g"]): int(term_value(r["n"]))
        for r in store.select("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    }
    return Statistics(
        triples=_count(store, f"SELECT (COUNT(*) AS ?n) {{ {distinct} }}"),
        entities=_count(
            store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s ?p ?o FILTER (isIRI(?s) && STRSTARTS(STR(?s), {space})) }}"
        ),
        classes=_count(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?s a ?c }"),
        properties=_count(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }"),
        distinct_subjects=_count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }"),
        distinct_objects=_count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) { ?s ?p ?o }"),
        class_partitions=dict(sorted(classes.items())),
        property_partitions=dict(sorted(properties.items())),
        graphs=dict(sorted(graphs.items())),
        vocabularies=vocabularies([*classes, *properties]),
    )


def vocabularies(iris: list[str]) -> tuple[str, ...]:
    """The vocabularies (namespaces we know a prefix for) that the given classes and properties come from.

    >>> vocabularies(["http://xmlns.com/foaf/0.1/Person", "https://w3id.org/backchannel/def#coined"])
    ('http://xmlns.com/foaf/0.1/', 'https://w3id.org/backchannel/def')
    """
    found = set()
    namespaces = sorted(PREFIXES.values(), key=len, reverse=True)
    for iri in iris:
        namespace = next((ns for ns in namespaces if iri.startswith(ns)), None)
        if namespace is not None and namespace != PREFIXES["dbr"]:
            found.add(VOCAB if namespace.startswith(VOCAB) else namespace)
    return tuple(sorted(found))


@dataclass(frozen=True)
class Distribution:
    """A download of the dataset: its URL and media type."""

    url: str
    media_type: str
    title: str


@dataclass(frozen=True)
class DatasetInfo:
    """What VoID says about the dataset besides the numbers."""

    void_url: str
    """The VoID document's own URL; the dataset is ``{void_url}#dataset``."""
    title: str
    description: str
    uri_space: str
    sparql_endpoint: str
    homepage: str
    modified: float
    distributions: tuple[Distribution, ...] = ()
    examples: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()


def _lit(value: str | int) -> ox.Literal:
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    return ox.Literal(value)


def void_triples(stats: Statistics, info: DatasetInfo) -> list[ox.Triple]:
    """The VoID description and DCAT catalogue record of the dataset."""
    n = ox.NamedNode
    doc = n(info.void_url)
    dataset = n(info.void_url + "#dataset")
    catalog = n(info.void_url + "#catalog")
    service = n(info.void_url + "#sparql")
    out: list[ox.Triple] = []

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        out.append(ox.Triple(s, n(p), o))

    add(doc, RDF + "type", n(VOID + "DatasetDescription"))
    add(doc, DCTERMS + "title", ox.Literal(f"VoID description of {info.title}", language="en"))
    add(doc, FOAF + "primaryTopic", dataset)

    add(dataset, RDF + "type", n(VOID + "Dataset"))
    add(dataset, RDF + "type", n(DCAT + "Dataset"))
    add(dataset, DCTERMS + "title", ox.Literal(info.title, language="en"))
    add(dataset, DCTERMS + "description", ox.Literal(info.description, language="en"))
    add(dataset, DCTERMS + "modified", _datetime(info.modified))
    add(dataset, FOAF + "homepage", n(info.homepage))
    for licence in info.licenses:
        add(dataset, DCTERMS + "license", n(licence))
    add(dataset, VOID + "uriSpace", ox.Literal(info.uri_space))
    add(dataset, VOID + "sparqlEndpoint", n(info.sparql_endpoint))
    for example in info.examples:
        add(dataset, VOID + "exampleResource", n(example))
    for vocabulary in stats.vocabularies:
        add(dataset, VOID + "vocabulary", n(vocabulary))
    add(dataset, VOID + "feature", n("http://www.w3.org/ns/formats/Turtle"))
    add(dataset, VOID + "feature", n("http://www.w3.org/ns/formats/TriG"))
    add(dataset, VOID + "triples", _lit(stats.triples))
    add(dataset, VOID + "entities", _lit(stats.entities))
    add(dataset, VOID + "classes", _lit(stats.classes))
    add(dataset, VOID + "properties", _lit(stats.properties))
    add(dataset, VOID + "distinctSubjects", _lit(stats.distinct_subjects))
    add(dataset, VOID + "distinctObjects", _lit(stats.distinct_objects))
    for number, (cls, count) in enumerate(stats.class_partitions.items()):
        part = ox.BlankNode(f"class{number}")
        add(dataset, VOID + "classPartition", part)
        add(part, VOID + "class", n(cls))
        add(part, VOID + "entities", _lit(count))
    for number, (prop, count) in enumerate(stats.property_partitions.items()):
        part = ox.BlankNode(f"property{number}")
        add(dataset, VOID + "propertyPartition", part)
        add(part, VOID + "property", n(prop))
        add(part, VOID + "triples", _lit(count))
    for number, (graph, count) in enumerate(stats.graphs.items()):
        part = ox.BlankNode(f"graph{number}")
        add(dataset, VOID + "subset", part)
        add(part, RDF + "type", n(VOID + "Dataset"))
        add(part, SD + "name", n(graph))
        add(part, VOID + "triples", _lit(count))
    for dist in info.distributions:
        add(dataset, VOID + "dataDump", n(dist.url))
        add(dataset, DCAT + "distribution", n(dist.url))
        add(n(dist.url), RDF + "type", n(DCAT + "Distribution"))
        add(n(dist.url), DCTERMS + "title", ox.Literal(dist.title, language="en"))
        add(n(dist.url), DCAT + "downloadURL", n(dist.url))
        add(n(dist.url), DCAT + "accessURL", n(dist.url))
        add(n(dist.url), DCAT + "mediaType", n("https://www.iana.org/assignments/media-types/" + dist.media_type))
        add(n(dist.url), DCTERMS + "format", ox.Literal(dist.media_type))

    add(catalog, RDF + "type", n(DCAT + "Catalog"))
    add(catalog, DCTERMS + "title", ox.Literal(f"{info.title}: catalogue", language="en"))
    add(catalog, DCAT + "dataset", dataset)
    add(catalog, DCAT + "service", service)
    add(catalog, FOAF + "homepage", n(info.homepage))
    add(service, RDF + "type", n(DCAT + "DataService"))
    add(service, RDF + "type", n(SD + "Service"))
    add(service, DCTERMS + "title", ox.Literal(f"SPARQL endpoint of {info.title}", language="en"))
    add(service, DCAT + "endpointURL", n(info.sparql_endpoint))
    add(service, SD + "endpoint", n(info.sparql_endpoint))
    add(service, DCAT + "servesDataset", dataset)
    add(service, DCTERMS + "conformsTo", n("https://www.w3.org/TR/sparql11-protocol/"))
    return out


def _datetime(timestamp: float) -> ox.Literal:
    moment = datetime.fromtimestamp(timestamp, tz=UTC).replace(microsecond=0)
    return ox.Literal(moment.isoformat().replace("+00:00", "Z"), datatype=ox.NamedNode(XSD + "dateTime"))
