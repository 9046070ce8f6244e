"""The dataset description (VoID + DCAT) and the dumps: numbers equal counts of the store, dumps equal the store."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import RDF, VOID

from kg.namespaces import TRACK
from tests.support import LiveServer

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DUMPS = {
    "backchannel.trig": ox.RdfFormat.TRIG,
    "backchannel.nq": ox.RdfFormat.N_QUADS,
    "backchannel.ttl": ox.RdfFormat.TURTLE,
    "backchannel.jsonld": ox.RdfFormat.JSON_LD,
}


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def void(client: httpx.Client) -> rdflib.Graph:
    response = client.get(".well-known/void")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    return rdflib.Graph().parse(data=response.text, format="turtle")


@pytest.fixture(scope="module")
def dataset(void: rdflib.Graph) -> rdflib.term.Node:
    (node,) = set(void.subjects(VOID.uriSpace, None))
    return node


def number(void: rdflib.Graph, node: rdflib.term.Node, prop: rdflib.URIRef) -> int:
    (value,) = set(void.objects(node, prop))
    assert isinstance(value, rdflib.Literal)
    return int(value)


def test_void_numbers_equal_counts_of_the_store(void: rdflib.Graph, dataset: rdflib.term.Node,
                                                server: LiveServer) -> None:
    quads = list(server.store.quads())
    triples = {q.triple for q in quads}
    type_ = ox.NamedNode(str(RDF.type))
    assert number(void, dataset, VOID.triples) == len(triples)
    assert number(void, dataset, VOID.entities) == len(
        {t.subject for t in triples
         if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(server.settings.id_base)}
    )
    assert number(void, dataset, VOID.classes) == len({t.object for t in triples if t.predicate == type_})
    assert number(void, dataset, VOID.properties) == len({t.predicate for t in triples})
    assert number(void, dataset, VOID.distinctSubjects) == len({t.subject for t in triples})
    assert number(void, dataset, VOID.distinctObjects) == len({t.object for t in triples})

    classes = list(void.objects(dataset, VOID.classPartition))
    assert len(classes) == number(void, dataset, VOID.classes)
    for part in classes:
        (cls,) = set(void.objects(part, VOID["class"]))
        instances = {t.subject for t in triples if t.predicate == type_ and t.object == ox.NamedNode(str(cls))}
        assert number(void, part, VOID.entities) == len(instances), cls
    properties = list(void.objects(dataset, VOID.propertyPartition))
    assert len(properties) == number(void, dataset, VOID.properties)
    for part in properties:
        (prop,) = set(void.objects(part, VOID.property))
        assert number(void, part, VOID.triples) == len({t for t in triples if t.predicate.value == str(prop)}), prop
    subsets = list(void.objects(dataset, VOID.subset))
    assert {str(g) for s in subsets for g in void.objects(s, SD.name)} == set(server.store.graph_names())
    for subset in subsets:
        (graph,) = set(void.objects(subset, SD.name))
        assert number(void, subset, VOID.triples) == len(server.store.graph_quads(str(graph)))


def test_void_triples_equals_a_sparql_count(void: rdflib.Graph, dataset: rdflib.term.Node,
                                            client: httpx.Client) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
    response = client.get("sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    count = int(response.json()["results"]["bindings"][0]["n"]["value"])
    assert count > 0
    assert number(void, dataset, VOID.triples) == count


def test_void_links_examples_endpoint_dumps_and_vocabularies(void: rdflib.Graph, dataset: rdflib.term.Node,
                                                             client: httpx.Client, server: LiveServer) -> None:
    base = server.url
    assert str(next(void.objects(dataset, VOID.uriSpace))) == server.settings.id_base
    assert next(void.objects(dataset, VOID.sparqlEndpoint)) == rdflib.URIRef(base + "sparql")
    examples = {str(e) for e in void.objects(dataset, VOID.exampleResource)}
    assert {base + "id/person/joseph-v-montville", base + "id/work/oslo-accords", TRACK + "track-two"} <= examples
    for example in examples - {TRACK + "track-two"}:
        assert client.get(example).status_code == 303
    dumps = {str(d) for d in void.objects(dataset, VOID.dataDump)}
    assert dumps == {base + "dumps/" + name for name in DUMPS}
    for dump in dumps:
        assert (rdflib.URIRef(dump), RDF.type, DCAT.Distribution) in void
        assert (dataset, DCAT.distribution, rdflib.URIRef(dump)) in void
        assert client.head(dump).status_code == 200
    vocabularies = {str(v) for v in void.objects(dataset, VOID.vocabulary)}
    assert {"https://w3id.org/backchannel/def", "http://www.w3.org/ns/prov#",
            "http://xmlns.com/foaf/0.1/"} <= vocabularies
    assert set(void.objects(dataset, rdflib.URIRef("http://purl.org/dc/terms/license")))
    assert set(void.objects(dataset, rdflib.URIRef("http://purl.org/dc/terms/modified")))
    (service,) = set(void.subjects(RDF.type, DCAT.DataService))
    assert (service, DCAT.endpointURL, rdflib.URIRef(base + "sparql")) in void
    assert (service, DCAT.servesDataset, dataset) in void
    assert set(void.subjects(RDF.type, DCAT.Catalog))


def test_void_negotiates(client: httpx.Client) -> None:
    response = client.get(".well-known/void", headers={"Accept": "application/ld+json"})
    assert response.headers["content-type"].startswith("application/ld+json") and response.headers["vary"] == "Accept"
    assert len(rdflib.Graph().parse(data=response.text, format="json-ld")) > 50
    assert client.get(".well-known/void.nt").headers["content-type"].startswith("application/n-triples")


def canonical(quads: list[ox.Quad]) -> set[str]:
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


@pytest.mark.parametrize("name", sorted(DUMPS))
def test_dumps_parse_and_equal_the_store(client: httpx.Client, server: LiveServer, name: str) -> None:
    response = client.get("dumps/" + name, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert f'filename="{name}"' in response.headers["content-disposition"]
    assert "content-encoding" not in response.headers
    parsed = list(ox.parse(response.content, format=DUMPS[name]))
    stored = list(server.store.quads())
    if DUMPS[name] in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS, ox.RdfFormat.JSON_LD):  # the graphs kept
        assert canonical(parsed) == canonical(stored)
    else:
        union = {ox.Quad(q.subject, q.predicate, q.object) for q in stored}
        assert canonical(parsed) == canonical(list(union))


def test_dumps_come_gzipped_on_request(client: httpx.Client) -> None:
    plain = client.get("dumps/backchannel.nq", headers={"Accept-Encoding": "identity"})
    zipped = client.get("dumps/backchannel.nq", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["vary"]
    assert zipped.content == plain.content  # httpx decodes Content-Encoding
    assert zipped.headers["etag"] != plain.headers["etag"]
    file = client.get("dumps/backchannel.nq.gz")
    assert file.headers["content-type"] == "application/gzip"
    assert 'filename="backchannel.nq.gz"' in file.headers["content-disposition"]
    assert gzip.decompress(file.content) == plain.content
    missing = client.get("dumps/backchannel.xml")
    assert missing.status_code == 404 and "backchannel.trig" in missing.json()["detail"]
