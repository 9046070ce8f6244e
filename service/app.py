"""The FastAPI application factory.

The store is opened at start-up (or handed in, as tests do) and kept in
``app.state``; routes get it through :mod:`service.state`. Nothing lives at module level.

>>> from kg.settings import Settings
>>> from kg.store.embedded import OxigraphStore
>>> app = create_app(Settings(), store=OxigraphStore(":memory:"))
>>> app.title
'backchannel'
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any, AsyncIterator, Callable

from fastapi import FastAPI

import kg
from kg.settings import Settings
from kg.store.base import Store
from kg.store.factory import store_from_settings
from service import errors, ops, paths, queries
from service.http import observability
from service.linked_data import router as linked_data
from service.sparql import graph_store
from service.sparql import router as sparql
from service.ui import router as ui

log = logging.getLogger("backchannel")

FEATURES: tuple[ModuleType, ...] = (ops, sparql, graph_store, queries, paths, linked_data, ui)
"""Router modules, in order. A module may define ``setup(app)``, run at start-up after the store opens,
and ``teardown(app)``, run at shut-down."""


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Make the app. With ``store`` given, the app uses it and does not close it."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = store if store is not None else store_from_settings(settings)
        if settings.dev_open_writes and not settings.write_token:
            log.warning("!!! DEVELOPMENT MODE: writes are open to anyone without a token. Never expose this. !!!")
        for feature in FEATURES:
            if hasattr(feature, "setup"):
                feature.setup(app)
        try:
            yield
        finally:
            for feature in reversed(FEATURES):
                if hasattr(feature, "teardown"):
                    feature.teardown(app)
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="backchannel",
        version=kg.__version__,
        description="A linked-data knowledge graph of Track Two (backchannel) diplomacy: SPARQL 1.1 Protocol, "
        "Graph Store Protocol, linked-data pages, explained influence paths and named queries.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    errors.install(app)
    observability.install(app)
    for feature in FEATURES:
        app.include_router(feature.router)
    generate = app.openapi
    app.openapi = lambda: unique_operations(_quietly(generate))  # type: ignore[method-assign]
    return app


def _quietly(generate: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    with warnings.catch_warnings():  # multi-method routes share an id; unique_operations mends that
        warnings.filterwarnings("ignore", message="Duplicate Operation ID")
        return generate()


def unique_operations(schema: dict[str, Any]) -> dict[str, Any]:
    """Leave HEAD operations out (every GET answers HEAD) and give each operation a unique operationId.

    >>> doc = {"paths": {"/a": {"get": {"operationId": "a"}, "post": {"operationId": "a"}, "head": {}}}}
    >>> unique_operations(doc)["paths"]["/a"]
    {'get': {'operationId': 'a_get'}, 'post': {'operationId': 'a_post'}}
    """
    operations = schema.get("paths", {})
    for methods in operations.values():
        methods.pop("head", None)
    counts = Counter(op.get("operationId") for methods in operations.values() for op in methods.values())
    for methods in operations.values():
        for method, op in methods.items():
            if counts[op.get("operationId")] > 1:
                op["operationId"] = f"{op['operationId']}_{method}"
    return schema
