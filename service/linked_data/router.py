"""Routes: linked data. Things dereference, documents negotiate, the vocabulary is published.

URL design (Cool URIs, 303 style, like DBpedia's /resource → /page|/data):

- ``GET /id/{kind}/{slug}`` (the IRI of a thing, also ``/id/source/{stem}``) → ``303 See Other`` to its
  document ``/doc/{kind}/{slug}``; 404 (with the nearest names) when the graph knows nothing about it.
- ``GET /.well-known/genid/{digest}`` (the stable IRI the build gave a blank node of a source) → ``303`` to
  ``/doc/genid/{digest}``.
- ``GET /doc/{kind}/{slug}`` negotiates (``Accept`` or ``?format=``; ``Vary: Accept``; ``Content-Location``
  names the suffixed document): HTML for people, Turtle, JSON-LD, N-Triples, RDF/XML, TriG, N-Quads.
- ``GET /doc/{kind}/{slug}.{html|ttl|jsonld|nt|rdf|trig|nq}`` is one fixed representation.
- ``GET /doc/source/{stem}/content.{ttl|trig|nq|nt|rdf|jsonld}`` is the whole content of a source graph.
- ``GET /def`` (``/def.ttl`` …) documents the vocabulary (HTML) or gives its graphs (RDF);
  ``/def/{track|process-type|role}`` the SKOS schemes; ``/def/track/{slug}`` … their concepts.

The dataset itself (VoID, dumps, the JSON-LD context) is in :mod:`service.linked_data.dataset`. Every answer
is cacheable (strong ETag per store version and representation, Last-Modified, 304s), readable cross-origin
(CORS ``*`` without credentials; OPTIONS preflights answered) and HEAD works wherever GET does
(:mod:`service.linked_data.resources`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kg.namespaces import GENID, VOCAB, all_prefixes
from kg.paths.engines import is_embedded
from kg.publish import describe as kd
from kg.publish import jsonld
from kg.publish.documents import write_document
from kg.publish.vocabulary import VocabularyDoc, ontology_graphs
from kg.publish.vocabulary import document as vocabulary_document
from kg.settings import Settings
from kg.store.base import term_value
from service.http.caching import MAX_AGE
from service.http.headers import cors_headers
from service.http.negotiation import negotiate
from service.linked_data import http
from service.linked_data.pages import PageBuilder, kind_of
from service.linked_data.resources import (
    catalogue,
    document_headers,
    formats,
    iri_or_none,
    known,
    not_found,
    path_ends,
    read_only,
    serve,
    split_suffix,
)
from service.state import AppState, State

router = APIRouter(tags=["linked data"])


def document_type(accept: str | None, format_param: str | None, offered: list[str]) -> str:
    """The representation to serve: ``format=`` or ``Accept`` negotiated, N3 answered with Turtle (rdflib's
    ``format="n3"`` sends ``Accept: text/n3, */*;q=0.1``, and would otherwise get the HTML page)."""
    return negotiate(http.n3_as_turtle(accept), http.document_format(format_param), offered)


# --- /id → /doc ----------------------------------------------------------------


@read_only(router, "/id/{path:path}", redirect=True,
           summary="The IRI of a thing: 303 See Other to the document that describes it")
def thing(path: str, request: Request, state: State) -> Response:
    settings = state.settings
    if not path or known(state.store, settings.id_base + path) is None:
        return not_found(request, state, settings.id_base + path, settings.id_base)
    location = state.pages.links.root + "doc/" + quote(path, safe="/:@!$&'()*+,;=-._~")
    headers = {"Location": location, "Cache-Control": f"public, max-age={MAX_AGE}"}
    headers |= cors_headers(request, settings)
    return Response(status_code=303, headers=headers)


@read_only(router, "/.well-known/genid/{label}", redirect=True,
           summary="A stable IRI the build gave a blank node (a membership, a time span): 303 to its document")
def skolem(label: str, request: Request, state: State) -> Response:
    settings = state.settings
    iri = settings.base_iri + GENID + label
    if known(state.store, iri) is None:
        return not_found(request, state, iri, settings.base_iri + GENID)
    headers = {"Location": state.pages.links.root + "doc/genid/" + quote(label, safe=""),
               "Cache-Control": f"public, max-age={MAX_AGE}"}
    return Response(status_code=303, headers=headers | cors_headers(request, settings))


def iri_of_document(path: str, settings: Settings) -> str:
    """The IRI a document path (``person/a``, ``genid/3fa2…``) describes.

    >>> iri_of_document("person/a", Settings()), iri_of_document("genid/3fa2", Settings())
    ('http://127.0.0.1:8000/id/person/a', 'http://127.0.0.1:8000/.well-known/genid/3fa2')
    """
    if path.startswith("genid/"):
        return settings.base_iri + GENID + path.removeprefix("genid/")
    return settings.id_base + path


@read_only(router, "/doc/{path:path}", *http.DOCUMENT_TYPES,
           summary="The document about a thing: HTML or RDF, negotiated or by suffix")
async def document(path: str, request: Request, state: State, format: str | None = None) -> Response:
    kept = _kept_document(path, request, state, format)
    if kept is not None:  # the bytes are in memory: answered on the event loop, without a thread or the store
        return kept
    return await run_in_threadpool(_document, path, request, state, format)


def _kept_document(path: str, request: Request, state: AppState, format_param: str | None) -> Response | None:
    """The document at ``path`` if its bytes for the negotiated type are kept for the store's current version (on
    the embedded store, whose version is known without asking anyone)."""
    if path.startswith("source/") or not is_embedded(state.store):
        return None
    stem, fixed = split_suffix(path)
    if not stem:
        return None
    try:
        media = fixed or document_type(request.headers.get("accept"), format_param, http.DOCUMENT_TYPES)
    except HTTPException:
        return None  # the long way says first whether the thing exists (404 before 406)
    if not state.documents.has(state.store.version, _document_key("doc/" + stem, media)):
        return None
    return describe_response(request, state, iri_of_document(stem, state.settings), "doc/" + stem, fixed,
                             format_param)


def _document_key(path: str, media: str) -> str:
    return f"{path}\x00{media}"


def _document(path: str, request: Request, state: AppState, format: str | None = None) -> Response:
    settings, store = state.settings, state.store
    if path.startswith("source/") and (path.endswith("/content") or "/content." in path):
        return source_content(request, state, path)
    stem, fixed = split_suffix(path)
    iri = known(store, iri_of_document(stem, settings)) if stem else None
    if iri is None and fixed is not None and known(store, iri_of_document(path, settings)):
        stem, fixed, iri = path, None, iri_of_document(path, settings)  # a dot that is part of the name
    if iri is None:
        return not_found(request, state, iri_of_document(stem, settings), settings.id_base)
    return describe_response(request, state, iri, "doc/" + stem, fixed, format)


def describe_response(request: Request, state: AppState, iri: str, path: str, fixed: str | None,
                      format_param: str | None, template: str | None = None,
                      context: Mapping[str, object] | None = None) -> Response:
    """The document of ``iri`` at ``path`` (root-relative, no suffix): negotiated, or ``fixed``."""
    settings, store, links = state.settings, state.store, state.pages.links
    media = fixed or document_type(request.headers.get("accept"), format_param, http.DOCUMENT_TYPES)
    vary: tuple[str, ...] = () if fixed else ("Accept",)
    extra = document_headers(links, path, media, negotiated=fixed is None)
    doc_iri = settings.base_iri + path
    prefixes = all_prefixes(settings.id_base)

    def build() -> bytes:
        desc = kd.describe(store, iri)
        if media != http.HTML:
            return write_document(kd.document_quads(desc, doc_iri), media, prefixes)
        quads = kd.document_quads(desc, doc_iri, statements=False)  # the page shows each fact's sources itself
        ctx = jsonld.context(prefixes)
        page = PageBuilder(kd.as_blank_nodes(desc), links).build(
            formats(links, path, http.DOCUMENT_TYPES), jsonld.to_jsonld([q.triple for q in quads], ctx)
        )
        more = dict(context or {})
        name = template or "entity.html"
        if kind_of(iri, settings) == "source" and template is None:
            name, more = "source.html", {"source": source_info(state, iri)}
        return state.pages.render(name, page=page, things=path_ends(state), **more)

    if template is None and context is None:  # a thing's document: the same bytes until the store changes
        version = store.version
        return serve(request, state, key=path, media_type=media, vary=vary, extra=extra,
                     build=lambda: state.documents.get(version, _document_key(path, media), build))
    return serve(request, state, key=path, media_type=media, build=build, vary=vary, extra=extra)


# --- sources -------------------------------------------------------------------


@dataclass
class SourceInfo:
    triples: int
    things: list[dict[str, str | None]]
    store_href: str
    content: list[tuple[str, str, str]]


def source_info(state: AppState, graph: str) -> SourceInfo:
    """What a source page adds: the size of its graph, the things it is about, links to its content."""
    settings, store, links = state.settings, state.store, state.pages.links
    term = kd.node(graph)
    count = store.select(f"SELECT (COUNT(*) AS ?n) {{ GRAPH {term} {{ ?s ?p ?o }} }}")
    subjects = {term_value(r["s"])
                for r in store.select(f"SELECT DISTINCT ?s {{ GRAPH {term} {{ ?s ?p ?o }} FILTER isIRI(?s) }}")}
    labels = {t.iri: t.label for t in catalogue(state)}
    things = sorted(
        ({"iri": s, "label": labels.get(s) or kd.fallback_label(s), "href": links.href(s)}
         for s in subjects if s != graph),
        key=lambda t: (t["label"] or "").casefold(),
    )
    path = "doc/" + graph[len(settings.id_base):] + "/content"
    return SourceInfo(
        triples=int(term_value(count[0]["n"])) if count else 0,
        things=things,
        store_href=links.root + "store?graph=" + quote(graph, safe=""),
        content=formats(links, path, http.RDF_TYPES),
    )


def source_content(request: Request, state: AppState, path: str) -> Response:
    """``/doc/source/{stem}/content[.ext]``: every statement of the source's graph."""
    settings, store = state.settings, state.store
    stem, fixed = split_suffix(path)
    graph = iri_or_none(settings.id_base + stem.removesuffix("/content"))
    if graph is None or not stem.endswith("/content") or not store.has_graph(graph):
        return not_found(request, state, graph or settings.id_base + path, settings.source_base)
    media = fixed or document_type(request.headers.get("accept"), request.query_params.get("format"), http.RDF_TYPES)
    if media == http.HTML:
        return Response(status_code=303, headers={"Location": state.pages.links.href(graph) or graph})
    filename = stem.rsplit("/", 2)[-2] + "." + http.SUFFIX_OF[media]
    prefixes = all_prefixes(settings.id_base)
    return serve(
        request,
        state,
        key="doc/" + stem,
        media_type=media,
        build=lambda: write_document(store.graph_quads(graph), media, prefixes),
        vary=() if fixed else ("Accept",),
        extra={"Content-Disposition": f'inline; filename="{filename}"'},
    )


# --- the vocabulary --------------------------------------------------------------


def _vocabulary(state: AppState) -> VocabularyDoc:
    return state.pages.cache.get(state.store.version, "vocabulary", lambda: vocabulary_document(state.store))


def _graphs_response(request: Request, state: AppState, graphs: list[str], path: str, media: str,
                     vary: tuple[str, ...]) -> Response:
    store, prefixes = state.store, all_prefixes(state.settings.id_base)
    return serve(
        request,
        state,
        key=path,
        media_type=media,
        build=lambda: write_document([q for g in graphs for q in store.graph_quads(g)], media, prefixes),
        vary=vary,
        extra=document_headers(state.pages.links, path, media, negotiated=bool(vary)),
    )


def _def_media(request: Request, fixed: str | None) -> tuple[str, tuple[str, ...]]:
    if fixed is not None:
        return fixed, ()
    accept, format_param = request.headers.get("accept"), request.query_params.get("format")
    return document_type(accept, format_param, http.DOCUMENT_TYPES), ("Accept",)


@read_only(router, "/def", *http.DOCUMENT_TYPES,
           summary="The vocabulary: documentation (HTML) or its graphs (RDF), negotiated")
def vocabulary(request: Request, state: State) -> Response:
    return _vocabulary_page(request, state, None)


@read_only(router, "/def.{suffix}", *http.DOCUMENT_TYPES,
           summary="The vocabulary in one format (html, ttl, jsonld, nt, rdf, trig, nq)")
def vocabulary_suffixed(suffix: str, request: Request, state: State) -> Response:
    if suffix not in http.SUFFIXES:
        raise HTTPException(404, f"no format .{suffix}; use one of: " + ", ".join(sorted(http.SUFFIXES)))
    return _vocabulary_page(request, state, http.SUFFIXES[suffix])


def _vocabulary_page(request: Request, state: AppState, fixed: str | None) -> Response:
    links = state.pages.links
    media, vary = _def_media(request, fixed)
    if media != http.HTML:
        return _graphs_response(request, state, ontology_graphs(state.store), "def", media, vary)
    return serve(
        request,
        state,
        key="def",
        media_type=media,
        vary=vary,
        extra=document_headers(links, "def", media, negotiated=bool(vary)),
        build=lambda: state.pages.render(
            "def.html", doc=_vocabulary(state), formats=formats(links, "def", http.DOCUMENT_TYPES), active="def",
        ),
    )


@read_only(router, "/def/{path:path}", *http.DOCUMENT_TYPES,
           summary="A concept scheme, a concept or another term of the vocabulary")
def vocabulary_term(path: str, request: Request, state: State) -> Response:
    store, links = state.store, state.pages.links
    stem, fixed = split_suffix(path)
    iri = iri_or_none(f"{VOCAB}/{stem}")
    if iri is None or not stem or not (store.has_graph(iri) or kd.exists(store, iri)):
        return not_found(request, state, iri or f"{VOCAB}/{stem}", VOCAB + "/")
    media, vary = _def_media(request, fixed)
    page_path = "def/" + stem
    if store.has_graph(iri) and media != http.HTML:
        return _graphs_response(request, state, [iri], page_path, media, vary)
    doc = _vocabulary(state)
    scheme = doc.scheme(iri)
    if scheme is not None:
        return serve(
            request,
            state,
            key=page_path,
            media_type=media,
            vary=vary,
            extra=document_headers(links, page_path, media, negotiated=bool(vary)),
            build=lambda: state.pages.render(
                "scheme.html", scheme=scheme, doc=doc,
                formats=formats(links, page_path, http.DOCUMENT_TYPES), active="def",
            ),
        )
    in_scheme = next((s for s in doc.schemes if any(c.iri == iri for c in s.concepts)), None)
    context = {"scheme": {"href": links.href(in_scheme.iri), "label": in_scheme.label} if in_scheme else None}
    return describe_response(request, state, iri, page_path, fixed, request.query_params.get("format"),
                             template="concept.html", context=context)
