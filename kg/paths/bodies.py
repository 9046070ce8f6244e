"""The answers of the path routes as they go on the wire, made where the question was answered (a path worker).

A path search can find a thousand paths of eight hops; turned into JSON, RDF or a picture that is megabytes of
text, and far more in Python objects while it is being made. So the worker that searched also writes the answer
(with the explanation functions of :mod:`kg.paths.explain`) and the server only passes the bytes on: its memory
does not grow with the answers it sends.

>>> json_bytes({"count": 1, "label": "Ünïcødé"})
b'{"count":1,"label":"\\xc3\\x9cn\\xc3\\xafc\\xc3\\xb8d\\xc3\\xa9"}'
"""

from __future__ import annotations

import json

from kg.paths.answers import InfluenceAnswer, PathAnswer
from kg.paths.explain import hop_json, node_json, path_text, paths_rdf, paths_svg, result_json
from kg.paths.influence import Entry, Ranked
from kg.paths.model import Path
from kg.paths.projection import Projection
from kg.store.formats import GRAPH_TYPES


def json_bytes(body: object) -> bytes:
    """JSON as the service writes it (compact, UTF-8; what FastAPI's ``JSONResponse`` writes)."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


def paths_body(answer: PathAnswer, media: str) -> bytes:
    """``GET /paths`` in ``media``: JSON (with the frontier engine's facts), SVG, or the paths' RDF."""
    proj, result = answer.proj, answer.result
    if media == "application/json":
        body = result_json(proj, result)
        return json_bytes(body | {"engine": answer.engine} if answer.engine else body)
    if media == "image/svg+xml":
        return paths_svg(proj, result).encode()
    return paths_rdf(proj, result.paths, GRAPH_TYPES[media])


def entries_json(proj: Projection, entries: list[Entry]) -> list[dict[str, object]]:
    """A lineage (or influenced list): each thing, how far, the path to it in words and hop by hop."""
    out = []
    for entry in entries:
        path = Path((entry.hops[0].source, *(h.target for h in entry.hops)), entry.hops, float(len(entry.hops)))
        out.append(node_json(proj, entry.node) | {
            "depth": entry.depth, "text": path_text(proj, path), "via": [hop_json(proj, h) for h in entry.hops]})
    return out


def influence_body(answer: InfluenceAnswer, key: str, max_depth: int) -> bytes:
    """``GET /influence/lineage`` or ``/influence/influenced`` (``key``: ``influenced-by`` or ``influenced``)."""
    proj, entries = answer.proj, answer.entries
    return json_bytes({"thing": node_json(proj, answer.node), "direction": key, "count": len(entries),
                       "max_depth": max_depth, "results": entries_json(proj, entries)})


def ranking_body(proj: Projection, ranked: list[Ranked], measure: str = "influence") -> bytes:
    """``GET /influence/ranking`` (``measure``: influence or centrality)."""
    return json_bytes({"count": len(ranked), "measure": measure, "results": [
        node_json(proj, r.node) | {"rank": i, "pagerank": round(r.pagerank, 6), "betweenness": round(r.betweenness, 6),
                                   "influenced_directly": r.direct, "influenced_transitively": r.transitive,
                                   "reason": r.reason}
        for i, r in enumerate(ranked, 1)]})
