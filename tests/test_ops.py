"""Operations: liveness, readiness, Prometheus metrics, request ids, access logs and graceful shutdown."""

from __future__ import annotations

import json
import logging
import math
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bench import live
from kg.settings import Settings
from service.app import create_app
from service.http.observability import ACCESS_LOGGER
from tests.support import LiveServer, embedded_only, free_port, start_server

RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?n"


@pytest.fixture(scope="module")
def ops_server() -> Iterator[LiveServer]:
    server = start_server(query_timeout=2.0)
    yield server
    server.stop()
    server.store.close()


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition, keyed by (name, sorted labels)."""
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def sample(values: dict, name: str, **labels: str) -> float:
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


def test_health_answers_without_touching_the_store(ops_server: LiveServer) -> None:
    response = httpx.get(ops_server.url + "health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_and_ready_answer_head_as_load_balancers_probe(ops_server: LiveServer) -> None:
    """Regression: ``HEAD /health`` answered 405 (load balancers and ``curl -I`` probe with HEAD)."""
    for path in ("health", "ready"):
        response = httpx.head(ops_server.url + path, timeout=120)
        assert response.status_code == 200, (path, response.status_code)
        assert response.content == b""


@embedded_only
def test_ready_checks_the_store_answers_and_the_projection_is_built(ops_server: LiveServer) -> None:
    response = httpx.get(ops_server.url + "ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["store_version"] == ops_server.store.version
    assert body["graphs"] >= 1
    assert body["projection"]["version"] == ops_server.store.version  # the path projection is built
    assert body["projection"]["relations"] > 0
    assert response.headers["cache-control"] == "no-store"


@embedded_only
def test_ready_makes_the_choice_of_path_engine_the_first_question_would_wait_for(tmp_path: Path) -> None:
    """Regression: the first path question after a start waited ~0.4 s on a 1.5M-quad store while the server
    counted the store's quads (to choose the path engine, once per store version); ``/ready`` now counts them."""
    from kg.store.embedded import OxigraphStore

    store = OxigraphStore(str(tmp_path / "store"))
    app = create_app(Settings(base_iri="http://127.0.0.1:8000/", store=str(tmp_path / "store")), store=store)
    url, server, thread = serve(app)
    try:
        engines = app.state.backchannel.paths
        assert engines.counted_quads() is None
        answer = httpx.get(url + "ready", timeout=120)
        assert answer.status_code == 200
        # the path worker counted its snapshot of this version, and /ready reports it; the server knows the count
        assert answer.json()["store_quads"] == len(store.raw)
        assert engines.counted_quads() == (store.version, len(store.raw))
    finally:
        server.should_exit = True
        thread.join(30)
        store.close()


def serve(app: FastAPI) -> tuple[str, uvicorn.Server, threading.Thread]:
    """Serve an app on a free loopback port (a real HTTP server)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "health", timeout=1)
            return url, server, thread
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("the app did not start")


def test_ready_is_503_with_a_reason_when_the_store_stops_answering() -> None:
    from tests.remote_backend import OxigraphServer

    backend = OxigraphServer.start(timeout_s=10)
    store = backend.store(timeout=2, retries=0)
    app = create_app(Settings(base_iri="http://127.0.0.1:8000/", store="sparql+" + backend.url), store=store)
    url, server, thread = serve(app)
    try:
        assert httpx.get(url + "ready", timeout=30).status_code == 200
        backend.pause()  # the remote store goes down
        assert httpx.get(url + "health").status_code == 200  # alive ...
        response = httpx.get(url + "ready", timeout=30)  # ... but not ready
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "store does not answer" in response.json()["detail"]
        assert response.headers["retry-after"]
        backend.resume()
        assert httpx.get(url + "ready", timeout=30).status_code == 200  # ready again once it is back
    finally:
        server.should_exit = True
        thread.join(30)
        store.close()
        backend.stop()


def test_request_ids_are_echoed_or_made(ops_server: LiveServer) -> None:
    given = httpx.get(ops_server.url + "health", headers={"X-Request-ID": "trace-42.a"})
    assert given.headers["x-request-id"] == "trace-42.a"
    made = httpx.get(ops_server.url + "health")
    other = httpx.get(ops_server.url + "health")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert made.headers["x-request-id"] != other.headers["x-request-id"]
    hostile = httpx.get(ops_server.url + "health", headers={"X-Request-ID": "x" * 500})
    assert len(hostile.headers["x-request-id"]) == 32  # replaced, never reflected as is


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_one_json_access_line_per_request(ops_server: LiveServer) -> None:
    handler = _Lines()
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    try:
        httpx.get(ops_server.url + "sparql", params={"query": "ASK {}"}, headers={"X-Request-ID": "log-test-1"})
        httpx.get(ops_server.url + "no/such/page", headers={"X-Request-ID": "log-test-2"})
        deadline = time.monotonic() + 10  # the line is written just after the last byte is sent
        while time.monotonic() < deadline and sum("log-test-" in line for line in handler.lines) < 2:
            time.sleep(0.01)
    finally:
        logger.removeHandler(handler)
    records = [json.loads(line) for line in list(handler.lines)]
    mine = {r["request_id"]: r for r in records if r["request_id"].startswith("log-test-")}
    assert set(mine) == {"log-test-1", "log-test-2"}
    first = mine["log-test-1"]
    assert first["method"] == "GET" and first["path"] == "/sparql" and first["status"] == 200
    assert first["client"] == "127.0.0.1"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    assert mine["log-test-2"]["status"] == 404


def test_metrics_count_requests_by_route_template(ops_server: LiveServer) -> None:
    query = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o } # metrics test"
    for _ in range(2):  # a miss, then a hit of the result cache
        assert httpx.get(ops_server.url + "sparql", params={"query": query}).status_code == 200
    httpx.get(ops_server.url + "no/such/thing/8c1f0e")
    httpx.get(ops_server.url + "openapi.json")  # a plain Starlette route
    response = httpx.get(ops_server.url + "metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    values = metric_values(text)
    assert sample(values, "backchannel_http_requests_total", method="GET", route="/sparql", status="200") >= 2
    assert sample(values, "backchannel_http_requests_total", method="GET", route="<unmatched>", status="404") >= 1
    assert "8c1f0e" not in text  # raw paths never become labels
    assert sample(values, "backchannel_http_requests_total", method="GET", route="/openapi.json", status="200") >= 1
    assert sample(values, "backchannel_http_request_duration_seconds_count", method="GET", route="/sparql") >= 2
    assert sample(values, "backchannel_query_duration_seconds_count", route="/sparql", status="200") >= 1
    assert sample(values, "backchannel_query_cache_hits_total") >= 1
    assert sample(values, "backchannel_query_cache_misses_total") >= 1
    assert sample(values, "backchannel_http_requests_in_flight") >= 1  # this scrape itself


def test_metrics_stay_small_under_random_methods(ops_server: LiveServer) -> None:
    """Regression: the method label had no bound, so 2,000 requests with unique 4 KB method names (each a 405)
    grew /metrics from 34 KB to 165 MB. Unknown methods are counted together as OTHER; a method name the HTTP
    parser (llhttp) does not know is refused by it with a 400 before the app sees it."""
    before = len(httpx.get(ops_server.url + "metrics").content)
    with httpx.Client(base_url=ops_server.url) as client:
        for i in range(300):
            assert client.request(f"X{i:04d}" + "M" * 4000, "health").status_code in (400, 405)
        for method in ("PROPFIND", "MKCOL", "LOCK", "UNLOCK", "SEARCH") * 4:  # methods HTTP knows, not ours
            assert client.request(method, "health").status_code == 405
    text = httpx.get(ops_server.url + "metrics").text
    assert len(text) < before + 20_000, "the exposition grew with the methods sent"
    assert "MMMM" not in text and "PROPFIND" not in text
    assert sample(metric_values(text), "backchannel_http_requests_total", method="OTHER", route="/health",
                  status="405") >= 20


@embedded_only
def test_timeouts_and_worker_restarts_are_counted(ops_server: LiveServer) -> None:
    before = metric_values(httpx.get(ops_server.url + "metrics").text)
    response = httpx.get(ops_server.url + "sparql", params={"query": RUNAWAY}, timeout=60)
    assert response.status_code == 503
    after = metric_values(httpx.get(ops_server.url + "metrics").text)
    for name, labels in (("backchannel_query_timeouts_total", {"route": "/sparql"}),
                         ("backchannel_query_worker_restarts_total", {})):
        assert sample(after, name, **labels) == sample(before, name, **labels) + 1, name


def test_each_app_has_its_own_registry() -> None:
    from kg.store.embedded import OxigraphStore

    store = OxigraphStore(":memory:")
    one = create_app(Settings(store=":memory:"), store=store)
    two = create_app(Settings(store=":memory:"), store=store)
    assert one.state.backchannel.metrics.registry is not two.state.backchannel.metrics.registry
    one.state.backchannel.metrics.observe("GET", "/health", 200, 0.001, None)
    assert b'route="/health"' in one.state.backchannel.metrics.exposition()
    assert b'route="/health"' not in two.state.backchannel.metrics.exposition()
    assert not [m for m in REGISTRY.collect() if m.name.startswith("backchannel")]  # not the global registry
    store.close()


# --- graceful shutdown: a real `backchannel serve` process ---------------------------------------------------


def _slow_query(url: str, seconds: float) -> str:
    """A COUNT whose run time is about ``seconds`` on this machine (calibrated; the time is never asserted)."""
    base = "SELECT (COUNT(*) AS ?n) {{ VALUES ?k {{ {values} }} ?a ?b ?c . ?d ?e ?f FILTER(STRLEN(STR(?c)) > ?k) }}"
    probe = base.format(values="0")
    start = time.perf_counter()
    assert httpx.get(url + "sparql", params={"query": probe}, timeout=120).status_code == 200
    once = max(time.perf_counter() - start, 0.01)
    repeat = max(1, math.ceil(seconds / once))
    return base.format(values=" ".join(str(-i - 1) for i in range(repeat)))


def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path) -> None:
    server = live.start(tmp_path / "store", build=True, settings={"BACKCHANNEL_QUERY_TIMEOUT": "120"})
    try:
        query = _slow_query(server.url, 2.0)
        outcome: dict[str, object] = {}

        def ask() -> None:
            try:
                response = httpx.get(server.url + "sparql", params={"query": query}, timeout=120)
                outcome["status"], outcome["body"] = response.status_code, response.text
            except httpx.HTTPError as err:
                outcome["error"] = repr(err)

        client = threading.Thread(target=ask)
        client.start()
        deadline = time.monotonic() + 30  # wait until the query is in flight (this scrape is the other one)
        while time.monotonic() < deadline:
            values = metric_values(httpx.get(server.url + "metrics").text)
            if sample(values, "backchannel_http_requests_in_flight") >= 2:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the slow query never showed up in flight")
        server.process.send_signal(signal.SIGTERM)
        client.join(120)
        assert outcome.get("status") == 200, outcome
        assert '"n"' in str(outcome["body"])
        assert server.process.wait(60) == 0
    finally:
        server.stop()
