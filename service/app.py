"""The FastAPI application factory: one typed state, the error answers, the middleware and every router.

The store is opened here (or handed in, as tests do) and kept in the app's :class:`service.state.AppState`;
routes reach it through the dependency aliases of :mod:`service.state`. Nothing lives at module level.

>>> from kg.settings import Settings
>>> from kg.store.embedded import OxigraphStore
>>> app = create_app(Settings(), store=OxigraphStore(":memory:"))
>>> app.title, app.state.backchannel.paths.choice()
('backchannel', 'memory')
"""

from __future__ import annotations

import json
import logging
import os
import threading
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

import kg
from kg.paths.engines import is_embedded
from kg.settings import Settings
from kg.store.base import Store
from kg.store.embedded import OxigraphStore, serving_file
from kg.store.factory import store_from_settings
from service import errors, openapi, ops, paths, queries
from service.http.front import middleware_stack
from service.http.memo import memo_route, validated
from service.http.memory import Trimmer, configure_allocator, freeze_start_up
from service.linked_data import dataset
from service.linked_data import router as linked_data
from service.linked_data.resources import catalogue, name_index
from service.sparql import graph_store
from service.sparql import router as sparql
from service.state import AppState, build_state
from service.ui import router as ui
from service.ui import site

log = logging.getLogger("backchannel")

ROUTERS: tuple[APIRouter, ...] = (
    ops.router, sparql.router, graph_store.router, paths.router, linked_data.router, dataset.router, ui.router,
    site.router,
)
"""The fixed routes, in order (the named queries' routes, made from the query files, come first)."""


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Make the app. With ``store`` given, the app uses it and does not close it; else it opens the store the
    settings name and closes it at shut-down."""
    settings = settings or Settings()
    owned = store is None
    opened = store if store is not None else store_from_settings(settings)
    state = build_state(settings, opened)
    if settings.dev_open_writes and not settings.write_token:
        log.warning("!!! DEVELOPMENT MODE: writes are open to anyone without a token. Never expose this. !!!")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Threads wait for workers (queries, path questions): give every one that may wait a thread of its own,
        # plus the usual 40 for everything else, so a flood of expensive requests never starves the cheap ones.
        to_thread.current_default_thread_limiter().total_tokens = waiting_threads(settings) + 40
        record = announce(settings, opened)
        if owned:
            configure_allocator()  # before the threads below and the request threads allocate
        threading.Thread(target=warm_up, args=(state, owned), name="warm-up", daemon=True).start()
        trimmer = Trimmer()
        try:
            yield
        finally:
            trimmer.close()
            if record is not None:
                record.unlink(missing_ok=True)
            state.path_workers.close()
            if state.relay is not None:
                state.relay.close()
            if owned:
                opened.close()

    app = _App(
        title="backchannel",
        version=kg.__version__,
        description="A linked-data knowledge graph of Track Two (backchannel) diplomacy: SPARQL 1.1 Protocol, "
        "Graph Store Protocol, linked-data pages, explained influence paths and named queries.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load Swagger UI and ReDoc from a CDN; ours is /docs (service.ui.router)
        redoc_url=None,
    )
    app.state.backchannel = state
    errors.install(app)
    app.include_router(queries.router_for(state))
    for router in ROUTERS:
        app.include_router(router)
    app.router.routes.insert(0, sparql.hot_route())  # /sparql reads and writes without FastAPI's per-request work
    # a repeated /paths question or /doc request answered from memory before FastAPI parses its parameters
    def version() -> str | None:
        return state.store.version if is_embedded(state.store) else None

    routes = app.router.routes
    routes.insert(0, memo_route(routes, "/paths", "/paths", state.path_requests, version))
    routes.insert(0, memo_route(routes, "/doc/{path:path}", "/doc/x", state.document_requests, version, validated))
    return app


def announce(settings: Settings, store: Store) -> Path | None:
    """Say where this process serves an on-disk store, beside it (:func:`kg.store.embedded.serving_file`), so that
    ``backchannel backup`` can back the store up through the service while it holds it."""
    if not isinstance(store, OxigraphStore) or store.in_memory:
        return None
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    netloc = f"[{host}]" if ":" in host else host
    record = serving_file(store.location)
    record.write_text(json.dumps({"url": f"http://{netloc}:{settings.port}/", "pid": os.getpid()}))
    return record


def warm_up(state: AppState, freeze: bool = False) -> None:
    """Build the name index and the catalogue of the 404 suggestions and have a path worker load the graph now (what
    ``/ready`` asks), so that neither the first unknown IRI nor the first path, name or influence question waits for
    them (and the server's memory at rest already holds them). With ``freeze`` (a served app, not one a test
    made around its own store), what start-up made is then exempt from the cycle collector
    (:func:`service.http.memory.freeze_start_up`). Runs in a thread at start-up; a failure is only logged
    (``/ready`` reports it, and the first question tries again)."""
    try:
        # the path worker first (what /ready waits for): on a big graph the two below take seconds of CPU
        problem, _ = state.path_workers.readiness()
        name_index(state).suggest("warm up")  # the index, and numpy's first search
        catalogue(state)  # the names the suggestions are shown by
    except Exception as err:  # noqa: BLE001 - the workers may be closing, or the store failing: /ready tells
        log.info("not warmed up: %s", err)
        return
    if problem is not None:
        log.info("path workers not warmed up: %s", problem)
    if freeze:
        freeze_start_up()


def waiting_threads(settings: Settings) -> int:
    """How many threads may wait for a query or path worker at once (running ones included).

    >>> waiting_threads(Settings(max_query_workers=16, max_queued_queries=64, max_path_workers=2,
    ...                          max_queued_paths=16))
    98
    """
    return (settings.max_query_workers + settings.max_queued_queries + settings.max_path_workers
            + settings.max_queued_paths)


class _App(FastAPI):
    """FastAPI with one middleware (:class:`service.http.front.Front`, see :func:`service.http.front.middleware_stack`)
    and the OpenAPI document finished by :func:`service.openapi.finish`."""

    def build_middleware_stack(self) -> ASGIApp:
        state: AppState = self.state.backchannel
        return middleware_stack(self, state.settings, state.metrics)

    def openapi(self) -> dict[str, Any]:
        return openapi.finish(_quietly(super().openapi))


def _quietly(generate: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    with warnings.catch_warnings():  # multi-method routes share an id; openapi.finish mends that
        warnings.filterwarnings("ignore", message="Duplicate Operation ID")
        return generate()
