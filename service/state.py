"""The app's state: one typed object built by ``create_app``, reached by routes through dependency aliases.

Nothing lives at module level: :class:`AppState` holds the settings, the store (opened at start-up or handed in,
as tests do), the path engines, the SPARQL endpoint's cache and rewriters, the page machinery, the named-query
catalogue and the metrics. A route asks for what it needs with the ``Annotated`` aliases below; tests can swap
any of it with ``app.dependency_overrides[get_state]``.

>>> from kg.store.embedded import OxigraphStore
>>> state = build_state(Settings(), OxigraphStore(":memory:"))
>>> state.paths.choice(), len(state.rewriters)
('memory', 1)
>>> state.path_workers.close()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from kg.paths.engines import PathEngines
from kg.paths.sparql_service import QueryRewriter
from kg.paths.workers import PathWorkers
from kg.publish.suggest import LatestSuggester
from kg.queries.catalog import Catalog, load_queries
from kg.settings import Settings
from kg.store.base import Store
from kg.store.embedded import OxigraphStore
from service.http.caching import BodyCache
from service.http.observability import Metrics, MetricSources
from service.sparql.cache import SparqlState
from service.sparql.relay import Relay
from service.ui.templates import VENDOR, Pages


@dataclass
class AppState:
    """Everything a request may need, made once per app."""

    settings: Settings
    store: Store
    paths: PathEngines
    """The path engines and the choice between them (:mod:`kg.paths.engines`); the server only asks the choice."""
    path_workers: PathWorkers
    """Where path, name and influence questions are answered: the engines in worker processes
    (:mod:`kg.paths.workers`)."""
    sparql: SparqlState
    """The SPARQL endpoint's result cache and Service Description counts."""
    rewriters: list[QueryRewriter]
    """Run on a query's text before the guards (``SERVICE bc:paths`` is expanded here)."""
    pages: Pages
    """Templates, links, the navigation and the per-version cache of every HTML page."""
    catalog: Catalog
    """The named queries (``queries/*.rq``)."""
    metrics: Metrics
    relay: Relay | None = None
    """Where federated requests go, pinned to the addresses the guard checked (:mod:`service.sparql.relay`); None
    on a remote store, which runs SERVICE and LOAD itself."""
    documents: BodyCache = field(default_factory=BodyCache)
    """The bytes of linked-data documents (RDF and HTML) by store version, path and media type."""
    path_answers: BodyCache = field(default_factory=lambda: BodyCache(max_entries=512, max_bytes=16 * 1024 * 1024))
    """``GET /paths`` answers of the in-memory engine (the same for the same question and store version); an answer
    over 2 MiB (``mode=all`` with a high limit) is not kept: it would be asked again rarely, and a flood of them
    left the server 30 MiB bigger."""
    path_requests: BodyCache = field(default_factory=lambda: BodyCache(max_entries=512, max_bytes=16 * 1024 * 1024))
    """``GET /paths`` answers by their request as sent (:mod:`service.http.memo`): a repeated question is answered
    without parsing its parameters again."""
    document_requests: BodyCache = field(default_factory=lambda: BodyCache(max_bytes=16 * 1024 * 1024))
    """``GET /doc/…`` answers by their request as sent (:mod:`service.http.memo`)."""
    suggester: LatestSuggester = field(default_factory=LatestSuggester)
    """The "did you mean" index of the 404s (:mod:`kg.publish.suggest`), rebuilt per store version."""


def build_state(settings: Settings, store: Store, vendor: Path = VENDOR) -> AppState:
    """The state of an app serving ``store`` (the store must be open)."""
    paths = PathEngines(store, settings)
    path_workers = PathWorkers(store, settings)
    sparql = SparqlState(settings)
    return AppState(
        settings=settings,
        store=store,
        paths=paths,
        path_workers=path_workers,
        sparql=sparql,
        rewriters=[path_workers.rewriter()],
        pages=Pages(settings, vendor),
        catalog=Catalog(load_queries(settings.queries_dir, settings.base_iri)),
        metrics=Metrics(MetricSources(sparql.cache, store)),
        relay=Relay(settings.query_timeout, settings.max_body_bytes) if isinstance(store, OxigraphStore) else None,
    )


def get_state(request: Request) -> AppState:
    """The state of the app answering ``request``."""
    state: AppState = request.app.state.backchannel
    return state


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return get_state(request).settings


def get_store(request: Request) -> Store:
    """The store opened at start-up."""
    return get_state(request).store


def get_paths(request: Request) -> PathWorkers:
    """The path engines, in their worker processes."""
    return get_state(request).path_workers


def get_pages(request: Request) -> Pages:
    """The page machinery (templates, links, cache)."""
    return get_state(request).pages


State = Annotated[AppState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
PathsDep = Annotated[PathWorkers, Depends(get_paths)]
PagesDep = Annotated[Pages, Depends(get_pages)]
