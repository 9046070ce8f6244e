"""The SPARQL section of the suite: our service against the Oxigraph server and rdflib-endpoint, measured with wrk.

One synthetic graph (:mod:`bench.sparql_bench`) is loaded once, into one named graph, with
``oxigraph load``; the store is copied file for file, so that ``backchannel serve`` (embedded store)
and ``oxigraph serve-read-only --union-default-graph`` serve the same store (the same engine,
pyoxigraph/oxigraph 0.5.13) without sharing a RocksDB folder between a writer and a reader. Our
service also runs on the remote store (``--store sparql+http://…``) over that Oxigraph server.
rdflib-endpoint loads the same triples from the N-Triples file into its in-memory store.

Every server is started here, on 127.0.0.1, and stopped at the end. Each server and query kind gets
one request from a Python client first (it must answer 200 in the asked type), then a warm-up, then
``rounds`` rounds of ``wrk -t1 -c8`` for ``seconds`` each, the servers alternating within a round;
the table reports the best round. Before each run the bench waits until every server process is
idle (wrk abandons the requests in flight at its deadline, and a server goes on computing them).
rdflib-endpoint gets one round (it is 10–1,000× slower and its
engine-bound kinds need longer runs).

>>> duration_for(8.0, 0.004, 8), duration_for(8.0, 1.5, 8), duration_for(8.0, 30.0, 8)
(8.0, 36.0, 60.0)
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from bench import backends, live, native, report, sparql_bench
from bench.figures import SERVERS, Config, Graph, Results, log, note_load, seconds_since, timed
from bench.native import Load

LONGEST_S = 60.0
"""Longest wrk run of one kind (a kind whose single request takes seconds gets longer than ``seconds``)."""


def duration_for(seconds: float, probe_s: float, connections: int) -> float:
    """Seconds to drive a kind: ``seconds``, or long enough for each connection to get ~3 answers, at most 60."""
    return max(seconds, min(LONGEST_S, 3 * probe_s * connections))


def drive(client: native.Client, base: str, path: str, kind: sparql_bench.Kind, people: int, seconds: float,
          cfg: Config, seed: int, busy: Callable[[], list[int]]) -> Load:
    """wrk on one server and query kind, once every server process is idle (``busy``: their process ids)."""
    native.wait_idle(busy)
    return native.run(client, base, kind.paths(path), numbers=people, headers={"Accept": kind.accept},
                      seconds=seconds, connections=cfg.concurrency, seed=seed)


def probes(url: str, people: int) -> dict[str, float]:
    """One checked request of every kind (:func:`bench.sparql_bench.probe`); seconds each."""
    return {name: sparql_bench.probe(url, kind, people // 2) for name, kind in sparql_bench.KINDS.items()}


def rounds(client: native.Client, endpoints: dict[str, tuple[str, str]], people: int, cfg: Config,
           results: Results, busy: Callable[[], list[int]]) -> None:
    """Probe and warm every server, then ``cfg.rounds`` rounds with the servers alternating.

    Each run waits until the processes ``busy`` names are idle (the requests wrk left in flight done).
    """
    took = {name: probes(base + path, people) for name, (base, path) in endpoints.items()}
    for name, (base, path) in endpoints.items() if cfg.warm_up > 0 else ():
        log(f"SPARQL mix: warming up {name}")
        for number, kind in enumerate(sparql_bench.KINDS.values()):
            drive(client, base, path, kind, people, cfg.warm_up, cfg, seed=900 + number, busy=busy)
    for round_number in range(cfg.rounds):
        for name, (base, path) in endpoints.items():
            log(f"SPARQL mix: round {round_number + 1}/{cfg.rounds}: {name}")
            for number, (kind_name, kind) in enumerate(sparql_bench.KINDS.items()):
                seconds = duration_for(cfg.seconds, took[name][kind_name], cfg.concurrency)
                load = drive(client, base, path, kind, people, seconds, cfg, seed=100 * round_number + number,
                             busy=busy)
                results.sparql.setdefault(name, {}).setdefault(kind_name, []).append(load)


def run_sparql(cfg: Config, results: Results, folder: Path, client: native.Client) -> None:
    """The SPARQL mix on the four servers; the SPARQL graph's load and start-up figures."""
    data = folder / "sparql.nt"
    started = time.perf_counter()
    people = sparql_bench.write_graph(data, cfg.sparql_triples)
    graph = Graph("sparql-mix", people * sparql_bench.TRIPLES_PER_PERSON, generate_s=seconds_since(started),
                  copied=True)
    results.graphs.append(graph)
    log(f"SPARQL graph: {graph.triples:,} triples; loading into <{sparql_bench.GRAPH}>")
    store, embedded = folder / "sparql-oxigraph", folder / "sparql-embedded"
    graph.server_load_s = timed(lambda: sparql_bench.oxigraph_load(store, data, sparql_bench.GRAPH))
    graph.server_disk_mib = graph.embedded_disk_mib = backends.disk_mib(store)
    shutil.copytree(store, embedded)
    with contextlib.ExitStack() as stack:
        started = time.perf_counter()
        peer = sparql_bench.start_oxigraph_read_only(store, folder / "oxigraph-read-only.log")
        stack.callback(peer.stop)
        sparql_bench.wait_until_up(peer, 120)
        graph.oxigraph_start_s = seconds_since(started)
        graph.oxigraph_rss_mib = live.rss_kib(peer.process.pid) / 1024
        ours = {name: backends.start_ours(stack, name, location, folder, figures, cfg.ready_timeout,
                                               cfg.settings)
                for name, location, figures in (("backchannel embedded", str(embedded), graph.embedded),
                                                ("backchannel remote", f"sparql+{peer.base}/", graph.remote))}
        for name, service in ours.items():
            if service.ready_s is None:
                results.sparql_notes.append(f"{name} was not ready within {cfg.ready_timeout:g} s")
        endpoints = {"oxigraph": (peer.base, peer.path)}
        endpoints |= {name: (service.url.rstrip("/"), "/sparql") for name, service in ours.items()}
        busy = live.family(peer.process.pid, *(service.process.pid for service in ours.values()))
        rounds(client, endpoints, people, cfg, results, busy)
        graph.embedded.workers_mib = ours["backchannel embedded"].workers_rss_mib()
        for name, figures in (("backchannel embedded", graph.embedded), ("backchannel remote", graph.remote)):
            figures.rss_after_mib = ours[name].rss_mib()
        graph.oxigraph_rss_end_mib = live.rss_kib(peer.process.pid) / 1024
    note_load(results, "after the SPARQL servers")
    run_rdflib(cfg, results, folder, client, data, graph)
    for name, kinds in results.sparql.items():
        for kind, loads in kinds.items():
            for number, load in enumerate(loads, start=1):
                if load.errors:
                    results.sparql_notes.append(
                        f"{name} {kind}, round {number}: {load.errors} errors (status ≥ 400: {load.status}, "
                        f"timeouts: {load.timeout}, connect/read/write: {load.connect}/{load.read}/{load.write})")
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(embedded, ignore_errors=True)
    shutil.rmtree(str(embedded) + ".snapshots", ignore_errors=True)
    data.unlink(missing_ok=True)
    note_load(results, "after the SPARQL mix")


def run_rdflib(cfg: Config, results: Results, folder: Path, client: native.Client, data: Path,
               graph: Graph) -> None:
    """rdflib-endpoint on the same triples (or a smaller graph of the same shape): one round."""
    people = graph.triples // sparql_bench.TRIPLES_PER_PERSON
    if cfg.rdflib_triples < graph.triples:
        data = folder / "sparql-rdflib.nt"
        people = sparql_bench.write_graph(data, cfg.rdflib_triples)
        results.sparql_notes.append(
            f"rdflib-endpoint is given a smaller graph of the same shape: "
            f"{people * sparql_bench.TRIPLES_PER_PERSON:,} triples")
    log(f"SPARQL mix: rdflib-endpoint ({people * sparql_bench.TRIPLES_PER_PERSON:,} triples)")
    with contextlib.ExitStack() as stack:
        started = time.perf_counter()
        peer = backends.start_rdflib(data, folder)
        stack.callback(peer.stop)
        backends.wait_sparql(peer, cfg.ready_timeout)
        results.sparql_notes.append(f"rdflib-endpoint loaded its graph and answered in {seconds_since(started):.0f} s")
        once = dataclasses.replace(cfg, rounds=1)
        rounds(client, {"rdflib-endpoint": (peer.base, peer.path)}, people, once, results,
               live.family(peer.process.pid))
    if data.name == "sparql-rdflib.nt":
        data.unlink(missing_ok=True)


# --- the table ------------------------------------------------------------------------------------------


def best(results: Results, server: str, kind: str) -> Load | None:
    """The round with the most requests per second."""
    loads = results.sparql.get(server, {}).get(kind, [])
    return max(loads, key=lambda load: load.rps) if loads else None


def rps(results: Results, server: str, kind: str) -> float | None:
    found = best(results, server, kind)
    return found.rps if found and found.requests else None


def sparql_table(results: Results) -> tuple[list[str], list[list[str]]]:
    """Requests/s · p50 · p99 (wrk) per query kind and server, and the ratios of requests per second."""
    head = ["query"] + [f"{s} req/s · p50 · p99 (ms)" for s in SERVERS]
    head += ["us embedded/oxigraph", "us remote/oxigraph", "us embedded/rdflib-endpoint"]
    rows = []
    for kind in sparql_bench.KINDS:
        cells = [kind]
        for server in SERVERS:
            found = best(results, server, kind)
            cells.append(found.cell() if found else report.DASH)
        cells += [report.ratio(rps(results, "backchannel embedded", kind), rps(results, "oxigraph", kind)),
                  report.ratio(rps(results, "backchannel remote", kind), rps(results, "oxigraph", kind)),
                  report.ratio(rps(results, "backchannel embedded", kind), rps(results, "rdflib-endpoint", kind))]
        rows.append(cells)
    return head, rows


def sparql_notes(results: Results) -> list[str]:
    """What the SPARQL table measured (printed above it)."""
    cfg = results.config
    graph = next((g for g in results.graphs if g.name == "sparql-mix"), None)
    size = f"{graph.triples:,}" if graph else "?"
    legend = "; ".join(f"`{k.name}`: {k.title}" for k in sparql_bench.KINDS.values())
    each = [len(loads) for kinds in results.sparql.values() for loads in kinds.values()]
    return [f"`bench.sparql_bench` graph, {size} triples in one named graph, served as the union default graph. "
            f"Client: {results.client}, `-t1 -c{cfg.concurrency}`, {cfg.seconds:g} s per server, kind and round "
            f"(longer for a kind whose single request takes seconds), a random person per request; "
            f"{cfg.rounds} round(s) alternating the servers, the best shown ({max(each, default=0)} at most per cell), "
            f"after a warm-up of {cfg.warm_up:g} s per server and kind. "
            "p50 and p99 are wrk's, of every request. Backchannel on the embedded store (query worker processes) "
            "and on the remote store (over the Oxigraph server measured as the peer, a copy of the same store); "
            "ratios are of requests per second (above 1: we answer more). Kinds: " + legend + "."
            ] + [f"- {n}" for n in results.sparql_notes]
