"""The federation (SSRF) guard, write authorisation: the lexer and checks on their own, then on a live server."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi import HTTPException

from kg.namespaces import BC, TRACK
from service.sparql.guards import (
    FederationRefused,
    Resolver,
    Target,
    address_problem,
    allowed_by_list,
    analyse,
    check_federation,
    check_target,
    check_write,
    tokenize,
)
from tests.support import TOKEN, LiveServer, start_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
METADATA = "http://169.254.169.254/latest/meta-data/"
ALLOW_ALL_HOSTS = ["http://", "https://"]


def public(host: str) -> list[str]:
    return ["93.184.215.14"]


def refusal(query: str, allowlist: list[str] = ALLOW_ALL_HOSTS, resolver: Resolver | None = None) -> str:
    kwargs = {"resolver": resolver} if resolver else {}
    with pytest.raises(FederationRefused) as refused:
        check_federation(analyse(query, {"ex": "http://example.org/"}, "http://127.0.0.1:8000/sparql"),
                         allowlist, **kwargs)
    return str(refused.value)


# --- finding the targets ---------------------------------------------------------------------


@pytest.mark.parametrize("query,expected", [
    (f"SELECT * {{ SERVICE <{METADATA}> {{ ?s ?p ?o }} }}", [METADATA]),
    (f"select * {{ service <{METADATA}> {{ }} }}", [METADATA]),
    (f"SELECT * {{ SeRvIcE SILENT <{METADATA}> {{ }} }}", [METADATA]),
    ("PREFIX meta: <http://169.254.169.254/latest/> SELECT * { SERVICE meta:meta-data\\/ { } }", [METADATA]),
    ("SELECT * { SERVICE ex:sparql { } }", ["http://example.org/sparql"]),
    ("PREFIX ex: <http://other.org/> SELECT * { SERVICE ex:q { } }", ["http://other.org/q"]),
    (r"SELECT * { SERVICE <http://\u0031\u0036\u0039.254.169.254/> { } }", ["http://169.254.169.254/"]),
    (f"SELECT * {{ ?s ?p \"SERVICE <{METADATA}> {{}}\" }}", []),
    (f"SELECT * {{ ?s ?p '''x\n SERVICE <{METADATA}> {{}} ''' }}", []),
    (f'SELECT * {{ ?s ?p """a "" SERVICE <{METADATA}> """ }}', []),
    (f"SELECT * {{ ?s ?p 'it\\'s SERVICE <{METADATA}>' }}", []),
    (f"SELECT * {{ # SERVICE <{METADATA}> {{}}\n ?s ?p ?o }}", []),
    (f"SELECT * {{ SERVICE # a comment\n <{METADATA}> {{ }} }}", [METADATA]),
    (f"SELECT * {{ ?s ?p <http://x/#> SERVICE <{METADATA}> {{ }} }}", [METADATA]),
    (f"SELECT * {{ ?s ?p \"#\" . SERVICE <{METADATA}> {{ }} }}", [METADATA]),
    ("SELECT * { ?s <http://x/SERVICE> ?o ; ex:SERVICE ?service }", []),
    (f"SELECT * {{ FILTER(?a<?b) SERVICE <{METADATA}> {{ }} }}", [METADATA]),
])
def test_service_targets_are_found(query: str, expected: list[str]) -> None:
    found = analyse(query, {"ex": "http://example.org/"}).services
    assert [t.iri for t in found] == expected


def test_load_sources_and_service_in_updates_are_found() -> None:
    analysis = analyse(f"LOAD SILENT <{METADATA}> INTO GRAPH <http://g> ; "
                       "INSERT { ?s ?p ?o } WHERE { SERVICE <http://10.0.0.1/sparql> { ?s ?p ?o } }")
    assert [t.iri for t in analysis.loads] == [METADATA]
    assert [t.iri for t in analysis.services] == ["http://10.0.0.1/sparql"]


def test_lexer_keeps_strings_iris_and_comments_whole() -> None:
    tokens = list(tokenize('SELECT ?x { <a#b> ?p "c # d" } # SERVICE\nLIMIT 1'))
    assert [t.text for t in tokens] == ["SELECT", "?x", "{", "<a#b>", "?p", '"c # d"', "}", "LIMIT", "1"]


# --- deciding -------------------------------------------------------------------------------------


def test_empty_allowlist_means_federation_is_disabled() -> None:
    message = refusal("SELECT * { SERVICE <https://query.wikidata.org/sparql> { } }", [])
    assert message.startswith("federation is disabled")
    assert "https://query.wikidata.org/sparql" in message


@pytest.mark.parametrize("iri,why", [
    (METADATA, "link-local"),
    ("http://127.0.0.1:8000/sparql", "loopback"),
    ("http://localhost/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:a9fe:a9fe]/", "link-local"),
    ("http://2130706433/", "loopback"),  # 127.0.0.1 written as one number
    ("http://10.1.2.3/", "private"),
    ("http://192.168.0.1/", "private"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://100.64.0.1/", "not globally routable"),
])
def test_private_addresses_are_refused(iri: str, why: str) -> None:
    message = refusal(f"SELECT * {{ SERVICE <{iri}> {{ }} }}")
    assert iri in message and why in message


def test_every_resolved_address_must_be_public() -> None:
    def rebinding(host: str) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]

    assert "10.0.0.7" in refusal("SELECT * { SERVICE <http://mixed.example/> { } }", resolver=rebinding)


@pytest.mark.parametrize("query,why", [
    ("SELECT * { SERVICE ?endpoint { } }", "variable"),
    ("SELECT * { SERVICE <sparql> { } }", "absolute"),
    ("BASE <http://169.254.169.254/> SELECT * { SERVICE <latest/> { } }", "absolute"),
    ("SELECT * { SERVICE <//169.254.169.254/> { } }", "absolute"),
    ("SELECT * { SERVICE undeclared:x { } }", "absolute"),
    ("SELECT * { SERVICE <file:///etc/passwd> { } }", "http"),
    ("SELECT * { SERVICE <http://user@example.org/> { } }", "user"),
])
def test_unresolvable_targets_are_refused(query: str, why: str) -> None:
    assert why in refusal(query, resolver=public)


def test_allowlist_prefix_and_boundaries() -> None:
    allow = ["https://query.wikidata.org"]
    assert allowed_by_list("https://query.wikidata.org/sparql", allow)
    assert allowed_by_list("https://query.wikidata.org", allow)
    assert not allowed_by_list("https://query.wikidata.org.evil.example/sparql", allow)
    assert not allowed_by_list("https://query.wikidata.org@169.254.169.254/", allow)
    assert not allowed_by_list("http://query.wikidata.org/sparql", allow)
    assert "allow-list" in refusal("SELECT * { SERVICE <https://dbpedia.org/sparql> { } }", allow, public)


def test_allowed_public_endpoint_passes() -> None:
    analysis = analyse("SELECT * { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }")
    check_federation(analysis, ["https://query.wikidata.org/"], resolver=public)
    check_target(Target("https://query.wikidata.org:443/sparql", None, "SERVICE"), ["https://query.wikidata.org"],
                 public)


def test_address_problem() -> None:
    assert address_problem("8.8.8.8") is None
    assert address_problem("2606:4700:4700::1111") is None
    assert address_problem("fe80::1") == "link-local"
    assert address_problem("fd00::1") == "private"


def test_check_write() -> None:
    check_write(f"Bearer {TOKEN}", TOKEN)
    check_write(f"bearer   {TOKEN} ", TOKEN)
    for header, status in ((None, 401), ("Bearer", 401), ("Token x", 401), ("Bearer x", 403)):
        with pytest.raises(HTTPException) as refused:
            check_write(header, TOKEN)
        assert refused.value.status_code == status
    with pytest.raises(HTTPException) as off:
        check_write(f"Bearer {TOKEN}", None)
    assert off.value.status_code == 403 and "BACKCHANNEL_WRITE_TOKEN" in off.value.detail


# --- on a live server --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trap() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request it gets (pyoxigraph would call it for SERVICE)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(500)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    listener = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.server_port}/", hits
    listener.shutdown()
    listener.server_close()


@pytest.fixture(scope="module")
def federated(trap: tuple[str, list[str]]) -> Iterator[LiveServer]:
    live = start_server(federation_allowlist=[trap[0], "http://localhost/", "http://169.254.169.254/"])
    yield live
    live.stop()
    live.store.close()


def test_service_is_refused_when_federation_is_off(server: LiveServer, trap: tuple[str, list[str]]) -> None:
    url, hits = trap
    response = httpx.get(server.url + "sparql", params={"query": f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"},
                         timeout=60)
    assert response.status_code == 403
    assert "federation is disabled" in response.json()["detail"] and url in response.json()["detail"]
    assert hits == []


def test_guard_runs_before_the_query(federated: LiveServer, trap: tuple[str, list[str]]) -> None:
    url, hits = trap
    for query in (f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
                  f"PREFIX t: <{url}> SELECT * {{ service t:y {{ ?s ?p ?o }} }}"):
        response = httpx.get(federated.url + "sparql", params={"query": query}, timeout=60)
        assert response.status_code == 403, response.text
        assert "loopback" in response.json()["detail"]
    silent = httpx.get(federated.url + "sparql", timeout=60,
                       params={"query": f"SELECT * {{ SERVICE SILENT <{url}x> {{ ?s ?p ?o }} }}"})
    assert silent.status_code == 200 and silent.headers["x-backchannel-skipped"] == f"SERVICE SILENT <{url}x>"
    for target in (METADATA, "http://localhost/"):
        response = httpx.post(federated.url + "sparql", data={"query": f"ASK {{ SERVICE <{target}> {{ }} }}"},
                              timeout=60)
        assert response.status_code == 403 and target in response.json()["detail"]
    assert hits == []


def test_service_inside_a_string_is_not_a_service(server: LiveServer) -> None:
    query = f"SELECT ?x {{ BIND(\"SERVICE <{METADATA}> {{ }}\" AS ?x) }} # SERVICE <{METADATA}>"
    response = httpx.get(server.url + "sparql", params={"query": query}, timeout=60)
    assert response.status_code == 200
    assert response.json()["results"]["bindings"][0]["x"]["value"].startswith("SERVICE")


def test_load_is_refused(server: LiveServer, federated: LiveServer, trap: tuple[str, list[str]]) -> None:
    url, hits = trap
    for live, reason in ((server, "federation is disabled"), (federated, "loopback")):
        response = httpx.post(live.url + "sparql", data={"update": f"LOAD <{url}data.ttl> INTO GRAPH <http://x/g>"},
                              headers=AUTH, timeout=60)
        assert response.status_code == 403 and reason in response.json()["detail"]
    service_in_update = f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
    response = httpx.post(server.url + "sparql", data={"update": service_in_update}, headers=AUTH, timeout=60)
    assert response.status_code == 403
    assert hits == []


def test_dev_open_writes_accepts_writes_without_a_token() -> None:
    live = start_server(write_token=None, dev_open_writes=True)
    try:
        response = httpx.post(live.url + "sparql", data={"update": "INSERT DATA { <http://x/a> <http://x/b> 1 }"},
                              timeout=60)
        assert response.status_code == 204
    finally:
        live.stop()
        live.store.close()


# --- SILENT: a refused target is a no-op that succeeds (issue 14) ----------------------------------------


def test_service_silent_to_a_refused_target_is_one_empty_solution(server: LiveServer,
                                                                   trap: tuple[str, list[str]]) -> None:
    """SPARQL 1.1 Federated Query: a failed SERVICE SILENT gives one solution binding nothing, so the rest of the
    query answers as if the block were not there."""
    url, hits = trap
    query = (f"SELECT ?who ?x WHERE {{ ?who <{BC}coined> <{TRACK}track-two> "
             f"SERVICE SILENT <{url}> {{ ?who <http://ex/p> ?x }} }}")
    response = httpx.get(server.url + "sparql", params={"query": query}, timeout=60,
                         headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    assert [r["who"]["value"] for r in rows] == [server.url + "id/person/joseph-v-montville"] and "x" not in rows[0]
    assert response.headers["x-backchannel-skipped"] == f"SERVICE SILENT <{url}>"
    variable = httpx.get(server.url + "sparql", timeout=60, params={
        "query": f"SELECT * {{ VALUES ?e {{ <{url}> }} SERVICE SILENT ?e {{ ?s ?p ?o }} }}"})
    assert variable.status_code == 200 and variable.headers["x-backchannel-skipped"] == "SERVICE SILENT ?e"
    assert hits == []


def test_load_silent_to_a_refused_target_does_nothing_and_succeeds(server: LiveServer,
                                                                   trap: tuple[str, list[str]]) -> None:
    url, hits = trap
    graph = "http://x/loaded-silently"
    update = (f"LOAD SILENT <{url}data.ttl> INTO GRAPH <{graph}> ;\n"
              f"INSERT DATA {{ GRAPH <{graph}-after> {{ <http://x/s> <http://x/p> 1 }} }}")
    response = httpx.post(server.url + "sparql", data={"update": update}, headers=AUTH, timeout=60)
    assert response.status_code == 204, response.text
    assert response.headers["x-backchannel-skipped"] == f"LOAD SILENT <{url}data.ttl>"
    assert graph not in server.store.graph_names() and graph + "-after" in server.store.graph_names()
    bad = httpx.post(server.url + "sparql", data={"update": f"LOAD SILENT <{url}x> ;\nINSERT DATA {{ <a> }}"},
                     headers=AUTH, timeout=60)
    assert bad.status_code == 400 and bad.json()["line"] == 2  # errors still point into the text sent
    server.store.update(f"DROP SILENT GRAPH <{graph}-after>")
    assert hits == []


def test_an_updates_where_sees_the_stores_default_graph_as_the_description_says(server: LiveServer) -> None:
    """Queries see the union of all graphs; an update's WHERE sees the store's own default graph (SPARQL 1.1
    Update), and the Service Description and README say so. GRAPH ?g or USING reach the sources' facts."""
    description = httpx.get(server.url + "sparql", headers={"Accept": "text/turtle"}).text
    assert "Updates follow SPARQL 1.1 Update" in description and "USING" in description
    coined = f"?who <{BC}coined> <{TRACK}track-two>"
    ask = httpx.get(server.url + "sparql", params={"query": f"ASK {{ {coined} }}"}).json()
    assert ask["boolean"] is True  # a query finds it in the union
    source = server.url + "id/source/track-two-diplomacy"
    for target, where in (("plain", f"WHERE {{ {coined} }}"), ("graph", f"WHERE {{ GRAPH ?g {{ {coined} }} }}"),
                          ("using", f"USING <{source}> WHERE {{ {coined} }}")):
        graph = f"http://x/notes-{target}"
        update = f"INSERT {{ GRAPH <{graph}> {{ ?who <http://x/noted> true }} }} {where}"
        assert httpx.post(server.url + "sparql", data={"update": update}, headers=AUTH).status_code == 204
    names = server.store.graph_names()
    assert "http://x/notes-plain" not in names  # the store's own default graph holds no facts
    assert {"http://x/notes-graph", "http://x/notes-using"} <= set(names)
    server.store.update("DROP SILENT GRAPH <http://x/notes-graph> ; DROP SILENT GRAPH <http://x/notes-using>")
