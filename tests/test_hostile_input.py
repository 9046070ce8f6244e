"""Hostile input: whatever a client sends, the answer is a 4xx with a message — never a 500, never a hang.

Malformed SPARQL, bad IRIs, invalid UTF-8, enormous bodies and headers, deep
nesting (which crashes pyoxigraph's parsers), unknown parameters, wrong
methods and media types, and path requests past their caps. After all of it the
server is healthy and no query worker had to be replaced for a parse error.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from bench import live
from kg.store.embedded import OxigraphStore
from tests.support import TOKEN, LiveServer, start_server
from tests.test_ops import metric_values, sample

BODY_LIMIT = 64 * 1024
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TIMEOUT = 60  # a request that takes this long is a hang


@pytest.fixture(scope="module")
def hostile() -> Iterator[LiveServer]:
    server = start_server(max_body_bytes=BODY_LIMIT, query_timeout=5.0, body_timeout=2.0)
    yield server
    server.stop()
    server.store.close()


@pytest.fixture(scope="module")
def client(hostile: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hostile.url, timeout=TIMEOUT) as c:
        yield c


def worker_restarts(live: LiveServer) -> int:
    """Query workers killed so far (a remote store has none: the engine runs the queries)."""
    store = live.store
    return store._workers().killed if isinstance(store, OxigraphStore) else 0


def assert_clean_4xx(response: httpx.Response, *allowed: int) -> None:
    """A 4xx (one of ``allowed`` if given) whose body says what is wrong."""
    what = f"{response.request.method} {str(response.request.url)[:120]}: {response.status_code} {response.text[:200]}"
    assert 400 <= response.status_code < 500, what
    if allowed:
        assert response.status_code in allowed, what
    if response.request.method != "HEAD":
        assert response.text.strip(), what
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        body = response.json()
        assert body["status"] == response.status_code and body["detail"], what


# --- malformed SPARQL ------------------------------------------------------------------------------

MALFORMED = [
    "SELECT",
    "SELECT * {",
    "SELEC * { ?s ?p ?o }",
    "ASK { ?s ?p }",
    "SELECT * { ?s ?p ?o } LIMIT -1",
    "SELECT * { ?s ?p ?o } ORDER BY",
    'SELECT * { ?s ?p "unterminated }',
    "SELECT * { <http://a b> ?p ?o }",
    "PREFIX x: <not an iri> ASK {}",
    "SELECT * { ?s undeclared:p ?o }",
    "SELECT (COUNT(*) AS ?n) (?s AS ?n) { ?s ?p ?o }",
    "SELECT ?x { ?s ?p ?o } GROUP BY ?s",
    "ASK {} ASK {}",
    "\x00\x01\x02",
    "INSERT DATA { <http://a> <http://b> <http://c> }",  # an update sent as a query
    "x" * 60_000,
    "SELECT * {" + " ?s ?p ?o ." * 2000,
]


@pytest.mark.parametrize("query", MALFORMED, ids=[f"q{i}" for i in range(len(MALFORMED))])
def test_malformed_queries_get_a_400_with_the_reason(client: httpx.Client, query: str) -> None:
    if len(query) < 4000:
        assert_clean_4xx(client.get("sparql", params={"query": query}), 400)
    assert_clean_4xx(client.post("sparql", content=query.encode(),
                                 headers={"Content-Type": "application/sparql-query"}), 400)
    assert_clean_4xx(client.post("sparql", data={"query": query}), 400)


def test_protocol_mistakes(client: httpx.Client) -> None:
    assert_clean_4xx(client.get("sparql", params={"query": ""}), 400)
    assert_clean_4xx(client.get("sparql", params=[("query", "ASK {}"), ("query", "ASK {}")]), 400)
    assert_clean_4xx(client.post("sparql", data={"query": "ASK {}", "update": "CLEAR ALL"}, headers=AUTH), 400)
    assert_clean_4xx(client.get("sparql", params={"update": "CLEAR ALL"}), 400, 405)
    assert_clean_4xx(client.post("sparql", content=b"", headers={"Content-Type": "application/sparql-query"}), 400)


# --- bad IRIs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"query": "ASK {}", "default-graph-uri": "not an iri"},
    {"query": "ASK {}", "named-graph-uri": "http://a b/"},
    {"query": "ASK {}", "default-graph-uri": "\x00"},
    {"query": "ASK {}", "named-graph-uri": "relative/graph"},
])
def test_bad_dataset_iris_are_refused(client: httpx.Client, hostile: LiveServer, params: dict[str, str]) -> None:
    """Regression: a bad dataset IRI used to kill the query worker (ValueError escaped its loop) and answer 503."""
    killed = worker_restarts(hostile)
    assert_clean_4xx(client.get("sparql", params=params), 400)
    assert worker_restarts(hostile) == killed


@pytest.mark.parametrize("graph", ["not an iri", "relative", "http://a b/", "http://[::1/", "<http://ex/g>", "\x00"])
def test_bad_graph_store_iris_are_refused(client: httpx.Client, graph: str) -> None:
    assert_clean_4xx(client.get("store", params={"graph": graph}), 400)
    assert_clean_4xx(client.put("store", params={"graph": graph}, content=b"", headers=AUTH | {
        "Content-Type": "text/turtle"}), 400)


@pytest.mark.parametrize("path", [
    "id/person/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "id/%00",
    "id/person/..%2F..%2F..%2Fetc%2Fpasswd",
    "id/" + "a" * 5000,
    "static/..%2F..%2Fkg%2Fsettings.py",
    "static/%2e%2e/%2e%2e/pyproject.toml",
    "id/person/%FF%FE",
    "store/%00",
    "static/a%00b",  # regression: the file system's "embedded null byte" ValueError was a 500
])
def test_odd_paths_are_4xx(client: httpx.Client, path: str) -> None:
    for accept in ("*/*", "text/html"):
        response = client.get(path, headers={"Accept": accept})
        assert_clean_4xx(response)
        if response.headers.get("content-type", "").startswith("text/html"):
            assert "<script>alert" not in response.text  # reflected, but escaped
        assert "[project]" not in response.text and "BaseSettings" not in response.text


# --- invalid UTF-8 -----------------------------------------------------------------------------------

def test_invalid_utf8_bodies_and_query_strings(client: httpx.Client) -> None:
    bad = b"ASK { ?s ?p \"\xff\xfe\xc3\x28\" }"
    assert_clean_4xx(client.post("sparql", content=bad, headers={"Content-Type": "application/sparql-query"}), 400)
    assert_clean_4xx(client.post("sparql", content=b"query=%FF%FE", headers={
        "Content-Type": "application/x-www-form-urlencoded"}), 400)
    assert_clean_4xx(client.post("sparql", content=b"update=%C3%28", headers=AUTH | {
        "Content-Type": "application/x-www-form-urlencoded"}), 400)
    assert_clean_4xx(client.post("sparql", content=b"INSERT DATA { <http://a> <http://b> \"\xff\" }", headers=AUTH | {
        "Content-Type": "application/sparql-update"}), 400)
    assert_clean_4xx(client.put("store", params={"graph": "http://ex/utf8"},
                                content=b"<http://a> <http://b> \"\xff\" .",
                                headers=AUTH | {"Content-Type": "text/turtle"}), 400)
    for target in ("sparql?query=%FF%FE", "store?graph=http://ex/%FF", "search?q=%C3%28", "paths?from=%FF&to=%FE",
                   "id/person/%C3%28", "api/queries?x=%FF"):
        response = client.get(target)
        assert response.status_code < 500, (target, response.status_code, response.text[:200])


def _raw(server: LiveServer, request: bytes) -> bytes:
    """Send bytes as they are (httpx would refuse them) and read the status line and headers."""
    with socket.create_connection(("127.0.0.1", server.settings.port), timeout=TIMEOUT) as sock:
        with contextlib.suppress(OSError):  # the server may answer and close before reading everything
            sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_raw_invalid_bytes_in_the_request_line_and_headers(hostile: LiveServer) -> None:
    for request in (
        b"GET /sparql?query=\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /id/person/\xc3\x28 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Odd: \xff\xfe\r\nConnection: close\r\n\r\n",
        b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS hello on the plain port
    ):
        answer = _raw(hostile, request)
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
        assert status < 500, (request[:40], answer[:200])


# --- enormous bodies and headers ------------------------------------------------------------------------

def test_enormous_bodies_get_413(client: httpx.Client) -> None:
    big = b"ASK {} #" + b"x" * (BODY_LIMIT * 4)
    assert_clean_4xx(client.post("sparql", content=big, headers={"Content-Type": "application/sparql-query"}), 413)

    def chunks():  # no Content-Length: the limit holds while reading
        for _ in range(64):
            yield b"#" + b"x" * 16383

    assert_clean_4xx(client.post("sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"}), 413)
    assert_clean_4xx(client.post("sparql", content=b"update=" + b"x" * (BODY_LIMIT * 2), headers=AUTH | {
        "Content-Type": "application/x-www-form-urlencoded"}), 413)
    turtle = b"<http://a> <http://b> \"" + b"x" * (BODY_LIMIT * 2) + b"\" ."
    assert_clean_4xx(client.put("store", params={"graph": "http://ex/big"}, content=turtle, headers=AUTH | {
        "Content-Type": "text/turtle"}), 413)
    # without the token the body is not even read
    assert_clean_4xx(client.put("store", params={"graph": "http://ex/big"}, content=turtle, headers={
        "Content-Type": "text/turtle"}), 401)



def _everything_back(server: LiveServer, head: bytes, body: bytes) -> bytes:
    """Send ``head`` and then ``body`` in 16 KiB pieces (from a thread, the way a client streams an upload) while
    reading all the server sends until it closes the connection."""
    with socket.create_connection(("127.0.0.1", server.settings.port), timeout=TIMEOUT) as sock:
        def send() -> None:
            with contextlib.suppress(OSError):  # the server stops reading once it has answered
                sock.sendall(head)
                for start in range(0, len(body), 16384):
                    sock.sendall(body[start:start + 16384])

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        data = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                data += chunk
        sender.join(TIMEOUT)
        return data


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_the_rest_of_a_refused_body_is_not_read_as_a_next_request(hostile: LiveServer, chunked: bool) -> None:
    """Regression (CI, 2026-12-02): after a 413, the 2 MiB still on its way was counted as the next request's head,
    and a stray 431 answered the client's next request on the same connection."""
    body = b"#" + b"x" * (2 * 1024 * 1024)
    if chunked:
        framed = b"".join(b"%x\r\n" % len(body[i:i + 16384]) + body[i:i + 16384] + b"\r\n"
                          for i in range(0, len(body), 16384)) + b"0\r\n\r\n"
        head = b"Transfer-Encoding: chunked\r\n"
    else:
        framed, head = body, b"Content-Length: %d\r\n" % len(body)
    answer = _everything_back(hostile, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                                       + head + b"\r\n", framed)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:300]
    assert answer.count(b"HTTP/1.1 ") == 1, answer[:2000]
    assert b"connection: close" in answer.lower()


def test_an_anonymous_update_with_its_body_gets_one_answer(hostile: LiveServer) -> None:
    """The 401 is sent before the body is read; the body that follows is dropped, not parsed as a request."""
    body = b"#" + b"x" * (2 * 1024 * 1024)
    answer = _everything_back(hostile, b"POST /sparql HTTP/1.1\r\nHost: x\r\n"
                                       b"Content-Type: application/sparql-update\r\n"
                                       b"Content-Length: %d\r\n\r\n" % len(body), body)
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:300]
    assert answer.count(b"HTTP/1.1 ") == 1, answer[:2000]


def test_a_declared_content_length_over_the_limit_is_refused_before_reading(hostile: LiveServer) -> None:
    answer = _raw(hostile, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                           b"Content-Length: 99999999999\r\n\r\nASK {}")
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_an_unauthenticated_update_is_refused_before_its_body_is_read(hostile: LiveServer) -> None:
    """Regression: /sparql waited for the whole body of an anonymous application/sparql-update before its 401."""
    answer = _raw(hostile, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-update\r\n"
                           b"Content-Length: 5000000\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
    assert b"www-authenticate: bearer" in answer.lower()


def test_a_body_that_never_arrives_gets_408(hostile: LiveServer) -> None:
    """A declared body that does not come (slow POST) is answered 408 after body_timeout, not waited for forever."""
    answer = _raw(hostile, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                           b"Content-Length: 1000\r\n\r\nASK")
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def test_a_client_that_leaves_mid_body_is_not_a_server_error(hostile: LiveServer,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """Regression: headers with Content-Length: 1000, then a disconnect, was logged as an unhandled error with a
    traceback and counted as a 500. It is a 499 in the metrics and the access log, and nothing is logged as an error."""
    logging.getLogger("uvicorn.error").addHandler(caplog.handler)
    try:
        before = metric_values(httpx.get(hostile.url + "metrics").text)
        with socket.create_connection(("127.0.0.1", hostile.settings.port), timeout=TIMEOUT) as sock:
            sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                         b"Content-Length: 1000\r\n\r\nSELECT")
            time.sleep(0.2)
        labels = {"method": "POST", "route": "/sparql"}
        for _ in range(100):  # until the server has seen the disconnect
            after = metric_values(httpx.get(hostile.url + "metrics").text)
            if sample(after, "backchannel_http_requests_total", **labels, status="499") > sample(
                    before, "backchannel_http_requests_total", **labels, status="499"):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the disconnected request was never counted as 499")
        assert sample(after, "backchannel_http_requests_total", **labels, status="500") == sample(
            before, "backchannel_http_requests_total", **labels, status="500")
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == []
    finally:
        logging.getLogger("uvicorn.error").removeHandler(caplog.handler)


def test_enormous_headers_get_a_clean_4xx(client: httpx.Client, hostile: LiveServer) -> None:
    assert_clean_4xx(client.get("health", headers={"X-Big": "a" * 20_000}), 431)
    assert_clean_4xx(client.get("health", headers={f"X-H{i}": "a" for i in range(150)}), 431)
    assert client.get("health", headers={"X-Fine": "a" * 8000}).status_code == 200
    for size in (100_000, 2_000_000):  # past what the HTTP server buffers: its own 400, still clean
        answer = _raw(hostile, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * size + b"\r\n\r\n")
        assert answer.split(b" ", 2)[1] in (b"400", b"431"), answer[:200]


# --- deep nesting -----------------------------------------------------------------------------------------

DEEP = [
    "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000,
    "SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }",
    "SELECT * WHERE { ?s ?p " + "[ ?p " * 5000 + "1" + " ]" * 5000 + " }",
    "ASK { " + "OPTIONAL { " * 5000 + "}" * 5000 + " }",
]


@pytest.mark.parametrize("query", DEEP, ids=["braces", "parentheses", "blank-nodes", "optionals"])
def test_deep_nesting_is_refused_without_killing_a_worker(client: httpx.Client, hostile: LiveServer,
                                                          query: str) -> None:
    killed = worker_restarts(hostile)
    response = client.post("sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"})
    assert_clean_4xx(response, 400)
    assert "deep" in response.json()["detail"]
    assert worker_restarts(hostile) == killed, "a worker died parsing the query"
    assert client.get("health").status_code == 200


@pytest.fixture(scope="module")
def process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[live.LiveProcess]:
    """A real `backchannel serve` with the default body limit: a parser crash would kill it, not the tests."""
    folder = tmp_path_factory.mktemp("hostile-process")
    server = live.start(folder / "store", build=True, settings={"BACKCHANNEL_WRITE_TOKEN": TOKEN})
    yield server
    server.stop()


def _alive(server: live.LiveProcess) -> None:
    assert server.process.poll() is None, f"the server died:\n{server.log()[-2000:]}"
    assert httpx.get(server.url + "health", timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize("update", [
    "INSERT { <http://a> <http://b> <http://c> } WHERE " + "{" * 10_000 + "}" * 10_000,
    "DELETE WHERE { ?s ?p ?o FILTER(" + "(" * 10_000 + "true" + ")" * 10_000 + ") }",
    "INSERT DATA { GRAPH <http://ex/deep> { <http://a> <http://b> " + "(" * 100_000 + ")" * 100_000 + " } }",
], ids=["group", "expression", "collection"])
def test_deep_updates_do_not_crash_the_server(process: live.LiveProcess, update: str) -> None:
    """Updates are parsed in the server process: a crash there would take the whole service down."""
    response = httpx.post(process.url + "sparql", content=update.encode(), timeout=TIMEOUT, headers=AUTH | {
        "Content-Type": "application/sparql-update"})
    assert_clean_4xx(response, 400)
    assert "deep" in response.json()["detail"]
    _alive(process)


@pytest.mark.parametrize("media,data", [
    ("application/ld+json",
     b'{"@context": {"p": "http://ex/p"}, "@id": "http://ex/a", "p": ' + b'{"p": ' * 20_000 + b"1" + b"}" * 20_001),
    ("application/ld+json", b'{"@id": "http://ex/a", "http://ex/p": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    ("text/turtle", b"<http://a> <http://b> " + b"[ <http://b> " * 100_000 + b"1" + b" ]" * 100_000 + b" ."),
    ("text/turtle", b"<http://a> <http://b> " + b"( " * 100_000 + b")" * 100_000 + b" ."),
], ids=["json-ld-objects", "json-ld-arrays", "turtle-blank-nodes", "turtle-lists"])
def test_deep_rdf_does_not_crash_the_server(process: live.LiveProcess, media: str, data: bytes) -> None:
    response = httpx.put(process.url + "store", params={"graph": "http://ex/deep"}, content=data, timeout=TIMEOUT,
                         headers=AUTH | {"Content-Type": media})
    assert response.status_code in (201, 204) or (400 <= response.status_code < 500), response.text[:300]
    if response.status_code >= 400:
        assert_clean_4xx(response)
    _alive(process)


# --- unknown parameters, wrong methods, wrong media types ---------------------------------------------------

def test_unknown_parameters_never_break_anything(client: httpx.Client) -> None:
    for target, params in (
        ("sparql", {"query": "ASK {}", "timeout": "999999", "debug": "true", "x" * 300: "y"}),
        ("health", {"verbose": "1"}),
        ("ready", {"x": "\u202e"}),
        ("api/queries", {"page": "-1", "x": "y"}),
        ("search", {"q": "Montville", "limit": "3", "evil": "1"}),
    ):
        response = client.get(target, params=params)
        assert response.status_code < 500, (target, response.status_code, response.text[:200])
        if response.status_code >= 400:
            assert_clean_4xx(response)


@pytest.mark.parametrize("method,path", [
    ("PUT", "sparql"), ("DELETE", "sparql"), ("PATCH", "sparql"),
    ("POST", "health"), ("DELETE", "ready"), ("PUT", "metrics"),
    ("PATCH", "store"), ("DELETE", "id/person/joseph-v-montville"), ("POST", "id/person/joseph-v-montville"),
    ("TRACE", ""), ("DELETE", "paths"), ("POST", "search"), ("PUT", "api/queries"),
])
def test_wrong_methods_get_405(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path, headers=AUTH)
    assert_clean_4xx(response, 405, 404)
    if response.status_code == 405:
        assert response.headers.get("allow"), "a 405 says which methods are allowed"


def test_wrong_media_types(client: httpx.Client) -> None:
    for content_type in ("text/plain", "application/json", "image/png", "multipart/form-data; boundary=x", ""):
        response = client.post("sparql", content=b"ASK {}", headers={"Content-Type": content_type})
        assert_clean_4xx(response, 400, 415)
    assert_clean_4xx(client.put("store", params={"graph": "http://ex/x"}, content=b"\x89PNG", headers=AUTH | {
        "Content-Type": "image/png"}), 415)
    assert_clean_4xx(client.get("sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"}), 406)
    assert_clean_4xx(client.get("sparql", params={"query": "ASK {}", "format": "exe"}), 406)
    assert_clean_4xx(client.get("sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={
        "Accept": "image/png"}), 406)
    assert_clean_4xx(client.get("store", params={"default": ""}, headers={"Accept": "application/x-nothing"}), 406)


# --- path requests past their caps -------------------------------------------------------------------------------

THING = "id/person/joseph-v-montville"


@pytest.mark.parametrize("params", [
    {"k": "1000000"}, {"k": "0"}, {"k": "-5"}, {"max_length": "1000"}, {"max_length": "0"},
    {"mode": "all", "limit": "100000000"}, {"mode": "everything"}, {"max_degree": "-1"},
    {"after": "not-a-date"}, {"before": "99999999"}, {"k": "1e9"}, {"k": "NaN"},
    {"avoid": "http://nowhere.example/x"}, {"include_kinds": "dragons"},
])
def test_path_requests_cannot_exceed_their_caps(client: httpx.Client, hostile: LiveServer,
                                                params: dict[str, str]) -> None:
    query = {"from": hostile.url + THING, "to": "Oslo Accords"} | params
    response = client.get("paths", params=query)
    assert response.status_code < 500, (params, response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert_clean_4xx(response)
    else:  # accepted: then the answer respects the caps
        from kg.paths.model import MAX_ALL, MAX_K, MAX_LENGTH

        body = response.json()
        paths = body.get("paths", [])
        assert len(paths) <= max(MAX_K, MAX_ALL)
        assert all(len(p.get("hops", p.get("edges", []))) <= MAX_LENGTH for p in paths)


@pytest.mark.parametrize("target,params", [
    ("search", {"q": "x" * 10_000}), ("search", {"q": ""}), ("search", {"q": "a", "limit": "1000000"}),
    ("influence/ranking", {"limit": "100000000"}), ("influence/lineage", {"thing": "x", "max_depth": "1000000"}),
    ("influence/influenced", {"thing": "x", "limit": "-1"}),
])
def test_other_caps(client: httpx.Client, target: str, params: dict[str, str]) -> None:
    assert_clean_4xx(client.get(target, params=params))


def test_still_healthy_after_all_that(client: httpx.Client, hostile: LiveServer) -> None:
    assert worker_restarts(hostile) == 0, "hostile input killed a query worker"
    assert client.get("health").status_code == 200
    assert client.get("ready").status_code == 200
    assert client.get("sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
