"""Killable, memory-capped worker processes, and a pool that runs jobs in them under a time limit.

What an untrusted request can make expensive (a SPARQL query, a path search, rendering a big answer) runs in a
worker process: the operating system can stop it at any time and its memory is capped, so the server keeps
answering ``/health`` and light requests meanwhile. Workers start at the server's CPU priority (a worker niced
from the start starved on a busy machine); a job that has used :data:`DEMOTE_AFTER` seconds of CPU has its worker
demoted to :data:`DEMOTED_NICENESS` (the scheduler's "long jobs yield to short ones"): a flood of runaways then
leaves the CPU to the server and to new, short jobs, and still gets all the CPU nobody else wants. A demoted worker
is let go after its job (a process cannot raise its priority again), so a later job never lands on it. Two kinds of
workers use this pool: SPARQL queries (:mod:`kg.store.workers`) and path, name and influence questions
(:mod:`kg.paths.workers`).

**The pool** keeps ``size`` workers warm, starts more when all are busy (up to ``max_size``: a few runaways cannot
starve light jobs), keeps one idle spare while it is below ``max_size`` (so the next job never waits for a process
to start), has every new worker run the ``warm`` job first (a query worker opens the store's current version, so
the job that gets a new worker does not pay for that), hands out a worker that has finished warming up before one
that has not, and lets a surplus worker go once it has been idle for ``linger`` seconds (memory returns after a
flood, while steady concurrent load keeps its workers: letting one go as soon as it was idle made eight clients
start a process per query). Beyond
``max_size``, up to ``max_waiting`` jobs wait; more are refused at once. A job past its time limit kills its worker
(which is replaced); a worker that dies (out of memory) is replaced too. ``run`` blocks the calling thread: call it
from a thread pool, never from the event loop.

**A worker** is ``python -m kg.pool MODULE IN OUT MEMORY_MB``, talking over two inherited pipes (a plain
subprocess, not multiprocessing's spawn, so it never re-imports the parent's ``__main__``). It imports ``MODULE``
under its own name (so the jobs' classes unpickle as the parent pickled them) and calls its ``worker_main()``,
which calls :func:`serve` with a handler; the handler may say it is *preparing* (loading a new version of the
data), which gives the job ``prepare_timeout`` more seconds.

**On the wire** a job is one message and its answer one message (``(status, payload, cpu)``: the worker's CPU
seconds ride along, so the pool knows where a job's CPU use starts without reading ``/proc``). A worker says
``ready`` once, when it has started; a job is sent only to a worker that is ready and idle, so it is picked up at
once and its time limit counts from the send. A job that prepares says so (``preparing``) and when it is done
(``started``): the limit then counts from there.

>>> errors = PoolErrors(busy=RuntimeError, timeout=TimeoutError, died=RuntimeError)
>>> with ProcessPool("kg.pool", errors, size=1, max_size=1) as pool:
...     pool.run(("echo", 42), timeout=30), pool.workers
(42, 1)
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import queue
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kg.pool_clock import JobClock
from kg.pool_process import WorkerProcess

log = logging.getLogger(__name__)

LINGER = 60.0
"""Seconds a worker beyond the ``size`` kept warm stays idle before it is let go."""
DEMOTE_AFTER = 0.5
"""Seconds of CPU a job uses before its worker is demoted to :data:`kg.pool_process.DEMOTED_NICENESS` (0: never).
CPU, not wall time: eight concurrent queries on two cores each take four times their CPU time, and would all be
demoted."""
CHURN_WINDOW = 5.0
"""Seconds over which retired workers count towards keeping more spares (see ``ProcessPool._spares``)."""
MAX_SPARES = 3
"""Most idle workers kept as spares while workers are being retired."""

START_ALLOWANCE = 60.0
"""Seconds a worker may take to pick a job up (a new process importing its modules on a busy machine) before the
job's own time limit starts; past it the worker is killed like a job past its limit."""

Packed = tuple[type[BaseException], tuple[Any, ...], list[str]]
"""An exception as it travels back from a worker: its class, the arguments to rebuild it, its notes."""


@dataclass(frozen=True)
class PoolErrors:
    """What the pool raises when it cannot answer: the caller's own exception types (each takes a message)."""

    busy: Callable[[str], BaseException]
    timeout: Callable[[str], BaseException]
    died: Callable[[str], BaseException]
    what: str = "job"
    """How messages name a job ("query", "path search")."""


class ProcessPool:
    """Worker processes running ``python -m module`` (see the module documentation)."""

    def __init__(self, module: str, errors: PoolErrors, *, size: int = 2, max_size: int = 16, max_waiting: int = 64,
                 memory_mb: int | None = None, linger: float = LINGER, demote_after: float = DEMOTE_AFTER,
                 warm: tuple[object, Hashable | None] | None = None, width: int | None = None) -> None:
        self.module = module
        self.demote_after = demote_after
        self.errors = errors
        self.memory_mb = memory_mb
        self.size = size
        self.max_size = max(size, max_size)
        self.linger = linger
        self.warm = warm
        """A job every new worker runs first (and the state it holds open), or None; the caller keeps it current."""
        self.width = min(width or self.max_size, self.max_size)
        """Short jobs run at once from an event loop (:mod:`kg.pool_loop`); the others wait their turn."""
        self.turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())
        """The turns of :attr:`width` on each event loop that runs jobs (a test may use several loops in turn)."""
        self._idle: queue.LifoQueue[WorkerProcess] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(self.max_size + max_waiting)
        self._lock = threading.Lock()
        self._closed = False
        self._workers: set[WorkerProcess] = set()
        self.killed = 0
        """Workers killed at a time limit or found dead, so far."""
        self.started = 0
        """Worker processes started, so far."""
        self.demoted = 0
        """Jobs whose worker was demoted (ran past ``demote_after``), so far."""
        self._retired: deque[float] = deque()
        """When workers were retired lately (see :meth:`_spares`)."""
        self._starting = 0
        """Workers being started (counted against ``max_size`` before their process exists)."""
        for _ in range(size):
            self._idle.put(self._spawn())

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self, reserved: bool = False) -> WorkerProcess:
        """Start a worker; ``reserved``: its place was taken by :meth:`_reserve`."""
        try:
            worker = WorkerProcess(self.module, self.memory_mb)
        finally:
            if reserved:
                with self._lock:
                    self._starting -= 1
        warm = self.warm
        if warm is not None:
            job, worker.state = warm
            worker.warm_job = True
            worker.outbox.send(job)
        with self._lock:
            self._workers.add(worker)
            self.started += 1
        return worker

    def _reserve(self, spares: int = 0) -> bool:
        """Take a place for a new worker if the pool may grow (checked and taken at once, so concurrent jobs never
        start more than ``max_size``); with ``spares``, only if fewer workers than that are idle."""
        with self._lock:
            if self._closed or len(self._workers) + self._starting >= self.max_size:
                return False
            if spares and self._idle.qsize() >= spares:
                return False
            self._starting += 1
            return True

    @property
    def workers(self) -> int:
        """Worker processes alive now."""
        with self._lock:
            return len(self._workers)

    def states_in_use(self) -> set[Hashable]:
        """What some worker holds open (snapshots that must not be deleted)."""
        with self._lock:
            return {w.state for w in self._workers if w.state is not None}

    def _take_idle(self) -> WorkerProcess:
        """An idle worker, one that has finished warming up if there is one (the most recently used first)."""
        with self._idle.mutex:
            waiting = self._idle.queue
            for index in range(len(waiting) - 1, -1, -1):
                try:
                    ready = waiting[index].warmed()
                except (EOFError, OSError):  # it died while warming up: _exchange finds that out and replaces it
                    ready = True
                if ready:
                    return waiting.pop(index)
        return self._idle.get_nowait()

    def _acquire(self, timeout: float) -> WorkerProcess:
        try:
            worker = self._take_idle()
        except queue.Empty:
            if self._reserve():
                try:
                    worker = self._spawn(reserved=True)
                except OSError as err:
                    raise self.errors.busy(f"no {self.errors.what} worker could be started now ({err.strerror}); "
                                           "try again shortly") from None
            else:
                try:
                    worker = self._idle.get(timeout=timeout)
                except queue.Empty:
                    raise self.errors.timeout(
                        f"no {self.errors.what} worker became free within {timeout:g} s; try again shortly") from None
        if self._reserve(spares=self._spares()):  # so the next job does not wait for a process to start
            self.add_idle(reserved=True)
        return worker

    def add_idle(self, reserved: bool = False) -> None:
        """Start a worker beside the idle ones (``reserved``: its place was taken by :meth:`_reserve`). If no process
        can be started now (out of processes or file descriptors) it is only logged: the job at hand already has its
        worker, and a later job starts one when it needs it.

        Regression: a spare that could not be started raised to the job that had just taken a worker; the job
        failed and that worker was never given back.
        """
        try:
            self._idle.put(self._spawn(reserved=reserved))
        except OSError as err:
            log.warning("could not start a %s worker: %s", self.errors.what, err)

    def _spares(self) -> int:
        """How many idle workers to keep: one, and one more for each worker retired in the last
        :data:`CHURN_WINDOW` seconds (at most :data:`MAX_SPARES`): while runaways are being killed and replaced,
        the jobs that arrive meanwhile (runaways too) take spares faster than one can warm up."""
        now = time.monotonic()
        with self._lock:
            while self._retired and now - self._retired[0] > CHURN_WINDOW:
                self._retired.popleft()
            return min(MAX_SPARES, 1 + len(self._retired))

    def _release(self, worker: WorkerProcess) -> None:
        """Give a worker back; let surplus workers that have been idle for ``linger`` seconds go (memory returns)."""
        for old in self._put_back(worker):
            old.kill()

    def _put_back(self, worker: WorkerProcess) -> list[WorkerProcess]:
        """Give a worker back; the surplus workers idle for ``linger`` seconds, taken out of the pool: to kill."""
        now = time.monotonic()
        worker.idle_since = now
        self._idle.put(worker)
        retired = []
        with self._lock, self._idle.mutex:  # the least recently used idle workers are at the bottom of the stack
            waiting = self._idle.queue
            while (len(self._workers) > self.size and len(waiting) > 1
                   and now - waiting[0].idle_since >= self.linger):
                retired.append(waiting.pop(0))
                self._workers.discard(retired[-1])
        return retired

    def run(self, job: object, timeout: float, prepare_timeout: float = 0.0, state: Hashable | None = None) -> Any:
        """Run ``job`` in a worker and return what its handler returned, or raise what it raised.

        The limit counts from when the worker picks the job up (a worker still starting has
        :data:`START_ALLOWANCE` to say it is ready first), and again from when it says it is ready after
        preparing. Past ``timeout`` seconds (plus ``prepare_timeout`` while the worker says it is preparing) the
        worker is killed and the pool's ``timeout`` error is raised. ``state`` is what the job makes the worker hold
        open.
        """
        if not self._slots.acquire(blocking=False):
            raise self.errors.busy(f"too many {self.errors.what}s are running or waiting; try again shortly")
        try:
            worker = self._acquire(timeout)
            status, payload = self._exchange(worker, job, timeout, prepare_timeout, state)
        finally:
            self._slots.release()
        return self.outcome(status, payload, timeout)

    def outcome(self, status: str, payload: Any, timeout: float) -> Any:
        """What a job's last word means for its caller: the payload of ``ok``; else the error to raise."""
        if status == "ok":
            return payload
        if status == "timeout":
            raise self.errors.timeout(
                f"the {self.errors.what} ran longer than the limit of {timeout:g} s and was stopped")
        if status in ("died", "lost"):
            raise self.errors.died(payload)
        raise unpack(payload)

    def _exchange(self, worker: WorkerProcess, job: object, timeout: float, prepare_timeout: float,
                  state: Hashable | None) -> tuple[str, Any]:
        """Send ``job`` to ``worker`` and wait for its last word: (status, payload). A worker that overran, died or
        said it cannot go on is retired; any other goes back to the pool (:meth:`_settle`)."""
        try:
            if not worker.warmed(START_ALLOWANCE + timeout):  # still warming up after all that time: stuck
                status, payload = "timeout", None
            else:
                if state is not None:
                    worker.state = state
                worker.outbox.send(job)  # a ready, idle worker: it picks the job up now
                clock = self.clock(worker, timeout, prepare_timeout)
                while True:
                    if not worker.wait(clock.wake - time.monotonic()):
                        if clock.quiet():
                            status, payload = "timeout", None
                            break
                        continue
                    status, payload = worker.receive()
                    if clock.heard(status):
                        break
        except (EOFError, OSError):
            status, payload = "lost", f"the {self.errors.what} worker died while running the {self.errors.what}"
        self._settle(worker, status)
        return status, payload

    def clock(self, worker: WorkerProcess, timeout: float, prepare_timeout: float) -> JobClock:
        """The limit and demotion account of a job just sent to ``worker``."""
        return JobClock(worker, timeout, prepare_timeout, self.demote_after, self._count_demoted)

    def _count_demoted(self) -> None:
        with self._lock:
            self.demoted += 1

    @staticmethod
    def kept(worker: WorkerProcess, status: str) -> bool:
        """Whether a worker goes back to the pool after a job that ended with ``status`` (it answered, and was not
        demoted), rather than being let go."""
        return status in ("ok", "error") and not worker.demoted

    def _settle(self, worker: WorkerProcess, status: str) -> None:
        """After a job: give the worker back (:meth:`kept`), or retire it (killed unless it only was demoted)."""
        if self.kept(worker, status):
            self._release(worker)
        else:
            self._retire(worker, killed=status not in ("ok", "error"))

    def _retire(self, worker: WorkerProcess, killed: bool = True) -> None:
        """Kill a worker (stuck, dead or demoted); keep ``size`` warm ones."""
        with self._lock:
            self.killed += killed
            self._retired.append(time.monotonic())
            self._workers.discard(worker)
            refill = not self._closed and len(self._workers) < self.size
        worker.kill()
        if refill:
            self.add_idle()

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        with self._lock:
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.kill()


# --- inside a worker ----------------------------------------------------------------------------------------


def pack(err: BaseException) -> Packed:
    """An exception as the parent can rebuild it: its class and message (the handler may pack its own kinds)."""
    return type(err), (str(err),), list(getattr(err, "__notes__", ()))


def unpack(packed: Packed) -> BaseException:
    """The exception a worker raised, rebuilt in the parent (a RuntimeError if its class cannot be rebuilt).

    >>> err = unpack((ValueError, ("bad",), ["SERVICE bc:paths"]))
    >>> err, err.__notes__
    (ValueError('bad'), ['SERVICE bc:paths'])
    """
    cls, args, notes = packed
    try:
        err = cls(*args)
    except Exception:  # noqa: BLE001 - any class that cannot be rebuilt from its arguments
        err = RuntimeError(*args[:1])
    for note in notes:
        err.add_note(note)
    return err


class Context:
    """What a handler can tell the parent while it works."""

    def __init__(self, outbox: Connection) -> None:
        self._outbox = outbox
        self._prepared = False  # the current job has said it is preparing, and not yet that it is ready

    def preparing(self) -> None:
        """Say the job first loads data (a new version): the parent allows it ``prepare_timeout`` more seconds."""
        say(self._outbox, "preparing")
        self._prepared = True

    def ready(self) -> None:
        """Say the preparation is over: the job's own time limit starts now (the parent allows ``timeout``). Nothing
        is sent when the job did not prepare: its limit has counted from its start."""
        if self._prepared:
            say(self._outbox, "started")
            self._prepared = False

    def next_job(self) -> None:
        """Forget what the last job said (a job that failed while preparing never said it was ready)."""
        self._prepared = False


def say(outbox: Connection, status: str, payload: Any = None) -> None:
    """Send the parent one message: its status, its payload and this process's CPU seconds so far."""
    outbox.send((status, payload, time.process_time()))


Handler = Callable[[Any, Context], Any]


def serve(handle: Handler, packer: Callable[[BaseException], Packed] = pack) -> None:
    """The loop of a worker process (``sys.argv``: the module, the pipes, the memory cap): run each job.

    An exception the handler raises goes back to the parent and the worker carries on; running out of memory
    ends the worker (it may be left in a bad state), which the parent reports and replaces.
    """
    limit_memory(int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    inbox = Connection(int(sys.argv[2]), writable=False)
    outbox = Connection(int(sys.argv[3]), readable=False)
    context = Context(outbox)
    say(outbox, "ready")  # started up: from now on a job is picked up as soon as it is sent
    while True:
        try:
            job = inbox.recv()
        except EOFError:
            return
        context.next_job()
        try:
            say(outbox, "ok", handle(job, context))
        except MemoryError:
            say(outbox, "died", "the worker ran out of memory (the job needs more than its cap)")
            return
        except Exception as err:  # noqa: BLE001 - every failure goes back to the parent; the worker carries on
            say(outbox, "error", packer(err))


def hold_still() -> None:
    """Collect once, then exempt every object alive now from the cycle collector's later passes (``gc.freeze``).

    A worker that holds big long-lived data (a path worker's projection: millions of objects) calls it once the
    data is built: a full collection walked them all, a pause of 60–70 ms in the middle of a search. They are still
    freed when nothing refers to them; call :func:`let_go` before dropping them, so cycles among them are
    collected too.

    >>> import gc
    >>> hold_still(); gc.get_freeze_count() > 0
    True
    >>> let_go(); gc.get_freeze_count()
    0
    """
    gc.collect()
    gc.freeze()


def let_go() -> None:
    """Undo :func:`hold_still`: what it exempted is collected again (call before dropping it)."""
    gc.unfreeze()


def limit_memory(memory_mb: int) -> None:
    """Cap this process's data memory (``RLIMIT_DATA``): an allocation past it fails (or aborts the process).

    pyoxigraph cannot bound the memory of a query (a sort over a cross join grows by hundreds of MB a second)
    and a path search over a big graph allocates as it goes; the cap turns "the machine runs out of memory" into
    "this worker dies", which the pool reports and repairs.
    """
    import resource

    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _echo(job: Any, context: Context) -> Any:
    """The handler of ``python -m kg.pool``, for tests of the pool itself:

    - ("echo", x) answers x; ("fail", message) raises ValueError; ("pid", _) answers the worker's pid;
    - ("sleep", seconds) sleeps; ("prepare", seconds) says it prepares, then sleeps; ("prepare-then-sleep", seconds)
      says it prepares, then that it is ready, then sleeps;
    - ("allocate", mebibytes) allocates that much and answers its size;
    - ("niceness", seconds) sleeps, then answers its own ``nice`` value; ("spin", seconds) uses that much CPU,
      then answers its own ``nice`` value;
    - ("touch", folder) creates the file ``folder/<its pid>``.
    """
    kind, value = job
    if kind == "touch":
        Path(value, str(os.getpid())).touch()
    if kind == "pid":
        return os.getpid()
    if kind == "niceness":
        time.sleep(value)
        return os.getpriority(os.PRIO_PROCESS, 0)
    if kind == "spin":
        until = time.process_time() + value
        while time.process_time() < until:
            pass
        return os.getpriority(os.PRIO_PROCESS, 0)
    if kind == "fail":
        raise ValueError(value)
    if kind == "prepare-then-sleep":
        context.preparing()
        context.ready()
        time.sleep(value)
    if kind in ("sleep", "prepare"):
        if kind == "prepare":
            context.preparing()
        time.sleep(value)
    if kind == "allocate":
        return len(bytearray(value * 1024 * 1024))
    return value


def worker_main() -> None:
    """A worker for tests of the pool itself (module ``kg.pool``)."""
    serve(_echo)


if __name__ == "__main__":
    import importlib

    importlib.import_module(sys.argv[1]).worker_main()
