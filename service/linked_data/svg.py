"""A small picture of a thing's neighbourhood, drawn on the server as inline SVG (no script).

The thing sits in the middle; its neighbours sit on an ellipse around it, each a link to its page;
each line carries the relation's label (drawn last, so that no box covers it) and an arrow in the direction of
the statement. The picture has no ``role="img"``: its links must stay reachable (a picture's children are not).

>>> svg = neighbourhood_svg("Montville", [Edge("coined", "Track Two", "/def/track/track-two", True)])
>>> svg.startswith("<svg") and "Track Two" in svg and "coined" in svg
True
>>> "<script" in neighbourhood_svg("<script>", [])
False
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

MAX_NEIGHBOURS = 14


@dataclass(frozen=True)
class Edge:
    """A line from the thing to a neighbour (``outgoing``) or from the neighbour to the thing."""

    label: str
    target: str
    href: str | None
    outgoing: bool


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _merge(edges: list[Edge]) -> list[tuple[str, str | None, list[Edge]]]:
    """Edges to the same neighbour, together; neighbours taken in turn from each relation, so that a
    relation with many values (nine sub-tracks) does not crowd out the others.

    >>> es = [Edge("a", "x1", None, True), Edge("a", "x2", None, True), Edge("b", "y", None, True)]
    >>> [target for target, _, _ in _merge(es)]
    ['x1', 'y', 'x2']
    """
    grouped: dict[tuple[str, str | None], list[Edge]] = {}
    for edge in edges:
        grouped.setdefault((edge.target, edge.href), []).append(edge)
    by_relation: dict[str, list[tuple[str, str | None]]] = {}
    for key, group in grouped.items():
        by_relation.setdefault(group[0].label, []).append(key)
    order: list[tuple[str, str | None]] = []
    queues = list(by_relation.values())
    while any(queues):
        for queue in queues:
            if queue:
                order.append(queue.pop(0))
    return [(target, href, grouped[(target, href)]) for target, href in order]


def neighbourhood_svg(center: str, edges: list[Edge], *, width: int = 960, height: int | None = None) -> str:
    """The SVG markup (all text escaped); at most :data:`MAX_NEIGHBOURS` neighbours are drawn.

    With many neighbours every other one sits on an inner ellipse, so that the boxes do not overlap.
    """
    neighbours = _merge(edges)[:MAX_NEIGHBOURS]
    height = height or (300 if len(neighbours) <= 4 else 560)
    cx, cy = width / 2, height / 2
    rx, ry = width / 2 - 95, height / 2 - 30
    stagger = len(neighbours) > 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="neighbourhood" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="nb-title">',
        f'<title id="nb-title">{escape(center)} and {len(neighbours)} linked things</title>',
        "<defs>"
        '<marker id="nb-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="nb-arrowhead"/></marker>'
        "</defs>",
    ]
    count = max(len(neighbours), 1)
    labels: list[str] = []
    boxes: list[str] = []
    for index, (target, href, group) in enumerate(neighbours):
        angle = -math.pi / 2 + 2 * math.pi * index / count
        scale = 0.62 if stagger and index % 2 else 1.0
        x, y = cx + rx * scale * math.cos(angle), cy + ry * scale * math.sin(angle)
        dx, dy = x - cx, y - cy
        # the line runs from the edge of the centre box to the edge of the neighbour's box
        leave = min(112 / max(abs(dx), 1e-6), 22 / max(abs(dy), 1e-6), 0.45)
        arrive = min(82 / max(abs(dx), 1e-6), 16 / max(abs(dy), 1e-6), 0.45)
        sx, sy = cx + dx * leave, cy + dy * leave
        ex, ey = x - dx * arrive, y - dy * arrive
        outgoing = any(e.outgoing for e in group)
        incoming = any(not e.outgoing for e in group)
        markers = (' marker-end="url(#nb-arrow)"' if outgoing else "") + (
            ' marker-start="url(#nb-arrow)"' if incoming else ""
        )
        parts.append(f'<line class="nb-edge" x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}"{markers}/>')
        label = " · ".join(dict.fromkeys(e.label for e in group))
        lx, ly = (sx + ex) / 2, (sy + ey) / 2  # halfway between the two boxes, clear of both
        labels.append(
            f'<text class="nb-edge-label" x="{lx:.1f}" y="{ly - 3:.1f}" text-anchor="middle">'
            f"{escape(_short(label, 30))}</text>"
        )
        box = (
            f'<rect class="nb-node" x="{x - 80:.1f}" y="{y - 14:.1f}" width="160" height="28" rx="6"/>'
            f'<text class="nb-node-label" x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">'
            f"{escape(_short(target, 26))}</text>"
        )
        if href:
            boxes.append(f'<a href="{escape(href, quote=True)}"><title>{escape(target)}</title>{box}</a>')
        else:
            boxes.append(f"<g><title>{escape(target)}</title>{box}</g>")
    parts += boxes + labels  # labels last: no box is ever drawn over a relation's name
    parts.append(
        f'<rect class="nb-center" x="{cx - 120:.1f}" y="{cy - 20:.1f}" width="240" height="40" rx="8"/>'
        f'<text class="nb-center-label" x="{cx:.1f}" y="{cy + 6:.1f}" text-anchor="middle">'
        f"{escape(_short(center, 26))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
