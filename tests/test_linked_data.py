"""Linked data over HTTP: IRIs dereference (303), documents negotiate, every format parses, errors help.

Runs against the live ``server`` fixture (a real uvicorn on 127.0.0.1 serving the built seed graph,
whose base IRI is the server's own address, so every IRI of the graph dereferences here).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import DCTERMS, FOAF, OWL, RDFS

from kg.namespaces import BC, TRACK
from kg.store.base import term_value
from tests.support import LiveServer

MONTVILLE = "id/person/joseph-v-montville"
RDF_SUFFIXES = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
    "trig": ("application/trig", "trig"),
    "nq": ("application/n-quads", "nquads"),
}


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def start_live():
    from tests.support import start_server

    live = start_server()
    yield live
    live.stop()
    live.store.close()


def graph_of(response: httpx.Response, fmt: str) -> rdflib.Graph:
    """The union of the graphs of a response, parsed by rdflib."""
    data = rdflib.Dataset()
    data.parse(data=response.content, format=fmt, publicID=str(response.url))
    union = rdflib.Graph()
    for s, p, o, _ in data.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def test_iri_answers_303_to_its_document(client: httpx.Client, server: LiveServer) -> None:
    response = client.get(MONTVILLE, headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["location"] == "/doc/person/joseph-v-montville"
    assert response.headers["access-control-allow-origin"] == "*"


def test_rdflib_follows_the_303_and_negotiates(server: LiveServer) -> None:
    iri = rdflib.URIRef(server.url + MONTVILLE)
    graph = rdflib.Graph().parse(str(iri))
    assert (iri, FOAF.name, rdflib.Literal("Joseph V. Montville")) in graph
    assert (iri, rdflib.URIRef(BC + "coined"), rdflib.URIRef(TRACK + "track-two")) in graph
    # incoming links and the labels of what the description names come along
    work = rdflib.URIRef(server.url + "id/work/foreign-policy-according-to-freud")
    assert (work, DCTERMS.creator, iri) in graph
    assert (work, RDFS.label, rdflib.Literal("Foreign Policy According to Freud", lang="en")) in graph


def test_curl_dash_L_with_jsonld(client: httpx.Client, server: LiveServer) -> None:
    response = client.get(MONTVILLE, headers={"Accept": "application/ld+json"}, follow_redirects=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    assert response.headers["vary"] == "Accept"
    assert response.headers["content-location"] == "/doc/person/joseph-v-montville.jsonld"
    doc = response.json()
    assert doc["@context"]["bc"] == BC and doc["@context"]["bc-person"] == server.url + "id/person/"
    me = next(node for node in doc["@graph"] if node["@id"] == "bc-person:joseph-v-montville")
    assert {"@id": "bc-track:track-two"} in me["bc:coined"]
    triples = {(str(s), str(p), str(o)) for s, p, o in graph_of(response, "json-ld")}
    assert (server.url + MONTVILLE, BC + "coined", TRACK + "track-two") in triples


@pytest.mark.parametrize("suffix", sorted(RDF_SUFFIXES))
def test_every_suffix_form_parses_and_describes_the_thing(client: httpx.Client, server: LiveServer,
                                                          suffix: str) -> None:
    media, fmt = RDF_SUFFIXES[suffix]
    response = client.get(f"doc/person/joseph-v-montville.{suffix}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media
    assert "vary" not in response.headers  # a suffixed document has one representation
    parsed = list(ox.parse(response.content, format=ox.RdfFormat.from_media_type(media), base_iri=str(response.url)))
    assert any(q.subject == ox.NamedNode(server.url + MONTVILLE) for q in parsed)
    data = graph_of(response, fmt)
    me = rdflib.URIRef(server.url + MONTVILLE)
    assert (me, rdflib.URIRef(BC + "coined"), rdflib.URIRef(TRACK + "track-two")) in data
    doc = rdflib.URIRef(server.url + "doc/person/joseph-v-montville")
    assert (doc, FOAF.primaryTopic, me) in data
    assert (doc, DCTERMS.source, rdflib.URIRef(server.url + "id/source/track-two-diplomacy")) in data


def test_quad_formats_keep_each_fact_in_its_source_graph(client: httpx.Client, server: LiveServer) -> None:
    response = client.get("doc/person/yasser-arafat.nq")
    everything = list(ox.parse(response.content, format=ox.RdfFormat.N_QUADS))
    quads = [q for q in everything if q.graph_name != ox.DefaultGraph()]
    same_as = [q for q in quads if q.predicate.value == str(OWL.sameAs)]
    assert same_as and all(q.graph_name.value == server.url + "id/source/general-knowledge" for q in same_as)
    arafat = server.url + "id/person/yasser-arafat"
    labels = [q for q in quads if q.subject.value == arafat and q.predicate.value == str(RDFS.label)]
    assert labels and all(q.graph_name.value == server.url + "id/source/track-two-diplomacy" for q in labels)
    default = {q.triple for q in everything if q.graph_name == ox.DefaultGraph()}
    assert {q.triple for q in quads} <= default  # and every fact in the default graph too, for default-graph clients


def test_generic_document_negotiates_and_says_so(client: httpx.Client) -> None:
    for accept, media in [
        ("text/turtle", "text/turtle"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/trig", "application/trig"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("*/*", "text/html"),
    ]:
        response = client.get("doc/person/joseph-v-montville", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == media, accept
        assert "Accept" in response.headers["vary"]
        assert 'rel="alternate"' in response.headers["link"]
    n_triples = client.get("doc/person/joseph-v-montville?format=nt")
    assert n_triples.headers["content-type"].startswith("application/n-triples")
    refused = client.get("doc/person/joseph-v-montville", headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert "text/turtle" in refused.json()["detail"]


def test_unknown_iri_is_404_with_suggestions(client: httpx.Client, server: LiveServer) -> None:
    response = client.get("id/person/joseph-v-montvile")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["suggestions"][0]["iri"] == server.url + MONTVILLE
    assert "Joseph V. Montville" in body["detail"]
    page = client.get("doc/person/joseph-v-montvile", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "/doc/person/joseph-v-montville" in page.text
    assert client.get("doc/work/oslo-acords").json()["suggestions"][0]["iri"] == server.url + "id/work/oslo-accords"
    assert client.get("id/").status_code == 404


def test_source_graph_dereferences_with_its_provenance_and_content(client: httpx.Client, server: LiveServer) -> None:
    source = server.url + "id/source/track-two-diplomacy"
    response = client.get("id/source/track-two-diplomacy", headers={"Accept": "text/turtle"}, follow_redirects=True)
    data = graph_of(response, "turtle")
    assert (rdflib.URIRef(source), rdflib.URIRef("http://www.w3.org/ns/prov#wasGeneratedBy"), None) in data
    content = client.get("doc/source/track-two-diplomacy/content.trig")
    assert content.status_code == 200
    everything = list(ox.parse(content.content, format=ox.RdfFormat.TRIG))
    quads = [q for q in everything if q.graph_name != ox.DefaultGraph()]
    assert {q.graph_name.value for q in quads} == {source}
    assert len(quads) == len(server.store.graph_quads(source))
    assert {q.triple for q in everything if q.graph_name == ox.DefaultGraph()} == {q.triple for q in quads}
    page = client.get("doc/source/track-two-diplomacy.html").text
    assert "/store?graph=" in page and "content.trig" in page


def test_vocabulary_terms_are_documented_locally(client: httpx.Client) -> None:
    turtle = client.get("def/track/track-two", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.headers["vary"] == "Accept"
    data = graph_of(turtle, "turtle")
    assert (rdflib.URIRef(TRACK + "track-two"), rdflib.URIRef(BC + "coinedIn"), None) in data
    scheme = client.get("def/track.ttl")
    assert (rdflib.URIRef(TRACK + "track-one"), None, None) in graph_of(scheme, "turtle")
    assert client.get("def/track/track-too").status_code == 404
    assert client.get("def/track/track-too").json()["suggestions"][0]["iri"] == TRACK + "track-two"


def test_etag_and_last_modified_give_304(client: httpx.Client) -> None:
    for path, headers in [
        ("doc/person/joseph-v-montville", {"Accept": "text/turtle"}),
        ("doc/person/joseph-v-montville.html", {}),
        ("def", {}),
        (".well-known/void", {}),
        ("dumps/backchannel.nq", {}),
        ("context.jsonld", {}),
        ("static/style.css", {}),
        ("", {}),
    ]:
        first = client.get(path, headers=headers)
        assert first.status_code == 200, path
        tag = first.headers["etag"]
        assert tag.startswith('"') and "max-age" in first.headers["cache-control"]
        again = client.get(path, headers=headers | {"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag, path
        if "last-modified" in first.headers:
            since = client.get(path, headers=headers | {"If-Modified-Since": first.headers["last-modified"]})
            assert since.status_code == 304, path
    turtle = client.get("doc/person/joseph-v-montville", headers={"Accept": "text/turtle"}).headers["etag"]
    html = client.get("doc/person/joseph-v-montville", headers={"Accept": "text/html"}).headers["etag"]
    assert turtle != html  # each representation has its own validator
    stale = client.get("doc/person/joseph-v-montville", headers={"Accept": "text/html", "If-None-Match": turtle})
    assert stale.status_code == 200


def test_etag_changes_with_the_store(start_live: LiveServer) -> None:
    live = start_live
    with httpx.Client(base_url=live.url, timeout=30) as c:
        before = c.get("doc/person/joseph-v-montville.ttl").headers["etag"]
        note = f"<{live.url}{MONTVILLE}> <{BC}note> \"x\" .".encode()
        live.store.add_to_graph(live.url + "id/source/notes", note, "text/turtle")
        response = c.get("doc/person/joseph-v-montville.ttl", headers={"If-None-Match": before})
        assert response.status_code == 200 and response.headers["etag"] != before
        doc = rdflib.URIRef(live.url + "doc/person/joseph-v-montville")
        assert (doc, DCTERMS.source, rdflib.URIRef(live.url + "id/source/notes")) in graph_of(response, "turtle")


def test_cors_is_open_for_reading_and_never_with_credentials(client: httpx.Client) -> None:
    response = client.get("doc/person/joseph-v-montville.jsonld", headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "ETag" in response.headers["access-control-expose-headers"]
    preflight = client.options(
        "doc/person/joseph-v-montville",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in preflight.headers


@pytest.mark.parametrize(
    "path",
    ["id/person/joseph-v-montville", "doc/person/joseph-v-montville", "doc/person/joseph-v-montville.ttl", "def",
     "def/track", ".well-known/void", "dumps/backchannel.trig", "context.jsonld", "", "browse?kind=work",
     "static/style.css", "doc/person/nobody"],
)
def test_head_works_wherever_get_does(client: httpx.Client, path: str) -> None:
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == get.status_code
    assert head.content == b""
    for name in ("content-type", "etag", "location", "vary"):
        assert head.headers.get(name) == get.headers.get(name), name


def test_context_is_the_prefixes_of_our_documents(client: httpx.Client, server: LiveServer) -> None:
    ctx = client.get("context.jsonld").json()["@context"]
    assert ctx["bc"] == BC and ctx["bc-person"] == server.url + "id/person/" and ctx["org"] == "http://www.w3.org/ns/org#"
    doc = client.get("doc/person/joseph-v-montville.jsonld").json()
    doc["@context"] = ctx
    assert len(list(ox.parse(json.dumps(doc).encode(), format=ox.RdfFormat.JSON_LD))) > 10


@pytest.mark.parametrize(
    "path",
    ["doc/person/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "id/person/a%20b", "doc/person/%22%3E%3Cimg", "def/%3Cb%3E",
     "doc/source/nothing/content.ttl", "doc/person/joseph-v-montville.exe"],
)
def test_odd_iris_get_a_clear_404_never_an_error(client: httpx.Client, path: str) -> None:
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 404, (path, page.text)
    assert page.headers["content-type"].startswith("text/html")
    assert "<script>" not in page.text and "<img" not in page.text  # what the client sent comes back escaped
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"]


def test_static_files_stay_inside_their_folder(client: httpx.Client) -> None:
    for path in ("static/%2e%2e/routers/linked_data.py", "static/..%2F..%2Fkg%2Fsettings.py", "static/nothing.css"):
        assert client.get(path).status_code == 404, path
    css = client.get("static/style.css")
    assert css.headers["content-type"].startswith("text/css") and "max-age" in css.headers["cache-control"]


def test_what_sources_wrote_as_blank_nodes_dereferences(client: httpx.Client, server: LiveServer) -> None:
    """Issue 14: memberships, attributions and time spans have stable IRIs under .well-known/genid/; each is
    dereferenceable like a thing, and a thing's page still shows them inline."""
    rows = server.store.select(f"SELECT ?m {{ ?m a <http://www.w3.org/ns/org#Membership> ; "
                               f"<http://www.w3.org/ns/org#member> <{server.url}{MONTVILLE}> }}")
    membership = term_value(rows[0]["m"])
    assert membership.startswith(server.url + ".well-known/genid/")
    redirect = client.get(membership.removeprefix(server.url))
    assert redirect.status_code == 303 and redirect.headers["location"].startswith("/doc/genid/")
    data = graph_of(client.get(redirect.headers["location"], headers={"Accept": "text/turtle"}), "turtle")
    member = rdflib.URIRef("http://www.w3.org/ns/org#member")
    assert (rdflib.URIRef(membership), member, rdflib.URIRef(server.url + MONTVILLE)) in data
    assert client.get(".well-known/genid/0000").status_code == 404
    page = client.get("doc/person/joseph-v-montville.html").text
    shown = re.sub(r'<script type="application/ld\+json">.*?</script>', "", page, flags=re.DOTALL)
    assert "employment at the U.S. State Department" in shown and "genid" not in shown


def test_a_document_says_what_the_store_says_after_a_write(start_live: LiveServer) -> None:
    """Documents are kept per store version (service.http.caching.BodyCache): a write shows at once."""
    from tests.support import TOKEN

    doc, thing = MONTVILLE.replace("id/", "doc/", 1), start_live.url + MONTVILLE
    with httpx.Client(base_url=start_live.url, timeout=60) as http:
        first = http.get(doc, headers={"Accept": "text/turtle"})
        assert first.status_code == 200 and "a note added by a test" not in first.text
        assert http.get(doc, headers={"Accept": "text/turtle"}).text == first.text
        update = (f"INSERT DATA {{ GRAPH <{start_live.url}graph/test-note> "
                  f'{{ <{thing}> <{RDFS}comment> "a note added by a test" }} }}')
        assert http.post("sparql", data={"update": update},
                         headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 204
        assert "a note added by a test" in http.get(doc, headers={"Accept": "text/turtle"}).text
