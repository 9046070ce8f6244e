"""Content negotiation: the ``Accept`` header with q-values, and a ``format=`` short name (:mod:`kg.store.formats`).

>>> choose("text/csv;q=0.5, application/sparql-results+json", ["application/sparql-results+json", "text/csv"])
'application/sparql-results+json'
>>> choose("text/*", ["application/n-triples", "text/turtle"])
'text/turtle'
>>> choose("image/png", ["text/turtle"]) is None
True
>>> choose(None, ["text/turtle", "application/ld+json"])
'text/turtle'
>>> negotiate("text/html", "ttl", ["text/html", "text/turtle"])
'text/turtle'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import HTTPException

from kg.store.formats import canonical, media_type_for, names_for


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media_type: str) -> int:
        """Specificity of the match (3 exact, 2 type/*, 1 */*), 0 if none."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type == kind and self.subtype == "*":
            return 2
        return 3 if (self.type, self.subtype) == (kind, sub) else 0


def parse_accept(header: str) -> list[_Range]:
    """The media ranges of an Accept header (malformed parts are skipped)."""
    ranges = []
    for order, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = canonical(fields[0])
        if "/" not in media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        kind, _, sub = media.partition("/")
        ranges.append(_Range(kind, sub, q, order))
    return ranges


def choose(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client prefers; the first offered when no Accept; None if none fits.

    Ties in q go to the most specific range, then to the server's order of ``offered``.
    """
    if not accept or not accept.strip():
        return offered[0] if offered else None
    ranges = parse_accept(accept)
    best: tuple[float, int, int] | None = None
    chosen = None
    for position, media in enumerate(offered):
        match = max(((r.matches(media), r.q) for r in ranges if r.matches(media)), default=None)
        if match is None or match[1] <= 0:
            continue
        key = (match[1], match[0], -position)
        if best is None or key > best:
            best, chosen = key, media
    return chosen


def negotiate(accept: str | None, format_param: str | None, offered: Sequence[str]) -> str:
    """Pick the response type from ``format=`` (if given) or ``Accept``; raise 406 listing what is offered.

    >>> negotiate(None, "csv", ["application/sparql-results+json", "text/csv"])
    'text/csv'
    """
    if format_param:
        media = media_type_for(format_param, offered)
        if media is not None:
            return media
        raise HTTPException(
            406, f"format={format_param!r} is not offered here; use one of: " + ", ".join(names_for(offered))
        )
    chosen = choose(accept, offered)
    if chosen is None:
        raise HTTPException(406, f"none of the types in Accept: {accept} is offered; offered: {', '.join(offered)}")
    return chosen
