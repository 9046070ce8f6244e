"""A real ``backchannel serve`` in a subprocess, on a free loopback port, with an on-disk store in a folder.

Used by the load and fault benches and by the tests that need a real process
(kill -9, SIGTERM, restarts): :func:`build_store` builds the curated graph into
a folder (``backchannel build``) under the server's own base IRI, :func:`start`
serves it (settings as ``BACKCHANNEL_*`` environment variables) and waits until
``/ready`` answers.

>>> free_port() > 0
True
>>> rss_kib(os.getpid()) > 0
True
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB (``VmRSS`` of ``/proc/PID/status``); 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    return 0


def family(*pids: int) -> Callable[[], list[int]]:
    """The processes ``pids`` and their children at each call (a server's query workers come and go)."""
    return lambda: [p for pid in pids for p in (pid, *children(pid))]


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (the query workers of a server)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):  # children started by any thread
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
    return sorted(set(found))


def _command() -> list[str]:
    entry = BIN / "backchannel"
    return [str(entry)] if entry.exists() else [sys.executable, "-m", "service.cli"]


OWN_SETTINGS = ("BACKCHANNEL_STORE", "BACKCHANNEL_BASE_IRI", "BACKCHANNEL_PORT", "BACKCHANNEL_HOST")
"""Settings a bench gives each server itself (where its store is, its port): never taken from ``--set``."""


def setting(text: str) -> tuple[str, str]:
    """A ``--set NAME=VALUE`` option of a bench: one more setting of every server of ours it starts.

    The servers' environment is otherwise cleaned of ``BACKCHANNEL_*`` (:func:`clean_env`), so an A/B run
    names what it varies on the command line, where the report shows it:

    >>> setting("BACKCHANNEL_QUERY_CONCURRENCY=16")
    ('BACKCHANNEL_QUERY_CONCURRENCY', '16')
    >>> setting("QUERY_CONCURRENCY=16")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: 'QUERY_CONCURRENCY=16': give NAME=VALUE, NAME a BACKCHANNEL_* setting
    >>> setting("BACKCHANNEL_PORT=1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: BACKCHANNEL_PORT is chosen by the bench for each server; it cannot be set
    """
    name, equals, value = text.partition("=")
    name = name.strip().upper()
    if not equals or not name.startswith("BACKCHANNEL_") or name == "BACKCHANNEL_":
        raise argparse.ArgumentTypeError(f"{text!r}: give NAME=VALUE, NAME a BACKCHANNEL_* setting")
    if name in OWN_SETTINGS:
        raise argparse.ArgumentTypeError(f"{name} is chosen by the bench for each server; it cannot be set")
    return name, value


def clean_env(settings: Mapping[str, str]) -> dict[str, str]:
    """The environment of a server: ours without any ``BACKCHANNEL_*`` variable, plus ``settings``.

    The repository is put first on ``PYTHONPATH`` (the editable install does not always resolve
    ``kg`` outside the repository) and processes run in the repository folder.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKCHANNEL_")}
    path = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env | {"PYTHONPATH": path} | dict(settings)


def build_store(store_dir: Path, base_iri: str) -> None:
    """Build the curated graph into ``store_dir`` under ``base_iri`` (no dumps)."""
    env = clean_env({"BACKCHANNEL_STORE": str(store_dir), "BACKCHANNEL_BASE_IRI": base_iri})
    subprocess.run([*_command(), "build", "--no-dumps"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)


@dataclass
class LiveProcess:
    """A running ``backchannel serve``: its ``url``, process, store folder and log file."""

    url: str
    port: int
    store_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> int:
        """Resident memory of the server process (not its query workers), KiB."""
        return rss_kib(self.pid)

    def workers_rss_kib(self) -> int:
        """Resident memory of its query worker processes together, KiB."""
        return sum(rss_kib(child) for child in children(self.pid))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill9(self) -> None:
        """SIGKILL the server and its workers (as a crash or the OOM killer would)."""
        workers = children(self.pid)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        for child in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)

    def stop(self, timeout: float = 40) -> int:
        """SIGTERM and wait; SIGKILL if it does not exit within ``timeout``. Returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
        return self.process.returncode


def start(
    store_dir: Path,
    *,
    port: int | None = None,
    settings: Mapping[str, str] | None = None,
    build: bool = False,
    log_path: Path | None = None,
    wait: float = 120,
) -> LiveProcess:
    """Serve ``store_dir`` on 127.0.0.1 (base IRI = the server's own URL); build it first if ``build``.

    ``settings`` are ``BACKCHANNEL_*`` variables (e.g. ``{"BACKCHANNEL_WRITE_TOKEN": "t"}``).
    Waits until ``/ready`` answers 200; raises RuntimeError with the log if it does not.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    if build:
        build_store(store_dir, url)
    log_path = log_path or store_dir.parent / f"serve-{port}.log"
    values = {"BACKCHANNEL_STORE": str(store_dir), "BACKCHANNEL_BASE_IRI": url, "BACKCHANNEL_PORT": str(port),
              "BACKCHANNEL_HOST": "127.0.0.1"} | dict(settings or {})
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*_command(), "serve", "--log-level", "warning"], env=clean_env(values), cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    live = LiveProcess(url, port, store_dir, process, log_path, values)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"backchannel serve exited with {process.returncode}:\n{live.log()[-3000:]}")
        try:
            if httpx.get(url + "ready", timeout=5).status_code == 200:
                return live
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    live.kill9()
    raise RuntimeError(f"backchannel serve was not ready within {wait:g} s:\n{live.log()[-3000:]}")
