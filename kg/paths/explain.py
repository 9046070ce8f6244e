"""Explanations of paths: each hop named and cited, each path in plain English, in time order, as RDF and SVG.

A hop is a triple *as the data states it* (subject, predicate, object), the direction in which the
path walks it (``forward`` from subject to object, ``backward`` against it, read with the
property's inverse label), its sentence in walking order (:mod:`kg.paths.sentences`) and the source graphs
that state it. A path that links its ends only through a broad concept says so (``broad_concept``).

>>> from kg.paths.builder import projection_from_quads
>>> from kg.paths.search import search
>>> import pyoxigraph as ox
>>> N, BC = ox.NamedNode, "https://w3id.org/backchannel/def#"
>>> g = N("http://x/id/source/article")
>>> quads = [ox.Quad(N("http://x/id/person/jm"), N(BC + "coined"), N("http://x/track-two"), g),
...          ox.Quad(N("http://x/id/work/oslo"), N(BC + "beganAs"), N("http://x/track-two"), g),
...          ox.Quad(N("http://x/id/person/jm"), N("http://www.w3.org/2000/01/rdf-schema#label"),
...                  ox.Literal("Joseph V. Montville", language="en"), g)]
>>> proj = projection_from_quads(quads)
>>> path = search(proj, proj.node("http://x/id/person/jm"), proj.node("http://x/id/work/oslo")).paths[0]
>>> path_text(proj, path)
'Joseph V. Montville coined track-two; track-two is the object of "began as" from oslo.'
>>> [h["direction"] for h in path_json(proj, path)["hops"]]
['forward', 'backward']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from kg.namespaces import RDFS
from kg.paths.model import Hop, Path, SearchResult
from kg.paths.projection import Projection
from kg.paths.sentences import agree, hop_sentence, path_text, reading, relation_date, statement, when
from kg.store.xmlchars import svg_escape as escape  # XML-safe: characters XML 1.0 forbids are shown as U+FFFD
from kg.store.xmlchars import svg_quoteattr as quoteattr

__all__ = ["hop_json", "node_json", "path_json", "path_quads", "path_text", "paths_rdf", "paths_svg", "result_json",
           "sentence", "sources_json", "text_report", "time_order"]


def node_json(proj: Projection, v: int) -> dict[str, object]:
    """A node as JSON: IRI, label, kind (and date when it has one)."""
    out: dict[str, object] = {"iri": proj.iris[v], "label": proj.label(v), "kind": proj.kind(v)}
    date = proj.date(v)
    if date is not None:
        out["date"] = date
    return out


def sources_json(proj: Projection, e: int) -> list[dict[str, str]]:
    """The source graphs that state relation ``e``: IRI and label of each."""
    return [{"iri": proj.graphs[g], "label": proj.graph_label(g)} for g in proj.edge_graphs(e)]


def sentence(proj: Projection, e: int) -> str:
    """The relation as the data states it, in English: "Joseph V. Montville coined Track Two diplomacy"."""
    return statement(proj, e)


def hop_json(proj: Projection, hop: Hop) -> dict[str, object]:
    """One hop: the triple as stated, its direction along the path, the reading, the sentence in walking order,
    when it held (a dated membership), and its sources."""
    e = hop.edge
    u, v = proj.edge_subject(e), proj.out_dst[e]
    info = proj.prop(proj.predicates[proj.out_pred[e]])
    out: dict[str, object] = {
        "from": node_json(proj, hop.source),
        "to": node_json(proj, hop.target),
        "subject": {"iri": proj.iris[u], "label": proj.label(u)},
        "predicate": {"iri": info.iri, "label": info.label, "inverse_label": info.inverse_label},
        "object": {"iri": proj.iris[v], "label": proj.label(v)},
        "direction": "forward" if hop.forward else "backward",
        "reading": agree(reading(proj, e, hop.forward), hop.source in proj.plural),
        "text": hop_sentence(proj, hop),
        "sources": sources_json(proj, e),
    }
    date = relation_date(proj, e)
    if date:  # a membership with a known time says when it held
        out["when"] = when(date)
    if hop.also:
        out["also"] = [
            {"predicate": proj.predicates[proj.out_pred[other]], "direction": "forward" if fwd else "backward",
             "text": sentence(proj, other), "sources": sources_json(proj, other)}
            for other, fwd in hop.also
        ]
    return out


def time_order(proj: Projection, nodes: Iterable[int]) -> list[dict[str, object]]:
    """The dated nodes of a path, earliest first."""
    dated = [v for v in dict.fromkeys(nodes) if proj.date(v) is not None]
    return [node_json(proj, v) for v in sorted(dated, key=lambda v: (proj.date(v), proj.label(v)))]


def path_json(proj: Projection, path: Path, rank: int = 1) -> dict[str, object]:
    """A ranked path as JSON: score, cost, reasons, nodes, hops, English text, time order and sources."""
    sources: dict[str, dict[str, str]] = {}
    for hop in path.hops:
        for src in sources_json(proj, hop.edge):
            sources.setdefault(src["iri"], src)
    return {
        "rank": rank,
        "length": path.length,
        "score": round(path.score, 4),
        "cost": round(path.cost, 4),
        "reasons": list(path.reasons),
        "broad_concept": None if path.broad_concept is None else node_json(proj, path.broad_concept),
        "text": path_text(proj, path),
        "nodes": [node_json(proj, v) for v in path.nodes],
        "hops": [hop_json(proj, hop) for hop in path.hops],
        "time_order": time_order(proj, path.nodes),
        "sources": list(sources.values()),
    }


def result_json(proj: Projection, result: SearchResult) -> dict[str, object]:
    """A whole search result as JSON (the body of ``GET /paths``)."""
    cons = result.constraints
    return {
        "from": node_json(proj, result.source),
        "to": node_json(proj, result.target),
        "mode": result.mode,
        "shortest_length": result.shortest_length,
        "count": len(result.paths),
        "truncated": result.truncated,
        "elapsed_ms": result.elapsed_ms,
        "constraints": {
            "max_length": cons.max_length, "directed": cons.directed,
            "include_predicates": sorted(cons.include_predicates),
            "exclude_predicates": sorted(cons.exclude_predicates),
            "include_kinds": sorted(cons.include_kinds), "exclude_kinds": sorted(cons.exclude_kinds),
            "avoid": [proj.iris[v] for v in sorted(cons.avoid)], "max_degree": cons.max_degree,
            "after": cons.after, "before": cons.before,
        },
        "resolved": {end: how.as_json() for end, how in result.resolved.items()},
        "paths": [path_json(proj, path, rank) for rank, path in enumerate(result.paths, 1)],
        "message": None if result.paths else _no_path_message(result),
    }


def _no_path_message(result: SearchResult) -> str:
    return (f"no path of at most {result.constraints.max_length} hops connects them under these constraints; "
            "raise max_length or relax the constraints")


def text_report(proj: Projection, result: SearchResult) -> str:
    """The result for a terminal: numbered paths with score, reasons, English text and sources."""
    lines = [f"From {proj.label(result.source)} <{proj.iris[result.source]}>",
             f"to   {proj.label(result.target)} <{proj.iris[result.target]}>"]
    for end, how in result.resolved.items():
        note = how.as_json()["note"]
        if note:
            lines.append(f"({end} {how.query!r}: {note})")
    lines.append("")
    if not result.paths:
        return "\n".join(lines + [_no_path_message(result)])
    for rank, path in enumerate(result.paths, 1):
        lines.append(f"{rank}. {path_text(proj, path)}")
        lines.append(f"   {path.length} hop{'s' * (path.length != 1)}, score {path.score:.3f}")
        if path.broad_concept is not None:
            lines.append(f"   only through the broad concept '{proj.label(path.broad_concept)}'")
        lines += [f"   - {reason}" for reason in path.reasons]
        for number, hop in enumerate(path.hops, 1):
            cited = ", ".join(s["label"] for s in sources_json(proj, hop.edge))
            lines.append(f"   [{number}] {hop_sentence(proj, hop)}  (source: {cited})")
        dated = time_order(proj, path.nodes)
        if dated:
            lines.append("   time order: " + " → ".join(f"{d['label']} ({d['date']})" for d in dated))
        lines.append("")
    if result.truncated:
        lines.append("(more paths exist; raise k or limit to see them)")
    return "\n".join(lines).rstrip() + "\n"


# --- RDF of the paths -------------------------------------------------------------------------------

def path_quads(proj: Projection, paths: Sequence[Path]) -> list[ox.Quad]:
    """The triples on the paths, each in the source graphs that state it, plus labels of nodes and predicates."""
    quads: list[ox.Quad] = []
    seen_edges: set[int] = set()
    nodes: set[int] = set()
    predicates: set[str] = set()
    label = ox.NamedNode(RDFS + "label")
    for path in paths:
        nodes.update(path.nodes)
        for hop in path.hops:
            if hop.edge in seen_edges:
                continue
            seen_edges.add(hop.edge)
            e = hop.edge
            s = ox.NamedNode(proj.iris[proj.edge_subject(e)])
            p_iri = proj.predicates[proj.out_pred[e]]
            predicates.add(p_iri)
            o = ox.NamedNode(proj.iris[proj.out_dst[e]])
            for g in proj.edge_graphs(e):
                graph = ox.NamedNode(proj.graphs[g]) if proj.graphs[g] else ox.DefaultGraph()
                quads.append(ox.Quad(s, ox.NamedNode(p_iri), o, graph))
    for v in sorted(nodes):
        quads.append(ox.Quad(ox.NamedNode(proj.iris[v]), label, ox.Literal(proj.label(v), language="en")))
    for p_iri in sorted(predicates):
        quads.append(ox.Quad(ox.NamedNode(p_iri), label, ox.Literal(proj.prop(p_iri).label, language="en")))
    return quads


def paths_rdf(proj: Projection, paths: Sequence[Path], fmt: ox.RdfFormat) -> bytes:
    """The paths' subgraph serialised: graph formats get the union of the triples, dataset formats the quads."""
    quads = path_quads(proj, paths)
    prefixes = {"rdfs": RDFS} if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.TURTLE) else None
    if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
        out = ox.serialize(quads, format=fmt, prefixes=prefixes)
    else:
        out = ox.serialize(list(dict.fromkeys(q.triple for q in quads)), format=fmt, prefixes=prefixes)
    return out if out is not None else b""


# --- SVG picture ------------------------------------------------------------------------------------

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 180, 44, 150, 64, 24


def _wrap(text: str, width: int = 24, lines: int = 2) -> list[str]:
    words, out, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + (1 if line else 0) <= width:
            line = f"{line} {word}" if line else word
        else:
            if line:
                out.append(line)
            line = word
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1] + "…"
    return [o if len(o) <= width else o[: width - 1] + "…" for o in out]


def paths_svg(proj: Projection, result: SearchResult) -> str:
    """A picture of the paths: nodes as labelled boxes in layers (hops from the start), relations as
    labelled arrows in the direction the data states them. Valid standalone SVG (XML).

    >>> from kg.paths.builder import projection_from_quads
    >>> from kg.paths.search import search
    >>> import pyoxigraph as ox, xml.dom.minidom
    >>> q = ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.NamedNode("http://x/b"))
    >>> proj = projection_from_quads([q])
    >>> svg = paths_svg(proj, search(proj, 0, 1))
    >>> xml.dom.minidom.parseString(svg).documentElement.tagName
    'svg'
    """
    layer: dict[int, int] = {result.source: 0}
    for path in result.paths:
        for depth, v in enumerate(path.nodes):
            layer[v] = min(layer.get(v, depth), depth)
    if result.paths:
        last = max(layer.values())
        layer[result.target] = max(last, max(p.length for p in result.paths))
    else:
        layer[result.target] = 1
    columns: dict[int, list[int]] = {}
    for v, d in sorted(layer.items(), key=lambda kv: (kv[1], proj.label(kv[0]))):
        columns.setdefault(d, []).append(v)
    rows = max(len(c) for c in columns.values())
    width = MARGIN * 2 + len(columns) * BOX_W + (len(columns) - 1) * GAP_X
    height = MARGIN * 2 + rows * BOX_H + (rows - 1) * GAP_Y + 30
    pos: dict[int, tuple[float, float]] = {}
    for d, members in columns.items():
        left = MARGIN + d * (BOX_W + GAP_X)
        offset = (rows - len(members)) * (BOX_H + GAP_Y) / 2
        for i, v in enumerate(members):
            pos[v] = (left, MARGIN + 30 + offset + i * (BOX_H + GAP_Y))
    title = f"Paths from {proj.label(result.source)} to {proj.label(result.target)}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(title)} '
        'font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
        f'<text x="{MARGIN}" y="{MARGIN + 4}" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    if not result.paths:
        out.append(f'<text x="{MARGIN}" y="{MARGIN + 24}">{escape(_no_path_message(result))}</text>')
    drawn: set[int] = set()
    for path in result.paths:
        for hop in path.hops:
            if hop.edge in drawn:
                continue
            drawn.add(hop.edge)
            u, v = proj.edge_subject(hop.edge), proj.out_dst[hop.edge]
            (x1, y1), (x2, y2) = pos[u], pos[v]
            ax, ay, bx, by = _anchor(x1, y1, x2, y2)
            label = proj.prop(proj.predicates[proj.out_pred[hop.edge]]).label
            out.append(f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" stroke="#555" '
                       'stroke-width="1.5" marker-end="url(#arrow)"/>')
            mx, my = (ax + bx) / 2, (ay + by) / 2 - 6
            out.append(f'<text x="{mx:.1f}" y="{my:.1f}" text-anchor="middle" fill="#333" font-style="italic" '
                       f'paint-order="stroke" stroke="#fff" stroke-width="3">{escape(label)}</text>')
    for v, (x, y) in pos.items():
        end = v in (result.source, result.target)
        fill = "#fde9b6" if end else "#e8f0fb"
        out.append(f'<g><title>{escape(proj.iris[v])}</title>'
                   f'<rect x="{x}" y="{y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" '
                   'stroke="#35506b"/>')
        lines = _wrap(proj.label(v))
        for i, line in enumerate(lines):
            ty = y + BOX_H / 2 + (i - (len(lines) - 1) / 2) * 14 + 4
            out.append(f'<text x="{x + BOX_W / 2}" y="{ty:.1f}" text-anchor="middle">{escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _anchor(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float, float, float]:
    """Where an arrow between two boxes leaves the first and meets the second (box edges)."""
    c1 = (x1 + BOX_W / 2, y1 + BOX_H / 2)
    c2 = (x2 + BOX_W / 2, y2 + BOX_H / 2)
    dx, dy = c2[0] - c1[0], c2[1] - c1[1]
    if dx == 0 and dy == 0:
        return c1[0], c1[1], c2[0], c2[1]

    def clip(dx: float, dy: float) -> float:
        sx = (BOX_W / 2) / abs(dx) if dx else math.inf
        sy = (BOX_H / 2) / abs(dy) if dy else math.inf
        return min(sx, sy, 1.0)

    f = clip(dx, dy)
    return c1[0] + dx * f, c1[1] + dy * f, c2[0] - dx * f, c2[1] - dy * f
