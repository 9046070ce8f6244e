"""Clients that no one here wrote read what we serve (issue 14): rdflib, pyld, Comunica and SPARQLWrapper.

Each runs against a live server on 127.0.0.1, as a user would run it:

- rdflib parses every document of every thing, every dump (and its ``.gz``), every source graph, the vocabulary,
  VoID and the Service Description, and dereferences our IRIs with its own content negotiation (N3 too);
- pyld (a JSON-LD 1.1 processor) expands our IRIs: it follows the 303 and reads the JSON-LD document;
- Comunica (``@comunica/query-sparql`` from npm, installed by ``make clients`` from ``tests/clients``'s
  package-lock.json) reads our documents as sources and finds the facts in their default graph, with the source
  of each; it is only ever pointed at 127.0.0.1;
- SPARQLWrapper gets an answer it can convert in every return format it offers, for every query form.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kg.namespaces import BC, DCTERMS, OWL, RDF, TRACK
from kg.store.base import term_value
from tests.support import LiveServer

CLIENTS = Path(__file__).resolve().parent / "clients"
COMUNICA = CLIENTS / "node_modules" / ".bin" / "comunica-sparql"
MONTVILLE = "id/person/joseph-v-montville"
WASHINGTON = "id/place/washington-dc"
DOCUMENT_FORMATS = {"ttl": "turtle", "trig": "trig", "nt": "nt", "nq": "nquads", "rdf": "xml", "jsonld": "json-ld"}
"""Our document suffixes and rdflib's name of each format."""
QUAD_FORMATS = {"trig", "nquads", "json-ld"}


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def parse(data: bytes, rdflib_format: str) -> rdflib.Dataset:
    """What rdflib reads from ``data``: a dataset (the default graph and the named ones)."""
    dataset = rdflib.Dataset()
    dataset.parse(data=data, format=rdflib_format)
    return dataset


def triples(dataset: rdflib.Dataset) -> set[tuple[str, str, str]]:
    """Every statement of every graph, as strings."""
    return {(str(s), str(p), str(o)) for s, p, o, _ in dataset.quads((None, None, None, None))}


def things(server: LiveServer) -> list[str]:
    """The paths (``person/joseph-v-montville``) of every thing the graph describes under ``id/``."""
    rows = server.store.select(
        f'SELECT DISTINCT ?s {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{server.settings.id_base}")) }}')
    return sorted(term_value(r["s"])[len(server.settings.id_base):] for r in rows)


# --- rdflib -------------------------------------------------------------------------------------


def test_rdflib_parses_the_document_of_every_thing(client: httpx.Client, server: LiveServer) -> None:
    paths = things(server)
    assert len(paths) > 50
    for path in paths:
        for suffix in ("ttl", "trig"):  # the formats written with prefixes
            response = client.get(f"doc/{path}.{suffix}")
            assert response.status_code == 200, path
            assert len(parse(response.content, DOCUMENT_FORMATS[suffix])) > 0, f"{path}.{suffix}"


def test_rdflib_reads_iris_that_prefixed_names_cannot_hold(client: httpx.Client, server: LiveServer) -> None:
    """``dbr:Washington\\,_D.C\\.`` is legal Turtle 1.1 that rdflib rejects: such IRIs are written in full."""
    for suffix, rdflib_format in DOCUMENT_FORMATS.items():
        response = client.get(f"doc/place/washington-dc.{suffix}")
        found = triples(parse(response.content, rdflib_format))
        assert (server.url + WASHINGTON, OWL + "sameAs", "http://dbpedia.org/resource/Washington,_D.C.") in found
    assert b"\\," not in client.get("doc/place/washington-dc.ttl").content


def test_rdflib_dereferences_our_iris_with_its_own_negotiation(server: LiveServer) -> None:
    graph = rdflib.Graph()
    graph.parse(server.url + WASHINGTON)  # 303, then whatever rdflib asks for
    assert (rdflib.URIRef(server.url + WASHINGTON), rdflib.URIRef(OWL + "sameAs"),
            rdflib.URIRef("http://dbpedia.org/resource/Washington,_D.C.")) in graph
    n3 = rdflib.Graph()
    n3.parse(server.url + MONTVILLE, format="n3")  # Accept: text/n3, */*;q=0.1 – it used to get the HTML page
    assert (rdflib.URIRef(server.url + MONTVILLE), rdflib.URIRef(BC + "coined"),
            rdflib.URIRef(TRACK + "track-two")) in n3


def test_n3_requests_get_turtle(client: httpx.Client) -> None:
    for accept in ("text/n3, */*;q=0.1", "text/rdf+n3", "application/n3;q=0.9, text/html;q=0.5"):
        response = client.get(MONTVILLE, headers={"Accept": accept}, follow_redirects=True)
        assert response.headers["content-type"].startswith("text/turtle"), accept
    assert client.get("doc/person/joseph-v-montville?format=n3").headers["content-type"].startswith("text/turtle")
    assert client.get("def", headers={"Accept": "text/n3"}).headers["content-type"].startswith("text/turtle")


@pytest.mark.parametrize("name", ["backchannel.ttl", "backchannel.trig", "backchannel.nq", "backchannel.jsonld"])
def test_rdflib_parses_every_dump(client: httpx.Client, server: LiveServer, name: str) -> None:
    rdflib_format = {"ttl": "turtle", "trig": "trig", "nq": "nquads", "jsonld": "json-ld"}[name.rsplit(".", 1)[1]]
    stored = list(server.store.quads())
    plain = parse(client.get("dumps/" + name).content, rdflib_format)
    gzipped = parse(gzip.decompress(client.get(f"dumps/{name}.gz").content), rdflib_format)
    assert len(triples(plain)) == len({q.triple for q in stored}) and triples(gzipped) == triples(plain)
    if rdflib_format in QUAD_FORMATS:  # the dataset, graph by graph (the JSON-LD dump too)
        named = {str(g.identifier) for g in plain.graphs() if len(g) and g.identifier != DATASET_DEFAULT_GRAPH_ID}
        assert named == {q.graph_name.value for q in stored if isinstance(q.graph_name, ox.NamedNode)}


def test_rdflib_parses_every_source_graph_and_the_vocabulary(client: httpx.Client, server: LiveServer) -> None:
    sources = [path for path in things(server) if path.startswith("source/")]
    assert sources
    for path in sources:
        for suffix, rdflib_format in DOCUMENT_FORMATS.items():
            response = client.get(f"doc/{path}/content.{suffix}")
            assert response.status_code == 200, f"{path}/content.{suffix}"
            assert len(triples(parse(response.content, rdflib_format))) == len(
                server.store.graph_quads(server.settings.id_base + path)), f"{path}/content.{suffix}"
    for suffix, rdflib_format in DOCUMENT_FORMATS.items():
        for path in (f"def.{suffix}", f"def/track.{suffix}", f".well-known/void.{suffix}"):
            assert len(parse(client.get(path).content, rdflib_format)) > 0, path
    description = client.get("sparql", headers={"Accept": "text/turtle"})
    assert len(parse(description.content, "turtle")) > 0


# --- pyld ---------------------------------------------------------------------------------------


def _node(expanded: list[dict[str, Any]], iri: str) -> dict[str, Any]:
    return next(node for node in expanded if node.get("@id") == iri)


def test_pyld_expands_our_iris(server: LiveServer) -> None:
    from pyld import jsonld

    expanded = jsonld.expand(server.url + MONTVILLE)  # 303 to the document, JSON-LD by negotiation
    coined = {value["@id"] for value in _node(expanded, server.url + MONTVILLE)[BC + "coined"]}
    assert TRACK + "track-two" in coined
    washington = jsonld.expand(server.url + WASHINGTON)
    same_as = [v["@id"] for v in _node(washington, server.url + WASHINGTON)[OWL + "sameAs"]]
    assert "http://dbpedia.org/resource/Washington,_D.C." in same_as
    nquads = jsonld.to_rdf(server.url + MONTVILLE, {"format": "application/n-quads"})
    assert f"<{server.url}{MONTVILLE}> <{BC}coined> <{TRACK}track-two> ." in nquads


def test_jsonld_answers_follow_the_document_loader_rules(client: httpx.Client) -> None:
    """A JSON-LD answer has no ``rel="alternate"`` links (a loader follows them only from non-JSON answers);
    other answers still list every representation."""
    answer = client.get(MONTVILLE, headers={"Accept": "application/ld+json"}, follow_redirects=True)
    assert answer.headers["content-type"].startswith("application/ld+json")
    assert 'rel="alternate"' not in answer.headers.get("link", "")
    turtle = client.get("doc/person/joseph-v-montville", headers={"Accept": "text/turtle"})
    assert turtle.headers["link"].count('rel="alternate"') == 7


# --- Comunica -----------------------------------------------------------------------------------


def comunica(*sources_and_query: str) -> list[dict[str, dict[str, str]]]:
    """Run ``comunica-sparql SOURCE… QUERY`` and return its SPARQL JSON bindings."""
    if not COMUNICA.exists():
        pytest.fail(f"Comunica is not installed in {CLIENTS}: run `make clients` (npm ci --prefix tests/clients)")
    assert all(s.startswith("http://127.0.0.1:") for s in sources_and_query[:-1])  # node stays on this machine
    done = subprocess.run([str(COMUNICA), *sources_and_query, "-t", "application/sparql-results+json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    bindings: list[dict[str, dict[str, str]]] = json.loads(done.stdout)["results"]["bindings"]
    return bindings


def test_comunica_finds_the_facts_in_our_documents(server: LiveServer) -> None:
    me = server.url + MONTVILLE
    facts = {(b["p"]["value"], b["o"]["value"]) for b in comunica(me, f"SELECT ?p ?o WHERE {{ <{me}> ?p ?o }}")}
    assert (BC + "coined", TRACK + "track-two") in facts
    assert (RDF + "type", "http://xmlns.com/foaf/0.1/Person") in facts


def test_comunica_reads_each_facts_source(server: LiveServer) -> None:
    me = server.url + MONTVILLE
    source = server.url + "id/source/track-two-diplomacy"
    records = comunica(me, f"""SELECT ?source WHERE {{ ?statement <{RDF}subject> <{me}> ;
        <{RDF}predicate> <{BC}coined> ; <{RDF}object> <{TRACK}track-two> ; <{DCTERMS}source> ?source }}""")
    assert [b["source"]["value"] for b in records] == [source]
    graphs = comunica(me, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{me}> <{BC}coined> <{TRACK}track-two> }} }}")
    assert [b["g"]["value"] for b in graphs] == [source]


def test_comunica_joins_across_our_documents_and_reads_the_vocabulary(server: LiveServer) -> None:
    me, track_two = server.url + MONTVILLE, server.url + "def/track/track-two"
    works = comunica(me, track_two, f"SELECT ?work WHERE {{ <{me}> <{BC}coined> ?t . ?t <{BC}coinedIn> ?work }}")
    assert works, "the join across the two documents found nothing"
    counted = comunica(server.url + "def", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(counted[0]["n"]["value"]) > 100


# --- SPARQLWrapper -----------------------------------------------------------------------------


def _ask_wrapper(server: LiveServer, query: str, return_format: str, method: str) -> tuple[Any, list[str]]:
    """SPARQLWrapper's converted answer, and what it warned about the answer's format."""
    from SPARQLWrapper import SPARQLWrapper

    endpoint = SPARQLWrapper(server.url + "sparql")
    endpoint.setQuery(query)
    endpoint.setReturnFormat(return_format)
    endpoint.setMethod(method)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        converted = endpoint.query().convert()
    return converted, [str(w.message) for w in seen if "Format requested" in str(w.message)]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("return_format", ["json", "xml", "csv", "tsv"])
def test_sparqlwrapper_select_and_ask_in_every_return_format(server: LiveServer, return_format: str,
                                                             method: str) -> None:
    me = server.url + MONTVILLE
    answer, complaints = _ask_wrapper(server, f"SELECT ?o WHERE {{ <{me}> <{BC}coined> ?o }}", return_format, method)
    assert not complaints
    text = json.dumps(answer) if isinstance(answer, dict) else (
        answer.toxml() if isinstance(answer, Document) else answer.decode())
    assert TRACK + "track-two" in text
    answer, complaints = _ask_wrapper(server, f"ASK {{ <{me}> <{BC}coined> ?o }}", return_format, method)
    assert not complaints
    text = json.dumps(answer) if isinstance(answer, dict) else (
        answer.toxml() if isinstance(answer, Document) else answer.decode())
    assert "true" in text


@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
@pytest.mark.parametrize(("return_format", "exact"), [
    ("xml", True), ("rdf+xml", True), ("rdf", True), ("turtle", True), ("n3", True), ("json-ld", True),
    ("json", False), ("csv", False), ("tsv", False),  # result types only: RDF all the same, as Fuseki answers
])
def test_sparqlwrapper_graphs_in_every_return_format(server: LiveServer, form: str, return_format: str,
                                                     exact: bool) -> None:
    me = server.url + MONTVILLE
    query = (f"CONSTRUCT {{ <{me}> <{BC}coined> ?o }} WHERE {{ <{me}> <{BC}coined> ?o }}" if form == "CONSTRUCT"
             else f"DESCRIBE <{me}>")
    answer, complaints = _ask_wrapper(server, query, return_format, "GET")
    assert not complaints or not exact, complaints
    graph = answer if isinstance(answer, rdflib.Graph) else rdflib.Graph().parse(data=answer, format="turtle")
    assert (rdflib.URIRef(me), rdflib.URIRef(BC + "coined"), rdflib.URIRef(TRACK + "track-two")) in graph
