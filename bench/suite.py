"""The benchmark suite: our service on both backends against its peers, in one run, every throughput from wrk.

Five sections (``--only`` picks some):

``sparql``
    The SPARQL mix of :mod:`bench.sparql_bench` (lookup, join, 3-hop property-path ASK, one-subject CONSTRUCT,
    COUNT over 50k, the same COUNT repeated) from 8 connections of the native load generator
    (:mod:`bench.native`, ``wrk``) on one synthetic graph in one named graph, served by backchannel on the
    embedded store, backchannel on the remote store (``--store sparql+http://…``), ``oxigraph serve-read-only
    --union-default-graph`` on a copy of the same store, and rdflib-endpoint (:mod:`bench.sparql_mix`).
``routes``
    ``/doc/…`` in Turtle and ``/paths`` between two named things on the seed graph, with wrk (:mod:`bench.routes`).
``paths``
    Shortest paths on the power-law graph of :mod:`bench.paths_bench` at each size: ``kg.paths.search.search`` in
    process on the projection, ``GET /paths`` of backchannel on the embedded store, ``kg.paths.frontier.search.search``
    (bidirectional frontier search with batched SPARQL) against the Oxigraph server, and ``GET /paths`` of
    backchannel on the remote store (its frontier path engine, ``kg.paths.frontier.engine``). These are latencies of
    one request at a time: the HTTP ones from a Python client, which is not the limit at one connection.
``load``
    Loading each graph into the embedded store (``OxigraphStore.bulk_load``, as a first ``backchannel build``)
    and into the Oxigraph server's folder (``oxigraph load``): seconds and disk per million triples; the
    resident memory of ``backchannel serve`` once the store is open and once the path projection is built.
``startup``
    Seconds from starting ``backchannel serve`` to ``/health`` and to ``/ready`` (store answering, projection
    built), on each backend, against ``oxigraph serve`` to its first answer.
``eval``
    The path ranking's evaluation set (:mod:`bench.paths_eval`): hit@1 and MRR on both engines.

Every server listens on 127.0.0.1 only, every request loop is bounded in count and time, every process and
temporary file is removed at the end, also on an error or Ctrl-C.

>>> list(TITLES)
['sparql', 'routes', 'paths', 'load', 'startup', 'eval']
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench import backends, native, paths_bench, paths_eval, report
from bench.figures import (
    BYTES_PER_QUAD,
    MAX_LENGTH,
    Config,
    Graph,
    Latency,
    PathFigures,
    Results,
    Started,
    edges_for,
    log,
    note_load,
    pairs_for,
    seconds_since,
)
from bench.routes import routes_notes, routes_table, run_routes
from bench.sparql_mix import run_sparql, sparql_notes, sparql_table
from kg.paths.builder import build_projection
from kg.paths.frontier import search as frontier_search
from kg.paths.model import Constraints
from kg.paths.search import search as embedded_search
from kg.store.embedded import OxigraphStore
from kg.store.remote import RemoteStore

# --- paths, load, start-up -------------------------------------------------------------------------------


def fit_size(triples: int, folder: Path, results: Results) -> int:
    """``triples``, or fewer if the disk under ``folder`` is short (with a note)."""
    free = shutil.disk_usage(folder).free
    need = triples * BYTES_PER_QUAD
    if need <= free * 0.8:
        return triples
    fitted = max(10_000, int(free * 0.8 / BYTES_PER_QUAD) // 100_000 * 100_000)
    results.notes.append(f"only {free / 2**30:.1f} GiB free under {folder}: the {report.triples(triples)} graph "
                         f"was scaled down to {report.triples(fitted)} triples")
    return fitted


def run_size(cfg: Config, results: Results, folder: Path, wanted: int) -> None:
    """One paths graph: load it both ways, time shortest paths four ways, start our service on both stores."""
    size = fit_size(wanted, folder, results)
    name = f"paths-{report.triples(size)}"
    data = folder / f"{name}.nq"
    log(f"{name}: writing the graph")
    started = time.perf_counter()
    paths_bench.write_graph(data, edges_for(size))
    graph = Graph(name, sum(1 for _ in data.open("rb")), generate_s=seconds_since(started))
    results.graphs.append(graph)
    figures = results.paths.setdefault(name, PathFigures())
    log(f"{name}: {graph.triples:,} quads; loading")
    embedded, server_folder = backends.load_both(graph, data, folder, "application/n-quads")
    data.unlink()
    want_paths = "paths" in cfg.only

    pairs: list[tuple[str, str]] = []
    expected: list[int | None] = []
    if want_paths:
        log(f"{name}: projection and in-process searches")
        store = OxigraphStore(embedded)
        try:
            proj_started = time.perf_counter()
            proj = build_projection(store)
            figures.projection_s = seconds_since(proj_started)
        finally:
            store.close()
        node_pairs = paths_bench.reachable_pairs(proj, pairs_for(size, cfg.pairs))
        cons = Constraints(max_length=MAX_LENGTH)
        expected = [embedded_search(proj, s, t, cons, mode="shortest", k=1).shortest_length for s, t in node_pairs]
        figures.pairs = len(node_pairs)
        figures.lengths = dict(sorted(Counter(x for x in expected if x is not None).items()))
        times, timeouts = paths_bench.timed(
            lambda s, t: embedded_search(proj, s, t, cons, mode="shortest", k=1), node_pairs)
        figures.in_process = Latency([x / 1000 for x in times], timeouts)
        pairs = [(proj.iris[s], proj.iris[t]) for s, t in node_pairs]
        del proj
        gc.collect()

    with contextlib.ExitStack() as stack:
        oxigraph, graph.oxigraph_start_s = backends.start_oxigraph(server_folder)
        stack.callback(oxigraph.stop)
        if want_paths:
            log(f"{name}: remote frontier search against oxigraph")
            remote_searches(cfg, figures, oxigraph.url, pairs, expected)
        graph.oxigraph_rss_mib = backends.oxigraph_rss_mib(oxigraph)
        for label, store_location, started_figures, latency in (
                ("backchannel embedded", str(embedded), graph.embedded, figures.http_embedded),
                ("backchannel remote", "sparql+" + oxigraph.url, graph.remote, figures.http_remote)):
            with contextlib.ExitStack() as inner:
                log(f"{name}: {label}: start-up")
                service = backends.start_ours(inner, label, store_location, folder, started_figures, cfg.ready_timeout,
                                              cfg.settings)
                if started_figures.ready_s is None:
                    graph.notes.append(f"{label} was not ready within {cfg.ready_timeout:g} s (projection not built)")
                    continue
                if want_paths:
                    log(f"{name}: {label}: GET /paths")
                    http_paths(service.url, pairs, latency)
            if store_location == str(embedded):
                log(f"{name}: {label}: a restart (the projection read back from its file)")
                started_figures.restart_ready_s = backends.restart_ready_s(store_location, folder, cfg.ready_timeout,
                                                                           cfg.settings)
                log(f"{name}: {label}: backchannel index, then a first start (the projection built with the data)")
                started_figures.index_s, started_figures.indexed_ready_s = backends.indexed_ready_s(
                    store_location, folder, cfg.ready_timeout, cfg.settings)
        graph.oxigraph_rss_end_mib = backends.oxigraph_rss_mib(oxigraph)
        note_load(results, f"after {name}")
    for leftover in (embedded, f"{embedded}.projections", server_folder):
        shutil.rmtree(leftover, ignore_errors=True)


def remote_searches(cfg: Config, figures: PathFigures, url: str, pairs: list[tuple[str, str]],
                    expected: list[int | None]) -> None:
    """``kg.paths.frontier.search.search`` for each pair against the Oxigraph server at ``url``."""
    store = RemoteStore(url, timeout=60)
    stops: Counter[str] = Counter()
    queries: list[int] = []
    try:
        if pairs:  # warm-up: connections, the engine's caches of the first pages
            frontier_search.search(store, *pairs[0], max_length=MAX_LENGTH, max_frontier=cfg.remote_max_frontier,
                                time_budget=cfg.remote_budget)
        for (source, target), length in zip(pairs, expected, strict=True):
            started = time.perf_counter()
            found = frontier_search.search(store, source, target, max_length=MAX_LENGTH,
                                        max_frontier=cfg.remote_max_frontier, time_budget=cfg.remote_budget)
            figures.remote.times.append(seconds_since(started))
            stops[found.stopped] += 1
            queries.append(found.queries)
            if found.stopped != "met":
                figures.remote.failed += 1
            elif found.length == length:
                figures.remote_same_length += 1
    finally:
        store.close()
    figures.remote_stops = dict(stops)
    figures.remote_queries = statistics.median(queries) if queries else 0.0


def http_paths(url: str, pairs: list[tuple[str, str]], latency: Latency) -> None:
    """``GET /paths`` (shortest, JSON with explanations) for each pair; non-200 answers count as failed."""
    with httpx.Client(timeout=120) as client:
        params: dict[str, str | int] = {"mode": "shortest", "max_length": MAX_LENGTH}
        if pairs:
            client.get(url + "paths", params=params | {"from": pairs[0][0], "to": pairs[0][1]})  # warm-up
        for source, target in pairs:
            started = time.perf_counter()
            try:
                response = client.get(url + "paths", params=params | {"from": source, "to": target})
                problem = "" if response.status_code == 200 else f"{response.status_code} {response.text[:300]}"
            except httpx.HTTPError as err:
                response, problem = None, repr(err)
            elapsed = seconds_since(started)
            if problem:
                latency.failed += 1
                latency.first_failure = latency.first_failure or f"{problem} (after {elapsed:.1f} s)"
                continue
            latency.times.append(elapsed)
            engine = response.json().get("engine") if response is not None else None
            if isinstance(engine, dict) and isinstance(engine.get("queries"), int):
                latency.queries.append(engine["queries"])


# --- the run -----------------------------------------------------------------------------------------------


def run(cfg: Config) -> Results:
    """Run the sections of ``cfg.only``; every process and file is gone when this returns or raises."""
    results = Results(cfg)
    client = native.find_wrk()  # before anything starts: Missing says how to install it
    results.client = client.describe()
    log(f"load generator: {results.client}")
    note_load(results, "at the start")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="backchannel-bench-", dir=cfg.tmp) as tmp:
        folder = Path(tmp)
        log(f"working in {folder} ({shutil.disk_usage(folder).free / 2**30:.0f} GiB free); "
            f"load average {results.load['at the start']}")
        if any(section in cfg.only for section in ("load", "startup")):
            with contextlib.ExitStack() as stack:
                log("baseline: backchannel on an empty store")
                backends.start_ours(stack, "backchannel empty", str(folder / "empty"), folder, results.empty,
                                    cfg.ready_timeout, cfg.settings)
        if "sparql" in cfg.only:
            run_sparql(cfg, results, folder, client)
        if "routes" in cfg.only:
            run_routes(cfg, results, folder, client)
        if any(section in cfg.only for section in ("paths", "load", "startup")):
            for size in cfg.sizes:
                run_size(cfg, results, folder, size)
        if "eval" in cfg.only:
            log("the path ranking's evaluation set")
            results.evaluation = paths_eval.measure()
    results.elapsed_s = seconds_since(started)
    note_load(results, "at the end")
    return results


# --- tables --------------------------------------------------------------------------------------------------

Table = tuple[list[str], list[list[str]]]


def paths_table(results: Results) -> Table:
    """Shortest-path latency (p50 · p99 ms) four ways per graph, and the ratios of the medians."""
    head = ["graph", "pairs", "in-process kg.paths.search", "HTTP /paths, embedded store",
            "kg.paths.frontier.search vs oxigraph", "HTTP /paths, remote store", "remote/in-process p50",
            "remote/HTTP embedded p50", "HTTP remote store/HTTP embedded p50"]
    rows = []
    for name, f in results.paths.items():
        graph = next(g for g in results.graphs if g.name == name)
        rows.append([f"{name} ({graph.triples:,} triples)", str(f.pairs), f.in_process.cell(), f.http_embedded.cell(),
                     f.remote.cell(), f.http_remote.cell(), report.ratio(f.remote.p(0.5), f.in_process.p(0.5)),
                     report.ratio(f.remote.p(0.5), f.http_embedded.p(0.5)),
                     report.ratio(f.http_remote.p(0.5), f.http_embedded.p(0.5))])
    return head, rows


def load_table(results: Results) -> Table:
    """Load time, disk and memory per million triples."""
    head = ["graph", "triples", "embedded bulk_load s (s/M)", "oxigraph load s (s/M)", "embedded/oxigraph load time",
            "disk MiB/M embedded · oxigraph", "service RSS MiB, store open · projection built (MiB/M above empty), "
            "embedded store", "the same, remote store", "oxigraph server RSS MiB (MiB/M), started · at the end"]
    base = results.empty
    rows = [["empty store", "0", report.DASH, report.DASH, report.DASH, report.DASH,
             f"{report.secs(base.rss_up_mib, 0)} · {report.secs(base.rss_ready_mib, 0)}", report.DASH, report.DASH]]

    def per(value: float | None, m: float) -> str:
        """``value`` per million triples (``m`` millions)."""
        return report.DASH if value is None else f"{value / m:.0f}"

    def rss(figures: Started, m: float) -> str:
        def above(value: float | None, empty: float | None) -> str:
            return report.DASH if value is None or empty is None else f"{(value - empty) / m:.0f}"

        return (f"{report.secs(figures.rss_up_mib, 0)} · {report.secs(figures.rss_ready_mib, 0)} "
                f"({above(figures.rss_up_mib, base.rss_up_mib)} · "
                f"{above(figures.rss_ready_mib, base.rss_ready_mib)})")

    for g in results.graphs:
        m = g.millions
        oxigraph = (f"{report.secs(g.oxigraph_rss_mib, 0)} ({per(g.oxigraph_rss_mib, m)}) · "
                    f"{report.secs(g.oxigraph_rss_end_mib, 0)} ({per(g.oxigraph_rss_end_mib, m)})")
        embedded = f"{g.embedded_load_s:.1f} ({g.embedded_load_s / m:.1f})" if not g.copied else "a copy"
        rows.append([g.name, f"{g.triples:,}", embedded, f"{g.server_load_s:.1f} ({g.server_load_s / m:.1f})",
                     report.ratio(g.embedded_load_s, g.server_load_s) if not g.copied else report.DASH,
                     f"{g.embedded_disk_mib / m:.0f} · {g.server_disk_mib / m:.0f}",
                     rss(g.embedded, m), rss(g.remote, m), oxigraph])
    return head, rows


def startup_table(results: Results) -> Table:
    """Seconds to /health and /ready on both backends, against oxigraph serve's first answer."""
    head = ["graph", "backchannel embedded s to /health · /ready", "backchannel embedded restarted s to /ready",
            "backchannel index s · then the first start's s to /ready", "backchannel remote s to /health · /ready",
            "oxigraph serve s to first answer", "us embedded/oxigraph (/ready)", "us remote/oxigraph (/ready)",
            "us embedded/oxigraph (/health)"]
    base = results.empty
    rows = [["empty store", f"{report.secs(base.health_s, 2)} · {report.secs(base.ready_s, 2)}", report.DASH,
             report.DASH, report.DASH, report.DASH, report.DASH, report.DASH, report.DASH]]
    for g in results.graphs:
        rows.append([f"{g.name} ({g.triples:,} triples)",
                     f"{report.secs(g.embedded.health_s, 2)} · {report.secs(g.embedded.ready_s, 2)}",
                     report.secs(g.embedded.restart_ready_s, 2),
                     f"{report.secs(g.embedded.index_s, 1)} · {report.secs(g.embedded.indexed_ready_s, 2)}",
                     f"{report.secs(g.remote.health_s, 2)} · {report.secs(g.remote.ready_s, 2)}",
                     report.secs(g.oxigraph_start_s, 2), report.ratio(g.embedded.ready_s, g.oxigraph_start_s),
                     report.ratio(g.remote.ready_s, g.oxigraph_start_s),
                     report.ratio(g.embedded.health_s, g.oxigraph_start_s)])
    return head, rows


def tables(results: Results) -> dict[str, Table]:
    """The tables of the sections that ran, by section."""
    made: dict[str, Table] = {}
    if "sparql" in results.config.only:
        made["sparql"] = sparql_table(results)
    if "routes" in results.config.only:
        made["routes"] = routes_table(results)
    if "paths" in results.config.only:
        made["paths"] = paths_table(results)
    if "load" in results.config.only:
        made["load"] = load_table(results)
    if "startup" in results.config.only:
        made["startup"] = startup_table(results)
    if "eval" in results.config.only:
        made["eval"] = paths_eval.table(results.evaluation)
    return made


TITLES = {
    "sparql": "SPARQL mix",
    "routes": "Our routes on the seed graph",
    "paths": "Path search, embedded vs remote",
    "load": "Load time and memory per million triples",
    "startup": "Start-up",
    "eval": "Path ranking: evaluation set",
}


def render(results: Results) -> str:
    """The run as Markdown: what ran where, then one table per section with its notes."""
    cfg = results.config
    lines = [
        f"Run {results.started:%Y-%m-%d %H:%M} UTC, {results.elapsed_s / 60:.0f} min: `{cfg.command}`.",
        f"Machine: {results.machine}; `nproc` {os.cpu_count()}. Code: {results.code}.",
        "Load average (1 / 5 / 15 min): " + "; ".join(f"{k} {v}" for k, v in results.load.items()) + ". "
        "Client, servers and query workers share these cores (and with other work on the machine).",
        f"Every requests-per-second figure is from the native load generator: {results.client or 'not used'}.",
    ]
    lines += [f"Note: {n}" for n in results.notes]
    made = tables(results)
    for section, (head, rows) in made.items():
        lines += ["", f"### {TITLES[section]}", ""]
        lines += section_notes(results, section)
        lines += ["", report.table(head, rows)]
    return "\n".join(lines)


def section_notes(results: Results, section: str) -> list[str]:
    """What a section's table measured (printed above it)."""
    cfg = results.config
    if section == "eval":
        return paths_eval.NOTES
    if section == "sparql":
        return sparql_notes(results)
    if section == "routes":
        return routes_notes(results)
    if section == "paths":
        notes = [f"`bench.paths_bench` power-law graph (hubs); shortest path (`mode=shortest`), at most {MAX_LENGTH} "
                 "hops, between random reachable pairs; p50 · p99 in ms. In process: `kg.paths.search.search` on the "
                 "projection. HTTP on the embedded store: the in-memory engine (projection built at `/ready`). "
                 "`kg.paths.frontier.search.search`: the bare frontier search (batched VALUES queries, frontier cap "
                 f"{cfg.remote_max_frontier}, budget {cfg.remote_budget:g} s) against the Oxigraph server, as a "
                 "function. HTTP on the remote store: the service's frontier engine (`kg.paths.frontier.engine`: "
                 "that frontier search with the constraints in the queries, then the subgraph of the short walks "
                 "fetched with labels, kinds, dates, whole-graph degrees and predicate frequencies, ranked and "
                 "explained in memory; a search past `paths_frontier_time_budget` answers 503). A failed search did "
                 "not meet or did not answer 200; the latencies are of the successful ones, except for the bare "
                 "function, where every search counts. Each search is timed alone (one request at a time; the HTTP "
                 "ones from a Python client, which is not the limit at one connection)."]
        for name, f in results.paths.items():
            stops = ", ".join(f"{k} {v}" for k, v in sorted(f.remote_stops.items()))
            notes.append(f"- {name}: projection built in process in {f.projection_s:.1f} s; shortest lengths "
                         f"{f.lengths}; bare remote search: {stops}, same length as in process "
                         f"{f.remote_same_length}/{f.pairs}, median {f.remote_queries:g} queries per search")
            if f.http_remote.queries:
                notes.append(f"- {name}: the service's frontier engine: median "
                             f"{statistics.median(f.http_remote.queries):g} queries per answer")
            for label, latency in (("HTTP embedded", f.http_embedded), ("HTTP remote store", f.http_remote)):
                if latency.failed:
                    notes.append(f"- {name}: {label}: {latency.failed} of {f.pairs} failed; first: "
                                 f"{latency.first_failure}")
        return notes
    if section == "load":
        return ["Embedded: `OxigraphStore.bulk_load` of the file into an on-disk store (as a first build); oxigraph: "
                "`oxigraph load` into the server's folder. RSS of the `backchannel serve` process (not its query "
                "workers) once `/health` answers (store open) and once `/ready` answers (embedded store: path "
                "projection built; remote store: nothing to build); "
                "the Oxigraph server's RSS once started (paths graphs: after the bare remote searches) and at the end. "
                "In brackets: per million triples, above our service on an empty store (first row). The SPARQL graph "
                "is loaded once (`oxigraph load --graph`) and the embedded store is a copy of that store; the "
                "Oxigraph server on it is `serve-read-only`."] + \
            [f"- {g.name}: query workers after the SPARQL mix: {g.embedded.workers_mib:.0f} MiB "
             "together; "
             f"the server process then {g.embedded.rss_after_mib:.0f} MiB (embedded), "
             f"{g.remote.rss_after_mib or 0:.0f} MiB (remote)"
             for g in results.graphs if g.embedded.workers_mib is not None] + \
            [f"- {g.name}: {n}" for g in results.graphs for n in g.notes]
    return ["From starting the process to its first 200: `/health` (HTTP served, store open) and `/ready` (store "
            "answers, and on the embedded store the path projection is built; the frontier engine, chosen for a "
            "remote store, builds none); \"restarted\": a second `backchannel serve` on the same embedded store, "
            "which reads the projection back from the file the first one wrote (`kg/paths/files.py`); "
            "\"backchannel index\": that file removed, the projection built and written by `backchannel index` (what "
            "`backchannel load` does after loading), then the first `backchannel serve` after it; "
            "`oxigraph serve` to its first answer to `ASK {}`. Ratios above 1: we take longer."]
