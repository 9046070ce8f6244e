"""Results computed once per store version (statistics, dumps, vocabulary pages, the name index).

One :class:`VersionCache` lives on ``app.state``; when the store's version changes, everything
computed for the old version is dropped at the next lookup.

>>> cache = VersionCache()
>>> cache.get("v1", "answer", lambda: 42)
42
>>> cache.get("v1", "answer", lambda: 0)  # computed once per version
42
>>> cache.get("v2", "answer", lambda: 7)
7
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

T = TypeVar("T")


class VersionCache:
    """A dictionary of values that are valid for one store version only."""

    def __init__(self) -> None:
        self._version: str | None = None
        self._values: dict[str, object] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, version: str, key: str, compute: Callable[[], T]) -> T:
        """The value of ``key`` at ``version``, computing it (once, even under concurrent requests) if needed."""
        with self._lock:
            if version != self._version:
                self._version, self._values, self._key_locks = version, {}, {}
            if key in self._values:
                return self._values[key]  # type: ignore[return-value]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if self._version == version and key in self._values:
                    return self._values[key]  # type: ignore[return-value]
            value = compute()
            with self._lock:
                if self._version == version:
                    self._values[key] = value
            return value
