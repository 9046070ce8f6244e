"""Routes: the SPARQL 1.1 Graph Store HTTP Protocol at ``/store``.

Graphs are named indirectly (``/store?graph=<IRI>``, ``/store?default``) or
directly: ``/store/{path}`` is the graph whose IRI is ``{base_iri}store/{path}``
(the request URL under the configured base IRI; the Host header is not trusted).
``?default`` is the store's real default graph (SPARQL queries see the union).

- GET/HEAD: the graph in a negotiated RDF format (``Accept`` or ``format=``);
  404 if the named graph does not exist; ETag and If-None-Match → 304.
- PUT: replace the graph (201 if it was created, 204 if replaced).
- POST: add to the graph (201 if it was created, else 204); ``multipart/form-data``
  adds every part (each a file of RDF, typed by its Content-Type or file name).
  POST to ``/store`` itself creates a new graph and answers 201 with its IRI in
  ``Location``.
- DELETE: drop the graph (204; 404 if it does not exist).
- Writes need ``Authorization: Bearer <token>`` (401/403 otherwise, 403 when
  writes are off). The curated graphs (sources and ontology, which ``backchannel
  build`` replaces) are read-only here (403 saying why) unless the setting
  ``curated_graph_writes`` allows writing them. The payload is parsed before the store is touched: bad RDF is
  400 and nothing changes. 415 for a media type that is not an RDF graph format
  (quad formats such as TriG or N-Quads are refused for a single graph); 413 for
  a body over the limit.
"""

from __future__ import annotations

import email.parser
import email.policy
import secrets
from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from kg.data.build import is_curated
from kg.namespaces import all_prefixes
from kg.settings import Settings
from kg.store.base import DataError, QueryRequest, Store
from kg.store.formats import GRAPH_TYPES, canonical, format_for_file, parse_rdf
from kg.store.results import write_graph
from service.http.caching import etag_matches
from service.http.limits import read_body
from service.http.negotiation import negotiate
from service.sparql.cache import etag
from service.sparql.guards import check_write
from service.sparql.protocol import parse_params, split_media_type
from service.sparql.router import prefers_html
from service.state import get_settings, get_store

router = APIRouter(tags=["Graph Store"])

ROOT = "/store"
ALLOW = "GET, HEAD, PUT, POST, DELETE"
QUAD_TYPES = {"application/n-quads", "application/trig"}
WRITE_TYPES = [media for media in GRAPH_TYPES if media not in QUAD_TYPES]
@dataclass(frozen=True)
class GraphRef:
    """The graph a request is about: ``iri`` (None for the default graph), or the graph store itself (``root``)."""

    iri: str | None
    root: bool = False

    @property
    def label(self) -> str:
        return "the default graph" if self.iri is None else f"the graph <{self.iri}>"


def direct_iri(settings: Settings, raw_suffix: str) -> str:
    """The IRI of the graph named by the path ``/store/{raw_suffix}`` (kept percent-encoded).

    >>> direct_iri(Settings(base_iri="http://ex.org/"), "person/1.ttl")
    'http://ex.org/store/person/1.ttl'
    """
    return f"{settings.base_iri}store/{raw_suffix}"


def _valid_iri(iri: str, where: str) -> str:
    try:
        ox.NamedNode(iri)
    except ValueError as err:
        raise HTTPException(400, f"{where} is not a valid absolute IRI: {iri!r} ({err})") from None
    return iri


def identify(settings: Settings, query_string: bytes, raw_suffix: str | None) -> GraphRef:
    """Which graph a request names (see the module doc); 400 for contradictory or invalid names.

    >>> identify(Settings(), b"graph=http%3A%2F%2Fex%2Fg", None)
    GraphRef(iri='http://ex/g', root=False)
    >>> identify(Settings(), b"default", None), identify(Settings(), b"", None).root
    (GraphRef(iri=None, root=False), True)
    """
    params = parse_params(query_string, "the URL")
    graphs = [v for k, v in params if k == "graph"]
    default = any(k == "default" for k, _ in params)
    if raw_suffix is not None:
        if graphs or default:
            raise HTTPException(400, "a graph named by its path (/store/…) takes no graph= or default parameter")
        return GraphRef(_valid_iri(direct_iri(settings, raw_suffix), "the graph IRI of this path"))
    if graphs and default:
        raise HTTPException(400, "give either ?graph=<IRI> or ?default, not both")
    if len(graphs) > 1:
        raise HTTPException(400, "give one graph= parameter")
    if default:
        return GraphRef(None)
    if graphs:
        return GraphRef(_valid_iri(graphs[0], "the graph parameter"))
    return GraphRef(None, root=True)


def check_not_curated(ref: GraphRef, settings: Settings) -> None:
    """403 for a write to a graph ``backchannel build`` owns (a source or ontology graph), unless
    ``curated_graph_writes`` allows it: the next build would replace it and the write would be lost.

    >>> check_not_curated(GraphRef("http://127.0.0.1:8000/graphs/notes"), Settings())
    >>> check_not_curated(GraphRef("http://127.0.0.1:8000/id/source/track-two-diplomacy"), Settings())
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fastapi.exceptions.HTTPException: 403: <http://127.0.0.1:8000/id/source/track-two-diplomacy> is a curated graph: ...
    """
    if ref.iri is None or settings.curated_graph_writes or not is_curated(ref.iri, settings):
        return
    raise HTTPException(
        403, f"<{ref.iri}> is a curated graph: `backchannel build` replaces it from the curated sources, so a "
        f"write here would be lost at the next build. Write to a graph of your own (e.g. {settings.base_iri}graphs/"
        "notes), change the source file, or set BACKCHANNEL_CURATED_GRAPH_WRITES=true to allow it anyway.")


def _raw_suffix(request: Request) -> str:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = raw.decode("latin-1")
    return path[path.index(ROOT + "/") + len(ROOT) + 1 :]


def payload_type(content_type: str | None) -> str:
    """The RDF media type of a request body; 415 unless it is an RDF graph format in UTF-8.

    >>> payload_type("text/turtle; charset=utf-8"), payload_type("application/x-turtle")
    ('text/turtle', 'text/turtle')
    >>> payload_type("application/trig")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    fastapi.exceptions.HTTPException: 415: application/trig holds a dataset, not one graph; send one of: text/turtle,
    application/n-triples, application/rdf+xml, application/ld+json, text/n3
    """
    media, params = split_media_type(content_type)
    media = canonical(media) if media else media
    offered = ", ".join(WRITE_TYPES)
    if media in QUAD_TYPES:
        raise HTTPException(415, f"{media} holds a dataset, not one graph; send one of: {offered}")
    if media not in WRITE_TYPES:
        got = media or "no Content-Type"
        raise HTTPException(415, f"cannot read {got} as RDF; send one of: {offered} (or multipart/form-data)")
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise HTTPException(415, f"RDF must be sent in UTF-8 (charset={charset} is not accepted)")
    return media


def multipart_parts(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    """The (media type, data) of each file in a multipart/form-data body.

    >>> body = (b'--b\\r\\nContent-Disposition: form-data; name="f"; filename="a.ttl"\\r\\n\\r\\n'
    ...         b'<http://a> <http://b> <http://c> .\\r\\n--b--\\r\\n')
    >>> multipart_parts("multipart/form-data; boundary=b", body)
    [('text/turtle', b'<http://a> <http://b> <http://c> .')]
    """
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise HTTPException(400, "the multipart/form-data body has no parts (check the boundary)")
    parts = []
    for number, part in enumerate(message.iter_parts(), start=1):
        declared = part.get("content-type")
        filename = part.get_filename() or ""
        media = split_media_type(declared)[0] if declared else ""
        if media in ("", "application/octet-stream", "text/plain"):
            media = format_for_file(filename) or media or "application/octet-stream"
        try:
            media = payload_type(media + "".join(f"; {k}={v}" for k, v in split_media_type(declared)[1].items()))
        except HTTPException as err:
            where = f"part {number} ({filename or 'no file name'})"
            raise HTTPException(err.status_code, f"{where}: {err.detail}") from None
        payload = part.get_payload(decode=True)  # None for a part that is itself multipart
        data = payload if isinstance(payload, bytes) else b""
        parts.append((media, data))
    return parts


def _base(settings: Settings, ref: GraphRef) -> str:
    return ref.iri or settings.base_iri + "store"


def _check_parses(parts: list[tuple[str, bytes]], ref: GraphRef, base: str) -> bytes:
    """Parse every part (nothing is written if one is bad); return them all as N-Triples."""
    triples: list[ox.Triple] = []
    for number, (media, data) in enumerate(parts, start=1):
        try:
            triples += [q.triple for q in parse_rdf(data, media, ref.iri, base)]
        except DataError as err:
            err.add_note(f"part {number}")
            raise
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


# --- routes ------------------------------------------------------------------------------


@router.api_route(ROOT, methods=["GET", "HEAD", "PUT", "POST", "DELETE"], summary="Graph Store Protocol (indirect)",
                  description=__doc__, response_class=Response,
                  openapi_extra={"parameters": [
                      {"name": "graph", "in": "query", "schema": {"type": "string"}, "description": "graph IRI"},
                      {"name": "default", "in": "query", "schema": {"type": "string"}, "allowEmptyValue": True},
                  ]})
async def graph_store(request: Request) -> Response:
    ref = identify(get_settings(request), request.scope.get("query_string", b""), None)
    return await _handle(request, ref)


@router.api_route(ROOT + "/{path:path}", methods=["GET", "HEAD", "PUT", "POST", "DELETE"],
                  summary="Graph Store Protocol (direct: the graph named by this URL)", response_class=Response)
async def graph_store_direct(request: Request, path: str) -> Response:
    ref = identify(get_settings(request), request.scope.get("query_string", b""), _raw_suffix(request))
    return await _handle(request, ref)


@router.api_route(ROOT, methods=["PATCH", "OPTIONS"], include_in_schema=False)
@router.api_route(ROOT + "/{path:path}", methods=["PATCH", "OPTIONS"], include_in_schema=False)
def graph_store_other(request: Request) -> Response:
    raise HTTPException(405, f"{request.method} is not supported by the graph store; use {ALLOW}",
                        headers={"Allow": ALLOW})


async def _handle(request: Request, ref: GraphRef) -> Response:
    method = request.method
    if method in ("GET", "HEAD"):
        if ref.root:
            raise HTTPException(400, "name a graph: /store?graph=<IRI>, /store?default, or /store/{path}")
        return await run_in_threadpool(_read, request, ref)
    settings = get_settings(request)
    check_write(request.headers.get("authorization"), settings.write_token, settings.dev_open_writes)
    check_not_curated(ref, settings)
    if method == "DELETE":
        if ref.root:
            raise HTTPException(400, "name the graph to delete: /store?graph=<IRI>, /store?default or /store/{path}")
        return await run_in_threadpool(_delete, request, ref)
    body = await read_body(request, settings.max_body_bytes, settings.body_timeout)
    content_type = request.headers.get("content-type")
    media = split_media_type(content_type)[0]
    if method == "POST" and media == "multipart/form-data":
        parts = multipart_parts(content_type or "", body)
    else:
        parts = [(payload_type(content_type), body)]
    if method == "PUT":
        if ref.root:
            raise HTTPException(400, "PUT needs a graph: /store?graph=<IRI>, /store?default or /store/{path}")
        return await run_in_threadpool(_write, request, ref, parts, True)
    if ref.root:
        ref = GraphRef(f"{settings.base_iri}store/{secrets.token_hex(8)}")
        response = await run_in_threadpool(_write, request, ref, parts, False)
        response.headers["Location"] = ref.iri or ""
        return response
    return await run_in_threadpool(_write, request, ref, parts, False)


def _read(request: Request, ref: GraphRef) -> Response:
    settings = get_settings(request)
    store = get_store(request)
    accept = request.headers.get("accept")
    format_param = next((v for k, v in parse_params(request.scope.get("query_string", b""), "the URL")
                         if k == "format"), None)
    media = "text/turtle" if not format_param and prefers_html(accept) else negotiate(
        accept, format_param, list(GRAPH_TYPES))
    if not store.has_graph(ref.iri):
        raise HTTPException(404, f"{ref.label} does not exist in the graph store")
    version = store.version
    tag = etag(version, QueryRequest(f"graph-store {ref.iri}"), media)
    headers = {"ETag": tag, "Cache-Control": "no-cache", "Vary": "Accept"}
    if etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    body = write_graph(store.graph_quads(ref.iri), media, all_prefixes(settings.id_base))
    return Response(body, media_type=media, headers=headers)


def _write(request: Request, ref: GraphRef, parts: list[tuple[str, bytes]], replace: bool) -> Response:
    settings = get_settings(request)
    store: Store = get_store(request)
    base = _base(settings, ref)
    if len(parts) == 1:
        media, data = parts[0]
    else:
        media, data = "application/n-triples", _check_parses(parts, ref, base)
    existed = ref.iri is None or store.has_graph(ref.iri)
    if replace:
        store.replace_graph(ref.iri, data, media, base)
        if ref.iri is not None and not store.has_graph(ref.iri):
            store.add_to_graph(ref.iri, b"", "application/n-triples")  # PUT of an empty graph keeps the graph
    else:
        store.add_to_graph(ref.iri, data, media, base)
    return Response(status_code=204 if existed else 201)


def _delete(request: Request, ref: GraphRef) -> Response:
    store = get_store(request)
    if not store.has_graph(ref.iri):
        raise HTTPException(404, f"{ref.label} does not exist in the graph store")
    store.drop_graph(ref.iri)
    return Response(status_code=204)
