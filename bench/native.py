"""Requests per second from a native load generator: ``wrk`` (Debian's package), never a Python client.

Every throughput figure of the benchmark suite comes from here. A Python client on the same 2 cores
is itself the limit at a few hundred requests per second (it hid a 16× gap between our service and
the Oxigraph server), so Python clients only time requests one at a time (latency per request).

:func:`find_wrk` finds the binary (``BACKCHANNEL_WRK`` or ``wrk`` on ``PATH``; :class:`Missing` says
how to install it). :func:`run` drives one URL pattern from ``connections`` connections on one client
thread for ``seconds``: each request fills the pattern's ``{n}`` slots with random numbers below
``numbers`` (a random subject per request, so that no cache can serve it), or picks one of several
fixed paths. A Lua script (:func:`script`) builds the requests and prints wrk's own counts and latency
percentiles as one JSON line, which :func:`parse` reads into a :class:`Load`.

>>> print(lua_string('/sparql?query=ASK%20{}'))
"/sparql?query=ASK%20{}"
>>> load = parse('x\\nWRK {"requests": 80, "seconds": 2.0, "p50_us": 1500, "p99_us": 9000, '
...              '"status": 0, "connect": 0, "read": 0, "write": 0, "timeout": 0}\\n')
>>> load.rps, load.p50_ms, load.errors
(40.0, 1.5, 0)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_THREADS = 1
"""wrk threads: one keeps the client to (less than) one core of the two, as in the issue's measurements."""
DEFAULT_TIMEOUT_S = 60
"""wrk's per-request time limit (its default of 2 s would count slow engine-bound answers as errors)."""


class Missing(RuntimeError):
    """No native load generator on this machine."""


@dataclass(frozen=True)
class Client:
    """The load generator used: its path and version line."""

    path: str
    version: str

    def describe(self) -> str:
        return f"{self.version} ({self.path})"


def find_wrk() -> Client:
    """``wrk`` from ``BACKCHANNEL_WRK`` or ``PATH``; :class:`Missing` with the install command if absent."""
    path = os.environ.get("BACKCHANNEL_WRK") or shutil.which("wrk")
    if not path or not os.access(path, os.X_OK):
        raise Missing("the benchmarks need the native load generator wrk: install Debian's package "
                      "(apt-get install wrk; `make bench` does it when run as root), or point BACKCHANNEL_WRK at it")
    done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    first = (done.stdout + done.stderr).strip().splitlines()
    version = first[0].split(" Copyright")[0].strip() if first else "wrk"
    return Client(path, version)


@dataclass
class Load:
    """What wrk counted: answers, time, latency percentiles (of every request), errors by kind."""

    requests: int = 0
    seconds: float = 0.0
    p50_us: float = 0.0
    p99_us: float = 0.0
    status: int = 0
    """Answers with a status of 400 or more (wrk counts 3xx as fine)."""
    connect: int = 0
    read: int = 0
    write: int = 0
    timeout: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return self.p50_us / 1000

    @property
    def p99_ms(self) -> float:
        return self.p99_us / 1000

    @property
    def errors(self) -> int:
        return self.status + self.connect + self.read + self.write + self.timeout

    def cell(self) -> str:
        """``req/s · p50 · p99 (ms)`` for a table, with the errors if any."""
        if not self.requests:
            return "0 answers" + (f" ({self.errors} errors)" if self.errors else "")
        rps = f"{self.rps:,.0f}" if self.rps >= 100 else f"{self.rps:.1f}"
        text = f"{rps} · {self.p50_ms:.1f} · {self.p99_ms:.1f}"
        return text + (f" ({self.errors} errors)" if self.errors else "")


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time (user + system) the processes ``pids`` have used so far, in seconds (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def wait_idle(pids: Callable[[], Sequence[int]], *, busy: float = 0.1, window: float = 0.5,
              longest: float = 180.0) -> float:
    """Wait until the processes use less than ``busy`` of a core over ``window`` seconds; the seconds waited.

    wrk stops at its deadline with requests still in flight, and a server goes on computing them (an
    engine-bound query can take a minute on a slow peer): the next measurement must not pay for them.
    ``pids`` is called at each step (a server's query workers come and go). Gives up after ``longest``.

    >>> wait_idle(lambda: [], window=0.01) < 1
    True
    """
    started = time.monotonic()
    while time.monotonic() - started < longest:
        before = cpu_seconds(pids())
        time.sleep(window)
        if cpu_seconds(pids()) - before < busy * window:
            break
    return time.monotonic() - started


def lua_string(text: str) -> str:
    """A Lua string literal."""
    return json.dumps(text)


def script(paths: Sequence[str], numbers: int, headers: dict[str, str], seed: int) -> str:
    """The Lua script: a random one of ``paths`` per request, each ``{n}`` a random number below ``numbers``."""
    listed = ", ".join(lua_string(p) for p in paths)
    header_lines = "\n".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
    return f"""
local paths = {{ {listed} }}
local numbers = {max(1, numbers)}
{header_lines}
math.randomseed({seed})
local function number() return tostring(math.random(0, numbers - 1)) end
request = function()
  local path = paths[math.random(1, #paths)]
  path = path:gsub("{{n}}", number)
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {{"requests": %d, "seconds": %.6f, "p50_us": %d, "p99_us": %d, "status": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d}}\\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99), e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def parse(output: str) -> Load:
    """The :class:`Load` from wrk's output (the ``WRK {...}`` line the script prints)."""
    for line in output.splitlines():
        if line.startswith("WRK "):
            return Load(**json.loads(line[4:]))
    raise RuntimeError(f"wrk printed no result line:\n{output[-2000:]}")


def run(client: Client, base: str, paths: Sequence[str], *, numbers: int = 1, headers: dict[str, str] | None = None,
        seconds: float = 8.0, connections: int = 8, threads: int = DEFAULT_THREADS, seed: int = 1,
        timeout_s: int = DEFAULT_TIMEOUT_S) -> Load:
    """Drive ``base`` (``http://127.0.0.1:port``) with requests for ``paths`` for ``seconds``; wrk's counts."""
    with tempfile.TemporaryDirectory(prefix="backchannel-wrk-") as folder:
        lua = Path(folder) / "requests.lua"
        lua.write_text(script(paths, numbers, headers or {}, seed))
        done = subprocess.run(
            [client.path, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
             f"--timeout={timeout_s}s", "-s", str(lua), base],
            capture_output=True, text=True, timeout=seconds + timeout_s + 30,
        )
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr[-2000:]}")
    return parse(done.stdout)
