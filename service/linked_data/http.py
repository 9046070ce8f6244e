"""The HTTP contract of read-only linked-data resources: formats, validators, caching, CORS, security headers.

Every read-only answer goes through :func:`respond`, which

- answers ``304 Not Modified`` to a matching ``If-None-Match`` (or, without it, ``If-Modified-Since``);
- sets a strong ``ETag`` (the store version and the representation), ``Last-Modified`` (the store's last
  change), ``Cache-Control: public, max-age=60``;
- opens CORS for reading (``Access-Control-Allow-Origin: *``, never with credentials);
- adds the security headers to HTML (a CSP without inline scripts, nosniff, no framing, referrer policy).

>>> etag("v1", "/doc/person/a", "text/turtle") == etag("v1", "/doc/person/a", "text/turtle")
True
>>> etag("v1", "/doc/person/a", "text/turtle") != etag("v2", "/doc/person/a", "text/turtle")
True
>>> http_date(0)
'Thu, 01 Jan 1970 00:00:00 GMT'
"""

from __future__ import annotations

import hashlib
from email.utils import formatdate, parsedate_to_datetime
from typing import Callable, Iterable, Mapping

import pyoxigraph as ox
from fastapi import Request
from fastapi.responses import Response

from kg.publish import jsonld
from kg.settings import Settings
from kg.store.formats import GRAPH_TYPES

HTML = "text/html"
TURTLE = "text/turtle"
JSONLD = "application/ld+json"

SUFFIXES: dict[str, str] = {
    "html": HTML,
    "ttl": TURTLE,
    "jsonld": JSONLD,
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
    "trig": "application/trig",
    "nq": "application/n-quads",
}
"""Suffixes of the documents (``/doc/person/x.ttl``) and the media type each one fixes."""

SUFFIX_OF: dict[str, str] = {media: suffix for suffix, media in SUFFIXES.items()}
RDF_TYPES: list[str] = [m for m in SUFFIXES.values() if m != HTML]
QUAD_TYPES = frozenset({"application/trig", "application/n-quads"})
DOCUMENT_TYPES: list[str] = [HTML, *RDF_TYPES]
"""What a document offers, in the server's order of preference (``*/*`` gets HTML, as browsers expect)."""

MAX_AGE = 60
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
EXPOSED = "ETag, Last-Modified, Link, Content-Location, Content-Disposition, Vary"


def media_with_charset(media_type: str) -> str:
    """The Content-Type value: text types and JSON-LD carry ``charset=utf-8``."""
    if media_type.startswith("text/") or media_type in (JSONLD, "application/n-triples", "application/n-quads"):
        return f"{media_type}; charset=utf-8"
    return media_type


def serialize(
    statements: Iterable[ox.Triple] | Iterable[ox.Quad],
    media_type: str,
    prefixes: Mapping[str, str],
) -> bytes:
    """Write triples (or quads) in an RDF media type; a quad format keeps the graphs, a triple format the union.

    >>> t = ox.Triple(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("1"))
    >>> serialize([t], "text/turtle", {"x": "http://x/"})
    b'@prefix x: <http://x/> .\\nx:a x:p "1" .\\n'
    """
    items = list(statements)
    if media_type in QUAD_TYPES:
        items = [i if isinstance(i, ox.Quad) else ox.Quad(i.subject, i.predicate, i.object) for i in items]
        items = sorted(set(items), key=str)
    else:
        items = sorted({i.triple if isinstance(i, ox.Quad) else i for i in items}, key=str)
    if media_type == JSONLD:
        return jsonld.dumps(jsonld.to_jsonld(items, jsonld.context(dict(prefixes))))
    fmt = GRAPH_TYPES[media_type]
    used = dict(prefixes) if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML) else None
    if used is not None:
        used = _used_prefixes(items, used)
    return ox.serialize(items, format=fmt, prefixes=used) if used else ox.serialize(items, format=fmt)


def _used_prefixes(items: list, prefixes: dict[str, str]) -> dict[str, str]:
    """Only the prefixes that some IRI of the data starts with (keeps documents short)."""
    iris = set()
    for item in items:
        for term in (item.subject, item.predicate, item.object, getattr(item, "graph_name", None)):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    return {p: ns for p, ns in prefixes.items() if any(i.startswith(ns) for i in iris)}


def etag(version: str, *parts: str) -> str:
    """A strong validator for one representation of one resource at one store version."""
    digest = hashlib.sha256("\x00".join((version, *parts)).encode()).hexdigest()[:20]
    return f'"{digest}"'


def http_date(timestamp: float) -> str:
    """An IMF-fixdate for ``Last-Modified``."""
    return formatdate(int(timestamp), usegmt=True)


def is_fresh(request: Request, tag: str, last_modified: float | None) -> bool:
    """Whether the client's copy is current (RFC 9110: If-None-Match wins over If-Modified-Since)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        return "*" in tags or tag in tags or f"W/{tag}" in tags
    since = request.headers.get("if-modified-since")
    if since and last_modified is not None:
        try:
            return int(last_modified) <= int(parsedate_to_datetime(since).timestamp())
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False


def cors_headers(request: Request, settings: Settings) -> dict[str, str]:
    """Open reading to other origins: ``*`` (or the configured origin that asks); never credentials."""
    origins = settings.cors_origins
    if "*" in origins:
        return {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": EXPOSED}
    origin = request.headers.get("origin")
    if origin and origin in origins:
        return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED, "Vary": "Origin"}
    return {}


def preflight(request: Request, settings: Settings) -> Response:
    """Answer a CORS preflight for a read-only resource."""
    headers = cors_headers(request, settings)
    if headers:
        headers |= {
            "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
            "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match, If-Modified-Since, Cache-Control",
            "Access-Control-Max-Age": "86400",
        }
    headers["Allow"] = "GET, HEAD, OPTIONS"
    return Response(status_code=204, headers=headers)


def security_headers() -> dict[str, str]:
    """Headers every HTML page carries."""
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


def _merge_vary(headers: dict[str, str], values: Iterable[str]) -> None:
    current = [v.strip() for v in headers.get("Vary", "").split(",") if v.strip()]
    for value in values:
        if value not in current:
            current.append(value)
    if current:
        headers["Vary"] = ", ".join(current)


def base_headers(
    request: Request,
    settings: Settings,
    *,
    tag: str,
    last_modified: float | None,
    media_type: str,
    vary: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers shared by a 200 and its 304."""
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={MAX_AGE}"}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    headers |= dict(extra or {})
    cors = cors_headers(request, settings)
    cors_vary = cors.pop("Vary", None)
    headers |= cors
    _merge_vary(headers, [*vary, *([cors_vary] if cors_vary else [])])
    if media_type == HTML:
        headers |= security_headers()
    headers.setdefault("X-Content-Type-Options", "nosniff")
    return headers


def not_modified(headers: Mapping[str, str]) -> Response:
    """A 304 with the validators and caching headers of the representation."""
    keep = {k: v for k, v in headers.items() if k not in ("Content-Disposition",)}
    return Response(status_code=304, headers=keep)


def respond(
    request: Request,
    settings: Settings,
    build: Callable[[], bytes],
    media_type: str,
    *,
    tag: str,
    last_modified: float | None,
    vary: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
) -> Response:
    """A read-only representation with its validators: 304 when the client's copy is current (and then
    ``build`` is never called), else the bytes ``build()`` returns."""
    headers = base_headers(
        request, settings, tag=tag, last_modified=last_modified, media_type=media_type, vary=vary, extra=extra
    )
    if is_fresh(request, tag, last_modified):
        return not_modified(headers)
    return Response(content=build(), status_code=200, media_type=media_with_charset(media_type), headers=headers)


def alternates(path: str, offered: Iterable[str]) -> str:
    """A ``Link`` header listing the suffixed documents of a generic one (``rel="alternate"``).

    >>> alternates("/doc/person/a", ["text/turtle"])
    '</doc/person/a.ttl>; rel="alternate"; type="text/turtle"'
    """
    return ", ".join(f'<{path}.{SUFFIX_OF[m]}>; rel="alternate"; type="{m}"' for m in offered if m in SUFFIX_OF)
