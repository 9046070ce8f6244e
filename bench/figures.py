"""What the benchmark suite measures: its configuration and the figures of one run (filled in by the sections).

>>> pairs_for(1_000_000, None), pairs_for(10_000_000, None), pairs_for(10_000_000, 5)
(50, 20, 5)
>>> edges_for(1_500_000)
1000000
>>> Latency([0.001, 0.002], failed=1).cell()
'1.0 · 2.0 (1 failed)'
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import paths_bench, paths_eval, report
from bench.native import Load

SECTIONS = ("sparql", "routes", "paths", "load", "startup", "eval")
SERVERS = ("backchannel embedded", "backchannel remote", "oxigraph", "rdflib-endpoint")
"""The servers of the SPARQL mix, in the order of its table."""
MAX_LENGTH = 8
"""Most hops of a path searched (as in ``bench.paths_bench``)."""
QUADS_PER_EDGE = 1.5
"""``paths_bench.write_graph`` writes about 1.5 quads per relation (labels, types, dates of edges/5 things)."""
BYTES_PER_QUAD = 700
"""Disk needed per quad of a paths graph: the N-Quads file and two stores, with room to spare."""


def pairs_for(triples: int, pairs: int | None) -> int:
    """How many pairs to time at a size: ``pairs`` if given, else 50 up to 2M triples and 20 above."""
    return pairs if pairs is not None else (50 if triples <= 2_000_000 else 20)


def edges_for(triples: int) -> int:
    """Relations of a ``paths_bench`` graph of about ``triples`` quads."""
    return max(10, round(triples / QUADS_PER_EDGE))


@dataclass
class Config:
    """What to run, how large and how long."""

    sizes: list[int] = field(default_factory=lambda: [1_000_000, 10_000_000])
    sparql_triples: int = 1_000_000
    rdflib_triples: int = 1_000_000
    seconds: float = 8.0
    """Seconds of load per server, query kind and round (wrk ``-d``); longer for a kind whose single request
    takes long (see :func:`bench.sparql_mix.duration_for`)."""
    rounds: int = 2
    warm_up: float = 2.0
    """Seconds of unrecorded load per server and kind (and route) before the first round; 0 for none."""
    """Rounds of the SPARQL mix; the servers alternate within each round, the best round is reported."""
    concurrency: int = 8
    pairs: int | None = None
    only: tuple[str, ...] = SECTIONS
    ready_timeout: float = 1800.0
    """Longest wait for ``/ready`` of a service (it builds the path projection; on a remote store it copies
    the whole graph from the engine first)."""
    remote_budget: float = 10.0
    remote_max_frontier: int = 5000
    tmp: Path = Path(tempfile.gettempdir())
    command: str = ".venv/bin/python -m bench"
    settings: dict[str, str] = field(default_factory=dict)
    """More ``BACKCHANNEL_*`` settings of our servers (``--set``): those of the SPARQL mix, the routes and the
    start-up figures; the paths bench serves with the defaults."""


# --- results -----------------------------------------------------------------------------------------


@dataclass
class Latency:
    """Seconds per call and how many calls failed (over budget, no answer, an error status)."""

    times: list[float] = field(default_factory=list)
    failed: int = 0
    first_failure: str = ""
    queries: list[int] = field(default_factory=list)
    """SPARQL queries per answer, where the answer says (the frontier engine's ``engine.queries``)."""

    def p(self, q: float) -> float | None:
        return paths_bench.pct(self.times, q) if self.times else None

    def cell(self) -> str:
        text = f"{report.ms(self.p(0.5))} · {report.ms(self.p(0.99))}" if self.times else report.DASH
        return text + (f" ({self.failed} failed)" if self.failed else "")


@dataclass
class Started:
    """Start-up and memory of one server process."""

    health_s: float | None = None
    ready_s: float | None = None
    restart_ready_s: float | None = None
    """``/ready`` again after a restart on the same store (the embedded store reads its projection file back)."""
    index_s: float | None = None
    """``backchannel index`` on the store (the path projection built and written beside it, as ``load`` does)."""
    indexed_ready_s: float | None = None
    """``/ready`` of the first start after ``backchannel index`` (no projection file written by a server before)."""
    rss_up_mib: float | None = None
    rss_ready_mib: float | None = None
    workers_mib: float | None = None
    """Query worker processes together, after the SPARQL mix (they start with the first query)."""
    rss_after_mib: float | None = None
    """The server process after the SPARQL mix."""


@dataclass
class Graph:
    """One graph, loaded into both stores and served by all our servers, with what was measured on it."""

    name: str
    triples: int
    """Quads actually written and loaded."""
    generate_s: float = 0.0
    embedded_load_s: float = 0.0
    embedded_disk_mib: float = 0.0
    server_load_s: float = 0.0
    server_disk_mib: float = 0.0
    copied: bool = False
    """The embedded store is a copy of the Oxigraph server's (loaded once), not loaded apart."""
    oxigraph_start_s: float | None = None
    oxigraph_rss_mib: float | None = None
    """The Oxigraph server once started (paths graphs: after the remote searches)."""
    oxigraph_rss_end_mib: float | None = None
    """The Oxigraph server after our service on the remote store was done with it."""
    embedded: Started = field(default_factory=Started)
    remote: Started = field(default_factory=Started)
    notes: list[str] = field(default_factory=list)

    @property
    def millions(self) -> float:
        return max(self.triples, 1) / 1e6


@dataclass
class PathFigures:
    """Shortest-path latencies on one paths graph."""

    pairs: int = 0
    lengths: dict[int, int] = field(default_factory=dict)
    projection_s: float = 0.0
    in_process: Latency = field(default_factory=Latency)
    http_embedded: Latency = field(default_factory=Latency)
    remote: Latency = field(default_factory=Latency)
    remote_stops: dict[str, int] = field(default_factory=dict)
    remote_same_length: int = 0
    remote_queries: float = 0.0
    http_remote: Latency = field(default_factory=Latency)


@dataclass
class Results:
    """Everything one run measured."""

    config: Config
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    machine: str = field(default_factory=report.machine)
    code: str = field(default_factory=lambda: report.code_version(Path(__file__).resolve().parent.parent))
    load: dict[str, str] = field(default_factory=dict)
    """Load average (1/5/15 min) at points of the run."""
    client: str = ""
    """The load generator that measured every throughput figure (``wrk`` and its version)."""
    sparql: dict[str, dict[str, list[Load]]] = field(default_factory=dict)
    """Per server and query kind, wrk's figures of each round."""
    sparql_notes: list[str] = field(default_factory=list)
    routes: dict[str, Load] = field(default_factory=dict)
    """Per route of our service on the seed graph, wrk's figures."""
    routes_notes: list[str] = field(default_factory=list)
    empty: Started = field(default_factory=Started)
    """Our service on an empty embedded store: the baseline of memory and start-up."""
    graphs: list[Graph] = field(default_factory=list)
    paths: dict[str, PathFigures] = field(default_factory=dict)
    evaluation: dict[str, paths_eval.EvalReport] = field(default_factory=dict)
    """The path ranking's evaluation figures per engine (:mod:`bench.paths_eval`)."""
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0



def seconds_since(started: float) -> float:
    """Seconds from ``started`` (a ``time.perf_counter()`` reading) to now."""
    return time.perf_counter() - started


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` takes."""
    started = time.perf_counter()
    action()
    return seconds_since(started)


def log(message: str) -> None:
    """A progress line (``# HH:MM:SS message``)."""
    print(f"# {datetime.now(UTC):%H:%M:%S} {message}", flush=True)


def note_load(results: Results, when: str) -> None:
    """Remember the load average at a point of the run."""
    results.load[when] = report.load_average()
