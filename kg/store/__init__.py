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
"""

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
from kg.store.embedded import OxigraphStore
from kg.store.factory import open_store, store_from_settings
from kg.store.remote import RemoteStore

__all__ = [
    "DataError", "OxigraphStore", "QueryBusy", "QueryEvaluationError", "QueryRequest", "QueryResponse",
    "QuerySyntaxError", "QueryTimeout", "RemoteStore", "Store", "StoreError", "Term", "open_store",
    "store_from_settings",
]
