"""The SPARQL 1.1 Protocol endpoint (/sparql) against a live server: formats, negotiation, errors, dataset,
updates and their authorisation, limits, caching, service description, and real clients."""

from __future__ import annotations

import csv
import gc
import io
import os
import socket
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.dom.minidom import Document, Text

import httpx
import pyoxigraph as ox
import pytest
import uvicorn

from kg.data.build import build
from kg.settings import Settings
from kg.store.base import term_value
from kg.store.embedded import OxigraphStore
from tests.support import TOKEN, LiveServer, free_port, start_server

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SD = "http://www.w3.org/ns/sparql-service-description#"
REMOTE = os.environ.get("BACKCHANNEL_TEST_BACKEND", "embedded") == "remote"


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


@pytest.fixture(scope="module")
def data(server: LiveServer, client: httpx.Client) -> Iterator[dict[str, str]]:
    """Two small graphs of our own in the shared server (removed at the end)."""
    ns = f"http://test.example/{uuid.uuid4().hex[:8]}/"
    graphs = {"g1": ns + "g1", "g2": ns + "g2", "ns": ns}
    update = (
        f"INSERT DATA {{ GRAPH <{graphs['g1']}> {{ <{ns}a> <{ns}p> 1 . <{ns}a> <{ns}name> \"Alice\"@en . }}"
        f" GRAPH <{graphs['g2']}> {{ <{ns}b> <{ns}p> 2 . <{ns}a> <{ns}knows> <{ns}b> . }} }}"
    )
    response = client.post("sparql", content=update, headers=AUTH | {"Content-Type": "application/sparql-update"})
    assert response.status_code == 204, response.text
    yield graphs
    for graph in (graphs["g1"], graphs["g2"]):
        client.post("sparql", data={"update": f"DROP SILENT GRAPH <{graph}>"}, headers=AUTH)


@pytest.fixture(scope="module")
def limited() -> Iterator[LiveServer]:
    """A server with small limits: 2 s per query, 5 rows, 2000-byte bodies, federation allowed to one host."""
    live = start_server(query_timeout=2.0, max_rows=5, max_body_bytes=2000,
                        federation_allowlist=["http://localhost/", "http://169.254.169.254/"])
    yield live
    live.stop()
    live.store.close()


@pytest.fixture(scope="module")
def read_only() -> Iterator[LiveServer]:
    """A server without a write token (writes off)."""
    live = start_server(write_token=None)
    yield live
    live.stop()
    live.store.close()


def select(client: httpx.Client, query: str, **params: str) -> list[dict]:
    response = client.get("sparql", params={"query": query, **params}, headers={"Accept": JSON})
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def ask(client: httpx.Client, query: str, **params: str | list[str]) -> bool:
    response = client.get("sparql", params={"query": query, **params}, headers={"Accept": JSON})
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


def update(client: httpx.Client, text: str, params: dict[str, str] | None = None, *,
           headers: dict[str, str] | None = None) -> httpx.Response:
    sent = (headers if headers is not None else AUTH) | {"Content-Type": "application/sparql-update"}
    return client.post("sparql", content=text, params=params, headers=sent)


# --- query forms and formats ----------------------------------------------------------------


def test_get_query_answers_json_by_default(client: httpx.Client, data: dict[str, str]) -> None:
    response = client.get("sparql", params={"query": f"SELECT ?o {{ <{data['ns']}a> <{data['ns']}p> ?o }}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json()["results"]["bindings"][0]["o"]["value"] == "1"


@pytest.mark.parametrize("method", ["form", "direct"])
def test_post_query(client: httpx.Client, data: dict[str, str], method: str) -> None:
    query = f"SELECT ?o {{ <{data['ns']}a> <{data['ns']}p> ?o }}"
    if method == "form":
        response = client.post("sparql", data={"query": query})
    else:
        response = client.post("sparql", content=query, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["o"]["value"] == "1"


def test_select_formats(client: httpx.Client, data: dict[str, str]) -> None:
    query = f"SELECT ?s ?name {{ ?s <{data['ns']}name> ?name }}"

    def get(accept: str) -> httpx.Response:
        response = client.get("sparql", params={"query": query}, headers={"Accept": accept})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == accept
        return response

    assert get(JSON).json()["results"]["bindings"][0]["name"] == {"type": "literal", "value": "Alice", "xml:lang": "en"}
    root = ET.fromstring(get(XML).content)
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert [v.get("name") for v in root.iter(ns + "variable")] == ["s", "name"]
    literal = root.find(f".//{ns}literal")
    assert literal is not None and literal.text == "Alice"
    rows = list(csv.reader(io.StringIO(get("text/csv").text)))
    assert rows == [["s", "name"], [data["ns"] + "a", "Alice"]]
    lines = get("text/tab-separated-values").text.splitlines()
    assert lines == ["?s\t?name", f"<{data['ns']}a>\t\"Alice\"@en"]


@pytest.mark.parametrize("accept,expected", [
    (JSON, '"boolean":true'), (XML, "<boolean>true</boolean>"), ("text/csv", "true"),
    ("text/tab-separated-values", "true"),
])
def test_ask_formats(client: httpx.Client, data: dict[str, str], accept: str, expected: str) -> None:
    response = client.get("sparql", params={"query": f"ASK {{ <{data['ns']}a> ?p ?o }}"}, headers={"Accept": accept})
    assert response.status_code == 200
    assert expected in response.text


@pytest.mark.parametrize("accept,fmt", [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/n-quads", ox.RdfFormat.N_QUADS), ("application/trig", ox.RdfFormat.TRIG),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML), ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("text/n3", ox.RdfFormat.N3),
])
def test_graph_formats(client: httpx.Client, data: dict[str, str], accept: str, fmt: ox.RdfFormat) -> None:
    for query in (f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{data['g1']}> {{ ?s ?p ?o }} }}",
                  f"DESCRIBE <{data['ns']}b>"):
        response = client.get("sparql", params={"query": query}, headers={"Accept": accept})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == accept
        parsed = list(ox.parse(response.content, format=fmt))
        assert parsed and all(q.subject.value.startswith(data["ns"]) for q in parsed)


# --- content negotiation ----------------------------------------------------------------------


@pytest.mark.parametrize("accept,expected", [
    ("text/csv;q=0.5, application/sparql-results+xml", XML),
    ("text/csv;q=0.9, application/sparql-results+json;q=0.2", "text/csv"),
    ("*/*", JSON),
    (None, JSON),
    (BROWSER, JSON),
    ("text/*", "text/csv"),
    ("application/json", "application/json"),
])
def test_select_negotiation(client: httpx.Client, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("sparql", params={"query": "SELECT (1 AS ?x) {}"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


@pytest.mark.parametrize("accept,expected", [
    ("application/rdf+xml;q=0.3, application/n-triples", "application/n-triples"),
    ("*/*", "text/turtle"),
    (None, "text/turtle"),
    (BROWSER, "text/turtle"),
    ("application/json", "application/ld+json"),
])
def test_construct_negotiation(client: httpx.Client, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("sparql", params={"query": "CONSTRUCT { <http://x/s> <http://x/p> 1 } {}"},
                          headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


@pytest.mark.parametrize("fmt,query,expected", [
    ("csv", "SELECT (1 AS ?x) {}", "text/csv"),
    ("tsv", "SELECT (1 AS ?x) {}", "text/tab-separated-values"),
    ("xml", "ASK {}", XML),
    ("json", "CONSTRUCT { <http://x/s> <http://x/p> 1 } {}", "application/ld+json"),
    ("nt", "CONSTRUCT { <http://x/s> <http://x/p> 1 } {}", "application/n-triples"),
    ("jsonld", "CONSTRUCT { <http://x/s> <http://x/p> 1 } {}", "application/ld+json"),
])
def test_format_parameter_wins_over_accept(client: httpx.Client, fmt: str, query: str, expected: str) -> None:
    response = client.get("sparql", params={"query": query, "format": fmt}, headers={"Accept": "image/png"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected


@pytest.mark.parametrize(("params", "accept", "expected"), [
    ({"format": "rdf+xml"}, "*/*", "application/rdf+xml"),  # SPARQLWrapper's RDFXML (issue 14: it was 406)
    ({"format": "json-ld"}, "*/*", "application/ld+json"),
    ({"format": "turtle"}, "*/*", "text/turtle"),
    ({"format": "n-triples"}, None, "application/n-triples"),
    ({"format": "csv"}, "*/*", "text/turtle"),  # only a result type asked: Turtle, as Fuseki answers
    ({}, "text/csv", "text/turtle"),
    ({}, "application/sparql-results+xml", "application/rdf+xml"),
    ({}, "application/sparql-results+json", "application/ld+json"),
])
def test_construct_asked_in_client_names_or_result_types_is_rdf(
        client: httpx.Client, params: dict[str, str], accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("sparql", params={"query": "CONSTRUCT { <http://x/s> <http://x/p> 1 } {}"} | params,
                          headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected
    assert len(list(ox.parse(response.content, format=ox.RdfFormat.from_media_type(expected)))) == 1


def test_406_lists_what_is_offered(client: httpx.Client) -> None:
    response = client.get("sparql", params={"query": "SELECT (1 AS ?x) {}"}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/csv" in response.json()["detail"] and "text/turtle" in response.json()["detail"]
    construct = client.get("sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "image/png"})
    assert construct.status_code == 406
    assert "text/turtle" in construct.json()["detail"]
    ttl_select = client.get("sparql", params={"query": "SELECT (1 AS ?x) {}", "format": "ttl"})
    assert ttl_select.status_code == 406
    unknown = client.get("sparql", params={"query": "SELECT (1 AS ?x) {}", "format": "pdf"})
    assert unknown.status_code == 406 and "csv" in unknown.json()["detail"]


# --- protocol errors --------------------------------------------------------------------------


def test_syntax_error_is_400_with_position(client: httpx.Client) -> None:
    response = client.get("sparql", params={"query": "SELECT * WHERE {\n  ?s ?p ?o ?x }"})
    assert response.status_code == 400
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert "error at 2:" in body["detail"]
    assert body["line"] == 2 and body["column"] > 1


@pytest.mark.parametrize("kwargs", [
    {"params": {"query": "ASK {}", "update": "CLEAR ALL"}},
    {"params": [("query", "ASK {}"), ("query", "ASK {}")]},
    {"method": "POST", "data": {"query": "ASK {}", "update": "CLEAR DEFAULT"}},
    {"method": "POST", "data": {"other": "x"}},
    {"method": "POST", "params": {"query": "ASK {}"}, "content": "ASK {}",
     "headers": {"Content-Type": "application/sparql-query"}},
    {"params": {"update": "CLEAR ALL"}},
])
def test_bad_requests_are_400(client: httpx.Client, kwargs: dict) -> None:
    method = kwargs.pop("method", "GET")
    response = client.request(method, "sparql", **kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/json"])
def test_unsupported_content_type_is_415(client: httpx.Client, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("sparql", content=b"ASK {}", headers=headers)
    assert response.status_code == 415
    assert "application/sparql-query" in response.json()["detail"]


def test_non_utf8_body_is_refused(client: httpx.Client) -> None:
    response = client.post("sparql", content="ASK {}".encode("utf-16"),
                           headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert response.status_code == 415
    response = client.post("sparql", content=b"ASK { \xff }", headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(client: httpx.Client, method: str) -> None:
    response = client.request(method, "sparql", params={"query": "ASK {}"})
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


# --- the dataset --------------------------------------------------------------------------------


def test_default_graph_is_the_union(client: httpx.Client, data: dict[str, str]) -> None:
    ns = data["ns"]
    assert ask(client, f"ASK {{ <{ns}a> <{ns}p> 1 . <{ns}b> <{ns}p> 2 }}")


def test_default_graph_uri(client: httpx.Client, data: dict[str, str]) -> None:
    ns = data["ns"]
    query = f"ASK {{ <{ns}a> <{ns}p> 1 }}"
    assert ask(client, query, **{"default-graph-uri": data["g1"]})
    assert not ask(client, query, **{"default-graph-uri": data["g2"]})
    both = client.get("sparql", params=[("query", f"ASK {{ <{ns}a> <{ns}p> 1 . <{ns}b> <{ns}p> 2 }}"),
                                        ("default-graph-uri", data["g1"]), ("default-graph-uri", data["g2"])])
    assert both.json()["boolean"] is True


def test_named_graph_uri(client: httpx.Client, data: dict[str, str]) -> None:
    query = "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"
    rows = select(client, query, **{"named-graph-uri": data["g2"]})
    assert [r["g"]["value"] for r in rows] == [data["g2"]]


def test_from_clauses_of_the_query_are_respected(client: httpx.Client, data: dict[str, str]) -> None:
    """Regression: with the union default graph on, pyoxigraph ignored the query's FROM."""
    ns = data["ns"]
    assert not ask(client, f"ASK FROM <{data['g2']}> {{ <{ns}a> <{ns}p> 1 }}")
    assert ask(client, f"ASK FROM <{data['g1']}> {{ <{ns}a> <{ns}p> 1 }}")
    rows = select(client, f"SELECT ?g FROM NAMED <{data['g1']}> {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert {r["g"]["value"] for r in rows} == {data["g1"]}


def test_named_graphs_alone_give_an_empty_default_graph(client: httpx.Client, data: dict[str, str]) -> None:
    """Regression: with only named-graph-uri, the default graph was the store's default graph, not empty."""
    marker = f"<{data['ns']}in-default> <{data['ns']}p> 3 ."
    response = update(client, f"INSERT DATA {{ {marker} }}")
    assert response.status_code == 204
    try:
        assert ask(client, f"ASK {{ {marker} }}")
        assert not ask(client, f"ASK {{ {marker} }}", **{"named-graph-uri": data["g1"]})
        assert not ask(client, f"ASK FROM NAMED <{data['g1']}> {{ {marker} }}")
    finally:
        update(client, f"DELETE DATA {{ {marker} }}")


# --- updates ----------------------------------------------------------------------------------------


def test_update_needs_the_token(client: httpx.Client, data: dict[str, str]) -> None:
    text = f"INSERT DATA {{ GRAPH <{data['g1']}> {{ <{data['ns']}x> <{data['ns']}p> 9 }} }}"
    missing = update(client, text, headers={})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = update(client, text, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    basic = update(client, text, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    assert not ask(client, f"ASK {{ <{data['ns']}x> ?p ?o }}")
    assert update(client, text).status_code == 204
    assert ask(client, f"ASK {{ <{data['ns']}x> ?p ?o }}")
    form = client.post("sparql", data={"update": f"DELETE DATA {{ GRAPH <{data['g1']}> {{ <{data['ns']}x> "
                                                 f"<{data['ns']}p> 9 }} }}"}, headers=AUTH)
    assert form.status_code == 204
    assert not ask(client, f"ASK {{ <{data['ns']}x> ?p ?o }}")


def test_writes_are_off_without_a_token(read_only: LiveServer) -> None:
    with httpx.Client(base_url=read_only.url, timeout=60) as http:
        response = update(http, "INSERT DATA { <http://x/a> <http://x/b> 1 }")
        assert response.status_code == 403
        assert response.json()["detail"] == "writes are disabled on this endpoint; set BACKCHANNEL_WRITE_TOKEN"
        put = http.put("store", params={"graph": "http://x/g"}, content=b"<http://x/a> <http://x/b> 1 .",
                       headers=AUTH | {"Content-Type": "application/n-triples"})
        assert put.status_code == 403
        assert http.get("sparql", params={"query": "ASK {}"}).status_code == 200


@pytest.mark.parametrize("text,params", [
    ("INSERT DATA {\n  <a> <b> }", {"using-graph-uri": "http://x/g"}),
    ("CLEAR XYZ", {}),
    ("PREFIX e: <http://x/>\nINSERT { ?s e:p 1 } WHERE {\n ?s e:q ?o ", {"using-graph-uri": "http://x/g"}),
    ("DELETE WHERE { ?s ?p 1 } ;\n\nINSERT { ?s ?p 2 } WHERE { ?s ?p 1 ", {"using-named-graph-uri": "http://x/n"}),
])
def test_update_syntax_error_points_into_the_original_text(client: httpx.Client, text: str,
                                                           params: dict[str, str]) -> None:
    """Regression: prefixes, BASE and USING are added to an update; positions must still be the sender's."""
    with pytest.raises(SyntaxError) as direct:
        ox.Store().update(text, base_iri="http://x/")
    expected = tuple(int(n) for n in str(direct.value).removeprefix("error at ").split(":")[:2])
    response = update(client, text, params)
    assert response.status_code == 400
    body = response.json()
    assert (body["line"], body["column"]) == expected, body


def test_update_with_using_parameters(client: httpx.Client, data: dict[str, str]) -> None:
    ns = data["ns"]
    target = ns + "derived"
    text = f"INSERT {{ GRAPH <{target}> {{ ?s <{ns}copied> ?o }} }} WHERE {{ ?s <{ns}p> ?o }}"
    assert update(client, text, {"using-graph-uri": data["g2"]}).status_code == 204
    rows = select(client, f"SELECT ?s {{ GRAPH <{target}> {{ ?s ?p ?o }} }}")
    assert [r["s"]["value"] for r in rows] == [ns + "b"]
    named = f"INSERT {{ GRAPH <{target}> {{ ?s <{ns}from> ?g }} }} WHERE {{ GRAPH ?g {{ ?s <{ns}p> ?o }} }}"
    assert update(client, named, {"using-named-graph-uri": data["g1"]}).status_code == 204
    rows = select(client, f"SELECT ?g {{ GRAPH <{target}> {{ ?s <{ns}from> ?g }} }}")
    assert [r["g"]["value"] for r in rows] == [data["g1"]]
    delete_where = f"DELETE WHERE {{ GRAPH <{target}> {{ ?s <{ns}from> ?g }} }}"
    assert update(client, delete_where, {"using-named-graph-uri": data["g1"]}).status_code == 204
    assert ask(client, f"ASK {{ GRAPH <{target}> {{ ?s <{ns}from> ?g }} }}")  # <target> is not in the dataset
    assert update(client, delete_where, {"using-named-graph-uri": target}).status_code == 204
    assert not ask(client, f"ASK {{ GRAPH <{target}> {{ ?s <{ns}from> ?g }} }}")
    assert update(client, f"DROP GRAPH <{target}>").status_code == 204


@pytest.mark.parametrize("name", ["using-graph-uri", "using-named-graph-uri"])
def test_dataset_iris_cannot_inject_into_an_update(client: httpx.Client, data: dict[str, str], name: str) -> None:
    """Regression: using-graph-uri is written into the update as <IRI>; a '>' in it could close the IRI."""
    evil = f"http://x/g> WHERE {{ }} ; DROP GRAPH <{data['g1']}> ; INSERT {{ <http://x/a> <http://x/b> 1 }} USING <http://x/h"
    text = "INSERT { <http://x/a> <http://x/b> ?o } WHERE { ?s ?p ?o }"
    response = update(client, text, {name: evil})
    assert response.status_code == 400 and "not a valid absolute IRI" in response.json()["detail"]
    assert ask(client, f"ASK {{ GRAPH <{data['g1']}> {{ ?s ?p ?o }} }}")
    bad = client.get("sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"})
    assert bad.status_code == 400 and "default-graph-uri" in bad.json()["detail"]


def test_update_with_its_own_dataset_and_using_parameters_is_400(client: httpx.Client) -> None:
    text = "WITH <http://x/g> DELETE { ?s ?p 1 } WHERE { ?s ?p 1 }"
    response = update(client, text, {"using-named-graph-uri": "http://x/people"})
    assert response.status_code == 400
    assert "WITH" in response.json()["detail"]


def test_update_resolves_relative_iris_against_the_endpoint(server: LiveServer, client: httpx.Client,
                                                            data: dict[str, str]) -> None:
    graph = data["ns"] + "base"
    assert update(client, f"INSERT DATA {{ GRAPH <{graph}> {{ <s> <p> <o> }} }}").status_code == 204
    rows = select(client, f"SELECT ?s {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert rows[0]["s"]["value"] == server.url + "s"
    assert update(client, f"DROP GRAPH <{graph}>").status_code == 204


def test_default_prefixes_are_declared(client: httpx.Client) -> None:
    rows = select(client, "SELECT ?t { BIND(rdfs:label AS ?t) }")
    assert rows[0]["t"]["value"] == "http://www.w3.org/2000/01/rdf-schema#label"


# --- writes persist -------------------------------------------------------------------------------


@pytest.mark.skipif(REMOTE, reason="the remote backend has no on-disk store of its own to restart")
def test_writes_survive_restart_and_build(tmp_path: Path) -> None:
    location = str(tmp_path / "store")
    graph = "http://test.example/persist/notes"
    live = start_server(location)
    try:
        with httpx.Client(base_url=live.url, timeout=60) as http:
            put = http.put("store", params={"graph": graph}, content=b"<http://x/n> <http://x/says> \"kept\" .",
                           headers=AUTH | {"Content-Type": "text/turtle"})
            assert put.status_code == 201
            assert update(http, "INSERT DATA { <http://x/d> <http://x/says> \"default\" }").status_code == 204
    finally:
        _stop_and_release(live)
    from service.cli import main

    assert main(["--store", location, "build", "--no-dumps"]) == 0  # `backchannel build`
    live = start_server(location)  # a restart (start_server builds again)
    try:
        with httpx.Client(base_url=live.url, timeout=60) as http:
            got = http.get("store", params={"graph": graph}, headers={"Accept": "application/n-triples"})
            assert got.status_code == 200 and '"kept"' in got.text
            assert ask(http, 'ASK { <http://x/d> <http://x/says> "default" }')
            assert ask(http, "ASK { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), STR(bc-source:))) }")
    finally:
        _stop_and_release(live)


def _stop_and_release(live: LiveServer) -> None:
    """Stop a server and let go of its on-disk store (RocksDB keeps a lock until the handle is freed)."""
    live.stop()
    live.store.close()

    gc.collect()


# --- limits ------------------------------------------------------------------------------------------


def test_row_limit_is_signalled(limited: LiveServer) -> None:
    with httpx.Client(base_url=limited.url, timeout=60) as http:
        values = " ".join(str(i) for i in range(12))
        response = http.get("sparql", params={"query": f"SELECT ?x {{ VALUES ?x {{ {values} }} }}"})
        assert response.status_code == 200
        assert response.headers["x-backchannel-truncated"] == "true"
        assert response.headers["x-backchannel-row-limit"] == "5"
        assert len(response.json()["results"]["bindings"]) == 5
        small = http.get("sparql", params={"query": "SELECT ?x { VALUES ?x { 1 2 } }"})
        assert small.headers["x-backchannel-truncated"] == "false"
        graph = http.get("sparql", params={"query": f"CONSTRUCT {{ <http://x/s> <http://x/p> ?x }} "
                                                    f"WHERE {{ VALUES ?x {{ {values} }} }}"},
                         headers={"Accept": "application/n-triples"})
        assert graph.headers["x-backchannel-truncated"] == "true"
        assert len(graph.text.strip().splitlines()) == 5


def test_body_limit_is_413(limited: LiveServer) -> None:
    with httpx.Client(base_url=limited.url, timeout=60) as http:
        big = "SELECT * { ?s ?p ?o } #" + "x" * 3000
        assert http.post("sparql", data={"query": big}).status_code == 413
        assert http.post("sparql", content=big, headers={"Content-Type": "application/sparql-query"}).status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is found while reading
            for _ in range(10):
                yield b"#" + b"y" * 499

        chunked = http.post("sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"})
        assert chunked.status_code == 413
        put = http.put("store", params={"graph": "http://x/big"}, content=b"#" * 3000,
                       headers=AUTH | {"Content-Type": "text/turtle"})
        assert put.status_code == 413
        assert http.post("sparql", data={"query": "ASK {}"}).status_code == 200


def test_declared_length_over_the_limit_is_413_at_once(limited: LiveServer) -> None:
    """The answer comes before any body byte is sent."""
    host, port = urlsplit(limited.url).hostname, urlsplit(limited.url).port
    with socket.create_connection((host, port), timeout=20) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 100000000\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")


def test_runaway_query_is_stopped_and_others_answer(limited: LiveServer) -> None:
    with httpx.Client(base_url=limited.url, timeout=60) as http:
        triples = " ".join(f"<http://x/s{i}> <http://x/p> {i} ." for i in range(40))
        assert update(http, f"INSERT DATA {{ GRAPH <http://x/many> {{ {triples} }} }}").status_code == 204
        assert http.get("sparql", params={"query": "ASK {}"}).status_code == 200  # workers have the new data
    runaway = ("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?q ?r ?t }")
    results: dict[str, httpx.Response] = {}
    order: list[str] = []

    def run() -> None:
        with httpx.Client(base_url=limited.url, timeout=60) as slow:
            results["runaway"] = slow.get("sparql", params={"query": runaway})
            order.append("runaway")

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.5)  # let the runaway query reach a worker (not a pass/fail timing)
    with httpx.Client(base_url=limited.url, timeout=60) as http:
        light = http.get("sparql", params={"query": "SELECT ?x { VALUES ?x { 1 } }"})
        order.append("light")
    thread.join(60)
    assert light.status_code == 200 and light.json()["results"]["bindings"][0]["x"]["value"] == "1"
    stopped = results["runaway"]
    assert stopped.status_code == 503, stopped.text
    assert stopped.headers["retry-after"].isdigit()
    assert "limit" in stopped.json()["detail"]
    assert order == ["light", "runaway"]
    with httpx.Client(base_url=limited.url, timeout=60) as http:  # the killed worker was replaced
        assert http.get("sparql", params={"query": "ASK {}"}).json()["boolean"] is True


def _serve(store: OxigraphStore, **overrides: object) -> LiveServer:
    """Serve a store made here (start_server makes its own, with the default waiting queue)."""
    from service.app import create_app

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    values: dict[str, Any] = {"base_iri": url, "store": ":memory:", "port": port, "write_token": TOKEN}
    settings = Settings(**(values | overrides))
    build(store, settings)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store=store), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        time.sleep(0.05)
    return LiveServer(url, settings, store, server, thread)


def test_busy_pool_is_503() -> None:
    """With every worker busy and no room to wait, a query is refused at once with 503 and Retry-After."""
    live = _serve(OxigraphStore(":memory:", workers=1, max_waiting=0, max_workers=1), query_workers=1,
                  max_query_workers=1, max_queued_queries=0,
                  query_timeout=3.0)
    try:
        runaway = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?q ?r ?t }"
        answers: dict[str, httpx.Response] = {}

        def run() -> None:
            answers["runaway"] = httpx.get(live.url + "sparql", params={"query": runaway}, timeout=60)

        with httpx.Client(base_url=live.url, timeout=60) as http:
            assert http.get("sparql", params={"query": "ASK {}"}).status_code == 200  # the worker is up
            thread = threading.Thread(target=run)
            thread.start()
            time.sleep(0.5)  # let the runaway query take the only worker (not a pass/fail timing)
            busy = http.get("sparql", params={"query": "SELECT ?x { VALUES ?x { 2 } }"})
            thread.join(60)
        assert busy.status_code == 503, busy.text
        assert busy.headers["retry-after"].isdigit() and "try again" in busy.json()["detail"]
        assert answers["runaway"].status_code == 503
    finally:
        live.stop()
        live.store.close()


# --- caching ---------------------------------------------------------------------------------------------


def test_etag_and_304(client: httpx.Client, data: dict[str, str]) -> None:
    params = {"query": f"SELECT ?o {{ <{data['ns']}a> <{data['ns']}p> ?o }}"}
    first = client.get("sparql", params=params)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    again = client.get("sparql", params=params, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    csv_answer = client.get("sparql", params=params, headers={"Accept": "text/csv", "If-None-Match": tag})
    assert csv_answer.status_code == 200  # another media type is another representation
    assert update(client, f"INSERT DATA {{ <{data['ns']}tmp> <{data['ns']}p> 0 }}").status_code == 204
    changed = client.get("sparql", params=params, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    update(client, f"DELETE DATA {{ <{data['ns']}tmp> <{data['ns']}p> 0 }}")


def test_result_cache_hit_then_miss_after_a_write(client: httpx.Client, data: dict[str, str]) -> None:
    params = {"query": f"SELECT ?o {{ <{data['ns']}b> ?p ?o }} # {uuid.uuid4()}"}
    assert client.get("sparql", params=params).headers["x-backchannel-cache"] == "miss"
    assert client.get("sparql", params=params).headers["x-backchannel-cache"] == "hit"
    assert update(client, f"INSERT DATA {{ <{data['ns']}b> <{data['ns']}q> 7 }}").status_code == 204
    after = client.get("sparql", params=params)
    assert after.headers["x-backchannel-cache"] == "miss"
    assert len(after.json()["results"]["bindings"]) == 2
    update(client, f"DELETE DATA {{ <{data['ns']}b> <{data['ns']}q> 7 }}")


def test_volatile_queries_are_not_cached(client: httpx.Client) -> None:
    params = {"query": "SELECT (RAND() AS ?r) {}"}
    client.get("sparql", params=params)
    again = client.get("sparql", params=params)
    assert again.headers["x-backchannel-cache"] == "miss"
    assert "etag" not in again.headers and again.headers["cache-control"] == "no-store"


def test_cors_on_reads(client: httpx.Client) -> None:
    response = client.get("sparql", params={"query": "ASK {}"}, headers={"Origin": "https://elsewhere.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    preflight = client.options("sparql", headers={"Origin": "https://elsewhere.example",
                                                  "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert "authorization" not in preflight.headers.get("access-control-allow-headers", "").lower()


# --- service description ------------------------------------------------------------------------------------


def _description(response: httpx.Response, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> list[ox.Triple]:
    assert response.status_code == 200, response.text
    return [q.triple for q in ox.parse(response.content, format=fmt)]


def test_service_description(server: LiveServer, client: httpx.Client, data: dict[str, str]) -> None:
    response = client.get("sparql")
    assert response.headers["content-type"].startswith("text/turtle")
    triples = _description(response)
    endpoint = ox.NamedNode(server.url + "sparql")
    objects = {(t.predicate.value, t.object) for t in triples if t.subject == endpoint}
    assert (SD + "endpoint", endpoint) in objects
    assert (SD + "feature", ox.NamedNode(SD + "UnionDefaultGraph")) in objects
    assert (SD + "feature", ox.NamedNode(SD + "BasicFederatedQuery")) not in objects
    assert {(SD + "supportedLanguage", ox.NamedNode(SD + k)) for k in ("SPARQL11Query", "SPARQL11Update")} <= objects
    formats = {term_value(o) for p, o in objects if p == SD + "resultFormat"}
    assert {"http://www.w3.org/ns/formats/SPARQL_Results_CSV", "http://www.w3.org/ns/formats/JSON-LD"} <= formats
    names = {term_value(t.object) for t in triples if t.predicate.value == SD + "name"}
    assert {data["g1"], data["g2"]} <= names
    counts = [t for t in triples if t.predicate.value == "http://rdfs.org/ns/void#triples"]
    assert counts and all(int(term_value(t.object)) >= 0 for t in counts)


@pytest.mark.parametrize("accept,fmt", [
    ("application/rdf+xml", ox.RdfFormat.RDF_XML), ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES), ("*/*", ox.RdfFormat.TURTLE),
])
def test_service_description_formats(client: httpx.Client, accept: str, fmt: ox.RdfFormat) -> None:
    assert _description(client.get("sparql", headers={"Accept": accept}), fmt)


def test_service_description_head_and_406(client: httpx.Client) -> None:
    head = client.head("sparql")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/turtle")
    assert client.get("sparql", headers={"Accept": "text/csv"}).status_code == 406


def test_service_description_says_when_federation_is_on(limited: LiveServer) -> None:
    triples = _description(httpx.get(limited.url + "sparql", timeout=60))
    assert ox.NamedNode(SD + "BasicFederatedQuery") in {t.object for t in triples}


def test_browsers_get_the_editor_and_clients_get_the_description(client: httpx.Client) -> None:
    page = client.get("sparql", headers={"Accept": BROWSER})
    assert page.headers["content-type"].startswith("text/html") and "SPARQL query editor" in page.text
    assert client.get("sparql", headers={"Accept": "text/turtle"}).headers["content-type"].startswith("text/turtle")
    assert client.get("sparql", params={"format": "ttl"}, headers={"Accept": BROWSER}).headers[
        "content-type"].startswith("text/turtle")
    assert client.get("sparql", params={"query": "ASK {}"}, headers={"Accept": BROWSER}).json()["boolean"]


# --- real clients ------------------------------------------------------------------------------------------------


def test_sparqlwrapper(server: LiveServer, data: dict[str, str]) -> None:
    from SPARQLWrapper import JSON as WRAPPER_JSON
    from SPARQLWrapper import TURTLE, SPARQLWrapper
    from SPARQLWrapper import XML as WRAPPER_XML

    endpoint = SPARQLWrapper(server.url + "sparql")
    endpoint.setQuery(f"SELECT ?o {{ <{data['ns']}a> <{data['ns']}p> ?o }}")
    endpoint.setReturnFormat(WRAPPER_JSON)
    answer = endpoint.query().convert()
    assert isinstance(answer, dict) and answer["results"]["bindings"][0]["o"]["value"] == "1"
    endpoint.setMethod("POST")
    endpoint.setReturnFormat(WRAPPER_XML)
    document = endpoint.query().convert()
    assert isinstance(document, Document)
    text = document.getElementsByTagName("literal")[0].firstChild
    assert isinstance(text, Text) and text.data == "1"
    endpoint.setQuery(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{data['g1']}> {{ ?s ?p ?o }} }}")
    endpoint.setReturnFormat(TURTLE)
    turtle = endpoint.query().convert()
    assert isinstance(turtle, bytes) and b"Alice" in turtle
    writer = SPARQLWrapper(server.url + "sparql")
    writer.setMethod("POST")
    writer.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    writer.setQuery(f"INSERT DATA {{ GRAPH <{data['g2']}> {{ <{data['ns']}w> <{data['ns']}p> 5 }} }}")
    writer.query()
    writer.setQuery(f"DELETE DATA {{ GRAPH <{data['g2']}> {{ <{data['ns']}w> <{data['ns']}p> 5 }} }}")
    writer.query()


def test_rdflib_sparqlstore(server: LiveServer, data: dict[str, str]) -> None:
    from rdflib import Graph, Literal, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    from rdflib.query import ResultRow

    store = SPARQLStore(server.url + "sparql", returnFormat="json")
    graph = Graph(store)
    rows = list(graph.query(f"SELECT ?o WHERE {{ <{data['ns']}a> <{data['ns']}p> ?o }}"))
    assert isinstance(rows[0], ResultRow) and rows[0][0] == Literal(1)
    assert graph.query(f"ASK {{ <{data['ns']}b> ?p ?o }}").askAnswer is True
    triples = list(graph.triples((URIRef(data["ns"] + "a"), None, None)))
    assert len(triples) == 3
    xml_store = SPARQLStore(server.url + "sparql")  # its default, SPARQL XML
    row = list(Graph(xml_store).query(f"SELECT ?o WHERE {{ <{data['ns']}b> <{data['ns']}p> ?o }}"))[0]
    assert isinstance(row, ResultRow) and row[0] == Literal(2)
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{data['g1']}> {{ ?s ?p ?o }} }}"
    constructed = Graph(xml_store).query(construct).graph
    assert constructed is not None and len(constructed) == 2  # it accepts SPARQL XML and RDF/XML
    as_json = Graph(store).query(construct).graph  # asked for SPARQL JSON only: answered in JSON-LD, as Fuseki does
    assert as_json is not None and len(as_json) == 2
