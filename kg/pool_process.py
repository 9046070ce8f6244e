"""One worker process of a :class:`kg.pool.ProcessPool`, seen from the pool: ``python -m kg.pool MODULE IN OUT
MEMORY_MB`` and its two pipes, its CPU time, its demotion, its end.

A worker that cannot be made (out of processes or file descriptors) raises ``OSError`` and leaves none of its pipes
open; the pool decides what that means for the job at hand (:meth:`kg.pool.ProcessPool.add_idle`).

>>> worker = WorkerProcess("kg.pool", memory_mb=None)
>>> worker.warmed(wait=30), worker.cpu_seconds() > 0
(True, True)
>>> worker.kill()
"""

from __future__ import annotations

import math
import os
import select
import subprocess
import sys
import time
from collections.abc import Hashable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

DEMOTED_NICENESS = 19
"""The ``nice`` value of a worker whose job has used :data:`kg.pool.DEMOTE_AFTER` of CPU: the lowest priority, about
1.5 % of the CPU weight of the server and of workers running short jobs (Linux's weights: 15 against 1024), so
runaways being replaced at the server's priority is all that competes with a light job."""

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
"""Clock ticks a second (the unit of ``/proc/PID/stat``)."""


class WorkerProcess:
    """One worker process and its two pipes."""

    def __init__(self, module: str, memory_mb: int | None) -> None:
        opened: list[int] = []
        try:
            opened += os.pipe()
            opened += os.pipe()
            child_in, parent_out, parent_in, child_out = opened
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kg.pool", module, str(child_in), str(child_out), str(memory_mb or 0)],
                pass_fds=(child_in, child_out),
                stdin=subprocess.DEVNULL,
                env=os.environ | {"PYTHONPATH": _package_root() + os.pathsep + os.environ.get("PYTHONPATH", "")},
            )
        except OSError:  # out of file descriptors or processes: leave none of ours open
            for fd in opened:
                os.close(fd)
            raise
        os.close(child_in)
        os.close(child_out)
        self.inbox = Connection(parent_in, writable=False)
        self.outbox = Connection(parent_out, readable=False)
        self._poller = select.poll()
        self._poller.register(parent_in, select.POLLIN)
        self.state: Hashable | None = None
        """What the worker holds open (a snapshot): it must not be deleted while the worker lives."""
        self.idle_since = time.monotonic()
        self.demoted = False
        """Whether its CPU priority was lowered (a long job): it is let go after the job."""
        self.warming = True
        """Whether it is still starting up: until it says ``ready``, and until the pool's warm-up job (if it was sent
        one, :attr:`warm_job`) is over. Its replies are still to be read."""
        self.warm_job = False
        """Whether it was sent the pool's warm-up job."""
        self.cpu = 0.0
        """The CPU seconds it had used when it last spoke (at rest between jobs, where the next one starts)."""

    def wait(self, seconds: float) -> bool:
        """Whether the worker has something to say (or has died), waiting up to ``seconds`` for it."""
        return bool(self._poller.poll(math.ceil(max(0.0, seconds) * 1000)))

    def receive(self) -> tuple[str, Any]:
        """Its next message: (status, payload); keeps the CPU time it carries."""
        status, payload, self.cpu = self.inbox.recv()
        return status, payload

    def warmed(self, wait: float = 0.0) -> bool:
        """Whether it has started up, reading its replies for up to ``wait`` seconds (raises EOFError or OSError if
        the worker died meanwhile)."""
        while self.warming and self.wait(wait):
            status, _ = self.receive()
            if status == "ready":
                self.warming = self.warm_job
            elif status in ("ok", "error"):  # the warm-up job is over (an error is not a job's)
                self.warming = False
        return not self.warming

    def cpu_seconds(self) -> float:
        """CPU time the process has used so far (``/proc/PID/stat``); infinity where it cannot be read (then a job
        is demoted by its wall time alone)."""
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _TICKS
        except (OSError, IndexError, ValueError):
            return float("inf")

    def demote(self) -> None:
        """Lower the process's CPU priority to :data:`DEMOTED_NICENESS` (a process may always lower its own)."""
        try:
            pid = self.process.pid
            os.setpriority(os.PRIO_PROCESS, pid, max(DEMOTED_NICENESS, os.getpriority(os.PRIO_PROCESS, pid)))
        except (ProcessLookupError, PermissionError):  # it just ended, or the system forbids it: nothing to lower
            return
        self.demoted = True

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.inbox.close()
        self.outbox.close()


def _package_root() -> str:
    """The folder that holds the ``kg`` package, so workers import the same code."""
    return str(Path(__file__).resolve().parents[1])
