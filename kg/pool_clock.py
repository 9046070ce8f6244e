"""A running job's time limit and CPU demotion: the one account both ways of waiting for a worker keep.

:meth:`kg.pool.ProcessPool._exchange` waits for a worker in a thread, :mod:`kg.pool_loop` on an event loop; each
asks a :class:`JobClock` when to look again, tells it what the worker said or that it said nothing, and learns
whether the job is over or past its limit.

The limit counts from the send, and again from ``started`` after a job prepared (``preparing`` allows
``prepare_timeout`` more and suspends demotion). Once the job has used ``demote_after`` seconds of CPU its worker is
demoted; a job that only waited (for the CPU, on a busy machine) is looked at again later.

>>> class Idle:  # a worker that uses no CPU
...     cpu, demoted = 0.0, False
...     def cpu_seconds(self): return 0.0
...     def demote(self): self.demoted = True
>>> clock = JobClock(Idle(), timeout=0.0, prepare_timeout=60.0, demote_after=0.5, on_demote=lambda: None)
>>> clock.heard("preparing"), clock.quiet()  # loading a new version: 60 s more
(False, False)
>>> clock.heard("started"), clock.quiet()  # prepared: its own limit (none left) counts from here
(False, True)
>>> clock.heard("ok")
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol


class Demotable(Protocol):
    """What the clock reads of a worker: its CPU seconds when it last spoke and now, and its demotion."""

    cpu: float
    demoted: bool

    def cpu_seconds(self) -> float: ...

    def demote(self) -> None: ...


class JobClock:
    """One job's limit and demotion, moved by its worker's messages (:meth:`heard`) and silences (:meth:`quiet`)."""

    def __init__(self, worker: Demotable, timeout: float, prepare_timeout: float, demote_after: float,
                 on_demote: Callable[[], None]) -> None:
        self.worker = worker
        self.timeout, self.prepare_timeout, self.demote_after = timeout, prepare_timeout, demote_after
        self.on_demote = on_demote
        """Called once the worker has been demoted (the pool counts it)."""
        now = time.monotonic()
        self.deadline = now + timeout
        self.demote_at = now + demote_after if demote_after > 0 else math.inf
        self.cpu_start = worker.cpu

    @property
    def wake(self) -> float:
        """When (``time.monotonic()``) to look again if the worker says nothing."""
        return min(self.deadline, self.demote_at)

    def quiet(self) -> bool:
        """The worker said nothing until :attr:`wake`: whether the job is past its limit (else it may be demoted)."""
        now = time.monotonic()
        if now >= self.deadline:
            return True
        if now >= self.demote_at:
            used = self.worker.cpu_seconds() - self.cpu_start
            if used < self.demote_after:  # it waited for the CPU (a busy machine): look again later
                self.demote_at = now + max(0.05, self.demote_after - used)
            else:
                self.demote_at = math.inf  # a long job: it yields the CPU to short ones from now on
                self.worker.demote()
                if self.worker.demoted:
                    self.on_demote()
        return False

    def heard(self, status: str) -> bool:
        """The worker said ``status`` (its CPU seconds already kept): whether it is the job's last word."""
        now = time.monotonic()
        if status == "started":  # prepared: the time limit counts from here
            self.deadline = now + self.timeout
            if self.demote_after > 0:
                self.demote_at = now + self.demote_after
                self.cpu_start = self.worker.cpu
            return False
        if status == "preparing":
            self.deadline = now + self.prepare_timeout + self.timeout
            self.demote_at = math.inf  # loading a new version is not the job's own work: not demoted for it
            return False
        return True
