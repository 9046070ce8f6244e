"""XML in and out: what XML 1.0 cannot carry is refused or shown safely, and RDF/XML cannot expand without bound.

- A literal holding U+0001 (XML 1.0 forbids it, even as ``&#1;``) used to make SPARQL XML results, RDF/XML
  documents and ``/paths?format=svg`` ill-formed. Data formats now refuse such an answer (406, naming the character
  and other formats); the SVG picture shows U+FFFD instead, and carries a Content-Security-Policy.
- RDF/XML whose DOCTYPE declares entities that nest ("billion laughs") or that would expand past the body limit is
  refused with a 400 before the parser sees it (a 463-byte upload stored a 100,000-character literal; a 765-byte
  one took the server to 3.3 GB).
"""

from __future__ import annotations

import xml.dom.minidom
from collections.abc import Iterator

import httpx
import pytest

from tests.support import TOKEN, LiveServer, start_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONTROL = "Ctrl \u0001 Person"


@pytest.fixture(scope="module")
def xml_server() -> Iterator[LiveServer]:
    server = start_server()
    turtle = (f'<{server.url}id/person/ctrl> <http://www.w3.org/2000/01/rdf-schema#label> "Ctrl \\u0001 Person" ;\n'
              f'  <http://www.w3.org/ns/prov#wasInfluencedBy> <{server.url}id/person/joseph-v-montville> .\n')
    response = httpx.put(server.url + "store", params={"graph": server.url + "graphs/control"},
                         content=turtle.encode(), headers=AUTH | {"Content-Type": "text/turtle"})
    assert response.status_code in (201, 204), response.text
    yield server
    server.stop()
    server.store.close()


def _well_formed(text: str) -> None:
    xml.dom.minidom.parseString(text)


def test_xml_results_refuse_a_character_xml_cannot_carry(xml_server: LiveServer) -> None:
    query = f"SELECT ?label {{ <{xml_server.url}id/person/ctrl> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
    as_xml = httpx.get(xml_server.url + "sparql", params={"query": query},
                       headers={"Accept": "application/sparql-results+xml"})
    assert as_xml.status_code == 406, as_xml.text
    assert "U+0001" in as_xml.json()["detail"] and "JSON" in as_xml.json()["detail"]
    as_json = httpx.get(xml_server.url + "sparql", params={"query": query, "format": "json"})
    assert as_json.json()["results"]["bindings"][0]["label"]["value"] == CONTROL
    fine = httpx.get(xml_server.url + "sparql", params={"query": "SELECT ?x { BIND(\"fine\" AS ?x) }"},
                     headers={"Accept": "application/sparql-results+xml"})
    assert fine.status_code == 200
    _well_formed(fine.text)


def test_rdf_xml_refuses_a_character_xml_cannot_carry(xml_server: LiveServer) -> None:
    document = httpx.get(xml_server.url + "doc/person/ctrl.rdf")
    assert document.status_code == 406 and "U+0001" in document.json()["detail"]
    assert "Ctrl \\u0001 Person" in httpx.get(xml_server.url + "doc/person/ctrl.nt").text  # N-Triples escapes it
    construct = httpx.get(xml_server.url + "sparql", headers={"Accept": "application/rdf+xml"}, params={
        "query": f"DESCRIBE <{xml_server.url}id/person/ctrl>"})
    assert construct.status_code == 406
    oslo = httpx.get(xml_server.url + "doc/work/oslo-accords.rdf")  # no such character: still RDF/XML
    assert oslo.status_code == 200
    _well_formed(oslo.text)


def test_the_svg_picture_stays_well_formed_and_carries_a_csp(xml_server: LiveServer) -> None:
    picture = httpx.get(xml_server.url + "paths", params={
        "from": xml_server.url + "id/person/ctrl", "to": xml_server.url + "id/person/joseph-v-montville",
        "format": "svg"})
    assert picture.status_code == 200 and picture.headers["content-type"].startswith("image/svg+xml")
    _well_formed(picture.text)
    assert "Ctrl \ufffd Person" in picture.text
    assert "default-src 'none'" in picture.headers["content-security-policy"]


# --- entity expansion ----------------------------------------------------------------------------------------

RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex/"'


def laughs(levels: int) -> bytes:
    """RDF/XML whose one literal is an entity of ``levels`` nested entities, each ten of the one below."""
    entities = '<!ENTITY a0 "xxxxxxxxxx">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, levels + 1))
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{entities}]>\n<rdf:RDF {RDF}>'
            f'<rdf:Description rdf:about="http://ex/s"><ex:p>&a{levels};</ex:p></rdf:Description></rdf:RDF>').encode()


def _put(server: LiveServer, graph: str, data: bytes) -> httpx.Response:
    return httpx.put(server.url + "store", params={"graph": graph}, content=data, timeout=60,
                     headers=AUTH | {"Content-Type": "application/rdf+xml"})


@pytest.mark.parametrize("levels", [4, 10])
def test_nested_entities_are_refused_before_parsing(xml_server: LiveServer, levels: int) -> None:
    """Regression: 463 bytes stored a 100,000-character literal (4 levels); 10 levels took the server to 3.3 GB."""
    response = _put(xml_server, "http://ex/laughs", laughs(levels))
    assert response.status_code == 400, response.text
    assert "nested entities" in response.json()["detail"] and "nothing was changed" in response.json()["detail"]
    assert httpx.get(xml_server.url + "store", params={"graph": "http://ex/laughs"}).status_code == 404


def test_entities_that_expand_past_the_limit_are_refused(xml_server: LiveServer) -> None:
    data = (f'<!DOCTYPE rdf:RDF [<!ENTITY big "{"x" * 1000}">]><rdf:RDF {RDF}><rdf:Description rdf:about='
            f'"http://ex/s"><ex:p>{"&big;" * 20_000}</ex:p></rdf:Description></rdf:RDF>').encode()
    response = _put(xml_server, "http://ex/big", data)
    assert response.status_code == 400 and "expand the document past" in response.json()["detail"]


@pytest.mark.parametrize("declaration", ['<!ENTITY % p "x">', '<!ENTITY e SYSTEM "file:///etc/passwd">'])
def test_parameter_and_external_entities_are_refused(xml_server: LiveServer, declaration: str) -> None:
    data = f'<!DOCTYPE rdf:RDF [{declaration}]><rdf:RDF {RDF}/>'.encode()
    response = _put(xml_server, "http://ex/external", data)
    assert response.status_code == 400 and "entity" in response.json()["detail"]


def test_namespace_entities_as_ontology_editors_write_them_still_load(xml_server: LiveServer) -> None:
    data = (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n  <!ENTITY owl "http://www.w3.org/2002/07/owl#" >\n]>\n'
            f'<rdf:RDF {RDF}><rdf:Description rdf:about="http://ex/C"><rdf:type rdf:resource="&owl;Class"/>'
            f'</rdf:Description></rdf:RDF>').encode()
    assert _put(xml_server, "http://ex/owl", data).status_code == 201
    stored = httpx.get(xml_server.url + "store", params={"graph": "http://ex/owl"},
                       headers={"Accept": "application/n-triples"}).text
    assert "<http://www.w3.org/2002/07/owl#Class>" in stored
