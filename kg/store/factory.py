"""Opening the store a location or the settings name: the embedded Oxigraph store or a remote SPARQL engine.

>>> open_store(":memory:").graph_names()
[]
"""

from __future__ import annotations

from kg.settings import Settings
from kg.store.base import Store
from kg.store.embedded import OxigraphStore
from kg.store.remote import RemoteStore

REMOTE_SCHEMES = ("sparql+http://", "sparql+https://")
"""How a store location names a remote SPARQL 1.1 engine."""


def open_store(location: str, *, workers: int = 2, max_waiting: int = 64, max_workers: int = 16) -> Store:
    """Open the store a location names: a directory, ``:memory:``, or ``sparql+http(s)://…``.

    >>> open_store(":memory:").graph_names()
    []
    """
    if location.startswith(REMOTE_SCHEMES):
        return RemoteStore(location.removeprefix("sparql+"))
    return OxigraphStore(location, workers=workers, max_waiting=max_waiting, max_workers=max_workers)


def store_from_settings(settings: Settings) -> Store:
    """Open the store the settings configure, with its limits and (for a remote one) credentials.

    >>> store_from_settings(Settings(store=":memory:")).graph_names()
    []
    """
    if settings.store.startswith(REMOTE_SCHEMES):
        return RemoteStore(
            settings.store.removeprefix("sparql+"),
            update_url=settings.remote_update_url,
            graph_store_url=settings.remote_graph_store_url,
            union_default_graph=settings.remote_union_default_graph,
            user=settings.remote_user,
            password=settings.remote_password,
            timeout=settings.query_timeout,
        )
    return OxigraphStore(
        settings.store,
        workers=settings.query_workers,
        max_waiting=settings.max_queued_queries,
        max_workers=settings.max_query_workers,
        query_memory_mb=settings.query_memory_mb,
        concurrency=settings.query_concurrency,
    )

