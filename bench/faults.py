"""Faults: what a real ``backchannel serve`` does when things go wrong, measured (not a test).

Run::

    .venv/bin/python -m bench.faults            # every scenario, about two minutes
    .venv/bin/python -m bench.faults runaways crash

Scenarios (each on a fresh server built in a temporary folder):

- ``runaways``: 8 runaway queries at once (3 s limit) while one client keeps sending light
  queries: their outcomes and latency during the storm, and the runaways' answers.
- ``worker-kill``: a query worker is SIGKILLed in the middle of a query: the answer, and the time
  until the next query is answered.
- ``memory``: a sort over a cross join under a 256 MiB worker cap: the answer and the time to it.
- ``deep``: 50 deeply nested queries (10,000 braces): answers, and workers lost (should be 0).
- ``crash``: acknowledged writes, then SIGKILL of the server: time until ``/ready`` after a
  restart, and whether every acknowledged write is there.
- ``slow-clients``: 200 connections that send their headers a byte at a time (slowloris): is a
  normal request still answered meanwhile? (uvicorn has no header-read timeout; a reverse proxy
  should stop these.)

``--write-results bench/RESULTS.md`` replaces that file's "## Faults" section with the figures.

>>> summarise([0.1, 0.2, 0.3])
'n=3 p50=200 ms max=300 ms'
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import live
from bench.load import machine, percentile

TOKEN = "faults-token-0123456789"
RUNAWAY = "SELECT * {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }} ORDER BY ?c ?f ?i ?l # {n}"
JSON = {"Accept": "application/sparql-results+json"}


def summarise(seconds: list[float]) -> str:
    """Count, median and maximum of durations."""
    if not seconds:
        return "n=0"
    ms = [s * 1000 for s in seconds]
    return f"n={len(ms)} p50={percentile(ms, 50):.0f} ms max={max(ms):.0f} ms"


def _server(folder: Path, **settings: str) -> live.LiveProcess:
    values = {"BACKCHANNEL_WRITE_TOKEN": TOKEN} | {f"BACKCHANNEL_{k.upper()}": v for k, v in settings.items()}
    return live.start(folder / "store", build=True, settings=values)


def runaways(folder: Path) -> list[str]:
    server = _server(folder, query_timeout="3")
    try:
        url = server.url + "sparql"
        answers: list[int] = []
        threads = [threading.Thread(target=lambda n=n: answers.append(
            httpx.get(url, params={"query": RUNAWAY.format(n=n)}, headers=JSON, timeout=120).status_code))
            for n in range(8)]
        for thread in threads:
            thread.start()
        light: list[float] = []
        statuses: dict[int, int] = {}
        n = 0
        while any(t.is_alive() for t in threads):
            start = time.perf_counter()
            answer = httpx.get(url, params={"query": f"ASK {{ ?s ?p ?o }} # {n}"}, headers=JSON, timeout=120)
            status = answer.status_code
            light.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
            n += 1
        for thread in threads:
            thread.join()
        return [f"runaways answered: {sorted(answers)}",
                f"light queries during the storm: {statuses} ({summarise(light)})"]
    finally:
        server.stop()


def worker_kill(folder: Path) -> list[str]:
    server = _server(folder, query_timeout="60")
    try:
        url = server.url + "sparql"
        httpx.get(url, params={"query": "ASK {}"})
        result: dict[str, object] = {}
        slow = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        thread = threading.Thread(target=lambda: result.update(
            response=httpx.get(url, params={"query": slow}, headers=JSON, timeout=120)))
        before = set(live.children(server.pid))
        thread.start()
        busy: list[int] = []
        deadline = time.monotonic() + 10
        while not busy and time.monotonic() < deadline:  # the worker that took the query uses the CPU
            time.sleep(0.2)
            busy = [pid for pid in live.children(server.pid) if _cpu_busy(pid)]
        victim = busy[0] if busy else sorted(before)[0]
        start = time.perf_counter()
        try:
            import os

            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
        thread.join(120)
        answered = time.perf_counter() - start
        response = result.get("response")
        after = time.perf_counter()
        ok = httpx.get(url, params={"query": "ASK { ?s ?p ?o } # after"}, headers=JSON, timeout=60).status_code
        recovery = time.perf_counter() - after
        return [f"query whose worker was killed: {getattr(response, 'status_code', response)} "
                f"({getattr(response, 'text', '')[:90]!r}) after {answered * 1000:.0f} ms",
                f"next query: {ok} in {recovery * 1000:.0f} ms"]
    finally:
        server.stop()


def _cpu_busy(pid: int) -> bool:
    try:
        first = int(Path(f"/proc/{pid}/stat").read_text().split()[13])
        time.sleep(0.1)
        return int(Path(f"/proc/{pid}/stat").read_text().split()[13]) > first
    except (OSError, ValueError, IndexError):
        return False


def memory(folder: Path) -> list[str]:
    server = _server(folder, query_timeout="120", query_memory_mb="256")
    try:
        start = time.perf_counter()
        response = httpx.get(server.url + "sparql", params={"query": RUNAWAY.format(n="memory")}, headers=JSON,
                             timeout=180)
        return [f"sort over a cross join, 256 MiB cap: {response.status_code} after "
                f"{(time.perf_counter() - start) * 1000:.0f} ms ({response.text[:100]!r}); "
                f"server RSS {server.rss_kib() // 1024} MiB"]
    finally:
        server.stop()


def deep(folder: Path) -> list[str]:
    server = _server(folder)
    try:
        query = "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000
        statuses: dict[int, int] = {}
        durations = []
        workers_before = set(live.children(server.pid))
        for _ in range(50):
            start = time.perf_counter()
            status = httpx.post(server.url + "sparql", content=query, timeout=60,
                                headers={"Content-Type": "application/sparql-query"}).status_code
            durations.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
        lost = len(workers_before - set(live.children(server.pid)))
        return [f"50 queries nested 10,000 deep: {statuses} ({summarise(durations)}); workers lost: {lost}"]
    finally:
        server.stop()


def crash(folder: Path) -> list[str]:
    server = _server(folder)
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
    acknowledged = 0
    for i in range(200):
        update = (f"INSERT DATA {{ GRAPH <http://faults.example/g> "
                  f"{{ <http://faults.example/s{i}> <http://faults.example/p> {i} }} }}")
        if httpx.post(server.url + "sparql", content=update, headers=auth).status_code == 204:
            acknowledged += 1
    server.kill9()
    start = time.perf_counter()
    again = live.start(server.store_dir, port=server.port, settings=server.settings, log_path=server.log_path)
    ready = time.perf_counter() - start
    try:
        found = httpx.get(again.url + "sparql", headers=JSON, params={
            "query": "SELECT (COUNT(*) AS ?n) { GRAPH <http://faults.example/g> { ?s ?p ?o } }"}).json()
        count = int(found["results"]["bindings"][0]["n"]["value"])
        return [f"kill -9 after {acknowledged} acknowledged updates: ready again in {ready * 1000:.0f} ms "
                f"(process start, store open, projection); {count}/{acknowledged} writes there"]
    finally:
        again.stop()


def slow_clients(folder: Path) -> list[str]:
    server = _server(folder)
    sockets: list[socket.socket] = []
    try:
        for _ in range(200):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            sockets.append(sock)
        start = time.perf_counter()
        status = httpx.get(server.url + "sparql", params={"query": "ASK {}"}, timeout=30).status_code
        during = time.perf_counter() - start
        time.sleep(6)  # longer than uvicorn's keep-alive timeout
        still_open = 0
        for sock in sockets:
            try:
                sock.sendall(b"X")
                still_open += 1
            except OSError:
                pass
        return [f"200 slowloris connections: a normal query answered {status} in {during * 1000:.0f} ms; "
                f"after 6 s, {still_open}/200 slow connections still open (no header timeout in uvicorn)"]
    finally:
        for sock in sockets:
            sock.close()
        server.stop()


SCENARIOS: dict[str, Callable[[Path], list[str]]] = {
    "runaways": runaways, "worker-kill": worker_kill, "memory": memory, "deep": deep, "crash": crash,
    "slow-clients": slow_clients,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", help=f"some of: {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--write-results", type=Path, help="replace the '## Faults' section of this Markdown file")
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    lines = []
    for name in args.scenarios or list(SCENARIOS):
        with tempfile.TemporaryDirectory(prefix=f"backchannel-faults-{name}-") as folder:
            print(f"{name} ...", file=sys.stderr)
            for line in SCENARIOS[name](Path(folder)):
                lines.append(f"- **{name}**: {line}")
                print(lines[-1])
    if args.write_results:
        from bench.load import write_results

        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        text = (f"Run {stamp} on {machine()}.\n\nCommand: `.venv/bin/python -m bench.faults`\n\n" + "\n".join(lines))
        write_results(args.write_results, text, section="Faults")
    return 0


if __name__ == "__main__":
    sys.exit(main())
