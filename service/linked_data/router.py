"""Routes: linked data. Things dereference, documents negotiate, the vocabulary and the dataset are published.

URL design (Cool URIs, 303 style, like DBpedia's /resource → /page|/data):

- ``GET /id/{kind}/{slug}`` (the IRI of a thing, also ``/id/source/{stem}``) → ``303 See Other`` to its
  document ``/doc/{kind}/{slug}``; 404 (with the nearest names) when the graph knows nothing about it.
- ``GET /doc/{kind}/{slug}`` negotiates (``Accept`` or ``?format=``; ``Vary: Accept``; ``Content-Location``
  names the suffixed document): HTML for people, Turtle, JSON-LD, N-Triples, RDF/XML, TriG, N-Quads.
- ``GET /doc/{kind}/{slug}.{html|ttl|jsonld|nt|rdf|trig|nq}`` is one fixed representation.
- ``GET /doc/source/{stem}/content.{ttl|trig|nq|nt|rdf|jsonld}`` is the whole content of a source graph.
- ``GET /def`` (``/def.ttl`` …) documents the vocabulary (HTML) or gives its graphs (RDF);
  ``/def/{track|process-type|role}`` the SKOS schemes; ``/def/track/{slug}`` … their concepts.
- ``GET /.well-known/void`` the VoID + DCAT description (Turtle first); ``/dumps/backchannel.{trig,nq,ttl,jsonld}``
  (``.gz`` too, or ``Accept-Encoding: gzip``); ``/context.jsonld`` the JSON-LD context; ``/``, ``/browse``.

Every answer is cacheable (strong ETag per store version and representation, Last-Modified, 304s),
readable cross-origin (CORS ``*`` without credentials; OPTIONS preflights answered) and HEAD works
wherever GET does. HTML carries the security headers of :mod:`service.linked_data.http`.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import quote

import jinja2
import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import Response

from kg.data.build import DUMP_FILES, write_dumps
from kg.namespaces import (
    DCTERMS,
    PREFIXES,
    PROCESS_TYPE,
    ROLE,
    TRACK,
    VOCAB,
    thing_prefixes,
)
from kg.publish import describe as kd
from kg.publish import jsonld
from kg.publish.vocabulary import VocabularyDoc, ontology_graphs
from kg.publish.vocabulary import document as vocabulary_document
from kg.publish.void import (
    DatasetInfo,
    Distribution,
    Statistics,
    statistics,
    void_triples,
)
from kg.settings import Settings
from kg.store.base import Store
from service.errors import problem
from service.http.caching import VersionCache
from service.http.negotiation import choose, negotiate
from service.linked_data import http
from service.linked_data.pages import Links, PageBuilder, kind_of

router = APIRouter(tags=["linked data"])

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
PROBLEM = "application/problem+json"

DUMP_TYPES: dict[str, str] = {
    "backchannel.trig": "application/trig",
    "backchannel.nq": "application/n-quads",
    "backchannel.ttl": "text/turtle",
    "backchannel.jsonld": "application/ld+json",
}

KINDS: dict[str, str] = {
    "person": "People",
    "org": "Organisations and states",
    "work": "Works",
    "event": "Events",
    "place": "Places",
    "process": "Diplomatic processes",
    "source": "Sources",
    "track": "Tracks of diplomacy",
    "process-type": "Process types",
    "role": "Roles",
}
"""The kinds of things one can browse: the ``id/{kind}/`` namespaces and the vocabulary's schemes."""

NAV: tuple[tuple[str, str, str], ...] = (
    ("home", "", "Home"),
    ("browse", "browse", "Browse"),
    ("sparql", "sparql", "SPARQL"),
    ("explore", "explore", "Paths"),
    ("def", "def", "Vocabulary"),
    ("void", ".well-known/void", "Dataset"),
    ("docs", "docs", "API"),
)


@dataclass(frozen=True)
class NavItem:
    key: str
    href: str
    text: str


# --- set-up ------------------------------------------------------------------


def setup(app: FastAPI) -> None:
    """Templates (autoescaped, on ``app.state.templates``) and the per-version cache (``app.state.ld_cache``)."""
    settings: Settings = app.state.settings
    links = Links(settings)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=False,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(
        root=links.root,
        link=links.href,
        nav=[NavItem(key, links.root + path, text) for key, path, text in NAV],
        active=None,
        things=[],
    )
    env.tests["iri"] = lambda term: isinstance(term, ox.NamedNode)
    app.state.templates = env
    app.state.ld_cache = VersionCache()
    app.state.ld_links = links


def _state(request: Request) -> tuple[Settings, Store, Links, VersionCache]:
    state = request.app.state
    return state.settings, state.store, state.ld_links, state.ld_cache


def render(request: Request, template: str, **context: object) -> bytes:
    """Render one of our templates (other features may call this for pages extending ``base.html``)."""
    env: jinja2.Environment = request.app.state.templates
    return env.get_template(template).render(**context).encode()


def documented(*media_types: str, redirect: bool = False) -> dict[int | str, dict[str, object]]:
    """OpenAPI ``responses`` for a read-only resource offering ``media_types`` (and its 304, 404, 406)."""
    problem_json = {"content": {PROBLEM: {}}}
    out: dict[int | str, dict[str, object]] = {}
    if redirect:
        out[303] = {"description": "See Other: the document that describes the thing (Location)"}
    else:
        out[200] = {"description": "The representation", "content": {m: {} for m in media_types}}
        out[304] = {"description": "Not Modified: the client's copy (If-None-Match / If-Modified-Since) is current"}
    out[404] = {"description": "Unknown: problem details with the nearest names", **problem_json}
    if len(media_types) > 1:
        out[406] = {"description": "None of the offered types is acceptable", **problem_json}
    return out


def get_and_head(path: str, *media_types: str, redirect: bool = False,
                 **kwargs: object) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a route for GET (documented) and HEAD (same handler, not repeated in the OpenAPI schema),
    and answer CORS preflights (OPTIONS) on it."""

    def register(func: Callable[..., Response]) -> Callable[..., Response]:
        router.add_api_route(
            path, func, methods=["GET"], response_class=Response,
            responses=documented(*media_types, redirect=redirect), **kwargs,  # type: ignore[arg-type]
        )
        router.add_api_route(path, func, methods=["HEAD"], include_in_schema=False)
        router.add_api_route(
            path, _options, methods=["OPTIONS"], include_in_schema=False, name=f"options {path}"
        )
        return func

    return register


def _options(request: Request) -> Response:
    return http.preflight(request, request.app.state.settings)


# --- shared answers ----------------------------------------------------------


def serve(
    request: Request,
    *,
    key: str,
    media_type: str,
    build: Callable[[], bytes],
    vary: tuple[str, ...] = (),
    extra: dict[str, str] | None = None,
    versioned: bool = True,
) -> Response:
    """Answer with validators: a 304 before any work when the client's copy is current, else ``build()``."""
    settings, store, _, _ = _state(request)
    version = store.version if versioned else "static"
    last_modified = store.last_modified if versioned else None
    tag = http.etag(version, key, media_type, *vary)
    return http.respond(
        request, settings, build, media_type, tag=tag, last_modified=last_modified, vary=vary, extra=extra
    )


def not_found(request: Request, iri: str, within: str, detail: str | None = None) -> Response:
    """404 for an unknown IRI, with the things whose names are nearest: HTML for browsers, problem+json else."""
    settings, store, links, cache = _state(request)
    index = cache.get(store.version, "label-index", lambda: kd.label_index(store))
    slug = iri[len(within):] if iri.startswith(within) else iri
    words = slug.rsplit("/", 1)[-1] or slug
    found = kd.suggest(index, words, within=within) or kd.suggest(index, slug.replace("/", " "), within=within)
    names = {t.iri: t.label for t in _catalogue(request)}  # show each thing by its own name, not the name matched
    suggestions = [{"iri": s.iri, "label": names.get(s.iri, s.label), "href": links.href(s.iri)} for s in found]
    message = detail or f"The graph has no statement about <{iri}>."
    if suggestions:
        message += " Did you mean: " + "; ".join(f"{s['label']} <{s['iri']}>" for s in suggestions) + "?"
    cors = http.cors_headers(request, settings)
    if choose(request.headers.get("accept"), [PROBLEM, http.HTML]) == http.HTML:
        body = render(request, "not_found.html", iri=iri, suggestions=suggestions)
        headers = cors | http.security_headers() | {"Cache-Control": "no-cache", "Vary": "Accept"}
        return Response(body, status_code=404, media_type="text/html; charset=utf-8", headers=headers)
    return problem(404, "Not Found", message, headers=cors | {"Vary": "Accept"}, iri=iri, suggestions=suggestions)


def split_suffix(path: str) -> tuple[str, str | None]:
    """``person/a.ttl`` → (``person/a``, ``text/turtle``); a path without a known suffix is kept whole.

    >>> split_suffix("person/a.ttl"), split_suffix("person/a"), split_suffix("person/a.b")
    (('person/a', 'text/turtle'), ('person/a', None), ('person/a.b', None))
    """
    stem, dot, suffix = path.rpartition(".")
    if dot and "/" not in suffix and suffix in http.SUFFIXES:
        return stem, http.SUFFIXES[suffix]
    return path, None


def _iri_or_none(iri: str) -> str | None:
    try:
        kd.node(iri)
    except ValueError:
        return None
    return iri


def _known(store: Store, iri: str) -> str | None:
    """``iri`` if it is an IRI the graph says something about, else None."""
    return iri if _iri_or_none(iri) is not None and kd.exists(store, iri) else None


def _prefixes(settings: Settings) -> dict[str, str]:
    """Our prefixes for documents; a vocabulary prefix that a kind of thing also uses (``org``) becomes ``w3org``."""
    things = thing_prefixes(settings.id_base)
    vocabularies = {("w3" + name if name in things else name): iri for name, iri in PREFIXES.items()}
    return vocabularies | things


def _formats(links: Links, path: str, offered: list[str]) -> list[tuple[str, str, str]]:
    names = {
        http.HTML: "HTML",
        http.TURTLE: "Turtle",
        http.JSONLD: "JSON-LD",
        "application/n-triples": "N-Triples",
        "application/rdf+xml": "RDF/XML",
        "application/trig": "TriG",
        "application/n-quads": "N-Quads",
    }
    return [(names[m], f"{links.root}{path}.{http.SUFFIX_OF[m]}", m) for m in offered if m != http.HTML]


def _document_headers(links: Links, path: str, media: str, negotiated: bool) -> dict[str, str]:
    """``Link`` to every representation of the document at ``path``; ``Content-Location`` when negotiated."""
    headers = {"Link": http.alternates(links.root + path, http.DOCUMENT_TYPES)}
    if negotiated:
        headers["Content-Location"] = f"{links.root}{path}.{http.SUFFIX_OF[media]}"
    return headers


def _catalogue(request: Request) -> list[kd.Thing]:
    settings, store, _, cache = _state(request)
    namespaces = [settings.id_base, TRACK, PROCESS_TYPE, ROLE]
    return cache.get(store.version, "catalogue", lambda: kd.catalogue(store, namespaces))


def _things(request: Request) -> list[kd.Thing]:
    """The things one can pick as the other end of a path (ours and the tracks)."""
    settings = request.app.state.settings
    return [t for t in _catalogue(request) if t.iri.startswith((settings.id_base, TRACK))]


# --- /id → /doc ----------------------------------------------------------------


@get_and_head("/id/{path:path}", redirect=True, summary="The IRI of a thing: 303 See Other to the document that describes it")
def thing(path: str, request: Request) -> Response:
    settings, store, links, _ = _state(request)
    if not path or _known(store, settings.id_base + path) is None:
        return not_found(request, settings.id_base + path, settings.id_base)
    location = links.root + "doc/" + quote(path, safe="/:@!$&'()*+,;=-._~")
    headers = {"Location": location, "Cache-Control": f"public, max-age={http.MAX_AGE}"}
    headers |= http.cors_headers(request, settings)
    return Response(status_code=303, headers=headers)


@get_and_head("/doc/{path:path}", *http.DOCUMENT_TYPES, summary="The document about a thing: HTML or RDF, negotiated or by suffix")
def document(path: str, request: Request, format: str | None = None) -> Response:  # noqa: A002 - query name
    settings, store, _, _ = _state(request)
    if path.startswith("source/") and (path.endswith("/content") or "/content." in path):
        return source_content(request, path)
    stem, fixed = split_suffix(path)
    iri = _known(store, settings.id_base + stem) if stem else None
    if iri is None and fixed is not None and _known(store, settings.id_base + path):
        stem, fixed, iri = path, None, settings.id_base + path  # a dot that is part of the name
    if iri is None:
        return not_found(request, settings.id_base + stem, settings.id_base)
    return describe_response(request, iri, "doc/" + stem, fixed, format)


def describe_response(request: Request, iri: str, path: str, fixed: str | None, format_param: str | None,
                      template: str | None = None, context: dict[str, object] | None = None) -> Response:
    """The document of ``iri`` at ``path`` (root-relative, no suffix): negotiated, or ``fixed``."""
    settings, store, links, _ = _state(request)
    media = fixed or negotiate(request.headers.get("accept"), format_param, http.DOCUMENT_TYPES)
    vary: tuple[str, ...] = () if fixed else ("Accept",)
    extra = _document_headers(links, path, media, negotiated=fixed is None)
    doc_iri = settings.base_iri + path

    def build() -> bytes:
        desc = kd.describe(store, iri)
        quads = kd.document_quads(desc, doc_iri)
        if media != http.HTML:
            return http.serialize(quads, media, _prefixes(settings))
        ctx = jsonld.context(_prefixes(settings))
        page = PageBuilder(desc, links).build(
            _formats(links, path, http.DOCUMENT_TYPES), jsonld.to_jsonld([q.triple for q in quads], ctx)
        )
        more = dict(context or {})
        name = template or "entity.html"
        if kind_of(iri, settings) == "source" and template is None:
            name, more = "source.html", {"source": source_info(request, iri)}
        return render(request, name, page=page, things=_things(request), **more)

    return serve(request, key=path, media_type=media, build=build, vary=vary, extra=extra)


# --- sources -------------------------------------------------------------------


@dataclass
class SourceInfo:
    triples: int
    things: list[dict[str, str]]
    store_href: str
    content: list[tuple[str, str, str]]


def source_info(request: Request, graph: str) -> SourceInfo:
    """What a source page adds: the size of its graph, the things it is about, links to its content."""
    settings, store, links, _ = _state(request)
    term = kd.node(graph)
    count = store.select(f"SELECT (COUNT(*) AS ?n) {{ GRAPH {term} {{ ?s ?p ?o }} }}")
    subjects = {r["s"].value for r in store.select(f"SELECT DISTINCT ?s {{ GRAPH {term} {{ ?s ?p ?o }} FILTER isIRI(?s) }}")}
    labels = {t.iri: t.label for t in _catalogue(request)}
    things = sorted(
        ({"iri": s, "label": labels.get(s) or kd.fallback_label(s), "href": links.href(s)} for s in subjects if s != graph),
        key=lambda t: t["label"].casefold(),
    )
    path = "doc/" + graph[len(settings.id_base):] + "/content"
    content = _formats(links, path, http.RDF_TYPES)
    return SourceInfo(
        triples=int(count[0]["n"].value) if count else 0,
        things=things,
        store_href=links.root + "store?graph=" + quote(graph, safe=""),
        content=content,
    )


def source_content(request: Request, path: str) -> Response:
    """``/doc/source/{stem}/content[.ext]``: every statement of the source's graph."""
    settings, store, _, _ = _state(request)
    stem, fixed = split_suffix(path)
    graph = _iri_or_none(settings.id_base + stem.removesuffix("/content"))
    if graph is None or not stem.endswith("/content") or not store.has_graph(graph):
        return not_found(request, graph or settings.id_base + path, settings.source_base)
    media = fixed or negotiate(request.headers.get("accept"), request.query_params.get("format"), http.RDF_TYPES)
    if media == http.HTML:
        return Response(status_code=303, headers={"Location": request.app.state.ld_links.href(graph)})
    filename = stem.rsplit("/", 2)[-2] + "." + http.SUFFIX_OF[media]
    return serve(
        request,
        key="doc/" + stem,
        media_type=media,
        build=lambda: http.serialize(store.graph_quads(graph), media, _prefixes(settings)),
        vary=() if fixed else ("Accept",),
        extra={"Content-Disposition": f'inline; filename="{filename}"'},
    )


# --- the vocabulary --------------------------------------------------------------


def _vocabulary(request: Request) -> VocabularyDoc:
    _, store, _, cache = _state(request)
    return cache.get(store.version, "vocabulary", lambda: vocabulary_document(store))


def _graphs_response(request: Request, graphs: list[str], path: str, media: str, vary: tuple[str, ...]) -> Response:
    settings, store, links, _ = _state(request)
    return serve(
        request,
        key=path,
        media_type=media,
        build=lambda: http.serialize([q for g in graphs for q in store.graph_quads(g)], media, _prefixes(settings)),
        vary=vary,
        extra=_document_headers(links, path, media, negotiated=bool(vary)),
    )


def _def_media(request: Request, fixed: str | None) -> tuple[str, tuple[str, ...]]:
    if fixed is not None:
        return fixed, ()
    return negotiate(request.headers.get("accept"), request.query_params.get("format"), http.DOCUMENT_TYPES), ("Accept",)


@get_and_head("/def", *http.DOCUMENT_TYPES, summary="The vocabulary: documentation (HTML) or its graphs (RDF), negotiated")
def vocabulary(request: Request) -> Response:
    return _vocabulary_page(request, None)


@get_and_head("/def.{suffix}", *http.DOCUMENT_TYPES, summary="The vocabulary in one format (html, ttl, jsonld, nt, rdf, trig, nq)")
def vocabulary_suffixed(suffix: str, request: Request) -> Response:
    if suffix not in http.SUFFIXES:
        raise HTTPException(404, f"no format .{suffix}; use one of: " + ", ".join(sorted(http.SUFFIXES)))
    return _vocabulary_page(request, http.SUFFIXES[suffix])


def _vocabulary_page(request: Request, fixed: str | None) -> Response:
    settings, store, links, _ = _state(request)
    media, vary = _def_media(request, fixed)
    if media != http.HTML:
        return _graphs_response(request, ontology_graphs(store), "def", media, vary)
    return serve(
        request,
        key="def",
        media_type=media,
        vary=vary,
        extra=_document_headers(links, "def", media, negotiated=bool(vary)),
        build=lambda: render(
            request, "def.html", doc=_vocabulary(request), formats=_formats(links, "def", http.DOCUMENT_TYPES),
            active="def",
        ),
    )


@get_and_head("/def/{path:path}", *http.DOCUMENT_TYPES, summary="A concept scheme, a concept or another term of the vocabulary")
def vocabulary_term(path: str, request: Request) -> Response:
    settings, store, links, _ = _state(request)
    stem, fixed = split_suffix(path)
    iri = _iri_or_none(f"{VOCAB}/{stem}")
    if iri is None or not stem or not (store.has_graph(iri) or kd.exists(store, iri)):
        return not_found(request, iri or f"{VOCAB}/{stem}", VOCAB + "/")
    media, vary = _def_media(request, fixed)
    page_path = "def/" + stem
    if store.has_graph(iri) and media != http.HTML:
        return _graphs_response(request, [iri], page_path, media, vary)
    doc = _vocabulary(request)
    scheme = doc.scheme(iri)
    if scheme is not None:
        return serve(
            request,
            key=page_path,
            media_type=media,
            vary=vary,
            extra=_document_headers(links, page_path, media, negotiated=bool(vary)),
            build=lambda: render(
                request, "scheme.html", scheme=scheme, doc=doc,
                formats=_formats(links, page_path, http.DOCUMENT_TYPES), active="def",
            ),
        )
    in_scheme = next((s for s in doc.schemes if any(c.iri == iri for c in s.concepts)), None)
    context = {"scheme": {"href": links.href(in_scheme.iri), "label": in_scheme.label} if in_scheme else None}
    return describe_response(request, iri, page_path, fixed, request.query_params.get("format"),
                             template="concept.html", context=context)


# --- the dataset: VoID, dumps, context -------------------------------------------


def _statistics(request: Request) -> Statistics:
    settings, store, _, cache = _state(request)
    return cache.get(store.version, "statistics", lambda: statistics(store, settings.id_base))


def dataset_info(request: Request) -> DatasetInfo:
    """What VoID says besides the numbers: title, links, examples, licences."""
    settings, store, _, _ = _state(request)
    base = settings.base_iri
    wanted = [
        settings.id_base + "person/joseph-v-montville",
        settings.id_base + "work/oslo-accords",
        settings.id_base + "process/oslo-back-channel",
        TRACK + "track-two",
    ]
    licenses = sorted(
        {
            r["l"].value
            for r in store.select(f"SELECT DISTINCT ?l {{ ?x {kd.node(DCTERMS + 'license')} ?l FILTER isIRI(?l) }}")
        }
    )
    return DatasetInfo(
        void_url=base + ".well-known/void",
        title="backchannel: a knowledge graph of Track Two diplomacy",
        description="People, organisations, works, events, places and diplomatic processes of Track Two "
        "(backchannel) diplomacy, each fact kept in the named graph of the source that states it.",
        uri_space=settings.id_base,
        sparql_endpoint=base + "sparql",
        homepage=base,
        modified=store.last_modified,
        distributions=tuple(
            Distribution(base + "dumps/" + name, media, f"Dump of the dataset ({name.rsplit('.', 1)[-1]})")
            for name, media in DUMP_TYPES.items()
        ),
        examples=tuple(iri for iri in wanted if kd.exists(store, iri)),
        licenses=tuple(licenses),
    )


VOID_TYPES = [http.TURTLE, http.JSONLD, "application/n-triples", "application/rdf+xml", "application/trig",
              "application/n-quads"]


@get_and_head("/.well-known/void", *VOID_TYPES, summary="VoID and DCAT description of the dataset (Turtle unless asked)")
def void(request: Request) -> Response:
    media = negotiate(request.headers.get("accept"), request.query_params.get("format"), VOID_TYPES)
    return _void(request, media, ("Accept",))


@get_and_head("/.well-known/void.{suffix}", *VOID_TYPES, summary="The dataset description in one format")
def void_suffixed(suffix: str, request: Request) -> Response:
    media = http.SUFFIXES.get(suffix)
    if media not in VOID_TYPES:
        raise HTTPException(404, f"no format .{suffix}; use one of: " + ", ".join(http.SUFFIX_OF[m] for m in VOID_TYPES))
    return _void(request, media, ())


def _void(request: Request, media: str, vary: tuple[str, ...]) -> Response:
    settings, _, _, _ = _state(request)
    return serve(
        request,
        key="void",
        media_type=media,
        vary=vary,
        build=lambda: http.serialize(void_triples(_statistics(request), dataset_info(request)), media, _prefixes(settings)),
    )


def _dumps(request: Request) -> dict[str, bytes]:
    settings, store, _, cache = _state(request)

    def make() -> dict[str, bytes]:
        with tempfile.TemporaryDirectory(prefix="backchannel-dumps-") as folder:
            paths = write_dumps(store.quads(), Path(folder), settings)
            return {path.name: path.read_bytes() for path in paths}

    return cache.get(store.version, "dumps", make)


@get_and_head("/dumps/{name}", *DUMP_TYPES.values(), "application/gzip", summary="The whole dataset: backchannel.trig, .nq, .ttl, .jsonld (and .gz)")
def dump(name: str, request: Request) -> Response:
    _, store, _, cache = _state(request)
    plain = name.removesuffix(".gz")
    if plain not in DUMP_FILES or plain not in DUMP_TYPES:
        raise HTTPException(
            404, f"no dump {name!r}; the dumps are: " + ", ".join(f"{n}, {n}.gz" for n in DUMP_TYPES)
        )
    if name.endswith(".gz"):
        data = lambda: cache.get(store.version, "gz:" + plain, lambda: gzip.compress(_dumps(request)[plain], mtime=0))  # noqa: E731
        return serve(request, key="dumps/" + name, media_type="application/gzip", build=data,
                     extra={"Content-Disposition": f'attachment; filename="{name}"'})
    media = DUMP_TYPES[plain]
    wants_gzip = _accepts_gzip(request.headers.get("accept-encoding", ""))
    extra = {"Content-Disposition": f'attachment; filename="{plain}"'}
    if wants_gzip:
        extra["Content-Encoding"] = "gzip"
        build = lambda: cache.get(store.version, "gz:" + plain, lambda: gzip.compress(_dumps(request)[plain], mtime=0))  # noqa: E731
    else:
        build = lambda: _dumps(request)[plain]  # noqa: E731
    return serve(request, key="dumps/" + plain + (".gzip" if wants_gzip else ""), media_type=media, build=build,
                 vary=("Accept-Encoding",), extra=extra)


def _accepts_gzip(header: str) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (and does not give it q=0).

    >>> _accepts_gzip("gzip, deflate"), _accepts_gzip("gzip;q=0"), _accepts_gzip("br")
    (True, False, False)
    """
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return float(q) > 0 if params.strip().startswith("q=") else True
            except ValueError:
                return False
    return False


@get_and_head("/context.jsonld", http.JSONLD, summary="The JSON-LD @context of our documents (our prefixes)")
def context(request: Request) -> Response:
    settings = request.app.state.settings
    body = jsonld.dumps(jsonld.context(_prefixes(settings)))
    return serve(request, key="context", media_type=http.JSONLD, build=lambda: body, versioned=False)


# --- home and browse -------------------------------------------------------------


def _kind_counts(request: Request) -> list[dict[str, object]]:
    settings, _, links, _ = _state(request)
    counts: dict[str, int] = {}
    for t in _catalogue(request):
        counts[kind_of(t.iri, settings)] = counts.get(kind_of(t.iri, settings), 0) + 1
    return [
        {"key": key, "title": title, "count": counts.get(key, 0), "href": f"{links.root}browse?kind={key}"}
        for key, title in KINDS.items()
    ]


@get_and_head("/", http.HTML, summary="Home page: what the graph is, what is in it, where to start")
def home(request: Request) -> Response:
    settings, _, links, _ = _state(request)

    def build() -> bytes:
        things = {t.iri: t for t in _catalogue(request)}
        sources = [
            {"label": t.label, "description": t.description, "href": links.href(t.iri)}
            for t in things.values()
            if t.iri.startswith(settings.source_base)
        ]
        return render(request, "home.html", stats=_statistics(request), kinds=_kind_counts(request),
                      sources=sources, questions=_questions(links, settings, things), dumps=list(DUMP_TYPES),
                      active="home")

    return serve(request, key="home", media_type=http.HTML, build=build)


def _questions(links: Links, settings: Settings, things: dict[str, kd.Thing]) -> list[dict[str, str]]:
    prefixes = _prefixes(settings)
    prologue = "".join(f"PREFIX {p}: <{prefixes[p]}>\n" for p in ("bc", "track", "rdfs", "dcterms", "prov", "person", "process"))
    sparql = [
        ("Who coined “Track Two diplomacy”, and in which work?",
         "SELECT ?who ?work WHERE {\n  ?who bc:coined track:track-two .\n"
         "  OPTIONAL { track:track-two bc:coinedIn ?work }\n}"),
        ("Which diplomatic processes began as Track Two and became Track One?",
         "SELECT ?process ?name WHERE {\n  ?process bc:beganAs track:track-two ;\n"
         "           bc:transitionedTo track:track-one ;\n           rdfs:label ?name .\n}"),
        ("Which works are about Track Two, oldest first?",
         "SELECT ?work ?title ?date WHERE {\n  ?work dcterms:subject track:track-two ; rdfs:label ?title .\n"
         "  OPTIONAL { ?work bc:date ?date }\n}\nORDER BY ?date"),
        ("Who was influenced by Joseph V. Montville?",
         "SELECT ?who ?name WHERE {\n  ?who prov:wasInfluencedBy person:joseph-v-montville ; rdfs:label ?name .\n}"),
        ("Which source states each fact about the Oslo back channel?",
         "SELECT ?property ?value ?source WHERE {\n  GRAPH ?source { process:oslo-back-channel ?property ?value }\n}"),
    ]
    out = [{"text": text, "href": links.sparql(prologue + query), "how": "SPARQL"} for text, query in sparql]
    paths = [
        ("How is Joseph V. Montville connected to the Oslo Accords?", "person/joseph-v-montville", "work/oslo-accords"),
        ("How is Louise Diamond connected to Track Two diplomacy?", "person/louise-diamond", None),
    ]
    for text, start, end in paths:
        a = settings.id_base + start
        b = settings.id_base + end if end else TRACK + "track-two"
        if a in things and b in things:
            out.append({"text": text, "href": links.explore(a, b), "how": "path"})
    return out


@get_and_head("/browse", http.HTML, summary="The things of one kind, alphabetically, with their descriptions")
def browse(request: Request, kind: str | None = None) -> Response:
    settings, _, links, _ = _state(request)
    if kind is not None and kind not in KINDS:
        raise HTTPException(400, f"unknown kind {kind!r}; use one of: " + ", ".join(KINDS))

    def build() -> bytes:
        things = [
            {"label": t.label, "description": t.description, "href": links.href(t.iri)}
            for t in _catalogue(request)
            if kind is None or kind_of(t.iri, settings) == kind
        ]
        title = KINDS[kind] if kind else "Everything in the graph"
        return render(request, "browse.html", title=title, kind=kind, kinds=_kind_counts(request), things=things,
                      active="browse")

    return serve(request, key=f"browse?{kind}", media_type=http.HTML, build=build)


# --- our stylesheet ------------------------------------------------------------------


@get_and_head("/static/{path:path}", "text/css", summary="Static files of the pages (stylesheet, scripts, pictures)")
def static(path: str, request: Request) -> Response:
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file():
        raise HTTPException(404, f"no static file {path!r}")
    data = target.read_bytes()
    media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    digest = hashlib.sha256(data).hexdigest()
    return serve(request, key=f"static/{path}/{digest}", media_type=media, build=lambda: data, versioned=False)
