"""Read-only resources: how every linked-data document, dataset file and page is registered and answered.

- :func:`read_only` registers a route for GET (documented), HEAD (the same handler) and OPTIONS (a CORS
  preflight);
- :func:`serve` answers with validators (a 304 before any work when the client's copy is current);
- :func:`not_found` is the 404 of an unknown IRI, with the things whose names are nearest (an index built once
  per store version, a bounded amount of work per request: :mod:`kg.publish.suggest`);
- :func:`catalogue` lists the things of the graph once per store version.

>>> split_suffix("person/a.ttl"), split_suffix("person/a"), split_suffix("person/a.b")
(('person/a', 'text/turtle'), ('person/a', None), ('person/a.b', None))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.namespaces import PROCESS_TYPE, ROLE, TRACK
from kg.publish import describe as kd
from kg.publish.suggest import Suggester
from kg.publish.void import Statistics, statistics
from kg.store.base import Store
from service.http.caching import etag, respond
from service.http.headers import cors_headers, preflight, security_headers
from service.http.negotiation import choose
from service.http.problem import PROBLEM, problem
from service.linked_data import http
from service.linked_data.pages import Links
from service.state import AppState, get_state

Handler = Callable[..., Response] | Callable[..., Awaitable[Response]]


def documented(*media_types: str, redirect: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a read-only resource offering ``media_types`` (and its 304, 404, 406)."""
    problem_json: dict[str, Any] = {"content": {PROBLEM: {}}}
    out: dict[int | str, dict[str, Any]] = {}
    if redirect:
        out[303] = {"description": "See Other: the document that describes the thing (Location)"}
    else:
        out[200] = {"description": "The representation", "content": {m: {} for m in media_types}}
        out[304] = {"description": "Not Modified: the client's copy (If-None-Match / If-Modified-Since) is current"}
    out[404] = {"description": "Unknown: problem details with the nearest names", **problem_json}
    if len(media_types) > 1:
        out[406] = {"description": "None of the offered types is acceptable", **problem_json}
    return out


def read_only(router: APIRouter, path: str, *media_types: str, redirect: bool = False,
              **kwargs: Any) -> Callable[[Handler], Handler]:
    """Register a read-only route on ``router``: GET (documented), HEAD (same handler, not repeated in the
    OpenAPI schema) and OPTIONS (a CORS preflight)."""

    def register(func: Handler) -> Handler:
        router.add_api_route(path, func, methods=["GET"], response_class=Response,
                             responses=documented(*media_types, redirect=redirect), **kwargs)
        router.add_api_route(path, func, methods=["HEAD"], include_in_schema=False)
        router.add_api_route(path, _preflight, methods=["OPTIONS"], include_in_schema=False, name=f"options {path}")
        return func

    return register


def _preflight(request: Request) -> Response:
    return preflight(request, get_state(request).settings)


def serve(
    request: Request,
    state: AppState,
    *,
    key: str,
    media_type: str,
    build: Callable[[], bytes],
    vary: tuple[str, ...] = (),
    extra: dict[str, str] | None = None,
    versioned: bool = True,
) -> Response:
    """Answer with validators: a 304 before any work when the client's copy is current, else ``build()``."""
    store = state.store
    version = store.version if versioned else "static"
    last_modified = store.last_modified if versioned else None
    tag = etag(version, key, media_type, *vary)
    return respond(request, state.settings, build, media_type, tag=tag, last_modified=last_modified, vary=vary,
                   extra=extra)


def catalogue(state: AppState) -> list[kd.Thing]:
    """Every thing of the graph (ours and the vocabulary's concepts) with its label and description."""
    namespaces = [state.settings.id_base, TRACK, PROCESS_TYPE, ROLE]
    return state.pages.cache.get(state.store.version, "catalogue", lambda: kd.catalogue(state.store, namespaces))


def path_ends(state: AppState) -> list[kd.Thing]:
    """The things one can pick as the other end of a path (ours and the tracks)."""
    return [t for t in catalogue(state) if t.iri.startswith((state.settings.id_base, TRACK))]


def graph_statistics(state: AppState) -> Statistics:
    """The dataset's numbers (VoID), once per store version."""
    return state.pages.cache.get(state.store.version, "statistics",
                                 lambda: statistics(state.store, state.settings.id_base))


def name_index(state: AppState) -> Suggester:
    """The index of every name in the store's current version (built once per version, in the background after
    the first; :func:`service.app.warm_up` builds the first at start-up, so no 404 waits for it)."""
    store = state.store
    return state.suggester.get(store.version, lambda: Suggester(kd.label_index(store)))


def not_found(request: Request, state: AppState, iri: str, within: str, detail: str | None = None) -> Response:
    """404 for an unknown IRI, with the things whose names are nearest: HTML for browsers, problem+json else."""
    links = state.pages.links
    index = name_index(state)
    slug = iri[len(within):] if iri.startswith(within) else iri
    words = slug.rsplit("/", 1)[-1] or slug
    # bounded work per question (kg.publish.suggest): no path, however long, makes this slow
    found = index.suggest(words, within=within) or index.suggest(slug.replace("/", " "), within=within)
    names = {t.iri: t.label for t in catalogue(state)}  # show each thing by its own name, not the name matched
    suggestions = [{"iri": s.iri, "label": names.get(s.iri, s.label), "href": links.href(s.iri)} for s in found]
    message = detail or f"The graph has no statement about <{iri}>."
    if suggestions:
        message += " Did you mean: " + "; ".join(f"{s['label']} <{s['iri']}>" for s in suggestions) + "?"
    cors = cors_headers(request, state.settings)
    if choose(request.headers.get("accept"), [PROBLEM, http.HTML]) == http.HTML:
        body = state.pages.render("not_found.html", iri=iri, suggestions=suggestions)
        headers = cors | security_headers() | {"Cache-Control": "no-cache", "Vary": "Accept"}
        return Response(body, status_code=404, media_type="text/html; charset=utf-8", headers=headers)
    return problem(404, "Not Found", message, headers=cors | {"Vary": "Accept"}, iri=iri, suggestions=suggestions)


def split_suffix(path: str) -> tuple[str, str | None]:
    """``person/a.ttl`` → (``person/a``, ``text/turtle``); a path without a known suffix is kept whole."""
    stem, dot, suffix = path.rpartition(".")
    if dot and "/" not in suffix and suffix in http.SUFFIXES:
        return stem, http.SUFFIXES[suffix]
    return path, None


def iri_or_none(iri: str) -> str | None:
    """``iri`` if it is a valid IRI, else None."""
    try:
        kd.node(iri)
    except ValueError:
        return None
    return iri


def known(store: Store, iri: str) -> str | None:
    """``iri`` if it is an IRI the graph says something about, else None."""
    return iri if iri_or_none(iri) is not None and kd.exists(store, iri) else None


def formats(links: Links, path: str, offered: list[str]) -> list[tuple[str, str, str]]:
    """(name, link, media type) of each RDF representation of the document at ``path``."""
    return [(http.NAMES[m], f"{links.root}{path}.{http.SUFFIX_OF[m]}", m) for m in offered if m != http.HTML]


def document_headers(links: Links, path: str, media: str, negotiated: bool) -> dict[str, str]:
    """``Link`` to every representation of the document at ``path``; ``Content-Location`` when negotiated.

    A JSON-LD answer has no alternates: a JSON-LD processor reads ``rel="alternate"`` only on answers that are not
    JSON, and pyld's loader fails on an answer with more than one (it takes the relation for a single link).

    >>> from kg.settings import Settings
    >>> links = Links(Settings())
    >>> document_headers(links, "doc/a", "application/ld+json", negotiated=True)
    {'Content-Location': '/doc/a.jsonld'}
    >>> document_headers(links, "doc/a", "text/turtle", negotiated=False)["Link"].count('rel="alternate"')
    7
    """
    headers = {} if media == http.JSONLD else {"Link": http.alternates(links.root + path, http.DOCUMENT_TYPES)}
    if negotiated:
        headers["Content-Location"] = f"{links.root}{path}.{http.SUFFIX_OF[media]}"
    return headers
