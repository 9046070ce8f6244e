"""The server's own memory: no long pauses of the cycle collector, and memory handed back after a flood.

Two things kept ``/health`` and the server's size from returning to their idle levels after a flood of requests
(``python -m bench.stall``):

- **the cycle collector**: a full collection walks every object the process holds (114,000 after start-up:
  FastAPI, pydantic, rdflib, the name index, the catalogue) and took 85 ms, a pause every request waits out.
  :func:`freeze_start_up` moves what start-up made into the permanent generation (``gc.freeze``), so a full
  collection walks only what came after it (0.003 ms on the same process);
- **the allocator**: glibc keeps freed memory in its arenas (one per thread that allocated), and serves big
  blocks from them once it has seen big blocks freed, so six concurrent clients left the server a few MiB bigger
  for good. :func:`configure_allocator` bounds the arenas and keeps big blocks in pages of their own, and
  :class:`Trimmer` asks the allocator to hand free pages back (``malloc_trim(0)``) once a few seconds, when the
  server's resident size has grown since the last time.

>>> trimmer = Trimmer(interval=60)
>>> trimmer.trim_if_grown(), trimmer.close()
(True, None)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
from collections.abc import Callable

from kg.pool import hold_still

log = logging.getLogger("backchannel.memory")

GROWTH = 2 * 1024 * 1024
"""Bytes the resident size must have grown by since the last trim for the next one to run."""


def freeze_start_up() -> None:
    """Collect once, then exempt every object alive now from later collections (call when start-up is over)."""
    hold_still()


def _libc(function: str) -> Callable[..., int] | None:
    """A function of glibc (``malloc_trim``, ``mallopt``), or None where the C library has none (musl, macOS)."""
    try:
        found: Callable[..., int] = getattr(ctypes.CDLL(ctypes.util.find_library("c")), function)
    except (OSError, AttributeError, TypeError):
        return None
    return found


M_MMAP_THRESHOLD = -3
"""``mallopt``'s parameter: allocations at least this big get pages of their own, returned when freed."""
M_ARENA_MAX = -8
"""``mallopt``'s parameter: the most arenas (heaps) the allocator keeps."""


def configure_allocator(arenas: int = 2, mmap_threshold: int = 128 * 1024) -> bool:
    """Bound glibc's arenas and fix its mmap threshold (call early, before threads allocate); whether it could.

    glibc gives a thread that finds the arenas busy a new one (up to eight per core), which keeps what it once
    held; and it raises the mmap threshold each time a big block is freed (up to 32 MiB), after which big blocks
    come from the arenas and stay there. Concurrent name searches (numpy, outside the GIL) did both."""
    mallopt = _libc("mallopt")
    return mallopt is not None and mallopt(M_ARENA_MAX, arenas) == 1 and mallopt(M_MMAP_THRESHOLD,
                                                                                 mmap_threshold) == 1


def resident_bytes() -> int:
    """This process's resident size (``/proc/self/statm``; 0 where there is none)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class Trimmer:
    """A thread that hands the allocator's free memory back to the system every ``interval`` seconds, when the
    resident size has grown by :data:`GROWTH` since the last trim."""

    def __init__(self, interval: float = 3.0) -> None:
        self.interval = interval
        self._trim = _libc("malloc_trim")
        self._last = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-trimmer", daemon=True)
        if self._trim is not None:
            self._thread.start()

    def trim_if_grown(self) -> bool:
        """Trim now if the resident size grew since the last trim; whether it did."""
        if self._trim is None or resident_bytes() - self._last < GROWTH:
            return False
        self._trim(0)
        self._last = resident_bytes()
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.trim_if_grown()

    def close(self) -> None:
        """Stop the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
