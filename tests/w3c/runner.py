"""Read the W3C SPARQL 1.1 test manifests and replay their HTTP exchanges against a live server.

The Protocol and Graph Store Protocol manifests describe each test as a list of
``ht:Request``s (method, path, headers, body) with the expected ``ht:Response``
(``mf:expectedStatus``, ``mf:expectedBoolean``, ``mf:expectedFormat``,
``mf:expectedLocation``, response headers and an RDF body to compare up to
isomorphism). :func:`read_manifest` turns a manifest into :class:`ManifestTest`
values and :func:`replay` runs one against a server, raising AssertionError
with what differed.

>>> status_codes("http://www.w3.org/2011/http-statusCodes#Created"), status_codes(HTS + "StatusCode4xx")[:2]
((201,), (400, 401))
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import rdflib
from rdflib.collection import Collection
from rdflib.compare import isomorphic

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#"

NAMED_STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404, "BadRequest": 400}

RESULT_TYPES = {
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values"},
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples", "application/xhtml+xml"},
}
"""``mf:expectedFormat`` values and the media types that satisfy them (as the manifest's test names list them)."""

RDFLIB_FORMATS = {
    "text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
    "application/ld+json": "json-ld", "application/n-quads": "nquads", "application/trig": "trig",
}


def status_codes(iri: str) -> tuple[int, ...]:
    """The status codes an ``hts:`` value allows (a class like StatusCode2xx allows 200–299)."""
    name = iri.removeprefix(HTS)
    if name.startswith("StatusCode") and name.endswith("xx"):
        first = int(name[len("StatusCode")]) * 100
        return tuple(range(first, first + 100))
    return (NAMED_STATUS[name],)


@dataclass(frozen=True)
class Expected:
    statuses: frozenset[int]
    boolean: bool | None = None
    result_format: str | None = None
    location_variable: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: str | None
    encoding: str
    expected: Expected


@dataclass(frozen=True)
class ManifestTest:
    """One test of a manifest: its IRI, name, the graphs to load first and the exchanges to replay."""

    iri: str
    name: str
    requests: tuple[HttpRequest, ...] = ()
    graph_data: tuple[tuple[Path, str], ...] = ()
    requires: tuple[str, ...] = field(default=())


def _list(graph: rdflib.Graph, head: rdflib.term.Node | None) -> list[rdflib.term.Node]:
    return list(Collection(graph, head)) if head is not None else []


def _headers(graph: rdflib.Graph, node: rdflib.term.Node) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(graph.value(h, HT.fieldName)).lower(), str(graph.value(h, HT.fieldValue)))
        for h in _list(graph, graph.value(node, HT.headers))
    )


def _body(graph: rdflib.Graph, node: rdflib.term.Node) -> tuple[str | None, str]:
    body = graph.value(node, HT.body)
    if body is None:
        return None, "UTF-8"
    return str(graph.value(body, CNT.chars)), str(graph.value(body, CNT.characterEncoding) or "UTF-8")


def _request(graph: rdflib.Graph, node: rdflib.term.Node) -> HttpRequest:
    response = graph.value(node, HT.resp)
    assert response is not None, f"no ht:resp on {node}"
    statuses = frozenset(code for s in graph.objects(response, MF.expectedStatus) for code in status_codes(str(s)))
    boolean = graph.value(response, MF.expectedBoolean)
    result_format = graph.value(response, MF.expectedFormat)
    location = graph.value(response, MF.expectedLocation)
    body, _ = _body(graph, response)
    expected = Expected(
        statuses,
        bool(boolean.toPython()) if isinstance(boolean, rdflib.Literal) else None,
        None if result_format is None else str(result_format),
        None if location is None else str(location),
        _headers(graph, response),
        body,
    )
    request_body, encoding = _body(graph, node)
    return HttpRequest(str(graph.value(node, HT.methodName)), str(graph.value(node, HT.absolutePath)),
                       _headers(graph, node), request_body, encoding, expected)


def read_manifest(path: Path) -> list[ManifestTest]:
    """The tests listed in ``mf:entries`` of a manifest (and of the manifests it ``mf:include``s), in order."""
    graph = rdflib.Graph().parse(path, format="turtle")
    manifest = next(graph.subjects(rdflib.RDF.type, MF.Manifest))
    tests: list[ManifestTest] = []
    for included in _list(graph, graph.value(manifest, MF.include)):
        tests += read_manifest(Path(unquote(urlsplit(str(included)).path)))
    for entry in _list(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        requests = tuple(_request(graph, r) for r in _list(graph, graph.value(action, HT.requests))) if action else ()
        data = tuple(
            (Path(unquote(urlsplit(str(graph.value(d, UT.graph))).path)), str(graph.value(d, rdflib.RDFS.label)))
            for d in graph.objects(entry, UT.graphData)
        )
        requires = tuple(sorted(str(r) for r in graph.objects(entry, MF.requires)))
        tests.append(ManifestTest(str(entry), str(graph.value(entry, MF.name)), requests, data, requires))
    return tests


# --- replaying ---------------------------------------------------------------------------------------


def map_path(path: str, paths: dict[str, str]) -> str:
    """Replace the manifest's endpoint path prefix (``/sparql/``, ``/gsp``) with the server's.

    >>> map_path("/sparql/?query=ASK", {"/sparql/": "sparql", "/gsp": "store"})
    'sparql?query=ASK'
    >>> map_path("/gsp/person/1.ttl", {"/sparql/": "sparql", "/gsp": "store"})
    'store/person/1.ttl'
    """
    for prefix, replacement in paths.items():
        if path.startswith(prefix):
            return replacement + path[len(prefix) :]
    raise AssertionError(f"the manifest path {path} is not under {', '.join(paths)}")


def _media(content_type: str | None) -> tuple[str, dict[str, str]]:
    media, *params = (content_type or "").split(";")
    values = {}
    for param in params:
        name, _, value = param.partition("=")
        values[name.strip().lower()] = value.strip().strip('"').lower()
    return media.strip().lower(), values


def _boolean(response: httpx.Response) -> bool:
    media, _ = _media(response.headers.get("content-type"))
    if media == "application/sparql-results+json":
        return bool(json.loads(response.content)["boolean"])
    if media == "application/sparql-results+xml":
        node = ET.fromstring(response.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
        assert node is not None, "no <boolean> in the XML results"
        return (node.text or "").strip() == "true"
    raise AssertionError(f"a boolean result came as {media}")


def parse_graph(data: str | bytes, media: str, base: str) -> rdflib.Graph:
    """Parse RDF with rdflib (an independent parser) for comparing graphs."""
    fmt = RDFLIB_FORMATS.get(media)
    assert fmt is not None, f"cannot compare a graph sent as {media}"
    return rdflib.Graph().parse(data=data, format=fmt, publicID=base)


def replay(client: httpx.Client, test: ManifestTest, paths: dict[str, str], extra_headers: dict[str, str]) -> None:
    """Run every request of ``test`` in order; raise AssertionError at the first unexpected answer."""
    variables: dict[str, str] = {}
    for number, request in enumerate(test.requests, start=1):
        path = map_path(request.path, paths)
        body = request.body
        for name, value in variables.items():
            path = path.replace(name, value)
            body = body.replace(name, value) if body is not None else None
        headers = dict(request.headers) | extra_headers
        content = body.encode(request.encoding) if body is not None else None
        response = client.request(request.method, path, headers=headers, content=content)
        where = f"request {number} ({request.method} {path})"
        expected = request.expected
        assert response.status_code in expected.statuses, (
            f"{where}: status {response.status_code}, expected one of {sorted(expected.statuses)[:6]}: "
            f"{response.text[:300]}"
        )
        media, params = _media(response.headers.get("content-type"))
        if expected.result_format is not None:
            assert media in RESULT_TYPES[expected.result_format], (
                f"{where}: {expected.result_format} results came as {media}")
            if expected.result_format == "RDF":
                parse_graph(response.content, media, str(response.url))
        if expected.boolean is not None:
            assert _boolean(response) is expected.boolean, f"{where}: the boolean result is not {expected.boolean}"
        if expected.location_variable is not None:
            location = response.headers.get("location")
            assert location, f"{where}: no Location header"
            variables[expected.location_variable] = location
        for name, value in expected.headers:
            got = response.headers.get(name)
            assert got is not None, f"{where}: no {name} header"
            if name == "content-type":
                want_media, want_params = _media(value)
                assert media == want_media, f"{where}: Content-Type {got}, expected {value}"
                for key, wanted in want_params.items():
                    assert params.get(key) == wanted, f"{where}: Content-Type {got}, expected {value}"
            else:
                assert got == value, f"{where}: {name} is {got}, expected {value}"
        if expected.body is not None and request.method != "HEAD":
            want_media, _ = _media(dict(expected.headers).get("content-type", "text/turtle"))
            expected_graph = parse_graph(expected.body, want_media, str(response.url))
            got_graph = parse_graph(response.content, media, str(response.url))
            assert isomorphic(expected_graph, got_graph), (
                f"{where}: the graph differs from the expected one:\n{got_graph.serialize(format='nt')}")
        if request.method == "HEAD":
            assert response.content == b"", f"{where}: a HEAD answer has a body"


def load_graph_data(client: httpx.Client, test: ManifestTest, store_path: str, headers: dict[str, str]) -> None:
    """Put each ``ut:graphData`` file into its named graph through the Graph Store Protocol."""
    for path, graph in test.graph_data:
        response = client.put(store_path, params={"graph": graph}, content=path.read_bytes(),
                              headers=headers | {"Content-Type": "application/n-triples"})
        assert response.status_code in (201, 204), f"loading {path.name} into <{graph}>: {response.text}"

