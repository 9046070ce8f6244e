"""The servers the benchmark suite runs, each on 127.0.0.1 with a free port and its files in a folder it is given.

- :func:`start_service`: ``backchannel serve`` on an embedded store (a folder) or on a remote one
  (``sparql+http://…``), as a subprocess; :class:`Service` times its start-up (to ``/health``, to
  ``/ready``: the projection built) and reads its memory.
- :func:`start_oxigraph`: ``oxigraph serve`` on a loaded folder (``tests.remote_backend.OxigraphServer``,
  with its own query time limit), timed to its first answer.
- :func:`start_rdflib`: ``rdflib-endpoint`` on an N-Triples file (``bench.sparql_bench.start_rdflib``).
- :func:`load_both` loads a file into an embedded store and into the Oxigraph server's folder;
  :func:`start_ours` starts our service and records its start-up and memory.

Every starter returns something with ``stop()``; the suite registers each one on a
:class:`contextlib.ExitStack` as soon as the process exists, so all are stopped when the suite
ends, fails or is interrupted.

>>> disk_mib(Path(__file__).parent) > 0
True
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import live, sparql_bench
from bench.figures import Graph, Started, seconds_since, timed
from kg.store.embedded import OxigraphStore
from tests.remote_backend import OxigraphServer


def disk_mib(folder: Path) -> float:
    """Size of the files under ``folder`` in MiB."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


@dataclass
class Service:
    """A ``backchannel serve`` being started or running (see :func:`start_service`)."""

    name: str
    process: live.LiveProcess
    started: float
    """``time.perf_counter()`` just before the process was started."""
    health_s: float | None = None
    """Seconds from the start to the first ``/health`` 200 (HTTP served, store open)."""
    ready_s: float | None = None
    """Seconds from the start to the first ``/ready`` 200 (store answers, path projection built)."""

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def sparql_url(self) -> str:
        return self.process.url + "sparql"

    def rss_mib(self) -> float:
        """Resident memory of the server process (not its query workers), MiB."""
        return self.process.rss_kib() / 1024

    def workers_rss_mib(self) -> float:
        """Resident memory of its query worker processes together, MiB."""
        return self.process.workers_rss_kib() / 1024

    def _wait(self, path: str, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=max(5.0, min(timeout, 600.0))) as client:
            while time.monotonic() < deadline:
                if self.process.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.process.returncode}:\n"
                                       f"{self.process.log()[-3000:]}")
                try:
                    if client.get(self.url + path).status_code == 200:
                        return seconds_since(self.started)
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        return None

    def wait_health(self, timeout: float = 120) -> float:
        """Wait for ``/health``; the seconds since the start. RuntimeError if it does not come in ``timeout``."""
        found = self._wait("health", timeout)
        if found is None:
            raise RuntimeError(
                f"{self.name} did not answer /health within {timeout:g} s:\n{self.process.log()[-3000:]}")
        self.health_s = found
        return found

    def wait_ready(self, timeout: float) -> float | None:
        """Wait for ``/ready`` (it builds the path projection); seconds since the start, or None after ``timeout``."""
        self.ready_s = self._wait("ready", timeout)
        return self.ready_s

    def stop(self) -> None:
        """SIGTERM (SIGKILL after 40 s); then any query worker still alive is killed."""
        workers = live.children(self.process.pid) if self.process.process.poll() is None else []
        self.process.stop()
        for child in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)


def start_service(name: str, store: str, folder: Path, settings: Mapping[str, str] | None = None) -> Service:
    """Start ``backchannel serve`` on ``store`` (a folder or ``sparql+http://…``); do not wait.

    The base IRI is the server's own URL; the log goes to ``folder/<port>.log``; settings come only
    from the environment given here and ``settings`` (the bench's ``--set``; no ``BACKCHANNEL_*`` variable
    of ours leaks in).
    """
    port = live.free_port()
    url = f"http://127.0.0.1:{port}/"
    values = dict(settings or {}) | {"BACKCHANNEL_STORE": store, "BACKCHANNEL_BASE_IRI": url,
                                     "BACKCHANNEL_PORT": str(port), "BACKCHANNEL_HOST": "127.0.0.1"}
    log_path = folder / f"serve-{port}.log"
    started = time.perf_counter()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*live._command(), "serve", "--log-level", "warning"], env=live.clean_env(values), cwd=live.ROOT,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return Service(name, live.LiveProcess(url, port, Path(store), process, log_path, values), started)


def restart_ready_s(store: str, folder: Path, timeout: float,
                    settings: Mapping[str, str] | None = None) -> float | None:
    """Seconds to ``/ready`` of a second ``backchannel serve`` on ``store`` (the first has stopped): the path
    projection is read back from the file the first one wrote (:mod:`kg.paths.files`)."""
    service = start_service("restarted", store, folder, settings)
    try:
        service.wait_health()
        return service.wait_ready(timeout)
    finally:
        service.stop()


def start_oxigraph(folder: Path, timeout_s: float = 120.0) -> tuple[OxigraphServer, float]:
    """``oxigraph serve`` on the store in ``folder/db`` (loaded before); seconds to its first answer.

    ``timeout_s`` is the server's own query time limit. The server is not registered anywhere: the
    caller stops it (``stop()`` keeps the folder, which the caller owns).
    """
    server = OxigraphServer(live.free_port(), folder, timeout_s, owns_folder=False)
    started = time.perf_counter()
    server.resume()  # returns at the first answer to ASK {} (polled every 50 ms); stops the process on failure
    return server, seconds_since(started)


def oxigraph_rss_mib(server: OxigraphServer) -> float:
    """Resident memory of an Oxigraph server process, MiB (0 if it is not running)."""
    return live.rss_kib(server.process.pid) / 1024 if server.process else 0.0


def start_rdflib(data: Path, folder: Path) -> sparql_bench.Server:
    """``rdflib-endpoint serve`` on ``data`` (it loads the file into memory first); do not wait."""
    return sparql_bench.start_rdflib(data, folder / "rdflib-endpoint.log")


def wait_sparql(server: sparql_bench.Server, timeout: float) -> None:
    """Wait until a SPARQL endpoint answers ``ASK {}`` (RuntimeError after ``timeout``)."""
    sparql_bench.wait_until_up(server, timeout)


def load_embedded(data: Path, folder: Path, media_type: str) -> float:
    """Bulk-load ``data`` into an on-disk embedded store in ``folder`` (then closed); seconds."""
    store = OxigraphStore(folder)
    try:
        return timed(lambda: store.bulk_load(str(data), media_type))
    finally:
        store.close()


def backchannel_command(store: str, folder: Path, *args: str, settings: Mapping[str, str] | None = None) -> float:
    """Seconds a ``backchannel`` command takes on ``store`` (settings only from ``settings`` and the environment
    given here, as for :func:`start_service`; its output goes to ``folder/commands.log``); raises if it fails."""
    with (folder / "commands.log").open("ab") as log:
        started = time.perf_counter()
        env = live.clean_env(dict(settings or {}) | {"BACKCHANNEL_STORE": store})
        subprocess.run([*live._command(), *args], env=env, cwd=live.ROOT, stdout=log, stderr=subprocess.STDOUT,
                       check=True)
        return seconds_since(started)


def indexed_ready_s(store: str, folder: Path, timeout: float,
                    settings: Mapping[str, str] | None = None) -> tuple[float, float | None]:
    """``backchannel index`` on ``store`` with no projection file beside it (seconds), then seconds to ``/ready`` of
    the first ``backchannel serve`` after it: a first start on a store loaded by ``backchannel load``."""
    shutil.rmtree(store + ".projections", ignore_errors=True)
    index_s = backchannel_command(store, folder, "index", settings=settings)
    return index_s, restart_ready_s(store, folder, timeout, settings)


def load_both(graph: Graph, data: Path, folder: Path, media_type: str) -> tuple[Path, Path]:
    """Load ``data`` into the embedded store and the Oxigraph server's folder; record the figures."""
    embedded, server = folder / f"{graph.name}-embedded", folder / f"{graph.name}-oxigraph"
    graph.embedded_load_s = load_embedded(data, embedded, media_type)
    shutil.rmtree(str(embedded) + ".snapshots", ignore_errors=True)
    graph.embedded_disk_mib = disk_mib(embedded)
    server.mkdir()
    graph.server_load_s = timed(lambda: sparql_bench.oxigraph_load(server / "db", data))
    graph.server_disk_mib = disk_mib(server / "db")
    return embedded, server


def start_ours(stack: contextlib.ExitStack, name: str, store: str, folder: Path, figures: Started,
               ready_timeout: float, settings: Mapping[str, str] | None = None) -> Service:
    """Start our service, wait for /health and /ready, record start-up and memory; stopped with ``stack``."""
    service = start_service(name, store, folder, settings)
    stack.callback(service.stop)
    figures.health_s = service.wait_health()
    figures.rss_up_mib = service.rss_mib()
    figures.ready_s = service.wait_ready(ready_timeout)
    figures.rss_ready_mib = service.rss_mib() if figures.ready_s is not None else None
    return service
