"""The pages people read: entity pages, the vocabulary, the home and browse pages. Valid HTML5, no scripts run."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import html5rdf
import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import OWL, RDF

from kg.namespaces import BC, TRACK
from kg.store.base import term_value
from tests.support import LiveServer

ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology" / "backchannel.ttl"
MONTVILLE = "doc/person/joseph-v-montville"


class _Collect(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def validate_html(text: str) -> _Collect:
    """Fail on any HTML5 parse error (the spec's parser, strict), duplicate ids, dangling label/aria references,
    or any script other than JSON-LD data; return the tags for further checks."""
    parser = html5rdf.HTMLParser(strict=True)
    parser.parse(text)  # raises ParseError on the first error
    assert text.startswith("<!DOCTYPE html>")
    collected = _Collect()
    collected.feed(text)
    ids = [i for _, attrs in collected.tags if (i := attrs.get("id"))]
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted({i for i in ids if ids.count(i) > 1})}"
    for tag, attrs in collected.tags:
        for ref in ("for", "aria-labelledby"):
            if attrs.get(ref) and tag != "output":
                assert attrs[ref] in ids, f"<{tag} {ref}={attrs[ref]!r}> points at no element"
        if tag == "script":
            assert attrs.get("type") == "application/ld+json" and "src" not in attrs, attrs
        assert not any(name.startswith("on") for name in attrs), f"inline handler on <{tag}>"
        assert "style" not in attrs, f"inline style on <{tag}> (the CSP forbids it)"
    return collected


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30, headers={"Accept": "text/html"}) as c:
        yield c


@pytest.fixture(scope="module")
def montville(client: httpx.Client) -> httpx.Response:
    response = client.get(MONTVILLE)
    assert response.status_code == 200
    return response


def test_entity_page_shows_the_thing_both_ways_with_sources(montville: httpx.Response) -> None:
    page = montville.text
    assert "<h1>Joseph V. Montville</h1>" in page
    assert "U.S. State Department employee who in 1981 coined the terms Track One and Track Two" in page
    # outgoing relations, by their labels, with links to the vocabulary's local pages
    assert '<a href="/def#coined" title="bc:coined">coined</a>' in page
    assert 'href="/def/track/track-two">Track Two diplomacy</a>' in page
    # incoming relations, read backwards with the inverse label
    incoming = page[page.index('id="incoming-h"'):]
    assert ">wrote</a>" in incoming and "/doc/work/foreign-policy-according-to-freud" in incoming
    assert "had an assumption seconded by" in incoming
    # blank-node context: the membership, with its organisation
    assert "employment at the U.S. State Department (in 1981)" in page
    # footnotes link to the source page
    assert re.search(r'<sup class="note"><a href="/doc/source/track-two-diplomacy" title="Source: [^"]+">'
                     r"\[1\]</a></sup>", page)
    assert '<li id="source-1"><a href="/doc/source/track-two-diplomacy">' in page


def test_entity_page_links_out_to_identities_and_tracks(client: httpx.Client) -> None:
    page = client.get("doc/person/yasser-arafat").text
    assert 'href="http://dbpedia.org/resource/Yasser_Arafat"' in page
    assert "/doc/source/general-knowledge" in page  # the identity link's own source
    validate_html(page)
    oslo = client.get("doc/process/oslo-back-channel").text
    tracks = oslo[oslo.index('id="tracks-h"'):oslo.index("</section>", oslo.index('id="tracks-h"'))]
    assert "/def/track/track-two" in tracks and "/def/track/track-one" in tracks


def test_entity_page_offers_paths_queries_and_data(montville: httpx.Response, server: LiveServer) -> None:
    page = montville.text
    iri = server.url + "id/person/joseph-v-montville"
    assert f'href="/explore?from={iri.replace(":", "%3A").replace("/", "%2F")}"' in page
    assert '<form class="explore-form" method="get" action="/explore">' in page
    assert f'<input type="hidden" name="from" value="{iri}">' in page
    assert f'<option value="{server.url}id/work/oslo-accords">' in page
    queries = [parse_qs(urlsplit(href.replace("&amp;", "&")).query)["query"][0]
               for href in re.findall(r'href="(/editor\?query=[^"]+)"', page)]
    assert f"DESCRIBE <{iri}>" in queries
    assert any("GRAPH ?source" in q for q in queries)
    for suffix in ("ttl", "jsonld", "nt", "rdf", "trig"):
        assert f'href="/doc/person/joseph-v-montville.{suffix}"' in page


def test_entity_page_embeds_its_data_as_jsonld(montville: httpx.Response, server: LiveServer) -> None:
    collected = validate_html(montville.text)
    (block,) = collected.scripts
    doc = json.loads(block)
    triples = [q.triple for q in ox.parse(json.dumps(doc).encode(), format=ox.RdfFormat.JSON_LD)]
    me = ox.NamedNode(server.url + "id/person/joseph-v-montville")
    assert ox.Triple(me, ox.NamedNode(BC + "coined"), ox.NamedNode(TRACK + "track-two")) in triples


def test_entity_page_draws_its_neighbourhood(montville: httpx.Response) -> None:
    svg = montville.text[montville.text.index("<svg"):montville.text.index("</svg>") + 6]
    assert 'class="nb-center"' in svg and "Joseph V. Montville" in svg
    assert '<a href="/def/track/track-two">' in svg and "coined" in svg
    assert '<a href="/doc/work/foreign-policy-according-to-freud">' in svg
    assert "<script" not in svg


def test_html_pages_carry_security_headers(montville: httpx.Response) -> None:
    headers = montville.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"]


def test_concept_page_shows_who_and_what_links_to_it(client: httpx.Client) -> None:
    response = client.get("def/track/track-two")
    page = response.text
    validate_html(page)
    incoming = page[page.index('id="incoming-h"'):]
    assert "was coined by" in incoming and "/doc/person/joseph-v-montville" in incoming
    assert "/doc/process/oslo-back-channel" in incoming
    assert 'href="/def/track">Tracks of diplomacy</a>' in page


def test_every_local_link_of_a_page_resolves(client: httpx.Client, montville: httpx.Response) -> None:
    hrefs = set(re.findall(r'href="(/(?:doc|def|static|browse)[^"#]*)', montville.text))
    assert len(hrefs) > 20
    for href in sorted(hrefs):
        assert client.get(href.replace("&amp;", "&")).status_code == 200, href


def test_every_thing_has_a_valid_page(client: httpx.Client, server: LiveServer) -> None:
    rows = server.store.select(
        f'SELECT DISTINCT ?s {{ ?s ?p ?o FILTER (isIRI(?s) && (STRSTARTS(STR(?s), "{server.settings.id_base}") '
        f'|| STRSTARTS(STR(?s), "{TRACK}"))) }}'
    )
    assert len(rows) > 50
    for row in rows:
        iri = term_value(row["s"])
        base = server.settings.id_base
        path = "doc/" + iri[len(base):] if iri.startswith(base) else "def/track/" + iri[len(TRACK):]
        response = client.get(path)
        assert response.status_code == 200, path
        validate_html(response.text)


def test_vocabulary_page_documents_every_term_of_the_ontology(client: httpx.Client) -> None:
    ontology = rdflib.Graph().parse(ONTOLOGY)
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    declared = {s for kind in kinds for s in ontology.subjects(RDF.type, kind)}
    assert len(declared) > 25
    response = client.get("def")
    page = response.text
    validate_html(page)
    for term in declared:
        local = str(term).removeprefix(BC)
        assert f'<section class="term" id="{local}">' in page, term
    for term in ontology.subjects(rdflib.URIRef(BC + "inverseLabel"), None):
        if not str(term).startswith(BC):
            assert f"<code>{term}</code>" in page, term
    coined = page[page.index('id="coined"'):page.index("</section>", page.index('id="coined"'))]
    assert "An agent introduced the term for a concept." in coined
    assert "was coined by" in coined and "Use in the data" in coined and "Example" in coined
    turtle = client.get("def", headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle") and "Accept" in turtle.headers["vary"]
    published = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert declared <= set(published.subjects())
    assert client.get("def.jsonld").headers["content-type"].startswith("application/ld+json")
    assert client.get("def.rdf").headers["content-type"].startswith("application/rdf+xml")


def test_scheme_pages_list_their_concepts(client: httpx.Client) -> None:
    tracks = rdflib.Graph().parse(ONTOLOGY.parent / "tracks.ttl")
    concepts = set(tracks.subjects(RDF.type, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#Concept")))
    response = client.get("def/track")
    validate_html(response.text)
    for concept in concepts:
        assert f'href="/def/track/{str(concept).removeprefix(TRACK)}"' in response.text
    assert "Official diplomacy between governments" in response.text
    for scheme in ("process-type", "role"):
        assert client.get(f"def/{scheme}").status_code == 200


def test_home_page_explains_counts_and_starts(client: httpx.Client, server: LiveServer) -> None:
    response = client.get("")
    page = response.text
    validate_html(page)
    assert "Track Two" in page
    assert 'href="/browse?kind=person">People</a>' in page
    assert re.search(r"\d+ statements about \d+ things, from \d+ sources", page)
    assert 'href="/editor?query=' in page
    start = (server.url + "id/person/joseph-v-montville").replace(":", "%3A").replace("/", "%2F")
    end = (server.url + "id/work/oslo-accords").replace(":", "%3A").replace("/", "%2F")
    assert f'href="/explore?from={start}&amp;to={end}"' in page
    for item in ("/", "/sparql", "/explore", "/def", "/.well-known/void", "/docs"):
        assert f'<a href="{item}"' in page


def test_browse_lists_things_alphabetically(client: httpx.Client) -> None:
    response = client.get("browse", params={"kind": "person"})
    validate_html(response.text)
    names = re.findall(r'<li><a href="/doc/person/[^"]+">([^<]+)</a>', response.text)
    assert "Joseph V. Montville" in names and names == sorted(names, key=str.casefold)
    assert "U.S. State Department employee" in response.text
    tracks = client.get("browse", params={"kind": "track"}).text
    assert 'href="/def/track/track-two"' in tracks
    wrong = client.get("browse", params={"kind": "people"})
    assert wrong.status_code == 400 and "person" in wrong.json()["detail"]


def test_not_found_page_suggests(client: httpx.Client) -> None:
    response = client.get("doc/person/joseph-montville")
    assert response.status_code == 404
    validate_html(response.text)
    assert 'href="/doc/person/joseph-v-montville"' in response.text


def test_validator_catches_broken_markup() -> None:
    with pytest.raises(html5rdf.html5parser.ParseError):
        validate_html("<!DOCTYPE html><html lang=en><head><title>x</title></head><body><p></span></body></html>")
    with pytest.raises(AssertionError):
        validate_html('<!DOCTYPE html><html lang=en><head><title>x</title></head>'
                      '<body><p id="a"></p><p id="a"></p></body></html>')
    with pytest.raises(AssertionError):
        validate_html("<!DOCTYPE html><html lang=en><head><title>x</title><script>alert(1)</script></head>"
                      "<body></body></html>")
