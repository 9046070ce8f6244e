"""The projection of a store's current version, built when the version changes (or read back from its file).

>>> from kg.store.embedded import OxigraphStore
>>> cache = ProjectionCache(OxigraphStore(":memory:"))
>>> cache.get() is cache.get()
True
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Protocol

from kg.paths.builder import build_projection
from kg.paths.projection import Projection
from kg.store.base import Store


class KeptProjections(Protocol):
    """Where projections are kept between runs (:class:`kg.paths.files.ProjectionFiles`)."""

    def load(self, version: str) -> Projection | None:
        """The projection kept for this content, reporting ``version``, or None."""

    def save(self, projection: Projection) -> None:
        """Keep ``projection`` (and the artefacts its memo holds)."""


class ProjectionCache:
    """The projection of a store, rebuilt lazily when ``store.version`` changes (thread-safe).

    >>> from kg.store.embedded import OxigraphStore
    >>> store = OxigraphStore(":memory:")
    >>> cache = ProjectionCache(store)
    >>> cache.get().edge_count
    0
    >>> store.replace_graph("http://ex/g", b"<http://ex/a> <http://ex/p> <http://ex/b> .", "text/turtle")
    >>> cache.get().edge_count, cache.get() is cache.get()
    (1, True)
    >>> store.close()
    """

    def __init__(self, store: Store, warm: Iterable[Callable[[Projection], object]] = (),
                 files: KeptProjections | None = None) -> None:
        self.store = store
        self.warm = tuple(warm)
        """Functions run on each new projection before it is handed out (precomputed indexes)."""
        self.files = files
        """Where the projection of this store's content is kept on disk (read back instead of built), if anywhere."""
        self._lock = threading.Lock()
        self._current: Projection | None = None
        self.builds = 0

    def is_current(self) -> bool:
        """Whether the projection of the store's current version is built (``get`` will not build)."""
        current = self._current
        return current is not None and current.version == self.store.version

    def get(self) -> Projection:
        """The projection of the store's current version (built now if the store changed)."""
        version = self.store.version
        current = self._current
        if current is not None and current.version == version:
            return current
        with self._lock:
            version = self.store.version
            if self._current is None or self._current.version != version:
                fresh = self.files.load(version) if self.files is not None else None
                built = fresh is None
                if fresh is None:
                    fresh = build_projection(self.store, version)
                    self.builds += 1
                for prepare in self.warm:  # a projection read back brings what they made: nothing to do
                    prepare(fresh)
                if built and self.files is not None:
                    self.files.save(fresh)
                self._current = fresh
            return self._current
