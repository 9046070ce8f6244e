"""The SPARQL 1.1 Service Description of the endpoint (answered at GET /sparql without a query).

>>> triples = describe("http://ex/sparql", Counts(3, {"http://ex/g": 3}), federation=False, max_rows=10,
...                    query_timeout=5)
>>> from pyoxigraph import NamedNode
>>> NamedNode(SD + "UnionDefaultGraph") in {t.object for t in triples}
True
>>> NamedNode(SD + "BasicFederatedQuery") in {t.object for t in triples}
False
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.namespaces import DCTERMS, RDF, RDFS, SD, VOID, XSD
from kg.store.base import Store, term_value
from kg.store.formats import GRAPH_TYPES, SELECT_TYPES

FORMATS_NS = "http://www.w3.org/ns/formats/"
ENTAILMENT_SIMPLE = "http://www.w3.org/ns/entailment/Simple"

FORMAT_IRIS: dict[str, str] = {
    "application/sparql-results+json": FORMATS_NS + "SPARQL_Results_JSON",
    "application/sparql-results+xml": FORMATS_NS + "SPARQL_Results_XML",
    "text/csv": FORMATS_NS + "SPARQL_Results_CSV",
    "text/tab-separated-values": FORMATS_NS + "SPARQL_Results_TSV",
    "text/turtle": FORMATS_NS + "Turtle",
    "application/n-triples": FORMATS_NS + "N-Triples",
    "application/n-quads": FORMATS_NS + "N-Quads",
    "application/trig": FORMATS_NS + "TriG",
    "application/rdf+xml": FORMATS_NS + "RDF_XML",
    "application/ld+json": FORMATS_NS + "JSON-LD",
    "text/n3": FORMATS_NS + "N3",
}
"""The W3C format IRIs of the media types the endpoint writes."""

PREFIXES = {"sd": SD, "void": VOID, "formats": FORMATS_NS, "rdfs": RDFS, "dcterms": DCTERMS}


UPDATE_DEFAULT_GRAPH = (
    "Updates follow SPARQL 1.1 Update: the WHERE of DELETE/INSERT is matched against the store's own default "
    "graph (where an INSERT without GRAPH writes), not against the union that queries see; the facts are in the "
    "named graphs of their sources, so match them with GRAPH ?g { ... }, or name graphs with USING <graph> "
    "(or the using-graph-uri parameter)."
)
"""Where an update's WHERE looks: the one place queries and updates differ (said in the description and README)."""
SILENT = ("SERVICE SILENT and LOAD SILENT to a target the federation guard refuses are no-ops that succeed "
          "(the header X-Backchannel-Skipped names them); without SILENT the answer is 403.")


@dataclass(frozen=True)
class Counts:
    """Triples in the default graph (the union of all graphs) and in each named graph."""

    default: int
    named: dict[str, int]


def count_triples(store: Store) -> Counts:
    """Count the triples of the union default graph and of every named graph (trusted queries)."""
    total = store.select("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    per_graph = store.select("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    named = {name: 0 for name in store.graph_names()}
    for row in per_graph:
        graph = row.get("g")
        if isinstance(graph, ox.NamedNode):
            named[graph.value] = int(term_value(row["n"]))
    return Counts(int(term_value(total[0]["n"])) if total else 0, named)


def describe(
    endpoint: str, counts: Counts, *, federation: bool, max_rows: int, query_timeout: float
) -> list[ox.Triple]:
    """The triples of the service description of ``endpoint``."""
    service = ox.NamedNode(endpoint)
    iri = ox.NamedNode

    def sd(name: str) -> ox.NamedNode:
        return iri(SD + name)

    rdf_type = iri(RDF + "type")
    out: list[ox.Triple] = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("feature"), sd("EmptyGraphs")),
        ox.Triple(service, sd("defaultEntailmentRegime"), iri(ENTAILMENT_SIMPLE)),
        ox.Triple(service, iri(DCTERMS + "title"), ox.Literal("backchannel SPARQL endpoint")),
        ox.Triple(
            service,
            iri(RDFS + "comment"),
            ox.Literal(
                "SPARQL 1.1 Query and Update over HTTP. The default graph is the union of all graphs unless the "
                "request names a dataset (default-graph-uri / named-graph-uri, or FROM / FROM NAMED). "
                f"Answers are cut at {max_rows} rows or triples: a cut answer has the headers "
                f"'X-Backchannel-Truncated: true' and 'X-Backchannel-Row-Limit: {max_rows}'. A query running longer "
                f"than {query_timeout:g} s is stopped and answered with 503 and Retry-After. Updates need "
                f"'Authorization: Bearer <token>'. {UPDATE_DEFAULT_GRAPH} {SILENT}",
                language="en",
            ),
        ),
    ]
    if federation:
        out.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    seen: set[str] = set()
    for media in list(SELECT_TYPES) + list(GRAPH_TYPES):
        format_iri = FORMAT_IRIS.get(media)
        if format_iri and format_iri not in seen:
            seen.add(format_iri)
            out.append(ox.Triple(service, sd("resultFormat"), iri(format_iri)))
    dataset = ox.BlankNode("defaultDataset")
    default_graph = ox.BlankNode("defaultGraph")
    xsd_integer = iri(XSD + "integer")
    out += [
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, iri(RDFS + "comment"), ox.Literal(
            "The default graph of queries is the union of all graphs (sd:UnionDefaultGraph). " + UPDATE_DEFAULT_GRAPH,
            language="en")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, rdf_type, sd("Graph")),
        ox.Triple(default_graph, iri(VOID + "triples"), ox.Literal(str(counts.default), datatype=xsd_integer)),
    ]
    for n, (name, triples) in enumerate(sorted(counts.named.items())):
        named = ox.BlankNode(f"named{n}")
        graph = ox.BlankNode(f"graph{n}")
        out += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, rdf_type, sd("NamedGraph")),
            ox.Triple(named, sd("name"), iri(name)),
            ox.Triple(named, sd("graph"), graph),
            ox.Triple(graph, rdf_type, sd("Graph")),
            ox.Triple(graph, iri(VOID + "triples"), ox.Literal(str(triples), datatype=xsd_integer)),
        ]
    return out
