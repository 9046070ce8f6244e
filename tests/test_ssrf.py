"""SSRF and access: SERVICE/LOAD cannot reach this machine or its network; writes need the token; CORS, headers.

With SILENT a refused SERVICE or LOAD is a no-op that succeeds (SPARQL's meaning of SILENT): still nothing arrives.

A recording HTTP server listens on 127.0.0.1 (and ::1): every SERVICE and LOAD
below aims at it, by every spelling of a loopback address we know, with
federation off and with the recorder itself on the allow-list. The proof is
that it records no request. pyoxigraph's own HTTP client does not follow
redirects (checked here with a redirecting server), so an allowed endpoint
cannot bounce a query to a private address.
"""

from __future__ import annotations

import http.server
import inspect
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from kg.store.base import QueryRequest
from tests.support import TOKEN, LiveServer, start_server
from tests.test_ops import metric_values, sample

AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Recorder:
    """An HTTP server on a loopback address that records every request (and answers 200 or a redirect)."""

    def __init__(self, host: str = "127.0.0.1", redirect_to: str | None = None) -> None:
        self.requests: list[tuple[str, str]] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                recorder.requests.append((self.command, self.path))
                if redirect_to:
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                    self.end_headers()
                    return
                body = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"secret"}}]}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, *args: object) -> None:
                pass

        class V6(http.server.ThreadingHTTPServer):
            address_family = socket.AF_INET6

        server_class = V6 if ":" in host else http.server.ThreadingHTTPServer
        self.server = server_class((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    yield rec
    rec.stop()


@pytest.fixture(scope="module")
def recorder6() -> Iterator[Recorder | None]:
    rec = Recorder("::1") if _ipv6() else None
    yield rec
    if rec is not None:
        rec.stop()


@pytest.fixture(scope="module")
def closed(recorder: Recorder) -> Iterator[LiveServer]:
    """Federation off (the default)."""
    server = start_server()
    yield server
    server.stop()
    server.store.close()


@pytest.fixture(scope="module")
def allowing(recorder: Recorder, recorder6: Recorder | None) -> Iterator[LiveServer]:
    """The recorders (and the metadata service) on the allow-list: the address check must still refuse them."""
    allow = [f"http://127.0.0.1:{recorder.port}/", "http://localhost", "http://169.254.169.254/",
             "http://2130706433", "http://127.1", "http://0x7f.1", "http://[::ffff:127.0.0.1]", "http://10.0.0.1/"]
    if recorder6 is not None:
        allow.append(f"http://[::1]:{recorder6.port}/")
    server = start_server(federation_allowlist=allow)
    yield server
    server.stop()
    server.store.close()


def targets(port: int, port6: int | None) -> list[str]:
    """Every spelling of "this machine" (and its neighbours) we try."""
    found = [
        f"http://127.0.0.1:{port}/sparql",
        f"http://localhost:{port}/sparql",
        f"http://LOCALHOST.:{port}/sparql",
        f"http://127.1:{port}/sparql",
        f"http://0x7f.1:{port}/sparql",
        f"http://0x7f000001:{port}/sparql",
        f"http://2130706433:{port}/sparql",
        f"http://017700000001:{port}/sparql",
        f"http://0177.0.0.1:{port}/sparql",
        f"http://[::ffff:127.0.0.1]:{port}/sparql",
        f"http://[::ffff:7f00:1]:{port}/sparql",
        f"http://0.0.0.0:{port}/sparql",
        f"http://0:{port}/sparql",
        f"https://127.0.0.1:{port}/sparql",
        f"http://127.0.0.1.nip.io:{port}/sparql",  # does not resolve offline: refused all the same
        f"http://127.0.0.1:{port}@example.org/sparql",
        f"http://example.org@127.0.0.1:{port}/sparql",
        f"http:127.0.0.1:{port}/sparql",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://[fe80::1]/",
        "http://100.64.0.1/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
    ]
    if port6 is not None:
        found += [f"http://[::1]:{port6}/sparql", f"http://[0:0:0:0:0:0:0:1]:{port6}/sparql"]
    return found


def spellings(iri: str) -> list[str]:
    """Ways to write SERVICE <iri> that a naive check would miss."""
    escaped = "".join(f"\\u{ord(c):04X}" if c.isdigit() else c for c in iri)
    namespace, _, local = iri.rpartition("/")
    return [
        f"SELECT * {{ SERVICE <{iri}> {{ ?s ?p ?o }} }}",
        f"select * {{ service silent <{iri}> {{ ?s ?p ?o }} }}",
        f"PREFIX m: <{namespace}/> SELECT * {{ SERVICE m:{local} {{ ?s ?p ?o }} }}",
        f"SELECT * {{ {{ SELECT * {{ SERVICE <{iri}> {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * {{ OPTIONAL {{ SERVICE <{escaped}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * {{ # a comment <{iri}>\n SeRvIcE <{iri}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ VALUES ?where {{ <{iri}> }} SERVICE ?where {{ ?s ?p ?o }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{iri}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * {{ SERVICE\t<{iri}>{{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE#x\n<{iri}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p ?o }} # SERVICE is mentioned in a comment\n; SELECT * {{ SERVICE <{iri}> {{ }} }}",
    ]


def _refused(response: httpx.Response) -> None:
    assert response.status_code in (400, 403), (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


@pytest.mark.parametrize("which", ["closed", "allowing"])
def test_service_to_this_machine_is_refused_and_nothing_arrives(
    which: str, request: pytest.FixtureRequest, recorder: Recorder, recorder6: Recorder | None
) -> None:
    server: LiveServer = request.getfixturevalue(which)
    port6 = recorder6.port if recorder6 else None
    for iri in targets(recorder.port, port6):
        for query in spellings(iri):
            response = httpx.get(server.url + "sparql", params={"query": query}, timeout=60)
            if " silent " in query:  # SILENT: a no-op that succeeds, and says so
                assert response.status_code == 200 and "x-backchannel-skipped" in response.headers, query
                continue
            assert response.status_code == 403, (query, response.status_code, response.text[:300])
            _refused(response)
            response = httpx.post(server.url + "sparql", content=query.encode(), timeout=60,
                                  headers={"Content-Type": "application/sparql-query"})
            _refused(response)
    assert recorder.requests == []
    assert recorder6 is None or recorder6.requests == []


def test_the_metadata_service_gets_403_and_the_query_never_runs(closed: LiveServer) -> None:
    before = metric_values(httpx.get(closed.url + "metrics").text)
    response = httpx.get(closed.url + "sparql", params={
        "query": "SELECT * { SERVICE <http://169.254.169.254/latest/meta-data/> { ?s ?p ?o } }"})
    assert response.status_code == 403
    assert "169.254.169.254" in response.json()["detail"]
    after = metric_values(httpx.get(closed.url + "metrics").text)
    for name in ("backchannel_query_cache_misses_total", "backchannel_query_worker_restarts_total"):
        assert sample(after, name) == sample(before, name), f"{name}: the query went further than the guard"


@pytest.mark.parametrize("which", ["closed", "allowing"])
def test_load_and_service_in_updates_are_refused(
    which: str, request: pytest.FixtureRequest, recorder: Recorder, recorder6: Recorder | None
) -> None:
    server: LiveServer = request.getfixturevalue(which)
    port6 = recorder6.port if recorder6 else None
    for iri in targets(recorder.port, port6):
        for update in (
            f"LOAD <{iri}>",
            f"INSERT {{ GRAPH <http://ex/x> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{iri}> {{ ?s ?p ?o }} }}",
        ):
            response = httpx.post(server.url + "sparql", content=update.encode(), timeout=60,
                                  headers=AUTH | {"Content-Type": "application/sparql-update"})
            _refused(response)
        silent = httpx.post(server.url + "sparql", timeout=60, headers=AUTH | {
            "Content-Type": "application/sparql-update"},
            content=f"LOAD SILENT <{iri}> INTO GRAPH <http://ex/loaded>".encode())
        assert silent.status_code == 204 and "x-backchannel-skipped" in silent.headers  # a no-op that succeeds
    assert recorder.requests == []
    assert recorder6 is None or recorder6.requests == []
    assert "http://ex/loaded" not in server.store.graph_names()


def test_pyoxigraph_follows_no_redirect_for_service_or_load(recorder: Recorder) -> None:
    """Below the guard: even an endpoint that passed it cannot bounce a query to a private address.

    The query runs in a real query worker (the same path as /sparql) against a server on
    127.0.0.1 that answers 302 to the recorder; the recorder must see nothing.
    """
    from kg.store.base import QueryEvaluationError
    from kg.store.embedded import OxigraphStore

    bouncer = Recorder(redirect_to=f"http://127.0.0.1:{recorder.port}/latest/meta-data/")
    store = OxigraphStore(":memory:", workers=1)
    try:
        seen_before = list(recorder.requests)
        with pytest.raises(QueryEvaluationError, match="redirect"):
            query = f"SELECT * {{ SERVICE <http://127.0.0.1:{bouncer.port}/sparql> {{ ?s ?p ?o }} }}"
            store.execute(QueryRequest(query), timeout=30)
        with pytest.raises(Exception, match="redirect"):
            store.update(f"LOAD <http://127.0.0.1:{bouncer.port}/data.ttl>")
        assert len(bouncer.requests) == 2  # the bouncer was asked ...
        assert recorder.requests == seen_before  # ... and its redirect was not followed
    finally:
        store.close()
        bouncer.stop()


# --- writes need the token ------------------------------------------------------------------------------------

WRITES = [
    ("POST", "sparql", {"Content-Type": "application/sparql-update"}, b"INSERT DATA { <http://a> <http://b> 1 }"),
    ("POST", "sparql", {"Content-Type": "application/x-www-form-urlencoded"}, b"update=CLEAR+ALL"),
    ("PUT", "store?graph=http://ex/w", {"Content-Type": "text/turtle"}, b"<http://a> <http://b> 1 ."),
    ("POST", "store?graph=http://ex/w", {"Content-Type": "text/turtle"}, b"<http://a> <http://b> 1 ."),
    ("POST", "store", {"Content-Type": "text/turtle"}, b"<http://a> <http://b> 1 ."),
    ("DELETE", "store?graph=http://ex/w", {}, b""),
    ("PUT", "store/some/graph", {"Content-Type": "text/turtle"}, b"<http://a> <http://b> 1 ."),
    ("DELETE", "store?default", {}, b""),
]


@pytest.mark.parametrize("method,path,headers,body", WRITES, ids=[f"{m} {p}" for m, p, _, _ in WRITES])
def test_writes_need_the_token(closed: LiveServer, method: str, path: str, headers: dict[str, str],
                               body: bytes) -> None:
    version = closed.store.version
    missing = httpx.request(method, closed.url + path, headers=headers, content=body)
    assert missing.status_code == 401, missing.text
    assert missing.headers["www-authenticate"].startswith("Bearer")
    for wrong in ("Bearer nope", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Basic " + TOKEN, f"bearer  {TOKEN} x"):
        response = httpx.request(method, closed.url + path, headers=headers | {"Authorization": wrong}, content=body)
        assert response.status_code in (401, 403), (wrong, response.status_code)
    assert closed.store.version == version, "a refused write changed the store"


def test_writes_are_off_without_a_token() -> None:
    server = start_server(write_token=None)
    try:
        response = httpx.post(server.url + "sparql", content=b"CLEAR ALL", headers=AUTH | {
            "Content-Type": "application/sparql-update"})
        assert response.status_code == 403
        assert "disabled" in response.json()["detail"]
    finally:
        server.stop()
        server.store.close()


def test_the_token_is_compared_in_constant_time() -> None:
    from service.sparql import guards

    source = inspect.getsource(guards.check_write)
    assert "hmac.compare_digest" in source
    assert "== write_token" not in source and "write_token ==" not in source


# --- CORS ----------------------------------------------------------------------------------------------------

EVIL = "https://evil.example"


@pytest.mark.parametrize("path", ["sparql?query=ASK%7B%7D", "id/person/joseph-v-montville", "store?default",
                                  "api/queries", "health", "search?q=Montville", "", "metrics"])
def test_cors_never_reflects_credentials(closed: LiveServer, path: str) -> None:
    for headers in ({"Origin": EVIL}, {"Origin": EVIL, "Cookie": "session=1"}, {"Origin": "null"}):
        for method, extra in (("GET", {}), ("OPTIONS", {"Access-Control-Request-Method": "POST",
                                                        "Access-Control-Request-Headers": "Authorization"})):
            response = httpx.request(method, closed.url + path, headers=headers | extra)
            allowed_origin = response.headers.get("access-control-allow-origin")
            credentials = response.headers.get("access-control-allow-credentials", "").lower()
            assert credentials != "true", (path, method, dict(response.headers))
            assert allowed_origin in (None, "*"), (path, method, allowed_origin)


def test_the_preflight_does_not_invite_cross_origin_writes(closed: LiveServer) -> None:
    response = httpx.options(closed.url + "sparql", headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Authorization"})
    allowed = response.headers.get("access-control-allow-headers", "").lower()
    assert "authorization" not in allowed  # a page elsewhere cannot send the token with a browser's help


# --- security headers on HTML -----------------------------------------------------------------------------------

HTML_PAGES = ["", "id/person/joseph-v-montville", "sparql", "editor", "explore", "influence", "def",
              "id/person/no-such-person", "docs", "redoc"]
"""Pages that answer HTML when HTML is asked for (the unknown IRI with its 404 page of nearest names too)."""


@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_pages_carry_security_headers(closed: LiveServer, path: str) -> None:
    response = httpx.get(closed.url + path, headers={"Accept": "text/html"}, follow_redirects=True)
    assert response.headers.get("content-type", "").startswith("text/html"), (path, response.status_code,
                                                                              response.headers.get("content-type"))
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp or headers.get("x-frame-options", "").upper() == "DENY", path
    assert headers.get("x-content-type-options") == "nosniff", path
    assert headers.get("referrer-policy"), path
    assert csp, path
    assert "object-src 'none'" in csp or "default-src 'self'" in csp or "default-src 'none'" in csp, (path, csp)


def test_a_path_no_route_serves_is_a_problem_even_for_browsers(closed: LiveServer) -> None:
    # Only IRIs of things have an HTML 404 page (id/person/no-such-person above); any other unknown path is an
    # RFC 9457 problem, whatever the Accept, and carries nosniff so a browser never renders it as a page
    for accept in ("text/html", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                   "application/json", None):
        response = httpx.get(closed.url + "no/such/page", headers={"Accept": accept} if accept else {})
        assert response.status_code == 404, accept
        assert response.headers["content-type"] == "application/problem+json", accept
        assert response.headers.get("x-content-type-options") == "nosniff", accept
        assert response.json()["status"] == 404, accept
