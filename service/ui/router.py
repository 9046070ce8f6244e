"""Routes: the web interface. A SPARQL editor, a path explorer and an influence view, for people in browsers.

URL design (every page's state is in its URL, so any view can be shared, bookmarked or linked to):

- ``GET /editor`` the SPARQL editor (YASQE + YASR). ``/editor#query=<urlencoded SPARQL>`` is the shareable link
  (the query stays in the fragment, as on the Wikidata Query Service, so it is never logged or length-limited by
  servers); ``/editor?query=<SPARQL>`` loads a query too (for links from pages and for clients without scripts);
  ``/editor?example=<name>`` loads a named query with its example values. A loaded query runs at once.
  A browser asking for ``GET /sparql`` without a query (``Accept`` prefers ``text/html``) gets the same editor
  (:func:`editor_page`, called by :mod:`service.sparql.router`); ``/sparql?query=…`` always answers with
  results, as the SPARQL Protocol says.
- ``GET /explore?from=<IRI or name>&to=<IRI or name>&k=&max_length=&…`` the path explorer: the question is the URL
  (the parameters of ``GET /paths``: mode, k, max_length, include_predicates, exclude_predicates, include_kinds,
  exclude_kinds, max_degree, after, before, directed); opening it runs the search.
- ``GET /influence?thing=<IRI or name>`` the influence view: lineage, what it influenced, and the ranking.
- ``GET /ui/vocabulary.json`` classes and properties (with labels) and prefixes, for the editor's autocompletion.
- ``GET /ui/examples.json`` the named queries as runnable examples (their example values bound with ``VALUES``).

The pages' scripts and styles are bundles in ``/static/vendor/`` built by ``make assets`` (esbuild, from the npm
packages pinned in ``service/web/package-lock.json``); nothing is loaded from other hosts. Without the bundles the
pages still answer and say how to build them, and every API keeps working. Pages carry the site's
Content-Security-Policy (:mod:`service.http.headers`); page data is passed in a ``<script type="application/json">``
block.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from kg.namespaces import VOCAB, all_prefixes
from kg.settings import Settings
from service.http.caching import etag_matches
from service.http.headers import security_headers
from service.linked_data.pages import script_json
from service.schemas import EditorExamples, EditorVocabulary
from service.state import AppState, State, get_state
from service.ui.examples import examples, vocabulary

router = APIRouter(tags=["web interface"])

DEFAULT_QUERY = """\
PREFIX bc: <https://w3id.org/backchannel/def#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

# Who coined which idea? (Ctrl+Enter runs the query; Ctrl+Space completes names.)
SELECT ?who ?whoLabel ?idea ?ideaLabel WHERE {
  ?who bc:coined ?idea .
  OPTIONAL { ?who rdfs:label ?whoLabel FILTER(LANGMATCHES(LANG(?whoLabel), "en")) }
  OPTIONAL { ?idea rdfs:label ?ideaLabel FILTER(LANGMATCHES(LANG(?ideaLabel), "en")) }
}
LIMIT 100
"""

EXPLORE_PARAMS: tuple[str, ...] = (
    "from", "to", "mode", "k", "max_length", "include_predicates", "exclude_predicates", "include_kinds",
    "exclude_kinds", "max_degree", "after", "before", "directed",
)
"""The query-string names of a path question; the page passes them on to ``GET /paths`` unchanged."""


def page_config(settings: Settings, root: str, **extra: object) -> dict[str, object]:
    """What the page scripts need to know: where things are, and the prefixes the endpoint declares.

    >>> cfg = page_config(Settings(base_iri="http://x.org/"), "/")
    >>> cfg["root"], cfg["endpoint"], cfg["idBase"], cfg["prefixes"]["bc-person"]
    ('/', '/sparql', 'http://x.org/id/', 'http://x.org/id/person/')
    """
    return {
        "root": root,
        "base": settings.base_iri,
        "idBase": settings.id_base,
        "vocab": VOCAB,
        "endpoint": root + "sparql",
        "api": {
            "search": root + "search",
            "paths": root + "paths",
            "influence": root + "influence/",
            "vocabulary": root + "ui/vocabulary.json",
            "examples": root + "ui/examples.json",
            "queries": root + "api/queries",
        },
        "prefixes": all_prefixes(settings.id_base),
    } | extra


def render_page(state: AppState, name: str, *, title: str, active: str, config: Mapping[str, object],
                **context: object) -> Response:
    """One of our pages (``{name}.html``, extending the shared ``base.html``) with its bundle and its data."""
    body = state.pages.render(f"{name}.html", title=title, active=active, assets=state.pages.assets(name),
                              bundle=name, config_json=script_json(config), **context)
    headers = security_headers(inline_styles=True) | {"Cache-Control": "no-cache", "Vary": "Accept"}
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)


def one(request: Request, name: str, limit: int = 20_000) -> str | None:
    """A query-string parameter given at most once, and not too long (400 otherwise)."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise HTTPException(400, f"give {name}= at most once")
    if values and len(values[0]) > limit:
        raise HTTPException(400, f"{name}= is longer than {limit} characters")
    return values[0] if values else None


def editor_page(request: Request) -> Response:
    """The SPARQL editor. Also the answer to a browser's ``GET /sparql`` without a query (see the module doc)."""
    state = get_state(request)
    query = one(request, "query")
    example = one(request, "example")
    if example is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,100}", example):
        raise HTTPException(400, f"example={example!r} is not a query name (lower-case letters, digits, hyphens)")
    config = page_config(state.settings, state.pages.links.root, query=query, example=example,
                         defaultQuery=DEFAULT_QUERY)
    return render_page(state, "editor", title="SPARQL query editor", active="sparql", config=config,
                       query=query or DEFAULT_QUERY)


@router.api_route("/editor", methods=["GET", "HEAD"], summary="The SPARQL query editor (HTML)",
                  response_class=Response)
def editor(request: Request) -> Response:
    return editor_page(request)


@router.api_route("/explore", methods=["GET", "HEAD"], summary="The path explorer: how is one thing connected "
                  "to another? (HTML; the question is in the URL)", response_class=Response)
def explore(request: Request, state: State) -> Response:
    question = {name: value for name in EXPLORE_PARAMS if (value := one(request, name, 2000)) is not None}
    config = page_config(state.settings, state.pages.links.root, question=question)
    return render_page(state, "explore", title="How are they connected?", active="explore", config=config,
                       question=question)


@router.api_route("/influence", methods=["GET", "HEAD"], summary="The influence view: lineage, what a thing "
                  "influenced, and the ranking (HTML)", response_class=Response)
def influence(request: Request, state: State) -> Response:
    thing = one(request, "thing", 2000)
    config = page_config(state.settings, state.pages.links.root, thing=thing)
    return render_page(state, "influence", title="Influence", active="influence", config=config, thing=thing)


# --- data for the editor ----------------------------------------------------------------------


def versioned_json(request: Request, state: AppState, key: str, compute: Callable[[], object]) -> Response:
    """A JSON document computed once per store version, with an ETag."""
    version = state.store.version
    body: bytes = state.pages.cache.get(version, "ui:" + key,
                                        lambda: json.dumps(compute(), ensure_ascii=False).encode())
    tag = '"' + hashlib.sha256(version.encode() + b"\0" + body).hexdigest()[:20] + '"'
    headers = {"ETag": tag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.api_route("/ui/vocabulary.json", methods=["GET", "HEAD"], response_class=Response,
                  responses={200: {"model": EditorVocabulary, "description": "The editor's vocabulary."}},
                  summary="Classes and properties with labels, and the prefixes (for the editor's autocompletion)")
def vocabulary_json(request: Request, state: State) -> Response:
    prefixes = all_prefixes(state.settings.id_base)
    return versioned_json(request, state, "vocabulary", lambda: vocabulary(state.store, prefixes))


@router.api_route("/ui/examples.json", methods=["GET", "HEAD"], response_class=Response,
                  responses={200: {"model": EditorExamples, "description": "The editor's examples."}},
                  summary="The named queries as editor examples: text with the example values bound by VALUES")
def examples_json(request: Request, state: State) -> Response:
    return versioned_json(request, state, "examples",
                          lambda: {"examples": examples(state.catalog, state.store, state.settings)})
