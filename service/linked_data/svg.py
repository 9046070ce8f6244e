"""A small picture of a thing's neighbourhood, drawn on the server as inline SVG (no script).

The thing sits in the middle; its neighbours sit on an ellipse around it, each a link to its page;
each line carries the relation's label and an arrow in the direction of the statement.

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
    """Edges to the same neighbour, together, in first-seen order."""
    grouped: dict[tuple[str, str | None], list[Edge]] = {}
    for edge in edges:
        grouped.setdefault((edge.target, edge.href), []).append(edge)
    return [(target, href, group) for (target, href), group in grouped.items()]


def neighbourhood_svg(center: str, edges: list[Edge], *, width: int = 760, height: int = 480) -> str:
    """The SVG markup (all text escaped); at most :data:`MAX_NEIGHBOURS` neighbours are drawn."""
    neighbours = _merge(edges)[:MAX_NEIGHBOURS]
    cx, cy = width / 2, height / 2
    rx, ry = width / 2 - 110, height / 2 - 45
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="neighbourhood" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="nb-title">',
        f'<title id="nb-title">{escape(center)} and {len(neighbours)} linked things</title>',
        "<defs>"
        '<marker id="nb-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="nb-arrowhead"/></marker>'
        "</defs>",
    ]
    count = max(len(neighbours), 1)
    for index, (target, href, group) in enumerate(neighbours):
        angle = -math.pi / 2 + 2 * math.pi * index / count
        x, y = cx + rx * math.cos(angle), cy + ry * math.sin(angle)
        # shorten the line so that it ends before the boxes
        dx, dy = x - cx, y - cy
        length = math.hypot(dx, dy) or 1.0
        sx, sy = cx + dx * 60 / length, cy + dy * 24 / length
        ex, ey = x - dx * 70 / length, y - dy * 20 / length
        outgoing = any(e.outgoing for e in group)
        incoming = any(not e.outgoing for e in group)
        markers = (' marker-end="url(#nb-arrow)"' if outgoing else "") + (
            ' marker-start="url(#nb-arrow)"' if incoming else ""
        )
        parts.append(
            f'<line class="nb-edge" x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}"{markers}/>'
        )
        label = " · ".join(dict.fromkeys(e.label for e in group))
        mx, my = (sx + ex) / 2, (sy + ey) / 2
        parts.append(
            f'<text class="nb-edge-label" x="{mx:.1f}" y="{my - 4:.1f}" text-anchor="middle">'
            f"{escape(_short(label, 34))}</text>"
        )
        box = (
            f'<rect class="nb-node" x="{x - 95:.1f}" y="{y - 15:.1f}" width="190" height="30" rx="6"/>'
            f'<text class="nb-node-label" x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle">'
            f"{escape(_short(target, 30))}</text>"
        )
        if href:
            parts.append(f'<a href="{escape(href, quote=True)}"><title>{escape(target)}</title>{box}</a>')
        else:
            parts.append(f"<g><title>{escape(target)}</title>{box}</g>")
    parts.append(
        f'<rect class="nb-center" x="{cx - 110:.1f}" y="{cy - 20:.1f}" width="220" height="40" rx="8"/>'
        f'<text class="nb-center-label" x="{cx:.1f}" y="{cy + 6:.1f}" text-anchor="middle">'
        f"{escape(_short(center, 32))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
