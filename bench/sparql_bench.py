"""SPARQL service benchmark: backchannel vs the Oxigraph server vs rdflib-endpoint, same data, same query mix.

Not a test. Run ``.venv/bin/python -m bench.sparql_bench --triples 1000000`` (or
``--triples 50000`` for a quick look). It writes a synthetic graph to
``bench/out/``, loads it into an on-disk store for backchannel (``backchannel
serve``) and one for ``oxigraph serve-read-only``, starts ``rdflib-endpoint``
on the same file (or a smaller one, ``--rdflib-triples``), all on 127.0.0.1, and
drives each with the same queries from 8 concurrent connections, bounded by a
request count and a time limit per query kind. It prints requests/s, p50 and
p99 per query and server, and the ratios backchannel/peer.

The graph: ``ex:p{i}`` people, each with a type, a name, an age, a group (100
groups), a tier (50,000 people each) and 4 ``ex:knows`` links: 9 triples.
Every kind but ``repeated`` varies its query, so only ``repeated`` can be answered from a result cache.

>>> lines = list(synthetic_lines(2))
>>> len(lines), lines[0].split()[1]
(18, '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>')
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

EX = "http://bench.example/"
TRIPLES_PER_PERSON = 9
TIER_SIZE = 50_000
ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
BIN = Path(sys.executable).parent


def synthetic_lines(people: int, seed: int = 7) -> Iterator[str]:
    """N-Triples lines of the synthetic graph (``TRIPLES_PER_PERSON`` per person)."""
    rng = random.Random(seed)
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    integer = "<http://www.w3.org/2001/XMLSchema#integer>"
    for i in range(people):
        s = f"<{EX}p{i}>"
        yield f"{s} {rdf_type} <{EX}Person> .\n"
        yield f'{s} <{EX}name> "Person {i}" .\n'
        yield f'{s} <{EX}age> "{rng.randint(18, 90)}"^^{integer} .\n'
        yield f"{s} <{EX}group> <{EX}g{i % 100}> .\n"
        yield f"{s} <{EX}tier> <{EX}tier{i // TIER_SIZE}> .\n"
        for _ in range(4):
            yield f"{s} <{EX}knows> <{EX}p{rng.randrange(people)}> .\n"


def write_graph(path: Path, triples: int) -> int:
    """Write about ``triples`` triples to ``path``; return the number of people."""
    people = max(1, triples // TRIPLES_PER_PERSON)
    if path.exists() and path.stat().st_size > 0 and path.with_suffix(".people").read_text() == str(people):
        return people
    with path.open("w") as out:
        out.writelines(synthetic_lines(people))
    path.with_suffix(".people").write_text(str(people))
    return people


# --- the query mix ----------------------------------------------------------------------------------

Query = tuple[str, str]  # (query text, Accept)
JSON = "application/sparql-results+json"
NT = "application/n-triples"


def query_kinds(people: int) -> dict[str, Callable[[random.Random], Query]]:
    """Each kind of query, as a function of a random generator (the same seed for every server)."""

    def person(rng: random.Random) -> str:
        return f"<{EX}p{rng.randrange(people)}>"

    fixed = random.Random(99)
    repeated = [f"SELECT ?p ?o WHERE {{ {person(fixed)} ?p ?o }}" for _ in range(5)] + [
        f"SELECT ?f ?name WHERE {{ {person(fixed)} <{EX}knows> ?f . ?f <{EX}name> ?name }}" for _ in range(5)
    ]
    return {
        "lookup": lambda rng: (f"SELECT ?p ?o WHERE {{ {person(rng)} ?p ?o }}", JSON),
        "join": lambda rng: (f"SELECT ?f ?name WHERE {{ {person(rng)} <{EX}knows> ?f . ?f <{EX}name> ?name }}", JSON),
        # a different excluded person each time, so that the answer is computed, not taken from a cache
        "count50k": lambda rng: (
            f"SELECT (COUNT(?s) AS ?n) WHERE {{ ?s <{EX}tier> <{EX}tier0> FILTER(?s != {person(rng)}) }}", JSON),
        "path3": lambda rng: (
            f"ASK {{ {person(rng)} <{EX}knows>/<{EX}knows>/<{EX}knows> {person(rng)} }}", JSON),
        "construct": lambda rng: (
            f"CONSTRUCT {{ ?f ?p ?o }} WHERE {{ {person(rng)} <{EX}knows> ?f . ?f ?p ?o }}", NT),
        "repeated": lambda rng: (rng.choice(repeated), JSON),
    }


# --- servers ------------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    note: str = ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}")
        try:
            if httpx.get(server.url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{server.name} did not answer within {timeout:.0f} s")


def oxigraph_load(location: Path, data: Path) -> None:
    shutil.rmtree(location, ignore_errors=True)
    subprocess.run([str(BIN / "oxigraph"), "load", "--location", str(location), "--file", str(data)],
                   check=True, stdout=subprocess.DEVNULL)


def start_backchannel(store: Path, log: Path) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKCHANNEL_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--store", str(store), "--base-iri", url, "serve", "--port", str(port),
         "--log-level", "warning"],
        env=env, cwd=ROOT.parent, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # `backchannel serve`, run from the repository so that it serves this working tree
    return Server("backchannel", url + "sparql", process, "on-disk store, 2 query worker processes")


def start_oxigraph(store: Path, log: Path) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "oxigraph"), "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{port}"],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    return Server("oxigraph", f"http://127.0.0.1:{port}/query", process, "oxigraph serve-read-only")


def start_rdflib(data: Path, log: Path) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "rdflib-endpoint"), "serve", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    return Server("rdflib-endpoint", f"http://127.0.0.1:{port}/", process, "rdflib in-memory store")


# --- driving --------------------------------------------------------------------------------------------


@dataclass
class Measure:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    first_error: str = ""

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def drive(url: str, make: Callable[[random.Random], Query], requests: int, seconds: float,
          concurrency: int, seed: int) -> Measure:
    """Send ``requests`` queries (or as many as fit in ``seconds``) from ``concurrency`` threads."""
    measure = Measure()
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + seconds

    def worker(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        with httpx.Client(timeout=120) as client:
            while time.monotonic() < deadline:
                with lock:
                    if next(counter, None) is None:
                        return
                query, accept = make(rng)
                started = time.perf_counter()
                try:
                    response = client.get(url, params={"query": query}, headers={"Accept": accept})
                    ok = response.status_code == 200
                    problem = "" if ok else f"{response.status_code} {response.text[:120]}"
                except httpx.HTTPError as err:
                    ok, problem = False, repr(err)
                elapsed = time.perf_counter() - started
                with lock:
                    if ok:
                        measure.latencies.append(elapsed)
                    else:
                        measure.errors += 1
                        measure.first_error = measure.first_error or problem

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    measure.seconds = time.perf_counter() - started
    return measure


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{cpu}, {os.cpu_count()} CPUs{memory}, {system}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sparql_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=50_000, help="size of the synthetic graph (default 50000)")
    parser.add_argument("--rdflib-triples", type=int, help="a smaller graph for rdflib-endpoint (default: the same)")
    parser.add_argument("--requests", type=int, default=400, help="requests per query kind and server (default 400)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time limit per query kind and server (default 20)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--servers", default="backchannel,oxigraph,rdflib-endpoint", help="which servers to run")
    args = parser.parse_args(argv)

    OUT.mkdir(parents=True, exist_ok=True)
    data = OUT / f"graph-{args.triples}.nt"
    people = write_graph(data, args.triples)
    rdflib_triples = args.rdflib_triples or args.triples
    rdflib_data = data if rdflib_triples == args.triples else OUT / f"graph-{rdflib_triples}.nt"
    rdflib_people = write_graph(rdflib_data, rdflib_triples) if rdflib_data != data else people
    kinds = query_kinds(people)
    wanted = args.servers.split(",")
    print(f"# SPARQL service benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# machine: {machine()}")
    print(f"# graph: {people * TRIPLES_PER_PERSON} triples ({people} people); {args.concurrency} connections; "
          f"at most {args.requests} requests or {args.seconds:g} s per query kind and server")
    if rdflib_data != data and "rdflib-endpoint" in wanted:
        print(f"# rdflib-endpoint is given a smaller graph: {rdflib_people * TRIPLES_PER_PERSON} triples "
              f"(it is too slow to load and query the full one)")

    results: dict[str, dict[str, Measure]] = {}
    notes: dict[str, str] = {}
    starters: list[tuple[str, Callable[[], Server], float]] = []
    if "backchannel" in wanted:
        def ours() -> Server:
            store = OUT / "store-backchannel"
            shutil.rmtree(str(store) + ".snapshots", ignore_errors=True)
            oxigraph_load(store, data)
            return start_backchannel(store, OUT / "backchannel.log")
        starters.append(("backchannel", ours, 120))
    if "oxigraph" in wanted:
        def peer() -> Server:
            store = OUT / "store-oxigraph"
            oxigraph_load(store, data)
            return start_oxigraph(store, OUT / "oxigraph.log")
        starters.append(("oxigraph", peer, 120))
    if "rdflib-endpoint" in wanted:
        starters.append(("rdflib-endpoint", lambda: start_rdflib(rdflib_data, OUT / "rdflib.log"), 1800))

    for name, start, patience in starters:
        loading = time.perf_counter()
        server = start()
        try:
            wait_until_up(server, patience)
            notes[name] = f"{server.note}; ready in {time.perf_counter() - loading:.0f} s"
            print(f"# {name}: {notes[name]}", flush=True)
            server_kinds = kinds if name != "rdflib-endpoint" else query_kinds(rdflib_people)
            results[name] = {}
            for number, (kind, make) in enumerate(server_kinds.items()):
                # warm up
                drive(server.url, make, min(32, args.requests), args.seconds / 4, args.concurrency, seed=500 + number)
                measure = drive(server.url, make, args.requests, args.seconds, args.concurrency, seed=number)
                results[name][kind] = measure
                error = f"  errors {measure.errors}: {measure.first_error}" if measure.errors else ""
                print(f"{name:16} {kind:10} {len(measure.latencies):5} req  {measure.rps:8.1f} req/s  "
                      f"p50 {measure.percentile(0.5) * 1000:8.1f} ms  p99 {measure.percentile(0.99) * 1000:8.1f} ms"
                      f"{error}", flush=True)
        finally:
            server.stop()

    print()
    print(table(results))
    return 0


def table(results: dict[str, dict[str, Measure]]) -> str:
    """A Markdown table: req/s, p50, p99 per query and server, and the ratios backchannel/peer."""
    servers = list(results)
    kinds = list(next(iter(results.values()), {}))
    head = ["query"] + [f"{s} req/s · p50 · p99 (ms)" for s in servers]
    peers = [s for s in servers if s != "backchannel"] if "backchannel" in results else []
    head += [f"us/{p} req/s" for p in peers]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind in kinds:
        cells = [kind]
        for server in servers:
            m = results[server].get(kind)
            cells.append(f"{m.rps:.1f} · {m.percentile(0.5) * 1000:.1f} · {m.percentile(0.99) * 1000:.1f}"
                         + (f" ({m.errors} errors)" if m.errors else "") if m else "–")
        for peer in peers:
            ours, theirs = results["backchannel"].get(kind), results[peer].get(kind)
            cells.append(f"{ours.rps / theirs.rps:.2f}" if ours and theirs and theirs.rps else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
