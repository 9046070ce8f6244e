"""Stall bench: can a flood of expensive requests make ``/health`` or a light query wait? (measured, not a test)

Run::

    .venv/bin/python -m bench.stall                 # every kind, 20 s each with 6 clients (about 4 minutes)
    .venv/bin/python -m bench.stall --quick         # a few seconds a kind (what tests/test_stall_smoke.py runs)
    .venv/bin/python -m bench.stall paths-all svg --seconds 30 --clients 8

One real ``backchannel serve`` (a subprocess on loopback, the curated graph built in a temporary folder) takes, one
kind at a time, a flood of the expensive requests of issue 16 from ``--clients`` client *processes* (so the
clients' own work does not delay the prober), while a prober in this process asks ``/health`` and a light SPARQL
query (a different comment each time, so the result cache does not answer it) in turn, 10 times a second. Python
clients, not wrk: what is measured is the prober's latency, not throughput. Each kind prints its requests and
status codes, the prober's p50/max for both, the server's RSS before and after (3 s after the flood) and its
workers' RSS; first an "idle" row, the prober alone. The server runs with a 5 s query time limit and a 3 s
header timeout so that runaways and slow clients are cut within a flood.

Kinds: ``suggest-404`` (``/doc/person/<8 KB slug>``), ``paths-all`` (``mode=all&limit=1000&max_length=8``),
``influence`` (ranking and lineage), ``svg`` (50 paths as SVG), ``rdfxml-entities`` (RDF/XML uploads declaring
nested entities), ``metrics-methods`` (random 4 KB method names to ``/metrics``; its size before/after is noted),
``runaway-sparql`` (sorted cross joins), ``slowloris`` (25 connections a client, headers a byte at a time).

``--json FILE`` writes the figures; ``--write-results bench/RESULTS.md`` replaces its "## Stall bench" section.

>>> row = Outcome("idle", 0, {}, [0.002, 0.004], [0.01, 0.03], 102_400, 103_424, 0)
>>> table([row]).splitlines()[2]
'| idle | 0 | 0 |  | 3 / 4 ms | 20 / 30 ms | 100 → 101 MiB | 0 MiB |'
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import socket
import string
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from queue import Empty
from typing import Any

import httpx

from bench import live
from bench.load import machine, percentile

TOKEN = "stall-token-0123456789"
SETTINGS = {"BACKCHANNEL_WRITE_TOKEN": TOKEN, "BACKCHANNEL_QUERY_TIMEOUT": "5", "BACKCHANNEL_HEADER_TIMEOUT": "3"}
FROM, TO = "Joseph Montville", "Oslo Accords"
RUNAWAY = "SELECT * {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }} ORDER BY ?c ?f ?i ?l # {n}"
LIGHT = "SELECT ?s WHERE {{ ?s a <http://xmlns.com/foaf/0.1/Person> }} LIMIT 3 # probe {n}"
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY a "lollollollollollollollollollol">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
          + ']><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex.org/">'
          '<rdf:Description rdf:about="http://ex.org/s"><ex:p>&j;</ex:p></rdf:Description></rdf:RDF>')
CLOSED = 0
"""The status recorded when the server closed a connection without an answer."""


def _slug(rng: random.Random, size: int) -> str:
    return "".join(rng.choices(string.ascii_lowercase + "-", k=size))


def suggest_404(client: httpx.Client, url: str, rng: random.Random) -> int:
    return client.get(url + "doc/person/" + _slug(rng, 8192)).status_code


def paths_all(client: httpx.Client, url: str, rng: random.Random) -> int:
    params: dict[str, str | int] = {"from": FROM, "to": TO, "mode": "all", "limit": 1000, "max_length": 8}
    return client.get(url + "paths", params=params, headers={"Accept": "application/json"}).status_code


def influence(client: httpx.Client, url: str, rng: random.Random) -> int:
    if rng.random() < 0.5:
        return client.get(url + "influence/ranking", params={"limit": 100}).status_code
    return client.get(url + "influence/lineage", params={"thing": "Multi-Track Diplomacy", "limit": 1000}).status_code


def svg(client: httpx.Client, url: str, rng: random.Random) -> int:
    params: dict[str, str | int] = {"from": FROM, "to": TO, "k": 50, "max_length": 8}
    return client.get(url + "paths", params=params, headers={"Accept": "image/svg+xml"}).status_code


def rdfxml_entities(client: httpx.Client, url: str, rng: random.Random) -> int:
    graph = f"{url}graphs/stall-{rng.randrange(1 << 30)}"
    return client.put(url + "store", params={"graph": graph}, content=LAUGHS.encode(), headers={
        "Content-Type": "application/rdf+xml", "Authorization": f"Bearer {TOKEN}"}).status_code


def metrics_methods(client: httpx.Client, url: str, rng: random.Random) -> int:
    return client.request(_slug(rng, 4096).upper().replace("-", "X"), url + "metrics").status_code


def runaway_sparql(client: httpx.Client, url: str, rng: random.Random) -> int:
    return client.get(url + "sparql", params={"query": RUNAWAY.format(n=rng.randrange(1 << 30))},
                      headers={"Accept": "application/sparql-results+json"}).status_code


def slowloris(client: httpx.Client, url: str, rng: random.Random) -> list[int]:
    """25 connections that send their headers a byte every 0.2 s; answers each one's status (408 expected: the
    header timeout) once every connection has ended."""
    port = int(url.rsplit(":", 1)[1].strip("/"))
    statuses: list[int] = []
    sockets = []
    for _ in range(25):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        sock.setblocking(False)
        sockets.append(sock)
    deadline = time.monotonic() + 60
    while sockets and time.monotonic() < deadline:
        for sock in list(sockets):
            try:
                answer = sock.recv(64)
                statuses.append(int(answer.split()[1]) if answer.startswith(b"HTTP/") else CLOSED)
            except BlockingIOError:  # nothing yet: one more byte of a header that never ends
                try:
                    sock.send(b"X")
                    continue
                except OSError:
                    statuses.append(CLOSED)
            except (OSError, ValueError, IndexError):
                statuses.append(CLOSED)
            sockets.remove(sock)
            sock.close()
        time.sleep(0.2)
    for sock in sockets:
        sock.close()
    return statuses + [CLOSED] * len(sockets)


@dataclass(frozen=True)
class Kind:
    """A kind of flood: what one client sends, and the status codes it may get."""

    send: Callable[[httpx.Client, str, random.Random], int | list[int]]
    """Sends one request (or, for slowloris, a batch of connections) and answers the status code(s)."""
    expected: frozenset[int]


KINDS: dict[str, Kind] = {
    "suggest-404": Kind(suggest_404, frozenset({404})),
    "paths-all": Kind(paths_all, frozenset({200, 503})),
    "influence": Kind(influence, frozenset({200, 503})),
    "svg": Kind(svg, frozenset({200, 503})),
    "rdfxml-entities": Kind(rdfxml_entities, frozenset({400})),
    # httptools' parser answers 400 to a method it does not know, before the app; a known one we do not route: 405
    "metrics-methods": Kind(metrics_methods, frozenset({400, 405})),
    "runaway-sparql": Kind(runaway_sparql, frozenset({503})),
    "slowloris": Kind(slowloris, frozenset({408})),
}


def flood_client(kind: str, url: str, seconds: float, seed: int, results: Any) -> None:
    """One client process: send ``kind`` requests back to back for ``seconds``; put its status counts."""
    rng = random.Random(seed)
    counts: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=120) as client:
        while time.monotonic() < deadline:
            try:
                sent = KINDS[kind].send(client, url, rng)
            except httpx.HTTPError:
                sent = CLOSED
            for status in sent if isinstance(sent, list) else [sent]:
                counts[status] = counts.get(status, 0) + 1
    results.put(counts)


@dataclass
class Outcome:
    """One row: a flood (or ``idle``), what its clients got, and what the prober measured."""

    kind: str
    clients: int
    statuses: dict[int, int]
    health: list[float]
    light: list[float]
    rss_before_kib: int
    rss_after_kib: int
    workers_after_kib: int
    note: str = ""
    probe_failures: int = 0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


class Prober:
    """Asks ``/health`` and a light query in turn, 10 times a second, until stopped; keeps the latencies."""

    def __init__(self, url: str) -> None:
        self.url, self.failures = url, 0
        self.health: list[float] = []
        self.light: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=60) as client:
            n = 0
            while not self._stop.is_set():
                for path, params, into in (("health", {}, self.health),
                                           ("sparql", {"query": LIGHT.format(n=n)}, self.light)):
                    start = time.perf_counter()
                    try:
                        ok = client.get(self.url + path, params=params).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    into.append(time.perf_counter() - start)
                    self.failures += not ok
                n += 1
                self._stop.wait(0.1)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def flood(server: live.LiveProcess, kind: str, clients: int, seconds: float) -> Outcome:
    """Flood ``server`` with ``kind`` from ``clients`` processes for ``seconds`` while probing it."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    before = server.rss_kib()
    metrics_before = len(httpx.get(server.url + "metrics").content) if kind == "metrics-methods" else 0
    processes = [context.Process(target=flood_client, args=(kind, server.url, seconds, seed, results))
                 for seed in range(clients)]
    for process in processes:
        process.start()
    statuses: dict[int, int] = {}
    with Prober(server.url) as prober:
        for _ in processes:
            try:
                for status, count in results.get(timeout=seconds + 180).items():
                    statuses[status] = statuses.get(status, 0) + count
            except Empty:
                break
    for process in processes:
        process.join(10)
        if process.is_alive():
            process.kill()
    time.sleep(3)
    note = ""
    if kind == "metrics-methods":
        after = len(httpx.get(server.url + "metrics").content)
        note = f"/metrics {metrics_before / 1024:.0f} KiB before, {after / 1024:.0f} KiB after"
    return Outcome(kind, clients, statuses, prober.health, prober.light, before, server.rss_kib(),
                   server.workers_rss_kib(), note, prober.failures)


def warm_up(server: live.LiveProcess) -> None:
    """What an idle server has done already: a light query, a path search, the influence ranking (the workers
    have started and loaded the graph), so the first flood does not pay for it."""
    with httpx.Client(timeout=300) as client:
        for n in range(3):
            client.get(server.url + "sparql", params={"query": LIGHT.format(n=f"warm {n}")})
        client.get(server.url + "paths", params={"from": FROM, "to": TO})
        client.get(server.url + "influence/ranking", params={"limit": 10})


def idle(server: live.LiveProcess, seconds: float) -> Outcome:
    warm_up(server)
    before = server.rss_kib()
    with Prober(server.url) as prober:
        time.sleep(seconds)
    return Outcome("idle", 0, {}, prober.health, prober.light, before, server.rss_kib(), server.workers_rss_kib(),
                   probe_failures=prober.failures)


def _p50_max(seconds: list[float]) -> str:
    if not seconds:
        return "–"
    ms = [s * 1000 for s in seconds]
    return f"{percentile(ms, 50):.0f} / {max(ms):.0f} ms"


def table(rows: list[Outcome]) -> str:
    """The Markdown table of the outcomes."""
    lines = ["| flood | clients | requests | status codes | /health p50 / max | light query p50 / max | "
             "server RSS before → after | workers RSS after |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        codes = ", ".join(f"{'closed' if s == CLOSED else s}×{n}" for s, n in sorted(row.statuses.items()))
        lines.append(f"| {row.kind} | {row.clients} | {row.requests} | {codes} | {_p50_max(row.health)} | "
                     f"{_p50_max(row.light)} | {row.rss_before_kib // 1024} → {row.rss_after_kib // 1024} MiB | "
                     f"{row.workers_after_kib // 1024} MiB |")
    notes = [f"- {row.kind}: {row.note}" for row in rows if row.note]
    notes += [f"- {row.kind}: {row.probe_failures} probes did not get a 200" for row in rows if row.probe_failures]
    return "\n".join(lines + ([""] + notes if notes else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stall", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("kinds", nargs="*", help=f"some of: {', '.join(KINDS)} (default: all)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each flood")
    parser.add_argument("--clients", type=int, default=6, help="client processes per flood")
    parser.add_argument("--quick", action="store_true", help="3 s floods of 4 clients (a smoke run)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--write-results", type=Path, help="replace the '## Stall bench' section of this file")
    args = parser.parse_args(argv)
    unknown = [name for name in args.kinds if name not in KINDS]
    if unknown:
        parser.error(f"unknown kind {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    seconds, clients = (3.0, 4) if args.quick else (args.seconds, args.clients)
    rows: list[Outcome] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="backchannel-stall-") as folder:
        server = live.start(Path(folder) / "store", build=True, settings=SETTINGS)
        try:
            rows.append(idle(server, 2.0 if args.quick else 5.0))
            for kind in args.kinds or list(KINDS):
                print(f"{kind}: {clients} clients for {seconds:g} s ...", file=sys.stderr)
                rows.append(flood(server, kind, clients, seconds))
        finally:
            server.stop()
    text = table(rows) + (f"\n\nLoad average (1 min) of the machine, which other work shares: {load_before:.1f} at "
                          f"the start, {os.getloadavg()[0]:.1f} at the end.")
    print(text)
    if args.json:
        args.json.write_text(json.dumps([asdict(row) | {"expected": sorted(KINDS[row.kind].expected)}
                                         if row.kind in KINDS else asdict(row) for row in rows], indent=1))
    if args.write_results:
        from bench.load import write_results

        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        options = " --quick" if args.quick else f" --seconds {seconds:g} --clients {clients}"
        command = "python -m bench.stall" + options
        write_results(args.write_results, f"Run {stamp} on {machine()}.\n\nCommand: `.venv/bin/{command}` "
                      f"(settings {', '.join(f'{k}={v}' for k, v in SETTINGS.items() if 'TOKEN' not in k)})\n\n"
                      + text, section="Stall bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
