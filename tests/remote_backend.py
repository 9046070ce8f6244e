"""A real Oxigraph SPARQL server for tests of the remote store (``oxigraph serve`` on a free loopback port).

>>> with OxigraphServer.start() as server:
...     httpx.get(server.url + "query", params={"query": "ASK {}"}).json()["boolean"]
True
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from kg.store.remote import RemoteStore


def oxigraph_binary() -> str:
    """The ``oxigraph`` command installed next to this Python (the PyPI package ``oxigraph``)."""
    here = Path(sys.executable).parent / "oxigraph"
    found = str(here) if here.exists() else shutil.which("oxigraph")
    if not found:
        raise RuntimeError("the oxigraph server is not installed: pip install oxigraph (it is in the bench extra)")
    return found


def _die_with_parent() -> None:
    """In the child: ask Linux to stop this process if the test run dies (PR_SET_PDEATHSIG).

    The signal comes when the *thread* that started the server ends, so start servers from the main thread.
    """
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OxigraphServer:
    """One ``oxigraph serve`` process on 127.0.0.1 with its data in a temporary directory.

    ``timeout_s`` is the server's own query time limit: a client that gives up
    does not stop a query in the server, so tests always set one.
    """

    def __init__(self, port: int, folder: Path, timeout_s: float, owns_folder: bool) -> None:
        self.port = port
        self.folder = folder
        self.timeout_s = timeout_s
        self.owns_folder = owns_folder
        self.url = f"http://127.0.0.1:{port}/"
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, folder: Path | None = None, *, timeout_s: float = 15.0) -> OxigraphServer:
        """Start a server on a free port (data in ``folder``, or in a new temporary directory)."""
        owns = folder is None
        folder = Path(tempfile.mkdtemp(prefix="backchannel-oxigraph-")) if folder is None else folder
        server = cls(free_port(), folder, timeout_s, owns)
        server.resume()
        return server

    def resume(self) -> None:
        """Start (again) on the same port with the same data; return when it answers."""
        if self.process is not None:
            return
        with open(self.folder / "server.log", "ab") as log:  # the process writes to its own copy
            self.process = subprocess.Popen(
                [oxigraph_binary(), "serve", "--location", str(self.folder / "db"),
                 "--bind", f"127.0.0.1:{self.port}", "--timeout-s", f"{self.timeout_s:g}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oxigraph serve exited: {(self.folder / 'server.log').read_text()[-2000:]}")
            try:
                httpx.get(self.url + "query", params={"query": "ASK {}"}, timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        self.pause()
        raise RuntimeError("oxigraph serve did not answer within 30 s")

    def pause(self) -> None:
        """Stop the process, keeping the data (``resume`` starts it again)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        """Stop the process and delete the data if the folder was made here."""
        self.pause()
        if self.owns_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def store(self, **options: Any) -> RemoteStore:
        """A :class:`RemoteStore` on this server."""
        return RemoteStore(self.url, **options)

    def __enter__(self) -> OxigraphServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServedRemoteStore(RemoteStore):
    """A remote store that owns its Oxigraph server: closing the store stops the server (for test fixtures)."""

    def __init__(self, server: OxigraphServer, **options: Any) -> None:
        super().__init__(server.url, **options)
        self.server = server

    def close(self) -> None:
        super().close()
        self.server.stop()


def served_remote_store(timeout: float = 30.0, **options: object) -> ServedRemoteStore:
    """Start an Oxigraph server and return a remote store on it that stops the server when closed.

    The server's own query limit is a little longer than the store's ``timeout``, so the store's comes first.
    """
    return ServedRemoteStore(OxigraphServer.start(timeout_s=timeout + 5), timeout=timeout, **options)


VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def virtuoso_available() -> bool:
    """Whether Debian's ``virtuoso-opensource`` is installed (``virtuoso-t``, ``isql-vt`` and its ini)."""
    return bool(shutil.which("virtuoso-t") and shutil.which("isql-vt") and VIRTUOSO_INI.exists())


class VirtuosoServer:
    """A throw-away Virtuoso 7 (Debian's ``virtuoso-opensource``) in a temporary directory, on free ports.

    Its ini is the system one with the database moved to the temporary directory, the ports changed,
    answers allowed up to 1,000,000 rows and a 60 s query limit; the anonymous SPARQL user may update.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="backchannel-virtuoso-"))
        self.isql_port, self.http_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.http_port}/sparql"
        (self.folder / "virtuoso.ini").write_text(self._ini(VIRTUOSO_INI.read_text()))
        with open(self.folder / "server.log", "ab") as log:  # the process writes to its own copy
            self.process = subprocess.Popen(
                ["virtuoso-t", "-f", "-c", str(self.folder / "virtuoso.ini")], cwd=self.folder,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        try:
            self._wait()
            subprocess.run(["isql-vt", str(self.isql_port), "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
                           check=True, capture_output=True, timeout=60)
        except (RuntimeError, subprocess.SubprocessError):
            self.stop()
            raise

    def _ini(self, text: str) -> str:
        section, lines = "", []
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("["):
                section = stripped
            key = stripped.split("=", 1)[0].strip()
            value = {
                ("[Parameters]", "ServerPort"): str(self.isql_port),
                ("[HTTPServer]", "ServerPort"): str(self.http_port),
                ("[Parameters]", "DirsAllowed"): f"., {self.folder}",
                ("[SPARQL]", "ResultSetMaxRows"): "1000000",
                ("[SPARQL]", "MaxQueryExecutionTime"): "60",
            }.get((section, key))
            if value is not None and not stripped.startswith(";"):
                line = f"{key} = {value}"
            lines.append(line.replace("/var/lib/virtuoso-opensource-7/db/", f"{self.folder}/"))
        return "\n".join(lines) + "\n"

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited: {(self.folder / 'server.log').read_text()[-2000:]}")
            try:
                httpx.get(self.url, params={"query": "ASK {}"}, timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("Virtuoso did not answer within 60 s")

    def store(self, **options: Any) -> RemoteStore:
        """A :class:`RemoteStore` set up for Virtuoso (union default graph, its own graphs hidden)."""
        from kg.store.remote_http import VIRTUOSO_GRAPHS

        settings: dict[str, Any] = {"union_default_graph": "listed", "hidden_graphs": VIRTUOSO_GRAPHS}
        return RemoteStore(self.url, **(settings | options))

    def stop(self) -> None:
        """Stop Virtuoso and delete its files."""
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> VirtuosoServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
