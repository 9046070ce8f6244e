"""Benchmark of the path search on a synthetic power-law graph (not a test).

    .venv/bin/python -m bench.paths_bench --edges 1000000 [--pairs 200] [--write]

One run: generate a graph with hubs (preferential attachment), load it into an embedded
OxigraphStore, then measure

- the projection: build time and memory (peak and retained RSS growth of the process), numba loaded before (a
  path worker of a big graph loads it for the compiled build and searches: its CPU and memory are a row of their
  own);
- shortest path in-process, p50/p99 over random reachable pairs: unconstrained, with a predicate
  excluded, and avoiding hubs (max_degree at the 99th percentile); k=5 (Yen);
- the same shortest paths through HTTP (``backchannel serve`` as deployed, in its own process, on an on-disk
  copy of the graph, once ``/ready`` answers and its start-up work is over; JSON with explanations), one
  request at a time from a Python client: a latency per request, where the client is not the limit
  (throughput of ``/paths`` under load is measured with ``wrk`` by the suite, ``python -m bench``);
- baselines on the same projection: networkx ``bidirectional_shortest_path``, a compiled BFS
  (``scipy.sparse.csgraph.shortest_path``, unweighted, one source) and an Oxigraph SPARQL
  property-path ASK (a handful of samples, 30 s limit each);
- influence scores (PageRank + betweenness): first call and cached call.

Prints a table with the targets and ratios; ``--write`` puts it into the "Paths" section of
bench/RESULTS.md (other sections are left as they are).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx

from bench import live, native
from kg.paths import compiled, tsv_compiled
from kg.paths.builder import build_projection
from kg.paths.constraints import make_constraints
from kg.paths.influence import scores
from kg.paths.model import Constraints, SearchTimeout
from kg.paths.projection import Projection
from kg.paths.search import search
from kg.pool import hold_still
from kg.store.base import QueryEvaluationError, QueryRequest, QueryTimeout
from kg.store.embedded import OxigraphStore

EX = "http://bench.example/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
BC = "https://w3id.org/backchannel/def#"
TYPES = ("http://xmlns.com/foaf/0.1/Person", "http://purl.org/ontology/bibo/Document", BC + "Event",
         "http://www.w3.org/2004/02/skos/core#Concept")
INFLUENCE = "http://www.w3.org/ns/prov#wasInfluencedBy"
RESULTS = Path(__file__).with_name("RESULTS.md")


# --- the graph ----------------------------------------------------------------------------------

def write_graph(path: Path, edges: int, seed: int = 7) -> int:
    """N-Quads of a preferential-attachment graph: ``edges`` relations among edges/5 things, with
    labels, types and dates; 20 predicates of Zipf-like frequency (5% prov:wasInfluencedBy)."""
    rng = random.Random(seed)
    nodes = max(10, edges // 5)
    predicates = [f"{EX}p{i}" for i in range(19)]
    weights = [1 / (i + 1) for i in range(19)]
    ends: list[int] = list(range(10))
    with path.open("w") as out:
        for _ in range(edges):
            s = rng.randrange(nodes) if rng.random() < 0.5 else rng.choice(ends)
            o = rng.randrange(nodes) if rng.random() < 0.5 else rng.choice(ends)
            if s == o:
                o = (o + 1) % nodes
            ends.append(s)
            ends.append(o)
            p = INFLUENCE if rng.random() < 0.05 else rng.choices(predicates, weights)[0]
            out.write(f"<{EX}n{s}> <{p}> <{EX}n{o}> <{EX}g{s % 50}> .\n")
        for n in range(nodes):
            out.write(f'<{EX}n{n}> <{LABEL}> "Thing {n}"@en <{EX}g{n % 50}> .\n')
            out.write(f"<{EX}n{n}> <{RDF_TYPE}> <{TYPES[n % 4]}> <{EX}g{n % 50}> .\n")
            if n % 4 in (1, 2):
                out.write(f'<{EX}n{n}> <{BC}date> "{1950 + n % 70}" <{EX}g{n % 50}> .\n')
    return nodes


# --- measuring ----------------------------------------------------------------------------------

def rss_kib(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def timed(call: Callable[[int, int], object], pairs: Iterable[tuple[int, int]]) -> tuple[list[float], int]:
    """Milliseconds of ``call(s, t)`` for each pair, and how many calls ran out of time."""
    times, timeouts = [], 0
    for s, t in pairs:
        started = time.perf_counter()
        try:
            call(s, t)
        except SearchTimeout:
            timeouts += 1
            continue
        times.append((time.perf_counter() - started) * 1000)
    return times, timeouts


def reachable_pairs(proj: Projection, count: int, seed: int = 11) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    nodes = [v for v in range(len(proj)) if proj.alive[v] and proj.degree[v] > 0]
    pairs: list[tuple[int, int]] = []
    while len(pairs) < count:
        s, t = rng.sample(nodes, 2)
        if search(proj, s, t, Constraints(max_length=8), mode="shortest", k=1).paths:
            pairs.append((s, t))
    return pairs


# --- HTTP ----------------------------------------------------------------------------------------

def serve_deployed(data: Path, folder: Path) -> tuple[str, Callable[[], None], Callable[[], None]]:
    """``backchannel serve`` on an on-disk store of ``data`` (N-Quads) in ``folder``, in its own process: its URL,
    how to stop it and how to wait until it is idle, once ``/ready`` answers (the path workers hold the
    projection) and the server has finished its start-up work (the name index and catalogue are built in a thread
    after ``/ready`` can answer; a request during them shares the interpreter with them)."""
    from bench import backends

    location = folder / "store"
    disk = OxigraphStore(str(location))
    disk.bulk_load(str(data), "application/n-quads")
    disk.close()
    service = backends.start_service("paths-bench", str(location), folder)
    try:
        service.wait_health()
        if service.wait_ready(600) is None:
            raise RuntimeError("the service was not ready within 600 s")
        pid = service.process.process.pid

        def settle() -> None:
            native.wait_idle(lambda: [pid, *live.children(pid)])

        settle()
    except BaseException:
        service.stop()
        raise
    return service.process.url, service.stop, settle


# --- the run -------------------------------------------------------------------------------------

def run(edges: int, pairs_count: int, k_pairs: int) -> tuple[list[tuple[str, str, str, str]], dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="paths-bench-") as tmp:
        return _run(Path(tmp), edges, pairs_count, k_pairs)


def _run(folder: Path, edges: int, pairs_count: int,
         k_pairs: int) -> tuple[list[tuple[str, str, str, str]], dict[str, str]]:
    rows: list[tuple[str, str, str, str]] = []  # measure, value, target, verdict / ratio
    info: dict[str, str] = {}
    data = folder / "graph.nq"
    started = time.perf_counter()
    nodes = write_graph(data, edges)
    info["graph"] = f"{edges:,} relations among {nodes:,} things (+ labels, types, dates), 20 predicates, 50 graphs"
    store = OxigraphStore(":memory:")
    store.bulk_load(str(data), "application/n-quads")
    info["load"] = f"generated and bulk-loaded {len(store):,} quads in {time.perf_counter() - started:.1f} s"
    try:
        # numba, once per process: the compiled build and the k-best searches of a path worker both need it
        before, cpu0 = rss_kib(), time.process_time()
        tsv_compiled.warm()
        rows.append(("numba and the build's compiled loop loaded (once per process: CPU, memory)",
                     f"{time.process_time() - cpu0:.2f} s, {(rss_kib() - before) / 1024:.0f} MiB", "", ""))
        # projection: time, peak and retained memory
        gc.collect()
        before = rss_kib()
        peak_ok = reset_peak()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        proj = build_projection(store)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        peak = (rss_kib("VmHWM") - before) / 1024 if peak_ok else float("nan")
        retained = (rss_kib() - before) / 1024
        rows.append(("projection build (wall)", f"{wall:.2f} s (CPU {cpu:.2f} s)", "≤ 5 s", _ok(wall <= 5)))
        rows.append(("projection memory: peak growth", f"{peak:.0f} MiB", "≤ 400 MiB", _ok(peak <= 400)))
        rows.append(("projection memory: retained", f"{retained:.0f} MiB", "", ""))
        info["projection"] = f"{len(proj):,} node ids, {proj.edge_count:,} relations, {len(proj.predicates)} predicates"
        started = time.process_time()
        compiled.prepare(proj)  # as a path worker does: the compiled loops of the k-best searches (k=5)
        rows.append(("compiled k-best searches readied (once per projection, CPU)",
                     f"{time.process_time() - started:.2f} s", "", ""))
        hold_still()  # as a path worker does once its projection is built: no collector pass walks it mid-search

        pairs = reachable_pairs(proj, pairs_count)
        lengths = [search(proj, s, t, Constraints(max_length=8), mode="shortest").shortest_length for s, t in pairs]
        info["pairs"] = (f"{len(pairs)} random reachable pairs; shortest lengths "
                         f"{dict(sorted((n, lengths.count(n)) for n in set(lengths)))}")
        common = max(range(len(proj.predicates)), key=lambda p: proj.pred_freq[p])
        hub_cap = sorted(proj.degree)[int(0.99 * (len(proj.degree) - 1))]
        excluded = make_constraints(proj, max_length=8, exclude_predicates=[proj.predicates[common]])
        no_hubs = make_constraints(proj, max_length=8, max_degree=hub_cap)
        info["constraints"] = (f"predicate filter: without {proj.predicates[common]} ({proj.pred_freq[common]:,} "
                               f"relations); hub avoidance: max_degree={hub_cap} (99th percentile)")

        ours, _ = timed(lambda s, t: search(proj, s, t, Constraints(max_length=8), mode="shortest", k=1), pairs)
        rows += _latency("shortest, in-process", ours, 1.0)
        pred_times, pred_to = timed(lambda s, t: search(proj, s, t, excluded, mode="shortest"), pairs)
        rows += _latency("shortest, predicate excluded, in-process", pred_times, 5.0, pred_to)
        hub_times, hub_to = timed(lambda s, t: search(proj, s, t, no_hubs, mode="shortest"), pairs)
        rows += _latency("shortest, hubs avoided, in-process", hub_times, 5.0, hub_to)
        k_times, k_to = timed(lambda s, t: search(proj, s, t, Constraints(max_length=8), mode="k", k=5),
                              pairs[:k_pairs])
        rows += _latency(f"k=5 (Yen), in-process ({k_pairs} pairs)", k_times, 20.0, k_to)

        # HTTP: `backchannel serve` as deployed, in its own process, once its start-up work is over
        url, stop, settle = serve_deployed(data, folder)
        try:
            with httpx.Client(timeout=60) as client:
                client.get(url + "paths", params={"from": proj.iris[pairs[0][0]], "to": proj.iris[pairs[0][1]]})
                settle()  # the first question started the pool's spare path worker: measured once it is up
                http_times = []
                for s, t in pairs:
                    started = time.perf_counter()
                    response = client.get(url + "paths", params={"from": proj.iris[s], "to": proj.iris[t],
                                                                 "mode": "shortest", "max_length": 8})
                    http_times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.text
        finally:
            stop()
        p50, p99 = statistics.median(http_times), pct(http_times, 0.99)
        rows.append(("shortest, HTTP (JSON, explained) p50", f"{p50:.2f} ms", "≤ 5 ms", _ok(p50 <= 5)))
        rows.append(("shortest, HTTP p99", f"{p99:.2f} ms", "≤ 50 ms", _ok(p99 <= 50)))

        # baselines
        rows += _baselines(proj, store, pairs, statistics.median(ours))

        # influence
        started = time.perf_counter()
        sc = scores(proj)
        first = time.perf_counter() - started
        started = time.perf_counter()
        scores(proj)
        again = (time.perf_counter() - started) * 1000
        rows.append(("influence scores, first call", f"{first:.2f} s", "once per version",
                     f"{sc.nodes:,} nodes, {sc.edges:,} links"))
        rows.append(("influence scores, cached call", f"{again:.3f} ms", "≈ 0", _ok(again < 1)))
    finally:
        store.close()
    return rows, info


def _ok(good: bool) -> str:
    return "meets" if good else "misses"


def _compared(theirs: float, ours: float) -> str:
    return f"ours is {theirs / ours:.1f}× faster" if theirs >= ours else f"ours is {ours / theirs:.1f}× slower"


def _latency(name: str, times: list[float], target_p50: float, timeouts: int = 0) -> list[tuple[str, str, str, str]]:
    p50, p99 = statistics.median(times), pct(times, 0.99)
    extra = f"; {timeouts} over the 2 s budget" if timeouts else ""
    return [(f"{name} p50", f"{p50:.3f} ms", f"≤ {target_p50:g} ms", _ok(p50 <= target_p50)),
            (f"{name} p99", f"{p99:.3f} ms{extra}", "", "")]


def _networkx_times(proj: Projection, pairs: list[tuple[int, int]]) -> tuple[list[float], float]:
    """networkx's bidirectional BFS over the projection: milliseconds per pair, and seconds to build its graph
    (freed on return)."""
    import networkx as nx

    started = time.perf_counter()
    graph = nx.Graph()
    graph.add_nodes_from(range(len(proj)))
    for u in range(len(proj)):
        graph.add_edges_from((u, v) for v in proj.out_dst[proj.out_off[u]:proj.out_off[u + 1]] if v != u)
    build = time.perf_counter() - started
    times, _ = timed(lambda s, t: nx.bidirectional_shortest_path(graph, s, t), pairs)
    return times, build


def _baselines(proj: Projection, store: OxigraphStore, pairs: list[tuple[int, int]], ours_p50: float
               ) -> list[tuple[str, str, str, str]]:
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    rows = []
    times, build = _networkx_times(proj, pairs)
    p50 = statistics.median(times)
    rows.append((f"networkx bidirectional_shortest_path p50 (graph built in {build:.1f} s)", f"{p50:.3f} ms", "",
                 _compared(p50, ours_p50)))
    gc.collect()
    n = len(proj)
    dst = np.frombuffer(proj.out_dst, dtype=np.int32)
    off = np.frombuffer(proj.out_off, dtype=np.int32)
    matrix = csr_matrix((np.ones(len(dst), dtype=np.int8), dst, off), shape=(n, n))
    sample = pairs[:20]
    times, _ = timed(lambda s, t: shortest_path(matrix, directed=False, unweighted=True, indices=s)[t], sample)
    p50 = statistics.median(times)
    rows.append((f"scipy csgraph BFS from the source p50 ({len(sample)} pairs)", f"{p50:.3f} ms", "",
                 _compared(p50, ours_p50)))
    any_relation = "(!<urn:x:none>|^!<urn:x:none>)*"
    times, timeouts = [], 0
    for s, t in pairs[:3]:
        query = f"ASK {{ <{proj.iris[s]}> {any_relation} <{proj.iris[t]}> }}"
        started = time.perf_counter()
        try:
            store.execute(QueryRequest(query), timeout=30)
            times.append((time.perf_counter() - started) * 1000)
        except (QueryTimeout, QueryEvaluationError):
            timeouts += 1
    value = f"{statistics.median(times):.0f} ms" if times else "–"
    note = f"{timeouts} of 3 over 30 s" if timeouts else f"ours is {statistics.median(times) / ours_p50:.0f}× faster"
    rows.append(("Oxigraph SPARQL property-path ASK (3 samples, says only yes/no)", value, "", note))
    return rows


def table(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["| measure | value | target | verdict / ratio |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


NOTES = "### What the paths figures say"
"""A hand-written subsection of the Paths section that ``--write`` keeps."""


def write_section(text: str) -> None:
    """Replace the "## Paths" section of bench/RESULTS.md (or add it), leaving the others alone; the
    hand-written notes under "### What the paths figures say" are kept."""
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## Paths\n.*?(?=^## |\Z)", re.S | re.M)
    found = pattern.search(current)
    notes = ""
    if found and NOTES in found.group(0):
        notes = "\n" + found.group(0)[found.group(0).index(NOTES):].rstrip() + "\n"
    section = f"## Paths\n\n{text.strip()}\n{notes}"
    if found:
        updated = pattern.sub(lambda _: section + "\n", current).rstrip() + "\n"
    else:
        updated = current.rstrip() + "\n\n" + section
    RESULTS.write_text(updated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edges", type=int, default=1_000_000, help="relations in the synthetic graph")
    parser.add_argument("--pairs", type=int, default=200, help="random reachable pairs for the latencies")
    parser.add_argument("--k-pairs", type=int, default=50, help="pairs for the k=5 latency")
    parser.add_argument("--write", action="store_true", help="write the table into bench/RESULTS.md (Paths)")
    args = parser.parse_args()
    rows, info = run(args.edges, args.pairs, args.k_pairs)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    header = [f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine} (a machine shared with "
              f"other work; `.venv/bin/python -m bench.paths_bench --edges {args.edges}`)."] + \
             [f"- {key}: {value}" for key, value in info.items()]
    text = "\n".join(header) + "\n\n" + table(rows)
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
