"""The SPARQL mix of the benchmark suite: a synthetic graph, the query kinds, and the peers' servers.

The suite (``python -m bench --only sparql``, :mod:`bench.sparql_mix`) loads the graph once into one
named graph, serves a copy of that store with ``backchannel serve`` and with
``oxigraph serve-read-only --union-default-graph``, gives the same triples to ``rdflib-endpoint``,
and drives each query kind with the native load generator (:mod:`bench.native`).

The graph: ``ex:p{i}`` people, each with a type, a name, an age, a group (100 groups), a tier
(50,000 people each) and 4 ``ex:knows`` links: 9 triples. Every kind but ``count-repeated`` puts a
random person in its query at each request (:class:`Kind`, ``{n}``), so that no cache can answer it.

>>> lines = list(synthetic_lines(2))
>>> len(lines), lines[0].split()[1]
(18, '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>')
>>> KINDS["lookup"].paths("/sparql")[0][:40]
'/sparql?query=SELECT%20%3Fp%20%3Fo%20WHE'
>>> KINDS["lookup"].sample(3)
'SELECT ?p ?o WHERE { <http://bench.example/p3> ?p ?o }'
"""

from __future__ import annotations

import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

EX = "http://bench.example/"
TRIPLES_PER_PERSON = 9
TIER_SIZE = 50_000
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

GRAPH = EX + "graph"
"""The one named graph the synthetic triples are loaded into (served as the union default graph)."""
JSON = "application/sparql-results+json"
NT = "application/n-triples"
PERSON = f"<{EX}p{{n}}>"
"""A random person: ``{n}`` becomes a random number below the number of people at each request."""


@dataclass(frozen=True)
class Kind:
    """One kind of query of the mix: its text (``{n}`` for a random person), the type it is asked as."""

    name: str
    title: str
    text: str
    accept: str
    engine_bound: bool = False

    def sample(self, n: int) -> str:
        """The query with person ``n``."""
        return self.text.replace("{n}", str(n))

    def paths(self, endpoint: str) -> list[str]:
        """``endpoint?query=…`` with the text percent-encoded and its ``{n}`` slots kept for the generator."""
        return [endpoint + "?query=" + "{n}".join(quote(part, safe="") for part in self.text.split("{n}"))]


KINDS = {kind.name: kind for kind in (
    Kind("lookup", "lookup `SELECT ?p ?o { <p> ?p ?o }`", f"SELECT ?p ?o WHERE {{ {PERSON} ?p ?o }}", JSON),
    Kind("join", "join (2 patterns)", f"SELECT ?f ?name WHERE {{ {PERSON} <{EX}knows> ?f . ?f <{EX}name> ?name }}",
         JSON),
    Kind("path3", "3-hop property path ASK", f"ASK {{ {PERSON} <{EX}knows>/<{EX}knows>/<{EX}knows> {PERSON} }}",
         JSON),
    Kind("construct", "CONSTRUCT of one subject", f"CONSTRUCT WHERE {{ {PERSON} ?p ?o }}", NT),
    Kind("count50k", "COUNT over 50k people (engine-bound)",
         f"SELECT (COUNT(?s) AS ?n) WHERE {{ ?s <{EX}tier> <{EX}tier0> FILTER(?s != {PERSON}) }}", JSON, True),
    Kind("count-repeated", "the same COUNT repeated (a result cache can answer)",
         f"SELECT (COUNT(?s) AS ?n) WHERE {{ ?s <{EX}tier> <{EX}tier0> }}", JSON, True),
)}
"""The query kinds, in the order of the tables."""


# --- servers ------------------------------------------------------------------------------------------


@dataclass
class Server:
    """A peer's server process and its SPARQL endpoint URL."""

    name: str
    url: str
    process: subprocess.Popen
    note: str = ""

    @property
    def base(self) -> str:
        """``http://host:port`` of the endpoint (what the load generator connects to)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def path(self) -> str:
        """The endpoint's path (``/query``, ``/sparql``, ``/``)."""
        return urlsplit(self.url).path or "/"

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


def probe(url: str, kind: Kind, n: int) -> float:
    """One request of ``kind`` (person ``n``) from a Python client: it must answer 200 in the asked type.

    Checks that the server answers what the load generator will ask (wrk counts statuses, not contents);
    returns the seconds it took (a request on an idle server).
    """
    started = time.perf_counter()
    response = httpx.get(url, params={"query": kind.sample(n)}, headers={"Accept": kind.accept}, timeout=300)
    elapsed = time.perf_counter() - started
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if response.status_code != 200 or media != kind.accept or not response.content:
        raise RuntimeError(f"{url} answered {kind.name} with {response.status_code} {media}: {response.text[:300]}")
    return elapsed


def oxigraph_load(location: Path, data: Path, graph: str | None = None) -> None:
    """``oxigraph load`` of ``data`` into a new store at ``location`` (into the named ``graph`` if given)."""
    shutil.rmtree(location, ignore_errors=True)
    into = ["--graph", graph] if graph else []
    subprocess.run([str(BIN / "oxigraph"), "load", "--location", str(location), "--file", str(data), *into],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_oxigraph_read_only(store: Path, log: Path) -> Server:
    """``oxigraph serve-read-only --union-default-graph`` on ``store`` (the peer of the SPARQL mix); do not wait.

    Without ``--timeout-s``: with it, oxigraph 0.5.13 starts a timer thread per query that lives for the
    whole time limit, and under thousands of requests a second the process runs out of memory for
    thread stacks and aborts ("failed to allocate an alternative stack").
    """
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(BIN / "oxigraph"), "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{port}",
             "--union-default-graph"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    return Server("oxigraph", f"http://127.0.0.1:{port}/query", process, "oxigraph serve-read-only")


def start_rdflib(data: Path, log: Path) -> Server:
    """``rdflib-endpoint serve`` on ``data`` (its in-memory rdflib store); do not wait."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(BIN / "rdflib-endpoint"), "serve", str(data), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    return Server("rdflib-endpoint", f"http://127.0.0.1:{port}/", process, "rdflib in-memory store")


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
