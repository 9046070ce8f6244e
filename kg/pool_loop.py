"""Running a :class:`kg.pool.ProcessPool` job from an event loop: the worker's pipe is awaited, not a thread.

:meth:`kg.pool.ProcessPool.run` blocks its thread until the worker answers, so a server calls it from a thread
pool: per job, a hand-off to a thread and back, and a thread woken by the worker. :func:`run` sends the job from the
event loop and waits for the answer there (the loop watches the worker's pipe, ``add_reader``), with the same time
limit, demotion, preparation allowance and outcomes. It is the pool's front for a server; its other callers
(command line, update trials, tests) keep ``ProcessPool.run``.

**Short jobs take turns.** Eight clients on two cores would keep eight workers evaluating at once, each with its own
caches cold, switching on every tick: a lookup's CPU in its worker went from 0.33 ms with two workers to 0.70 ms
with ten (``bench/RESULTS.md``). So at most ``pool.width`` jobs run at once from a loop; the others wait their turn
(at most :data:`TURN_WAIT` seconds, then they run anyway). A job stops counting once it has run
:data:`SHORT_FOR` seconds, or has been demoted: a long job never holds the short ones up for longer than that, and
the pool still grows (up to ``max_size``) so that runaways cannot starve light jobs.

**A job outlives its caller.** When the awaiting request is cancelled (the client went away), the job still runs to
its end, or to its limit, and its worker goes back to the pool with nothing left in its pipe.

Blocking steps stay off the loop: a worker still starting up, all workers busy, a worker killed or started.

>>> import asyncio
>>> from kg.pool import PoolErrors, ProcessPool
>>> errors = PoolErrors(busy=RuntimeError, timeout=TimeoutError, died=RuntimeError)
>>> with ProcessPool("kg.pool", errors, size=1, max_size=2, width=1) as pool:
...     asyncio.run(run(pool, ("echo", 42), timeout=30))
42
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import queue
import struct
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import anyio.to_thread

from kg.pool import START_ALLOWANCE, ProcessPool
from kg.pool_clock import JobClock
from kg.pool_process import WorkerProcess

SHORT_FOR = 0.2
"""Seconds after which a running job no longer counts against the pool's ``width`` (it is a long one)."""
TURN_WAIT = 0.2
"""Longest wait for a turn; past it a job runs without one. Regression: waiting up to the job's time limit put a
light query that came during a flood of twelve runaways behind them all, 0.2 s each: 2.2–2.9 s instead of 0.8–0.9 s
without turns."""

_READ = 1 << 20
"""Bytes read from a worker's pipe at a time (a big answer arrives in several reads, the loop serving between)."""


class _Turn:
    """One job's turn among the short ones: given back once, at the job's end or when it stops counting as short."""

    def __init__(self, turns: asyncio.Semaphore | None) -> None:
        self._turns: asyncio.Semaphore | None = turns

    def give_back(self) -> None:
        if self._turns is not None:
            self._turns.release()
            self._turns = None

    @property
    def held(self) -> bool:
        return self._turns is not None


async def _take_turn(pool: ProcessPool) -> _Turn:
    """A turn among the short jobs of this loop: at once if fewer than ``pool.width`` run, else the first one given
    back within :data:`TURN_WAIT` seconds; past that, none (the job runs anyway: turns smooth steady load, they never
    queue a light query behind a flood of long ones)."""
    loop = asyncio.get_running_loop()
    turns = pool.turns.get(loop)
    if turns is None:
        turns = pool.turns[loop] = asyncio.Semaphore(pool.width)
    if not turns.locked():
        await turns.acquire()  # free: no suspension
        return _Turn(turns)
    try:
        await asyncio.wait_for(turns.acquire(), TURN_WAIT)
    except TimeoutError:
        return _Turn(None)
    return _Turn(turns)


class _Inbox:
    """The messages a worker sends, read on the loop: ``multiprocessing.Connection`` frames (a 4-byte big-endian
    length, or -1 and an 8-byte one) of pickles. It is read only when the loop has seen it readable; the pipe is
    non-blocking meanwhile (uvloop makes a watched descriptor so), and blocking again for ``ProcessPool.run`` after
    (:func:`_watching`).

    >>> r, w = os.pipe()
    >>> inbox = _Inbox(asyncio.new_event_loop(), r)
    >>> data = pickle.dumps(("ok", b"x" * 1_000, 0.5))
    >>> _ = os.write(w, struct.pack("!i", len(data)) + data[:100])
    >>> inbox.readable(); inbox.messages
    deque([])
    >>> _ = os.write(w, data[100:]); inbox.readable(); inbox.messages[0][0], len(inbox.messages[0][1])
    ('ok', 1000)
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        self.loop = loop
        self.fd = fd
        self.buffer = bytearray()
        self.messages: deque[tuple[str, Any, float]] = deque()
        self.closed = False
        self.waiter: asyncio.Future[None] | None = None

    def readable(self) -> None:
        """Read what the pipe holds; keep each whole message (called by the loop)."""
        try:
            chunk = os.read(self.fd, _READ)
        except BlockingIOError:  # nothing to read after all
            return
        except OSError:  # the pipe is broken: as good as closed
            chunk = b""
        if not chunk:
            self.closed = True
        self.buffer += chunk
        while len(self.buffer) >= 4:
            (size,), start = struct.unpack_from("!i", self.buffer), 4
            if size == -1:
                if len(self.buffer) < 12:
                    break
                (size,), start = struct.unpack_from("!Q", self.buffer, 4), 12
            if len(self.buffer) < start + size:
                break
            self.messages.append(pickle.loads(self.buffer[start:start + size]))
            del self.buffer[:start + size]
        if (self.messages or self.closed) and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def next(self, seconds: float) -> tuple[str, Any, float] | None:
        """The next message, or None if none came within ``seconds``; EOFError if the worker is gone."""
        if not self.messages and not self.closed:
            self.waiter = waiter = self.loop.create_future()
            timer = self.loop.call_later(max(0.0, seconds), _wake, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self.waiter = None
        if self.messages:
            return self.messages.popleft()
        if self.closed:
            raise EOFError("the worker closed its pipe")
        return None


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def run(pool: ProcessPool, job: object, timeout: float, prepare_timeout: float = 0.0,
              state: object | None = None) -> Any:
    """Run ``job`` in one of ``pool``'s workers from the running loop, as ``pool.run`` would in a thread: its
    payload, or the error it stands for. Being cancelled does not stop the job (see the module documentation)."""
    task = asyncio.ensure_future(_run(pool, job, timeout, prepare_timeout, state))
    task.add_done_callback(_retrieved)
    return await asyncio.shield(task)


def _retrieved(task: asyncio.Future[Any]) -> None:
    """Mark a job's outcome as seen, for a job whose caller went away (its error is the caller's, not the loop's)."""
    if not task.cancelled():
        task.exception()


async def _run(pool: ProcessPool, job: object, timeout: float, prepare_timeout: float, state: object | None) -> Any:
    if not pool._slots.acquire(blocking=False):
        raise pool.errors.busy(f"too many {pool.errors.what}s are running or waiting; try again shortly")
    try:
        turn = await _take_turn(pool)
        try:
            worker = await _worker(pool, timeout)
            status, payload = await _exchange(pool, worker, job, timeout, prepare_timeout, state, turn)
        finally:
            turn.give_back()
    finally:
        pool._slots.release()
    return pool.outcome(status, payload, timeout)


async def _worker(pool: ProcessPool, timeout: float) -> WorkerProcess:
    """An idle worker at once if there is one (and a spare started beside it, off the loop), else from a thread."""
    try:
        worker = pool._take_idle()
    except queue.Empty:
        return await anyio.to_thread.run_sync(pool._acquire, timeout)
    if pool._reserve(spares=pool._spares()):  # so the next job does not wait for a process to start
        asyncio.get_running_loop().run_in_executor(None, pool.add_idle, True)
    return worker


async def _exchange(pool: ProcessPool, worker: WorkerProcess, job: object, timeout: float, prepare_timeout: float,
                    state: object | None, turn: _Turn) -> tuple[str, Any]:
    """``ProcessPool._exchange`` on the loop: send ``job``, await the worker's last word; retire or give back."""
    loop = asyncio.get_running_loop()
    fd = worker.inbox.fileno()
    try:
        if worker.warming and not await anyio.to_thread.run_sync(worker.warmed, START_ALLOWANCE + timeout):
            status, payload = "timeout", None  # still warming up after all that time: stuck
        else:
            inbox = _Inbox(loop, fd)
            with _watching(loop, fd, inbox):
                if state is not None:
                    worker.state = state
                worker.outbox.send(job)  # a ready, idle worker: it picks the job up now
                status, payload = await _last_word(pool.clock(worker, timeout, prepare_timeout), inbox, turn)
    except (EOFError, OSError):
        status, payload = "lost", f"the {pool.errors.what} worker died while running the {pool.errors.what}"
    if not pool.kept(worker, status):
        await anyio.to_thread.run_sync(pool._settle, worker, status)  # kills it, and may start one instead
    elif surplus := pool._put_back(worker):
        await anyio.to_thread.run_sync(_kill, surplus)
    return status, payload


@contextlib.contextmanager
def _watching(loop: asyncio.AbstractEventLoop, fd: int, inbox: _Inbox) -> Iterator[None]:
    """Have the loop read a worker's pipe into ``inbox`` meanwhile; then leave the pipe as it was: blocking.

    Regression: uvloop makes a descriptor it watches non-blocking and leaves it so; the next job given to that worker
    by ``ProcessPool.run`` (a named query, from a thread) read its answer with ``Connection.recv``, got EAGAIN, and
    the worker was killed as dead (503 "the query worker died").
    """
    os.set_blocking(fd, False)
    loop.add_reader(fd, inbox.readable)
    try:
        yield
    finally:
        loop.remove_reader(fd)
        with contextlib.suppress(OSError):  # a pipe already closed has nothing to restore
            os.set_blocking(fd, True)


def _kill(workers: list[WorkerProcess]) -> None:
    for old in workers:
        old.kill()


async def _last_word(clock: JobClock, inbox: _Inbox, turn: _Turn) -> tuple[str, Any]:
    """Wait for the job's final message, minding its limit and demotion (``clock``) and its turn (given back after
    :data:`SHORT_FOR` seconds, or at demotion)."""
    short_until = time.monotonic() + SHORT_FOR
    while True:
        wake = min(clock.wake, short_until) if turn.held else clock.wake
        message = await inbox.next(wake - time.monotonic())
        if message is None:
            if turn.held and time.monotonic() >= short_until:
                turn.give_back()  # a long job: the short ones go ahead
            if clock.quiet():
                return "timeout", None
            if clock.worker.demoted:
                turn.give_back()
            continue
        status, payload, clock.worker.cpu = message
        if clock.heard(status):
            return status, payload
