"""The routes section of the suite: our service's own routes on the seed graph, measured with wrk.

``backchannel build`` puts the curated seed graph into an on-disk store, ``backchannel serve`` serves
it (as deployed: query workers, result cache, JSON access log) and wrk drives, from ``-c8``
connections for ``seconds``:

- ``doc-turtle``: a linked-data document in Turtle (``GET /doc/…`` with ``Accept: text/turtle``), a
  random one of the people, organisations and places of the graph at each request;
- ``paths``: ``GET /paths`` between two named things (``from=Joseph Montville&to=Oslo``, JSON with
  explanations).

Each is compared with its target of issue 15 (3,000 and 1,000 requests per second; p99 ≤ 50 ms for
``/paths``).

>>> ROUTES["paths"].target_rps, ROUTES["doc-turtle"].accept
(1000, 'text/turtle')
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

from bench import live, native, report
from bench.figures import Config, Results, log

DOCS_QUERY = """SELECT DISTINCT ?s WHERE {
  VALUES ?type { <http://xmlns.com/foaf/0.1/Person> <http://xmlns.com/foaf/0.1/Organization>
                 <http://www.w3.org/ns/prov#Location> }
  ?s a ?type FILTER(CONTAINS(STR(?s), "/id/"))
} ORDER BY ?s LIMIT 50"""
"""The things whose documents are fetched (at most 50, in a fixed order)."""


@dataclass(frozen=True)
class Route:
    """A route of ours under load: what it is, the Accept it is asked with, its target."""

    name: str
    title: str
    accept: str
    target_rps: int
    target_p99_ms: float | None = None


ROUTES = {route.name: route for route in (
    Route("doc-turtle", "`/doc/…` in Turtle (a random one of ≤ 50 people, organisations, places)", "text/turtle",
          3000),
    Route("paths", "`/paths?from=Joseph Montville&to=Oslo` (JSON, explained)", "application/json", 1000, 50.0),
)}


def doc_paths(url: str) -> list[str]:
    """``/doc/…`` paths of the seed graph's people, organisations and places (from ``/sparql``)."""
    response = httpx.get(url + "sparql", params={"query": DOCS_QUERY},
                         headers={"Accept": "application/sparql-results+json"}, timeout=60)
    response.raise_for_status()
    things = [row["s"]["value"] for row in response.json()["results"]["bindings"]]
    paths = [urlsplit(iri).path.replace("/id/", "/doc/", 1) for iri in things]
    if not paths:
        raise RuntimeError("no person, organisation or place in the seed graph")
    return paths


def route_paths(url: str) -> dict[str, list[str]]:
    """The request paths of each route."""
    pair = urlencode({"from": "Joseph Montville", "to": "Oslo"})
    return {"doc-turtle": doc_paths(url), "paths": [f"/paths?{pair}"]}


def check(url: str, route: Route, path: str) -> None:
    """One request from a Python client: it must answer 200 in the asked type (wrk checks statuses only)."""
    response = httpx.get(url.rstrip("/") + path, headers={"Accept": route.accept}, timeout=60)
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if response.status_code != 200 or media != route.accept:
        raise RuntimeError(f"{path} answered {response.status_code} {media}: {response.text[:300]}")


def run_routes(cfg: Config, results: Results, folder: Path, client: native.Client) -> None:
    """Build the seed graph, serve it, drive each route with wrk (a warm-up, then the measured run)."""
    store = folder / "seed-store"
    log("routes: building the seed graph and serving it")
    with contextlib.ExitStack() as stack:
        server = live.start(store, build=True, log_path=folder / "routes-serve.log", wait=cfg.ready_timeout,
                            settings=cfg.settings)
        stack.callback(server.stop)
        base = server.url.rstrip("/")
        for name, paths in route_paths(server.url).items():
            route = ROUTES[name]
            check(server.url, route, paths[0])
            log(f"routes: {name} ({len(paths)} distinct requests)")
            native.wait_idle(lambda: [server.pid, *live.children(server.pid)])
            if cfg.warm_up > 0:
                native.run(client, base, paths, headers={"Accept": route.accept}, seconds=cfg.warm_up,
                           connections=cfg.concurrency)
            native.wait_idle(lambda: [server.pid, *live.children(server.pid)])
            results.routes[name] = native.run(client, base, paths, headers={"Accept": route.accept},
                                              seconds=cfg.seconds, connections=cfg.concurrency, seed=7)
            if results.routes[name].errors:
                results.routes_notes.append(f"{name}: {results.routes[name].errors} errors")
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(str(store) + ".snapshots", ignore_errors=True)


def routes_table(results: Results) -> tuple[list[str], list[list[str]]]:
    """Requests/s · p50 · p99 per route, the target, and the ratio to the target."""
    head = ["route", "backchannel req/s · p50 · p99 (ms)", "target", "us/target req/s"]
    rows = []
    for name, route in ROUTES.items():
        load = results.routes.get(name)
        target = f"≥ {route.target_rps:,} req/s" + (f", p99 ≤ {route.target_p99_ms:g} ms"
                                                     if route.target_p99_ms else "")
        rows.append([name, load.cell() if load else report.DASH, target,
                     report.ratio(load.rps if load and load.requests else None, route.target_rps)])
    return head, rows


def routes_notes(results: Results) -> list[str]:
    """What the routes table measured."""
    cfg = results.config
    legend = "; ".join(f"`{r.name}`: {r.title}" for r in ROUTES.values())
    return [f"`backchannel serve` on the seed graph (on-disk store, as deployed). Client: {results.client}, "
            f"`-t1 -c{cfg.concurrency}`, {cfg.seconds:g} s per route after a warm-up of {cfg.warm_up:g} s. "
            f"Routes: {legend}. "
            "Targets from issue 15; `/paths` answers of the in-memory engine are kept per store version, so one "
            "repeated question measures that cache."] + [f"- {n}" for n in results.routes_notes]
