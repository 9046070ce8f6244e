"""The store: one interface (:class:`Store`) over the embedded Oxigraph store and any remote SPARQL 1.1 engine.

- :mod:`kg.store.base`: the contract (:class:`Store`, :class:`QueryRequest`, :class:`QueryResponse`, the errors);
- :mod:`kg.store.embedded`: pyoxigraph on disk or in memory; untrusted queries in :mod:`kg.store.workers`;
- :mod:`kg.store.remote`: any SPARQL 1.1 engine over HTTP (:mod:`kg.store.remote_http`, :mod:`kg.store.sparql_text`);
- :mod:`kg.store.formats`, :mod:`kg.store.results`: the formats read and written;
  :mod:`kg.store.nesting`: parser guards;
- :mod:`kg.store.factory`: opening the store a location or the settings name.

>>> from kg.store import open_store
>>> open_store(":memory:").graph_names()
[]

The embedded and remote stores and the factory are imported when first named (PEP 562), so a worker process that
imports :mod:`kg.store.workers` loads pyoxigraph and the contract, not pydantic and httpx: a new query worker is
ready in a fraction of the time (0.43 s of CPU before this).
"""

from typing import TYPE_CHECKING, Any

from kg.store.base import (
    DataError,
    QueryBusy,
    QueryEvaluationError,
    QueryRequest,
    QueryResponse,
    QuerySyntaxError,
    QueryTimeout,
    Store,
    StoreError,
    Term,
)

if TYPE_CHECKING:
    from kg.store.embedded import OxigraphStore
    from kg.store.factory import open_store, store_from_settings
    from kg.store.remote import RemoteStore

_LAZY = {"OxigraphStore": "kg.store.embedded", "open_store": "kg.store.factory",
         "store_from_settings": "kg.store.factory", "RemoteStore": "kg.store.remote"}


def __getattr__(name: str) -> Any:
    """The embedded and remote stores and the factory, imported on first use."""
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kg.store' has no attribute {name!r}")

__all__ = [
    "DataError", "OxigraphStore", "QueryBusy", "QueryEvaluationError", "QueryRequest", "QueryResponse",
    "QuerySyntaxError", "QueryTimeout", "RemoteStore", "Store", "StoreError", "Term", "open_store",
    "store_from_settings",
]
