"""Load: many concurrent clients on a real ``backchannel serve`` for a while, mixed workload; errors, latency, memory.

Run::

    .venv/bin/python -m bench.load --clients 64 --seconds 300

It builds the curated graph into an on-disk store in a temporary folder, serves
it (``backchannel serve`` on a free loopback port, as a subprocess), and drives
it with ``--clients`` asyncio+httpx clients until ``--seconds`` pass or
``--max-requests`` are sent. The workload mixes SPARQL SELECT / ASK /
CONSTRUCT (repeated ones: cache hits; fresh ones: misses), entity pages
(``/id/…`` → 303 → ``/doc/…``, followed), Turtle of an entity, ``/paths``,
``/search``, ``/influence/ranking`` and the named queries of ``/api/queries``.

It is a soak test (errors, overload refusals, memory growth under a long mixed load), not a
throughput measurement: its Python clients share the 2 cores with the server and are themselves the
limit, so its request count says nothing about the server's capacity (the suite, ``python -m bench``,
measures that with ``wrk``). It reports, per route: requests, errors (any 5xx but 503, any connection error
or timeout), 503s (overload refusals; counted apart, expected 0 in this
workload), other 4xx, and p50/p95/p99 latency; and the server's resident memory
(``VmRSS`` of ``/proc/PID/status``, sampled every ``--sample-every`` seconds)
with the slope of a least-squares line after ``--warmup`` seconds. Exit status 1
if there was any error or 503, or if memory grew by more than ``--max-growth-mb``
after the warm-up (a leak).

``--write-results bench/RESULTS.md`` replaces that file's "## Load" section with the figures.

>>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([], 99)
(2.5, 0.0)
>>> round(slope([(0, 10.0), (60, 11.0), (120, 12.0)]) * 60, 3)  # per minute
1.0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench import live
from bench.sparql_bench import machine  # one description of the machine for every bench

SPARQL_JSON = "application/sparql-results+json"


# --- statistics ------------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (linear interpolation), 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y) points (0.0 with fewer than two)."""
    if len(points) < 2:
        return 0.0
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0


@dataclass
class RouteStats:
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: int = 0
    overload: int = 0
    client_errors: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return self.ok + self.errors + self.overload + self.client_errors


@dataclass
class Results:
    routes: dict[str, RouteStats] = field(default_factory=lambda: defaultdict(RouteStats))
    rss: list[tuple[float, int, int]] = field(default_factory=list)  # (seconds, server KiB, workers KiB)
    started: float = 0.0
    elapsed: float = 0.0

    def record(self, route: str, status: int | None, seconds: float, note: str = "") -> None:
        stats = self.routes[route]
        stats.latencies.append(seconds)
        if status is None or (status >= 500 and status != 503):
            stats.errors += 1
        elif status == 503:
            stats.overload += 1
        elif status >= 400:
            stats.client_errors += 1
        else:
            stats.ok += 1
        if (status is None or status >= 400) and len(stats.examples) < 5:
            stats.examples.append(f"{status}: {note[:200]}")

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.routes.values())

    @property
    def overload(self) -> int:
        return sum(s.overload for s in self.routes.values())

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.routes.values())


# --- the workload -------------------------------------------------------------------------------------

@dataclass
class Workload:
    """What the clients ask for, discovered from the running server."""

    entities: list[str]
    labels: list[str]
    named: list[str]  # example URLs of the named queries
    pairs: list[tuple[str, str]]

    def requests(self, base: str) -> list[tuple[str, int, Callable[[random.Random], tuple[str, str, dict[str, str]]]]]:
        """(route label, weight, maker of (method, url, headers))."""
        entities, labels = self.entities, self.labels

        def sparql(query: str, accept: str = SPARQL_JSON) -> tuple[str, str, dict[str, str]]:
            return "GET", base + "sparql?" + urlencode({"query": query}), {"Accept": accept}

        def select(rng: random.Random) -> tuple[str, str, dict[str, str]]:
            thing = rng.choice(entities)
            if rng.random() < 0.5:  # a popular query (cache hit after the first time)
                return sparql(f"SELECT ?p ?o {{ <{thing}> ?p ?o }} LIMIT 50")
            return sparql(f"SELECT ?s ?p {{ ?s ?p <{thing}> }} LIMIT {rng.randint(1, 500)}",
                          rng.choice([SPARQL_JSON, "text/csv", "application/sparql-results+xml"]))

        def aggregate(rng: random.Random) -> tuple[str, str, dict[str, str]]:
            return sparql("SELECT ?type (COUNT(?s) AS ?n) { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n) "
                          f"LIMIT {rng.randint(5, 50)}")

        def ask(rng: random.Random) -> tuple[str, str, dict[str, str]]:
            a, b = rng.choice(entities), rng.choice(entities)
            return sparql(f"ASK {{ <{a}> ?p <{b}> }}")

        def construct(rng: random.Random) -> tuple[str, str, dict[str, str]]:
            thing = rng.choice(entities)
            return sparql(f"CONSTRUCT {{ <{thing}> ?p ?o . ?o ?q ?r }} "
                          f"WHERE {{ <{thing}> ?p ?o OPTIONAL {{ ?o ?q ?r }} }}",
                          rng.choice(["text/turtle", "application/ld+json", "application/n-triples"]))

        def page(rng: random.Random) -> tuple[str, str, dict[str, str]]:
            return "GET", rng.choice(entities), {"Accept": "text/html"}

        def turtle(rng: random.Random) -> tuple[str, str, dict[str, str]]:
            return "GET", rng.choice(entities), {"Accept": "text/turtle"}

        def paths(rng: random.Random) -> tuple[str, str, dict[str, str]]:
            a, b = rng.choice(self.pairs)
            mode = rng.choice(["k", "k", "shortest", "all"])
            return "GET", base + "paths?" + urlencode({"from": a, "to": b, "mode": mode, "k": 3, "limit": 20}), {}

        def search(rng: random.Random) -> tuple[str, str, dict[str, str]]:
            label = rng.choice(labels)
            return "GET", base + "search?" + urlencode({"q": label[: rng.randint(2, max(2, min(12, len(label))))]}), {}

        def ranking(rng: random.Random) -> tuple[str, str, dict[str, str]]:
            return "GET", base + "influence/ranking?" + urlencode({"limit": rng.randint(5, 30)}), {}

        def named(rng: random.Random) -> tuple[str, str, dict[str, str]]:
            return "GET", rng.choice(self.named), {"Accept": rng.choice(["application/json", SPARQL_JSON, "text/csv"])}

        mix = [
            ("sparql select", 16, select), ("sparql aggregate", 4, aggregate), ("sparql ask", 8, ask),
            ("sparql construct", 8, construct), ("entity page (303 + page)", 16, page),
            ("entity turtle (303 + doc)", 6, turtle), ("paths", 10, paths), ("search", 12, search),
            ("influence ranking", 4, ranking), ("named queries", 12, named),
        ]
        return [(name, weight, maker) for name, weight, maker in mix if self._has(name)]

    def _has(self, name: str) -> bool:
        if name == "named queries":
            return bool(self.named)
        if name == "paths":
            return bool(self.pairs)
        if name == "search":
            return bool(self.labels)
        return True


def discover(base: str) -> Workload:
    """Entities, labels, named queries and path pairs of the served graph."""
    with httpx.Client(timeout=60) as client:
        query = (f'SELECT DISTINCT ?s ?label {{ ?s ?p ?o . OPTIONAL {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> '
                 f'?label }} FILTER(STRSTARTS(STR(?s), "{base}id/") && !STRSTARTS(STR(?s), "{base}id/source/")) }}')
        rows = client.get(base + "sparql", params={"query": query}, headers={"Accept": SPARQL_JSON}).json()
        entities, labels = [], []
        for row in rows["results"]["bindings"]:
            entities.append(row["s"]["value"])
            if "label" in row:
                labels.append(row["label"]["value"])
        entities = sorted(set(entities))
        named: list[str] = []
        listing = client.get(base + "api/queries")
        if listing.status_code == 200:
            named = [q.get("example_url") or q["url"] for q in listing.json().get("queries", [])]
        people = [e for e in entities if "/id/person/" in e]
        ends = [e for e in entities if "/id/event/" in e or "/id/work/" in e or "/id/process/" in e]
        rng = random.Random(1)
        pairs = [(rng.choice(people), rng.choice(ends)) for _ in range(60)] if people and ends else []
    if not entities:
        raise SystemExit("the served graph has no things under /id/: did the build run?")
    return Workload(entities, labels or ["Montville"], named, pairs)


# --- the clients ------------------------------------------------------------------------------------------

async def client_loop(client: httpx.AsyncClient, mix: list, results: Results, deadline: float, budget: list[int],
                      seed: int) -> None:
    rng = random.Random(seed)
    names = [m[0] for m in mix]
    weights = [m[1] for m in mix]
    makers = {m[0]: m[2] for m in mix}
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        route = rng.choices(names, weights)[0]
        method, url, headers = makers[route](rng)
        start = time.perf_counter()
        status: int | None
        try:
            response = await client.request(method, url, headers=headers)
            status = response.status_code
            note = response.text[:200] if status >= 400 else ""
            if status == 303 and "location" in response.headers:  # follow, as a browser would
                response = await client.get(str(response.url.join(response.headers["location"])), headers=headers)
                status = response.status_code
                note = response.text[:200] if status >= 400 else ""
        except httpx.HTTPError as err:
            cause = err.__cause__ or err.__context__
            status, note = None, f"{type(err).__name__}: {err} {cause!r} ({url[:120]})"
        results.record(route, status, time.perf_counter() - start, note)


async def sample_memory(server: live.LiveProcess, results: Results, deadline: float, every: float) -> None:
    while time.monotonic() < deadline:
        results.rss.append((time.monotonic() - results.started, server.rss_kib(), server.workers_rss_kib()))
        await asyncio.sleep(every)
    results.rss.append((time.monotonic() - results.started, server.rss_kib(), server.workers_rss_kib()))


async def drive(server: live.LiveProcess, workload: Workload, clients: int, seconds: float, max_requests: int,
                sample_every: float) -> Results:
    mix = workload.requests(server.url)
    results = Results()
    # idle connections are dropped after 2 s, before uvicorn's 5 s keep-alive timeout closes them under the client
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0), limits=limits) as client:
        results.started = time.monotonic()
        deadline = results.started + seconds
        budget = [max_requests]
        tasks = [asyncio.create_task(client_loop(client, mix, results, deadline, budget, seed))
                 for seed in range(clients)]
        sampler = asyncio.create_task(sample_memory(server, results, deadline, sample_every))
        await asyncio.gather(*tasks)
        results.elapsed = time.monotonic() - results.started
        sampler.cancel()
        results.rss.append((results.elapsed, server.rss_kib(), server.workers_rss_kib()))
    return results


# --- the report ------------------------------------------------------------------------------------------------

@dataclass
class Memory:
    start_mib: float
    end_mib: float
    peak_mib: float
    slope_mib_per_min: float
    growth_mib: float
    workers_end_mib: float
    samples: int


def memory(results: Results, warmup: float) -> Memory:
    after = [(t, kib / 1024) for t, kib, _ in results.rss if t >= warmup and kib] or [
        (t, kib / 1024) for t, kib, _ in results.rss if kib]
    per_second = slope(after)
    span = (after[-1][0] - after[0][0]) if len(after) > 1 else 0.0
    return Memory(
        start_mib=after[0][1] if after else 0.0,
        end_mib=after[-1][1] if after else 0.0,
        peak_mib=max((m for _, m in after), default=0.0),
        slope_mib_per_min=per_second * 60,
        growth_mib=per_second * span,
        workers_end_mib=results.rss[-1][2] / 1024 if results.rss else 0.0,
        samples=len(after),
    )


def report(results: Results, mem: Memory, args: argparse.Namespace) -> str:
    lines = [
        f"{results.requests} requests in {results.elapsed:.1f} s from {args.clients} clients (a Python client on "
        "the same cores, itself the limit: a soak test of errors and memory, not a throughput figure; see "
        f"`python -m bench` for those); errors: {results.errors}; 503 (overload): {results.overload}",
        "",
        "| route | requests | errors | 503 | other 4xx | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for route, stats in sorted(results.routes.items()):
        ms = [s * 1000 for s in stats.latencies]
        lines.append(f"| {route} | {stats.requests} | {stats.errors} | {stats.overload} | {stats.client_errors} | "
                     f"{percentile(ms, 50):.1f} | {percentile(ms, 95):.1f} | {percentile(ms, 99):.1f} |")
    every = [s * 1000 for stats in results.routes.values() for s in stats.latencies]
    lines.append(f"| **all** | {results.requests} | {results.errors} | {results.overload} | "
                 f"{sum(s.client_errors for s in results.routes.values())} | {percentile(every, 50):.1f} | "
                 f"{percentile(every, 95):.1f} | {percentile(every, 99):.1f} |")
    lines += [
        "",
        f"Server memory (VmRSS, {mem.samples} samples after a {args.warmup:g} s warm-up): "
        f"{mem.start_mib:.0f} MiB → {mem.end_mib:.0f} MiB (peak {mem.peak_mib:.0f}); slope "
        f"{mem.slope_mib_per_min:+.2f} MiB/min, fitted growth {mem.growth_mib:+.1f} MiB "
        f"(limit {args.max_growth_mb:g}); query workers together at the end: {mem.workers_end_mib:.0f} MiB.",
    ]
    problems = [f"- {route}: {example}"
                for route, stats in sorted(results.routes.items()) for example in stats.examples]
    if problems:
        lines += ["", "First problems seen:", *problems[:20]]
    return "\n".join(lines)


def write_results(path: Path, text: str, section: str = "Load") -> None:
    """Replace the ``## {section}`` section of ``path`` (create the file or the section if missing)."""
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    heading = f"## {section}\n"
    body = heading + "\n" + text.strip() + "\n"
    if heading in current:
        head, _, rest = current.partition(heading)
        following = rest.find("\n## ")
        tail = rest[following + 1 :] if following >= 0 else ""
        current = head + body + ("\n" + tail if tail else "")
    else:
        current = current.rstrip("\n") + "\n\n" + body
    path.write_text(current)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--max-requests", type=int, default=5_000_000, help="stop after this many requests")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before memory is judged (default 20%%)")
    parser.add_argument("--sample-every", type=float, default=3.0, help="seconds between memory samples")
    parser.add_argument("--max-growth-mb", type=float, default=64.0, help="memory growth after warm-up that fails")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--keep-log", type=Path, help="copy the server's log (access log and errors) here")
    parser.add_argument("--write-results", type=Path, help="replace the '## Load' section of this Markdown file")
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = min(60.0, args.seconds * 0.2)

    with tempfile.TemporaryDirectory(prefix="backchannel-load-") as folder:
        print(f"building the graph and starting backchannel serve in {folder} ...", file=sys.stderr)
        server = live.start(Path(folder) / "store", build=True)
        try:
            workload = discover(server.url)
            print(f"serving {server.url} (pid {server.pid}); {len(workload.entities)} things, "
                  f"{len(workload.named)} named queries; {args.clients} clients for {args.seconds:g} s ...",
                  file=sys.stderr)
            results = asyncio.run(drive(server, workload, args.clients, args.seconds, args.max_requests,
                                        args.sample_every))
        finally:
            status = server.stop()
            if args.keep_log:
                args.keep_log.write_text(server.log())
    mem = memory(results, args.warmup)
    text = report(results, mem, args)
    print(text)
    print(f"server exit status after SIGTERM: {status}", file=sys.stderr)
    leak = mem.growth_mib > args.max_growth_mb
    if args.json:
        args.json.write_text(json.dumps({
            "requests": results.requests, "seconds": results.elapsed, "errors": results.errors,
            "overload": results.overload, "memory": mem.__dict__, "routes": {
                r: {"requests": s.requests, "errors": s.errors, "overload": s.overload,
                    "client_errors": s.client_errors,
                    "p50_ms": percentile([x * 1000 for x in s.latencies], 50),
                    "p95_ms": percentile([x * 1000 for x in s.latencies], 95),
                    "p99_ms": percentile([x * 1000 for x in s.latencies], 99)} for r, s in results.routes.items()},
        }, indent=2))
    if args.write_results:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        command = f"`.venv/bin/python -m bench.load --clients {args.clients} --seconds {args.seconds:g}`"
        write_results(args.write_results, f"Run {stamp} on {machine()}.\n\nCommand: {command}\n\n{text}\n\n"
                      f"Verdict: {'PASS' if not (results.errors or results.overload or leak) else 'FAIL'} "
                      f"(0 errors, 0 overload 503s, memory growth after warm-up under {args.max_growth_mb:g} MiB).")
    return 1 if results.errors or results.overload or leak else 0


if __name__ == "__main__":
    sys.exit(main())
