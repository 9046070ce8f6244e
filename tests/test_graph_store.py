"""The Graph Store HTTP Protocol (/store) against a live server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest

from tests.support import TOKEN, LiveServer, start_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
TURTLE = {"Content-Type": "text/turtle; charset=utf-8"}
ALICE = (b'@prefix foaf: <http://xmlns.com/foaf/0.1/> . '
         b'<http://x/alice> foaf:name "Alice" ; foaf:knows [ foaf:name "B" ] .')


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


@pytest.fixture()
def graph(client: httpx.Client) -> Iterator[str]:
    """A fresh graph IRI, dropped after the test."""
    iri = f"http://test.example/gsp/{uuid.uuid4().hex[:10]}"
    yield iri
    client.delete("store", params={"graph": iri}, headers=AUTH)


def triples(response: httpx.Response, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> set[tuple[str, str, str]]:
    assert response.status_code == 200, response.text
    return {(str(q.subject) if not isinstance(q.subject, ox.BlankNode) else "_", str(q.predicate),
             str(q.object) if not isinstance(q.object, ox.BlankNode) else "_")
            for q in ox.parse(response.content, format=fmt)}


def test_put_creates_then_replaces(client: httpx.Client, graph: str) -> None:
    created = client.put("store", params={"graph": graph}, content=ALICE, headers=AUTH | TURTLE)
    assert created.status_code == 201
    got = client.get("store", params={"graph": graph}, headers={"Accept": "text/turtle"})
    assert got.headers["content-type"] == "text/turtle; charset=utf-8"
    assert ("<http://x/alice>", "<http://xmlns.com/foaf/0.1/name>", '"Alice"') in triples(got)
    assert len(triples(got)) == 3
    replaced = client.put("store", params={"graph": graph}, content=b"<http://x/a> <http://x/b> <http://x/c> .",
                          headers=AUTH | {"Content-Type": "application/n-triples"})
    assert replaced.status_code == 204
    assert triples(client.get("store", params={"graph": graph})) == {("<http://x/a>", "<http://x/b>", "<http://x/c>")}


@pytest.mark.parametrize("accept,fmt", [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/n-quads", ox.RdfFormat.N_QUADS), ("application/trig", ox.RdfFormat.TRIG),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML), ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("text/n3", ox.RdfFormat.N3),
])
def test_get_in_every_format(client: httpx.Client, graph: str, accept: str, fmt: ox.RdfFormat) -> None:
    assert client.put("store", params={"graph": graph}, content=ALICE, headers=AUTH | TURTLE).status_code == 201
    got = client.get("store", params={"graph": graph}, headers={"Accept": accept})
    assert got.headers["content-type"].split(";")[0] == accept
    assert len(triples(got, fmt)) == 3
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        assert {q.graph_name.value for q in ox.parse(got.content, format=fmt)} == {graph}


def test_negotiation_and_format_parameter(client: httpx.Client, graph: str) -> None:
    client.put("store", params={"graph": graph}, content=ALICE, headers=AUTH | TURTLE)
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get("store", params={"graph": graph}, headers={"Accept": browser}).headers[
        "content-type"].startswith("text/turtle")
    q_values = client.get("store", params={"graph": graph},
                          headers={"Accept": "text/turtle;q=0.4, application/ld+json;q=0.9"})
    assert q_values.headers["content-type"] == "application/ld+json"
    assert client.get("store", params={"graph": graph, "format": "nt"}).headers["content-type"] == (
        "application/n-triples")
    assert client.get("store", params={"graph": graph}, headers={"Accept": "text/csv"}).status_code == 406


def test_head(client: httpx.Client, graph: str) -> None:
    assert client.head("store", params={"graph": graph}).status_code == 404
    client.put("store", params={"graph": graph}, content=ALICE, headers=AUTH | TURTLE)
    head = client.head("store", params={"graph": graph}, headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/turtle")


def test_missing_graph_is_404(client: httpx.Client, graph: str) -> None:
    response = client.get("store", params={"graph": graph})
    assert response.status_code == 404 and graph in response.json()["detail"]
    assert client.delete("store", params={"graph": graph}, headers=AUTH).status_code == 404


def test_post_merges(client: httpx.Client, graph: str) -> None:
    first = client.post("store", params={"graph": graph}, content=b"<http://x/a> <http://x/p> 1 .",
                        headers=AUTH | TURTLE)
    assert first.status_code == 201
    second = client.post("store", params={"graph": graph}, content=b"<http://x/a> <http://x/p> 2 .",
                         headers=AUTH | TURTLE)
    assert second.status_code == 204
    assert len(triples(client.get("store", params={"graph": graph}))) == 2


def test_post_multipart(client: httpx.Client, graph: str) -> None:
    files = [
        ("a", ("first.ttl", b"<http://x/a> <http://x/p> [ <http://x/q> 1 ] .", "text/turtle")),
        ("b", ("second.nt", b"<http://x/a> <http://x/p> _:b1 .\n", "application/octet-stream")),
        ("c", ("third.rdf", b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                            b'<rdf:Description rdf:about="http://x/c"><rdf:type rdf:resource="http://x/T"/>'
                            b"</rdf:Description></rdf:RDF>", "application/rdf+xml")),
    ]
    response = client.post("store", params={"graph": graph}, files=files, headers=AUTH)
    assert response.status_code == 201, response.text
    got = list(ox.parse(client.get("store", params={"graph": graph}).content, format=ox.RdfFormat.TURTLE))
    assert len(got) == 4
    assert len({q.object for q in got if q.predicate.value == "http://x/p"}) == 2  # blank nodes stay apart


def test_bad_part_changes_nothing(client: httpx.Client, graph: str) -> None:
    files = [("a", ("ok.ttl", b"<http://x/a> <http://x/p> 1 .", "text/turtle")),
             ("b", ("bad.ttl", b"<http://x/a> <http://x/p> .", "text/turtle"))]
    response = client.post("store", params={"graph": graph}, files=files, headers=AUTH)
    assert response.status_code == 400 and "part 2" in response.json()["detail"]
    assert client.get("store", params={"graph": graph}).status_code == 404
    unknown = [("a", ("notes.docx", b"\x00", "application/msword"))]
    assert client.post("store", params={"graph": graph}, files=unknown, headers=AUTH).status_code == 415


def test_post_to_the_store_creates_a_graph(server: LiveServer, client: httpx.Client) -> None:
    response = client.post("store", content=ALICE, headers=AUTH | TURTLE)
    assert response.status_code == 201
    location = response.headers["location"]
    assert location.startswith(server.url + "store/")
    try:
        assert len(triples(client.get("store", params={"graph": location}))) == 3
        assert len(triples(client.get(location))) == 3  # the IRI is also its direct URL
        names = httpx.get(server.url + "sparql", params={"query": "SELECT ?g { GRAPH ?g {} }"}, timeout=60).json()
        assert location in {row["g"]["value"] for row in names["results"]["bindings"]}
    finally:
        client.delete(location, headers=AUTH)


def test_direct_identification(server: LiveServer, client: httpx.Client) -> None:
    path = f"store/person/{uuid.uuid4().hex[:6]}.ttl"
    assert client.put(path, content=ALICE, headers=AUTH | TURTLE).status_code == 201
    try:
        assert len(triples(client.get(path))) == 3
        same = client.get("store", params={"graph": server.url + path})
        assert len(triples(same)) == 3
        assert client.put(path, params={"graph": "http://x/g"}, content=ALICE, headers=AUTH | TURTLE).status_code == 400
    finally:
        assert client.delete(path, headers=AUTH).status_code == 204
    assert client.get(path).status_code == 404


def test_default_graph(client: httpx.Client) -> None:
    marker = f"<http://test.example/gsp/default/{uuid.uuid4().hex[:6]}> <http://x/p> 1 ."
    posted = client.post("store", params={"default": ""}, content=marker.encode(), headers=AUTH | TURTLE)
    assert posted.status_code == 204
    try:
        got = client.get("store?default", headers={"Accept": "application/n-triples"})
        assert marker.split()[0] in got.text
    finally:
        client.post("sparql", data={"update": f"DELETE DATA {{ {marker} }}"}, headers=AUTH)


def test_bad_rdf_is_400_and_nothing_is_lost(client: httpx.Client, graph: str) -> None:
    client.put("store", params={"graph": graph}, content=ALICE, headers=AUTH | TURTLE)
    bad = client.put("store", params={"graph": graph}, content=b"<http://x/a> <http://x/b> .", headers=AUTH | TURTLE)
    assert bad.status_code == 400
    assert "line 1" in bad.json()["detail"]
    assert len(triples(client.get("store", params={"graph": graph}))) == 3


@pytest.mark.parametrize("content_type", ["image/png", "application/n-quads", "application/trig", None,
                                          "text/turtle; charset=latin-1"])
def test_unsupported_media_type_is_415(client: httpx.Client, graph: str, content_type: str | None) -> None:
    headers = AUTH | ({"Content-Type": content_type} if content_type else {})
    response = client.put("store", params={"graph": graph}, content=b"<http://x/a> <http://x/b> 1 .", headers=headers)
    assert response.status_code == 415
    assert "text/turtle" in response.json()["detail"] or "UTF-8" in response.json()["detail"]


def test_writes_need_the_token(client: httpx.Client, graph: str) -> None:
    assert client.put("store", params={"graph": graph}, content=ALICE, headers=TURTLE).status_code == 401
    wrong = {"Authorization": "Bearer wrong"}
    assert client.put("store", params={"graph": graph}, content=ALICE, headers=wrong | TURTLE).status_code == 403
    assert client.post("store", content=ALICE, headers=TURTLE).status_code == 401
    client.put("store", params={"graph": graph}, content=ALICE, headers=AUTH | TURTLE)
    assert client.delete("store", params={"graph": graph}).status_code == 401
    assert client.get("store", params={"graph": graph}).status_code == 200


def test_empty_put_keeps_an_empty_graph(client: httpx.Client, graph: str) -> None:
    """Regression: replacing a graph by nothing removed the graph, so a GET after the PUT was 404."""
    assert client.put("store", params={"graph": graph}, content=b"", headers=AUTH | TURTLE).status_code == 201
    got = client.get("store", params={"graph": graph}, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and got.text.strip() == ""


def test_etag_and_304(client: httpx.Client, graph: str) -> None:
    client.put("store", params={"graph": graph}, content=ALICE, headers=AUTH | TURTLE)
    first = client.get("store", params={"graph": graph})
    again = client.get("store", params={"graph": graph}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    client.post("store", params={"graph": graph}, content=b"<http://x/a> <http://x/p> 3 .", headers=AUTH | TURTLE)
    assert client.get("store", params={"graph": graph},
                      headers={"If-None-Match": first.headers["etag"]}).status_code == 200


@pytest.mark.parametrize("params", [
    {"graph": "http://x/a", "default": ""}, [("graph", "http://x/a"), ("graph", "http://x/b")],
    {"graph": "not an iri"}, {"graph": "relative/path"}, {},
])
def test_bad_graph_names_are_400(client: httpx.Client, params: dict | list) -> None:
    response = client.get("store", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


def test_other_methods_are_405(client: httpx.Client) -> None:
    response = client.patch("store", params={"graph": "http://x/a"})
    assert response.status_code == 405 and "PUT" in response.headers["allow"]


# --- curated graphs --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_curated_graphs_are_read_only_to_the_graph_store(client: httpx.Client, server: LiveServer,
                                                         method: str) -> None:
    """Regression: a Graph Store write to a curated source graph was accepted, then silently lost at the next
    `backchannel build`. It is a 403 that says why (before the body is read), and the graph is unchanged."""
    source = server.url + "id/source/track-two-diplomacy"
    before = client.get("store", params={"graph": source}, headers={"Accept": "application/n-triples"}).text
    response = client.request(method, "store", params={"graph": source}, headers=AUTH | {
        "Content-Type": "text/turtle"}, content=b"<http://ex/a> <http://ex/p> 1 ." if method != "DELETE" else None)
    assert response.status_code == 403, response.text
    assert "curated graph" in response.json()["detail"] and "backchannel build" in response.json()["detail"]
    after = client.get("store", params={"graph": source}, headers={"Accept": "application/n-triples"}).text
    assert after == before


def test_a_setting_allows_writing_curated_graphs() -> None:
    live = start_server(curated_graph_writes=True)
    try:
        source = live.url + "id/source/track-two-diplomacy"
        response = httpx.post(live.url + "store", params={"graph": source}, content=b"<http://ex/a> <http://ex/p> 1 .",
                              headers=AUTH | {"Content-Type": "text/turtle"})
        assert response.status_code == 204, response.text
    finally:
        live.stop()
        live.store.close()
