"""The frontier path engine on a real Oxigraph server holding the seed: the same answers as the in-memory
engine, without building a projection.

Two live services share one :class:`kg.store.remote.RemoteStore`: ``remote`` (``paths_engine=auto``, which is the
frontier search on a remote store) and ``memory`` (``paths_engine=memory``, the projection). Answers are
compared over HTTP; paths of equal score may come in another order, and a hop's sources too (graph ids
differ between the two projections), so those are compared as sets.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from kg.data.build import build
from kg.paths.engines import PathEngines, choose_engine
from kg.paths.model import PathOptions, PathRequestError, SearchTimeout
from kg.paths.names import UnknownThing
from kg.settings import Settings
from kg.store.embedded import OxigraphStore
from kg.store.remote import RemoteStore
from tests.remote_backend import OxigraphServer
from tests.support import free_port

BC = "https://w3id.org/backchannel/def#"


@dataclass
class Served:
    url: str
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=60)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def serve(settings: Settings, store: RemoteStore) -> Served:
    """A live backchannel service on a free loopback port, on the given store (which it does not close)."""
    from service.app import create_app

    app = create_app(settings, store=store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{settings.port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "health", timeout=1).status_code == 200:
                return Served(url, app, server, thread)
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("the test service did not start within 30 s")


@pytest.fixture(scope="module")
def oxigraph() -> Iterator[OxigraphServer]:
    with OxigraphServer.start(timeout_s=30) as server:
        yield server


@pytest.fixture(scope="module")
def store(oxigraph: OxigraphServer) -> Iterator[RemoteStore]:
    remote = oxigraph.store(timeout=20)
    build(remote, Settings(base_iri="http://127.0.0.1:8000/", store=":memory:"))
    yield remote
    remote.close()


@pytest.fixture(scope="module")
def services(store: RemoteStore) -> Iterator[tuple[Served, Served]]:
    base: dict[str, Any] = {"base_iri": "http://127.0.0.1:8000/", "store": "sparql+" + store.endpoints.query,
                            "query_timeout": 20.0}
    remote = serve(Settings(**base, port=free_port()), store)
    memory = serve(Settings(**base, port=free_port(), paths_engine="memory"), store)
    yield remote, memory
    remote.stop()
    memory.stop()


@pytest.fixture(scope="module")
def remote(services: tuple[Served, Served]) -> Served:
    return services[0]


@pytest.fixture(scope="module")
def memory(services: tuple[Served, Served]) -> Served:
    return services[1]


def canonical(body: dict) -> tuple[dict, list[str]]:
    """A /paths answer without timing and engine facts, its paths as a sorted list (ties may come in any order),
    each hop's sources and other readings as sets."""

    def norm(value: Any) -> Any:  # a JSON value
        if isinstance(value, dict):
            return {k: sorted(json.dumps(x, sort_keys=True) for x in v) if k in ("sources", "also") else norm(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [norm(x) for x in value]
        return value

    body = {k: v for k, v in body.items() if k not in ("elapsed_ms", "engine")}
    paths = sorted(json.dumps({k: v for k, v in norm(p).items() if k != "rank"}, sort_keys=True)
                   for p in body.pop("paths"))
    return norm(body), paths


def both(remote: Served, memory: Served, path: str, params: Mapping[str, str | int]
         ) -> tuple[httpx.Response, httpx.Response]:
    return remote.get(path, params), memory.get(path, params)


def readings(body: dict) -> set[tuple[tuple[str, str, str, str], ...]]:
    """Each path as its cited hops: (text of the hop, direction, reading, source IRIs)."""
    return {tuple((h["text"], h["direction"], h["reading"], ",".join(sorted(s["iri"] for s in h["sources"])))
                  for h in p["hops"]) for p in body["paths"]}


# --- paths ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("target", "length"), [("Oslo", 4), ("Oslo Accords", 3)])
def test_montville_to_oslo_shortest_paths_are_the_in_memory_ones(remote: Served, memory: Served, target: str,
                                                                 length: int) -> None:
    params: dict[str, str | int] = {"from": "Joseph Montville", "to": target, "mode": "shortest", "k": 50}
    there, here = both(remote, memory, "paths", params)
    assert there.status_code == here.status_code == 200, there.text
    far, near = there.json(), here.json()
    assert far["engine"]["name"] == "frontier" and "engine" not in near
    assert far["shortest_length"] == near["shortest_length"] == length
    assert {p["length"] for p in far["paths"]} == {length}
    assert far["resolved"] == near["resolved"]
    assert readings(far) == readings(near)
    assert any("Joseph V. Montville coined Track Two diplomacy" in p["text"] for p in far["paths"])
    assert canonical(far) == canonical(near)  # scores, reasons, nodes, time order: all the same


def test_k_best_paths_are_the_in_memory_ones(remote: Served, memory: Served) -> None:
    there, here = both(remote, memory, "paths", {"from": "Montville", "to": "Oslo Accords", "k": 5, "max_length": 4})
    far, near = there.json(), here.json()
    assert far["count"] == near["count"] == 5
    assert [p["score"] for p in far["paths"]] == [p["score"] for p in near["paths"]]
    assert canonical(far) == canonical(near)
    assert far["engine"]["complete"] and "at most 4 hops" in far["engine"]["note"]


@pytest.mark.parametrize("params", [
    {"exclude_predicates": "bc:coined", "k": 5},
    {"avoid": ["Track Two diplomacy", "Track One diplomacy"], "k": 3},
    {"max_degree": 10, "k": 3},
    {"include_kinds": ["person", "concept"], "mode": "shortest", "k": 20},
    {"exclude_kinds": "work", "mode": "all", "max_length": 3},
    {"after": "1990", "k": 4, "max_length": 5},
    {"directed": "true", "mode": "shortest", "k": 10},
    {"max_length": 1},
])
def test_constraints_change_the_answer_as_in_memory(remote: Served, memory: Served, params: dict) -> None:
    query = [("from", "Montville"), ("to", "Oslo")] + [
        (key, value) for key, values in params.items() for value in (values if isinstance(values, list) else [values])]
    there = httpx.get(remote.url + "paths", params=query, timeout=60)
    here = httpx.get(memory.url + "paths", params=query, timeout=60)
    assert there.status_code == here.status_code == 200, there.text
    assert canonical(there.json()) == canonical(here.json())


def test_constraints_do_change_the_remote_answer(remote: Served) -> None:
    plain = remote.get("paths", {"from": "Montville", "to": "Oslo Accords", "k": 5}).json()
    no_coined = remote.get("paths", {"from": "Montville", "to": "Oslo Accords", "k": 5,
                                     "exclude_predicates": "bc:coined"}).json()
    assert any(h["predicate"]["iri"] == BC + "coined" for p in plain["paths"] for h in p["hops"])
    assert no_coined["paths"]
    assert all(h["predicate"]["iri"] != BC + "coined" for p in no_coined["paths"] for h in p["hops"])
    avoided = httpx.get(remote.url + "paths", timeout=60, params=[
        ("from", "Montville"), ("to", "Oslo Accords"), ("avoid", "Track Two diplomacy"),
        ("avoid", "Track One diplomacy"),
    ]).json()
    assert avoided["paths"] and all(n["label"] not in ("Track Two diplomacy", "Track One diplomacy")
                                    for p in avoided["paths"] for n in p["nodes"])
    assert avoided["shortest_length"] > plain["shortest_length"]
    short = remote.get("paths", {"from": "Montville", "to": "Oslo", "max_length": 1}).json()
    assert short["paths"] == [] and "raise max_length" in short["message"]


def test_rdf_and_svg_answers_on_the_remote_engine(remote: Served) -> None:
    params: dict[str, str | int] = {"from": "Montville", "to": "Oslo", "k": 3}
    turtle = remote.get("paths", params | {"format": "ttl"})
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    assert "coined" in turtle.text
    svg = remote.get("paths", params | {"format": "svg"})
    assert svg.status_code == 200 and "Joseph V. Montville" in svg.text


# --- names --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "status"), [
    ({"from": "Montvile", "to": "Oslo"}, 404),
    ({"from": "Track", "to": "Oslo"}, 409),
    ({"from": "person:joseph-v-montville", "to": "<http://127.0.0.1:8000/id/work/oslo-accords>"}, 200),
    ({"from": "http://127.0.0.1:8000/id/person/nobody", "to": "Oslo"}, 404),
    ({"from": "http://bad iri", "to": "Oslo", "note": "fuzzy"}, 404),
    ({"from": "Montville", "to": "Montville"}, 400),
    ({"from": "Montville", "to": "Oslo", "avoid": "Oslo"}, 400),
    ({"from": "Montville", "to": "Oslo", "exclude_predicates": "bc:coinned"}, 400),
    ({"from": "Montville", "to": "Oslo", "k": 51}, 400),
    ({"from": "Montville", "to": "Oslo", "after": "2000", "before": "1990"}, 400),
])
def test_names_and_errors_are_the_in_memory_ones(remote: Served, memory: Served, params: dict, status: int) -> None:
    fuzzy = params.pop("note", None) == "fuzzy"  # far-fetched suggestions differ: see kg.paths.frontier.names
    there, here = both(remote, memory, "paths", params)
    assert there.status_code == here.status_code == status, there.text
    if status != 200 and not fuzzy:
        assert there.json()["detail"] == here.json()["detail"]
        for key in ("suggestions", "candidates"):
            assert there.json().get(key) == here.json().get(key)


def test_unknown_and_ambiguous_names_carry_suggestions_and_candidates(remote: Served) -> None:
    unknown = remote.get("paths", {"from": "Montvile", "to": "Oslo"}).json()
    assert "did you mean Joseph V. Montville" in unknown["detail"]
    assert unknown["suggestions"][0]["iri"] == "http://127.0.0.1:8000/id/person/joseph-v-montville"
    ambiguous = remote.get("paths", {"from": "Track", "to": "Oslo"}).json()
    assert {"Track One diplomacy", "Track Two diplomacy"} <= {c["label"] for c in ambiguous["candidates"]}


@pytest.mark.parametrize("params", [{"q": "mont"}, {"q": "oslo"}, {"q": "oslo", "kind": "person"}, {"q": "Montvile"},
                                    {"q": "diplomacy", "kind": "work", "limit": 20}, {"q": "MONTVILLE"}])
def test_search_is_the_in_memory_one(remote: Served, memory: Served, params: dict) -> None:
    there, here = both(remote, memory, "search", params)
    assert there.status_code == here.status_code == 200
    assert there.json() == here.json() and there.json()


def test_accents_are_matched_as_far_as_sparql_allows(store: RemoteStore, remote: Served) -> None:
    store.replace_graph("http://127.0.0.1:8000/id/source/test-accents", '''
        <http://127.0.0.1:8000/id/person/francois-cafe>
            <http://www.w3.org/2000/01/rdf-schema#label> "François Café"@en ;
            <http://xmlns.com/foaf/0.1/knows> <http://127.0.0.1:8000/id/person/joseph-v-montville> .
        '''.encode(), "text/turtle")
    try:
        for query in ("francois cafe", "FRANÇOIS", "café"):
            found = remote.get("search", {"q": query}).json()
            assert found and found[0]["label"] == "François Café", (query, found)
    finally:
        store.drop_graph("http://127.0.0.1:8000/id/source/test-accents")


# --- influence, SPARQL, readiness -------------------------------------------------------------------------------

@pytest.mark.parametrize(("route", "thing"), [
    ("influence/lineage", "Multi-Track Diplomacy: A Systems Approach to Peace"),
    ("influence/lineage", "Multi-Track Diplomacy"),
    ("influence/influenced", "Montville"),
])
def test_influence_is_the_in_memory_one(remote: Served, memory: Served, route: str, thing: str) -> None:
    cases: list[dict[str, str | int]] = [{"thing": thing}, {"thing": thing, "max_depth": 1, "limit": 2}]
    for params in cases:
        there, here = both(remote, memory, route, params)
        assert there.status_code == here.status_code == 200
        assert there.json() == here.json() and there.json()["count"]


def test_ranking_needs_the_in_memory_engine(remote: Served) -> None:
    response = remote.get("influence/ranking", {"limit": 3})
    assert response.status_code == 400
    assert "BACKCHANNEL_PATHS_ENGINE=memory" in response.json()["detail"]
    spec = httpx.get(remote.url + "openapi.json", timeout=30).json()
    assert "BACKCHANNEL_PATHS_ENGINE=memory" in spec["paths"]["/influence/ranking"]["get"]["description"]


def test_sparql_paths_service_uses_the_remote_engine(remote: Served, memory: Served) -> None:
    query = ('SELECT ?path ?hop ?p WHERE { SERVICE bc:paths { [] bc:from "Joseph Montville" ; bc:to "Oslo Accords" ; '
             'bc:mode "shortest" ; bc:k 10 ; bc:path ?path ; bc:hop ?hop ; bc:predicate ?p } } ORDER BY ?path ?hop')
    answers = [httpx.post(s.url + "sparql", data={"query": query}, timeout=60,
                          headers={"Accept": "application/sparql-results+json"}) for s in (remote, memory)]
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    rows = [sorted(r["p"]["value"] for r in a.json()["results"]["bindings"]) for a in answers]
    assert rows[0] == rows[1] and BC + "coined" in rows[0]


def test_ready_answers_without_a_projection(remote: Served) -> None:
    # the remote service has answered paths, names, influence and SPARQL above (and now /ready): no projection
    response = remote.get("ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["paths_engine"] == "frontier" and "projection" not in body
    assert remote.app.state.backchannel.paths.memory.projections.builds == 0
    assert remote.app.state.backchannel.paths.choice() == "frontier"


def test_ready_of_the_memory_engine_builds_the_projection(memory: Served) -> None:
    body = memory.get("ready").json()
    assert body["paths_engine"] == "memory" and body["projection"]["relations"] > 0


# --- the engine, in process ------------------------------------------------------------------------------------

def test_all_mode_is_refused_when_the_neighbourhood_is_past_the_cap(store: RemoteStore) -> None:
    tight = PathEngines(store, Settings(base_iri="http://127.0.0.1:8000/", paths_frontier_max_size=3)).engine()
    assert tight.name == "frontier"
    with pytest.raises(PathRequestError, match="use mode=shortest or k"):
        tight.paths(PathOptions("Montville", "Oslo process", mode="all", max_length=6))
    answer = tight.paths(PathOptions("Montville", "Oslo process", mode="k", k=3))  # k narrows its region instead
    assert answer.result.paths and answer.engine["complete"] is False
    tighter = PathEngines(store, Settings(base_iri="http://127.0.0.1:8000/", paths_frontier_max_size=1)).engine()
    with pytest.raises(SearchTimeout, match="narrow it"):  # one layer from each end, no meeting, both past the cap
        tighter.paths(PathOptions("Montville", "Oslo Accords", avoid=("Track Two diplomacy", "Track One diplomacy")))


def test_a_remote_search_past_its_budget_is_a_timeout(store: RemoteStore) -> None:
    engine = PathEngines(store, Settings(base_iri="http://127.0.0.1:8000/", paths_engine="remote",
                                         paths_frontier_time_budget=1e-6)).engine()
    with pytest.raises(SearchTimeout, match="did not finish"):
        engine.paths(PathOptions("http://127.0.0.1:8000/id/person/joseph-v-montville",
                                 "http://127.0.0.1:8000/id/work/oslo-accords"))


def test_engine_choice(store: RemoteStore, kg_store: OxigraphStore) -> None:
    assert PathEngines(store, Settings()).choice() == "frontier"
    assert PathEngines(store, Settings(paths_engine="memory")).choice() == "memory"
    assert PathEngines(kg_store, Settings()).choice() == "memory"
    big = PathEngines(kg_store, Settings(paths_memory_max_triples=100))  # the seed holds more than 100 quads
    assert big.choice() == "frontier"
    assert big.engine().paths(PathOptions("Montville", "Oslo Accords", mode="shortest")).result.shortest_length == 3
    assert big.memory.projections.builds == 0
    assert choose_engine("auto", embedded=True, quads=None, max_quads=0) == "memory"


def test_unknown_iri_suggests_from_its_tail(store: RemoteStore) -> None:
    engine = PathEngines(store, Settings(base_iri="http://127.0.0.1:8000/", paths_engine="remote")).engine()
    with pytest.raises(UnknownThing) as caught:
        engine.paths(PathOptions("http://127.0.0.1:8000/id/person/joseph-montville", "Oslo"))
    assert caught.value.suggestions[0].label == "Joseph V. Montville"


def test_cli_path_on_a_remote_store(store: RemoteStore, capsys: pytest.CaptureFixture[str]) -> None:
    from service.cli import main

    location = "sparql+" + store.endpoints.query
    assert main(["--store", location, "path", "Joseph Montville", "Oslo", "--k", "2", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["engine"]["name"] == "frontier" and body["count"] == 2
    assert main(["--store", location, "influence", "lineage", "Multi-Track Diplomacy"]) == 0
    out = capsys.readouterr().out
    assert "Joseph V. Montville" in out and "Louise Diamond" in out
    assert main(["--store", location, "influence", "ranking"]) == 2
    assert "BACKCHANNEL_PATHS_ENGINE=memory" in capsys.readouterr().err
