"""A worker process that cannot be started (the process is out of file descriptors): the job at hand still gets its
answer or a 503-kind "busy" error, never an ``OSError``, and the pool loses no worker and leaks no descriptor.

The shortage is real: ``RLIMIT_NOFILE`` is lowered to the lowest free descriptor for the moment of the job, so no
pipe can be made; real workers (``python -m kg.pool``, its test handler) answer.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import threading
import time
from collections.abc import Iterator

import pytest

from kg.pool import PoolErrors, ProcessPool
from kg.store.base import QueryBusy

ERRORS = PoolErrors(busy=QueryBusy, timeout=TimeoutError, died=MemoryError, what="test job")


def _open_fds() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}


@contextlib.contextmanager
def no_new_files(but: int = 0) -> Iterator[None]:
    """No file descriptor can be opened meanwhile (EMFILE) in this process, ``but`` a few: with 2, a worker's first
    pipe is made and its second is refused."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    used = _open_fds()
    free = sorted(set(range(len(used) + but + 1)) - used)
    resource.setrlimit(resource.RLIMIT_NOFILE, (free[but], hard))  # descriptors below it: the used ones and ``but``
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize("free", [0, 2], ids=["no pipe", "one pipe of two"])
def test_a_spare_that_cannot_start_leaves_the_job_its_answer_and_its_worker(free: int,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    """Regression: the spare started beside a job that had just taken the last idle worker raised ``OSError`` to
    that job; the job failed and its worker was never given back (and a spare whose second pipe was refused kept
    its first open)."""
    with ProcessPool("kg.pool", ERRORS, size=1, max_size=4) as pool:
        assert pool.run(("echo", 0), 30) == 0  # the warm worker and a spare
        busy = threading.Thread(target=pool.run, args=(("sleep", 1), 30))
        busy.start()
        time.sleep(0.3)  # the sleep holds one worker: the next job takes the last idle one and wants a spare
        before = _open_fds()
        with caplog.at_level(logging.WARNING, logger="kg.pool"), no_new_files(but=free):
            answer = pool.run(("echo", "answered"), 30)
        busy.join()
        assert answer == "answered"
        assert "could not start a test job worker" in caplog.text
        assert _open_fds() <= before, "a half-made worker left its pipes open"
        assert pool.workers == 2 and pool._idle.qsize() == 2, "a worker was lost"
        assert pool.run(("echo", "after"), 30) == "after"


def test_a_job_whose_worker_cannot_start_is_told_to_try_again(caplog: pytest.LogCaptureFixture) -> None:
    """No idle worker and none can be started: the pool's busy error (503 with Retry-After in the service), not an
    ``OSError`` (a 500); nothing leaks, and the next job is served once processes can start again."""
    with ProcessPool("kg.pool", ERRORS, size=1, max_size=3) as pool:
        before = _open_fds()
        with caplog.at_level(logging.WARNING, logger="kg.pool"), no_new_files():
            holder = threading.Thread(target=pool.run, args=(("sleep", 1), 30))
            holder.start()  # takes the only worker; the spare beside it cannot start
            time.sleep(0.3)
            with pytest.raises(QueryBusy, match="no test job worker could be started now"):
                pool.run(("echo", 1), 30)
        holder.join()
        assert "could not start a test job worker" in caplog.text
        assert _open_fds() <= before, "a half-made worker left its pipes open"
        assert pool._starting == 0 and pool.workers == 1
        assert pool.run(("echo", "after"), 30) == "after"
