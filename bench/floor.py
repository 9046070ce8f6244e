"""The floor of a SPARQL read through our query workers: a bare ASGI function in front of the same pool.

What is left of our hot path with nothing of it but the worker pool (no middleware, no routing, no guards, no
cache, no access log; the query read straight from the query string), under the same uvicorn, httptools and
uvloop, driven by wrk like the SPARQL mix, beside the Oxigraph server on the same store. It answers "how far can
trimming the request pipeline go while every query runs in a killable process": the lookup kind reached
1,100–1,600 req/s here, 0.10–0.15× the Oxigraph server (bench/RESULTS.md, "The floor").

Run: ``.venv/bin/python -m bench.floor [--triples N] [--seconds S]`` (builds its own store in a temporary folder).
The served function is :func:`make_app`; it is a measuring tool, never part of the service.

``--engine workers`` awaits each query's worker on the event loop, as ``/sparql`` does (``kg.pool_loop``: at most
one short query per CPU evaluated at once); ``--engine workers-thread`` waits for it in a thread, as ``/sparql``
did before. Two options measure what the guarantees cost, by dropping them: ``--engine thread`` runs each query in
the server process on a thread (no time limit: pyoxigraph cannot stop a query), ``--engine inline`` runs it on the
event loop itself (one query at a time per process), and ``--processes N`` serves from N uvicorn processes.

>>> import asyncio
>>> async def call(app):
...     sent = []
...     async def receive(): return {"type": "http.request"}
...     async def send(message): sent.append(message)
...     await app({"type": "http", "query_string": b"query=ASK%20%7B%7D"}, receive, send)
...     return sent[0]["status"], sent[1]["body"]
>>> class Echo:
...     def run(self, request, snapshot, timeout): return type("A", (), {"body": request.query.encode()})()
>>> asyncio.run(call(make_app(Echo(), None)))
(200, b'ASK {}')
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs

import pyoxigraph

from bench import live, native, sparql_bench
from kg.store.base import QueryRequest, QueryResponse
from kg.store.workers import QueryPool, Snapshot

JSON = b"application/sparql-results+json"


class Runs(Protocol):
    def run(self, request: QueryRequest, snapshot: Any, timeout: float) -> QueryResponse: ...


class InProcess:
    """Runs a query in the calling process on a read-only store: no time limit, nothing to kill."""

    def __init__(self, folder: str) -> None:
        self.store = pyoxigraph.Store.read_only(folder)

    def run(self, request: QueryRequest, snapshot: Any, timeout: float) -> QueryResponse:
        answer = self.store.query(request.query, use_default_graph_as_union=True)
        assert isinstance(answer, pyoxigraph.QuerySolutions)
        body = answer.serialize(format=pyoxigraph.QueryResultsFormat.JSON) or b""
        return QueryResponse("select", body, JSON.decode(), rows=-1)


def make_app(pool: Runs, snapshot: Snapshot | None, timeout: float = 10.0, *, inline: bool = False) -> Any:
    """A bare ASGI app: every HTTP request's ``query`` runs in ``pool`` and its SPARQL JSON answer is sent back.

    ``inline`` calls the pool on the event loop instead of a thread (for :class:`InProcess` only); a
    :class:`QueryPool` given with ``inline`` is awaited on the loop (``QueryPool.run_async``).
    """
    threads = ThreadPoolExecutor(32)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        text = parse_qs(scope["query_string"].decode()).get("query", ["ASK {}"])[0]
        request = QueryRequest(text, select_type=JSON.decode())
        if inline and isinstance(pool, QueryPool) and snapshot is not None:
            answer = await pool.run_async(request, snapshot, timeout)
        elif inline:
            answer = pool.run(request, snapshot, timeout)
        else:
            answer = await asyncio.get_running_loop().run_in_executor(threads, pool.run, request, snapshot, timeout)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", JSON), (b"content-length", str(len(answer.body)).encode())]})
        await send({"type": "http.response.body", "body": answer.body})

    return app


def served() -> Any:
    """The app uvicorn serves in the child process (``BENCH_FLOOR_STORE``: the RocksDB folder;
    ``BENCH_FLOOR_ENGINE``: ``workers``, ``workers-thread``, ``thread`` or ``inline``)."""
    folder, engine = os.environ["BENCH_FLOOR_STORE"], os.environ.get("BENCH_FLOOR_ENGINE", "workers")
    if engine in ("workers", "workers-thread"):
        return make_app(QueryPool(size=2, max_size=16, width=len(os.sched_getaffinity(0))),
                        Snapshot(folder, "rocksdb", "v"), inline=engine == "workers")
    return make_app(InProcess(folder), None, inline=engine == "inline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--kind", default="lookup", choices=sorted(sparql_bench.KINDS))
    parser.add_argument("--engine", default="workers", choices=("workers", "workers-thread", "thread", "inline"),
                        help="where a query runs: killable worker processes awaited on the loop (as served) or "
                        "from a thread (as served before), or in the server process")
    parser.add_argument("--processes", type=int, default=1, help="uvicorn server processes")
    args = parser.parse_args()
    client = native.find_wrk()
    kind = sparql_bench.KINDS[args.kind]
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        folder = Path(tmp)
        people = sparql_bench.write_graph(folder / "data.nt", args.triples)
        sparql_bench.oxigraph_load(folder / "store", folder / "data.nt", sparql_bench.GRAPH)
        port = live.free_port()
        floor = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.floor:served", "--factory", "--port", str(port), "--loop",
             "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log",
             "--workers", str(args.processes)],
            cwd=live.ROOT, start_new_session=True,
            env=os.environ | {"BENCH_FLOOR_STORE": str(folder / "store"), "BENCH_FLOOR_ENGINE": args.engine})
        peer = sparql_bench.start_oxigraph_read_only(folder / "store", folder / "peer.log")
        try:
            sparql_bench.wait_until_up(peer, 120)
            time.sleep(5)  # the floor's workers open the store
            rows = []
            for name, base, path, pid in (("floor", f"http://127.0.0.1:{port}", "/sparql", floor.pid),
                                          ("oxigraph", peer.base, peer.path, peer.process.pid)):
                native.run(client, base, kind.paths(path), numbers=people, seconds=2)  # warm-up
                native.wait_idle(live.family(pid))
                load = native.run(client, base, kind.paths(path), numbers=people, seconds=args.seconds)
                rows.append((name, load.rps, load.errors))
                label = f"floor ({args.engine}, {args.processes} process{'es' if args.processes > 1 else ''})"
                label = label if name == "floor" else name
                print(f"{label:32} {kind.name:10} {load.rps:8.0f} req/s  errors {load.errors}", flush=True)
            print(f"floor/oxigraph: {rows[0][1] / max(rows[1][1], 1e-9):.3f}")
        finally:
            peer.stop()
            os.killpg(floor.pid, signal.SIGKILL)  # the server and its query workers (one process group)
            floor.wait(30)


if __name__ == "__main__":
    main()
