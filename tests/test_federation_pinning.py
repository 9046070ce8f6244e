"""DNS rebinding: a federated request goes to the address the guard checked, never to a second lookup's.

Regression (issue 16, finding 12): the guard resolved a SERVICE/LOAD host and checked the addresses, then pyoxigraph
resolved it again when it connected, so a DNS server answering a public address first and a private one second
reached the private one. Now the text pyoxigraph runs names a relay on loopback, pinned to the checked addresses.

No test DNS server can be set up here, so the pinning is proved in two halves, each with real parts:
- :func:`pin_targets` with a resolver that answers a public address the first time and a loopback one after: it
  asks once, and the pin holds the address it checked;
- the relay with real pyoxigraph and a real HTTP server on 127.0.0.1: a target whose host name cannot resolve at
  all (``.invalid``) is reached at its pinned address, with its own name in ``Host``, so nothing resolved it again.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from service.sparql.guards import FederationRefused, analyse
from service.sparql.relay import Relay, pin_targets

RESULTS = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"from the pinned address"}}]}}'
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
          b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex.org/">'
          b'<rdf:Description rdf:about="http://ex.org/s"><ex:p>&b;</ex:p></rdf:Description></rdf:RDF>')


class Endpoint:
    """An HTTP server on 127.0.0.1 that records each request's method, path and Host, and answers by path."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                size = int(self.headers.get("content-length") or 0)
                self.rfile.read(size)
                endpoint.seen.append((self.command, self.path, self.headers.get("host", "")))
                body, media = {
                    "/laughs.rdf": (LAUGHS, "application/rdf+xml"),
                    "/data.nt": (b'<http://ex.org/s> <http://ex.org/p> "loaded" .\n', "application/n-triples"),
                    "/big.nt": (b"#" * 5000 + b"\n", "application/n-triples"),
                }.get(self.path, (RESULTS, "application/sparql-results+json"))
                self.send_response(200)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def select(query: str) -> list[ox.QuerySolution]:
    """The solutions of a SELECT run by pyoxigraph (whose SERVICE client is what the relay serves)."""
    solutions = ox.Store().query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    return list(solutions)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    served = Endpoint()
    yield served
    served.close()


@pytest.fixture
def relay() -> Iterator[Relay]:
    made = Relay(timeout=10, max_bytes=4096)
    yield made
    made.close()


def test_the_guard_resolves_once_and_pins_what_it_checked(relay: Relay) -> None:
    answers = [["93.184.215.14"], ["127.0.0.1"]]  # a rebinding DNS server: public first, loopback second
    asked: list[str] = []

    def rebinding(host: str) -> list[str]:
        asked.append(host)
        return answers[min(len(asked), len(answers)) - 1]

    text = "PREFIX e: <https://rebind.example/> SELECT * { SERVICE e:sparql { ?s ?p ?o } }"
    pinned = pin_targets(text, analyse(text), ["https://rebind.example/"], relay, rebinding)
    assert asked == ["rebind.example"]
    assert "rebind.example/sparql" not in pinned and "SERVICE <http://127.0.0.1:" in pinned
    token = pinned.split("SERVICE <", 1)[1].split(">", 1)[0].rsplit("/", 1)[1]
    pin = relay.lookup(token)
    assert pin is not None and pin.iri == "https://rebind.example/sparql" and pin.addresses == ("93.184.215.14",)
    # the text pyoxigraph runs names no host of the target: a rebinding answer has nobody left to reach
    assert all(t.iri and t.iri.startswith("http://127.0.0.1:") for t in analyse(pinned).services)


def test_a_loopback_answer_is_still_refused_before_anything_is_pinned(relay: Relay) -> None:
    text = "LOAD <https://rebind.example/data.ttl>"
    with pytest.raises(FederationRefused, match="loopback"):
        pin_targets(text, analyse(text), ["https://rebind.example/"], relay, lambda host: ["127.0.0.1"])
    assert relay.lookup("anything") is None


def test_a_pinned_service_reaches_the_checked_address_and_names_its_host(endpoint: Endpoint, relay: Relay) -> None:
    iri = f"http://rebind.invalid:{endpoint.port}/sparql"  # .invalid never resolves: only the pin can reach it
    url = relay.pin(iri, ["127.0.0.1"])
    rows = select(f"SELECT ?x {{ SERVICE <{url}> {{ ?x ?y ?z }} }}")
    assert [row["x"].value for row in rows] == ["from the pinned address"]
    assert endpoint.seen == [("POST", "/sparql", f"rebind.invalid:{endpoint.port}")]


def test_a_pinned_load_loads_and_entities_that_could_explode_are_refused(endpoint: Endpoint, relay: Relay) -> None:
    store = ox.Store()
    store.update(f"LOAD <{relay.pin(f'http://rebind.invalid:{endpoint.port}/data.nt', ['127.0.0.1'])}> "
                 "INTO GRAPH <http://ex.org/g>")
    assert [q.object.value for q in store] == ["loaded"]
    laughs = relay.pin(f"http://rebind.invalid:{endpoint.port}/laughs.rdf", ["127.0.0.1"])
    with pytest.raises(OSError, match="refers to another entity"):
        store.update(f"LOAD <{laughs}> INTO GRAPH <http://ex.org/laughs>")
    assert len(store) == 1  # the RDF/XML never reached the parser


def test_the_relay_caps_answers_and_knows_only_its_pins(endpoint: Endpoint, relay: Relay) -> None:
    big = relay.pin(f"http://rebind.invalid:{endpoint.port}/big.nt", ["127.0.0.1"])
    with pytest.raises(OSError, match="larger than 4096 bytes"):
        ox.Store().update(f"LOAD <{big}>")
    forged = big.rsplit("/", 1)[0] + "/not-a-pin"
    with pytest.raises(OSError, match="404"):
        ox.Store().update(f"LOAD <{forged}>")
    assert [path for _, path, _ in endpoint.seen] == ["/big.nt"]


def test_an_unreachable_first_address_falls_back_to_the_next_checked_one(endpoint: Endpoint, relay: Relay) -> None:
    url = relay.pin(f"http://rebind.invalid:{endpoint.port}/sparql", ["127.0.0.2", "127.0.0.1"])
    assert len(select(f"SELECT ?x {{ SERVICE <{url}> {{ ?x ?y ?z }} }}")) == 1
