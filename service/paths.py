"""Routes: explained paths between two things, influence, and name search.

- ``GET /paths``: how two things connect, each hop named and cited, ranked (JSON; or the paths'
  subgraph as JSON-LD, Turtle, TriG, N-Quads; or an SVG picture), by ``Accept`` or ``format=``;
- ``GET /influence/lineage``, ``GET /influence/influenced``, ``GET /influence/ranking``;
- ``GET /search``: autocomplete over labels.

Every question goes to the engine :class:`kg.paths.engines.PathEngines` chooses (setting ``paths_engine``):
the in-memory projection (rebuilt when the store changes), or the frontier engine's batched SPARQL frontier
search (:mod:`kg.paths.frontier.engine`), which never loads the graph. It runs in a killable, memory-capped
path worker (:mod:`kg.paths.workers`), which also writes the answer: the server passes the bytes on. Routes
wait for it, so they are plain ``def`` (FastAPI's thread pool). Errors are the library's own exceptions,
answered by :mod:`service.errors`: unknown thing 404 (with suggestions), ambiguous name 409 (with
candidates), bad or contradictory options and limits past the caps 400 (also what the frontier engine
cannot do: the ranking, an unbounded mode=all), a search past its time budget or its worker's time limit 503,
too many questions waiting 503.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from kg.paths.answers import Direction
from kg.paths.influence import MAX_RANKING, MAX_RESULTS, MEASURES, RANKED_KINDS
from kg.paths.model import (
    MAX_ALL,
    MAX_K,
    MAX_LENGTH,
    PathOptions,
    PathRequestError,
    split_values,
)
from kg.paths.projection import KINDS, normalise_kind
from kg.paths.workers import PathWorkers
from service.http.headers import picture_headers
from service.http.negotiation import negotiate
from service.schemas import Candidate, InfluenceAnswer, PathsAnswer, RankingAnswer
from service.state import PathsDep, State

router = APIRouter(tags=["paths and influence"])

T = TypeVar("T")

PATH_TYPES: list[str] = ["application/json", "application/ld+json", "text/turtle", "application/trig",
                         "application/n-quads", "application/n-triples", "image/svg+xml"]
"""What ``GET /paths`` can answer with, the first preferred."""
PROBLEM_EXAMPLE = {"application/problem+json": {"example": {
    "status": 400, "title": "Bad Request", "detail": "k=99 is out of range: it must be between 1 and 50"}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad or contradictory options, or a limit past its cap (the message says which).",
          "content": PROBLEM_EXAMPLE},
    404: {"description": "No thing has that IRI or name; `suggestions` lists close names.",
          "content": {"application/problem+json": {"example": {
              "status": 404, "title": "Not Found",
              "detail": "nothing is called 'Montvile'; did you mean Joseph V. Montville?",
              "suggestions": [{"iri": "http://127.0.0.1:8000/id/person/joseph-v-montville",
                               "label": "Joseph V. Montville", "kind": "person", "match": "fuzzy"}]}}}},
    409: {"description": "The name could mean several things; `candidates` lists them (IRI, label, kind). "
                         "Ask again with an IRI or a longer name.",
          "content": {"application/problem+json": {"example": {
              "status": 409, "title": "Conflict", "detail": "'Oslo' could mean several things: …",
              "candidates": [{"iri": "http://127.0.0.1:8000/id/work/oslo-accords", "label": "Oslo Accords",
                              "kind": "work", "match": "token"}]}}}},
}
PATH_RESPONSES = RESPONSES | {
    200: {"description": "Ranked paths (JSON), the paths' subgraph (RDF) or a picture (SVG).", "model": PathsAnswer,
          "content": {media: {} for media in PATH_TYPES if media != "application/json"}},
    406: {"description": "None of the accepted media types is offered."},
    503: {"description": "The search did not finish within its time budget (2 s); narrow it."},
}


Thing = Annotated[str, Query(
    description="An IRI, a CURIE (`person:joseph-v-montville`) or a name (`Montville`).",
    openapi_examples={"name": {"summary": "a name", "value": "Joseph Montville"},
                      "iri": {"summary": "an IRI", "value": "http://127.0.0.1:8000/id/person/joseph-v-montville"}},
)]


@router.get(
    "/paths",
    summary="How two things connect: explained, cited, ranked paths",
    description="Paths between two things, each hop named (subject, predicate, object, direction) and cited to "
    "the source graphs that state it, with a plain-English rendering, the time order of dated nodes, a score and "
    "the reasons for it (paths through hubs rank lower, rare relations higher). Modes: `shortest` (fewest hops), "
    "`k` (the k best by score, Yen's algorithm), `all` (every simple path up to max_length, at most `limit`). "
    "Answers JSON, or the paths' subgraph as JSON-LD / Turtle / TriG / N-Quads / N-Triples, or an SVG picture "
    f"(`Accept` or `format=`). Caps: max_length ≤ {MAX_LENGTH}, k ≤ {MAX_K}, limit ≤ {MAX_ALL}, 2 s per search. "
    "On the frontier engine (BACKCHANNEL_PATHS_ENGINE, default for a remote store) the graph is never loaded: "
    "frontiers grow from both ends with batched SPARQL queries, the same explanations come back with an "
    "`engine` object (queries, hops explored); mode `k` picks the k best among paths at most 2 hops longer than "
    "the shortest; mode `all` answers 400 when the neighbourhood up to max_length is past the frontier cap. "
    "The in-memory engine's answers are kept per store version: the same question again is answered from memory "
    "(`X-Backchannel-Cache: hit`; its `elapsed_ms` is the time the search took when it was made).",
    responses=PATH_RESPONSES,
)
def get_paths(
    request: Request,
    paths: PathsDep,
    state: State,
    source: Annotated[str, Query(alias="from", description="Where the paths start: an IRI, a CURIE or a name.",
                                 openapi_examples={"montville": {"summary": "a name", "value": "Joseph Montville"}})],
    target: Annotated[str, Query(alias="to", description="Where the paths end: an IRI, a CURIE or a name.",
                                 openapi_examples={"oslo": {"summary": "a name", "value": "Oslo"}})],
    mode: Annotated[str, Query(description="shortest, k or all.", openapi_examples={
        "k": {"summary": "the k best", "value": "k"},
        "shortest": {"summary": "fewest hops", "value": "shortest"}})] = "k",
    k: Annotated[int, Query(description=f"How many paths (modes shortest and k; 1–{MAX_K}).",
                            openapi_examples={"five": {"value": 5}})] = 3,
    limit: Annotated[int, Query(description=f"Most paths in mode all (1–{MAX_ALL}).")] = 100,
    max_length: Annotated[int, Query(description=f"Most hops in a path (1–{MAX_LENGTH}).",
                                     openapi_examples={"four": {"value": 4}})] = 6,
    directed: Annotated[bool, Query(description="Follow relations only from subject to object.")] = False,
    include_predicates: Annotated[list[str] | None, Query(
        description="Only these predicates (IRIs, CURIEs or local names; repeat or comma-separate).",
        openapi_examples={"prov": {"value": ["prov:wasInfluencedBy"]}})] = None,
    exclude_predicates: Annotated[list[str] | None, Query(
        description="Never these predicates.", openapi_examples={"subject": {"value": ["dcterms:subject"]}})] = None,
    include_kinds: Annotated[list[str] | None, Query(
        description=f"Nodes between the ends must be of these kinds ({', '.join(KINDS)}) or class IRIs.")] = None,
    exclude_kinds: Annotated[list[str] | None, Query(description="Nodes between the ends may not be of these kinds.",
                                                     openapi_examples={"no places": {"value": ["place"]}})] = None,
    avoid: Annotated[list[str] | None, Query(description="Things the paths may not pass through (repeatable).",
                                             openapi_examples={"hub": {"value": ["Track Two diplomacy"]}})] = None,
    max_degree: Annotated[int | None, Query(description="Avoid hubs: nodes with more relations than this.",
                                            openapi_examples={"twenty": {"value": 20}})] = None,
    after: Annotated[str | None, Query(description="Events and works on the path dated no earlier (1990, 1990-05).",
                                       openapi_examples={"1990": {"value": "1990"}})] = None,
    before: Annotated[str | None, Query(description="Events and works on the path dated no later.",
                                        openapi_examples={"2000": {"value": "2000"}})] = None,
    format: Annotated[str | None, Query(
        description="json, jsonld, ttl, trig, nq, nt or svg (overrides Accept).")] = None,
) -> Response:
    media = negotiate(request.headers.get("accept"), format, PATH_TYPES)
    options = PathOptions.of(
        source, target, mode=mode, k=k, limit=limit, max_length=max_length, directed=directed,
        include_predicates=include_predicates, exclude_predicates=exclude_predicates,
        include_kinds=include_kinds, exclude_kinds=exclude_kinds, avoid=avoid, max_degree=max_degree,
        after=after, before=before,
    )
    headers = picture_headers() if media == "image/svg+xml" else {}
    if state.paths.choice() != "memory":  # a frontier search depends on its time budget: asked again each time
        return Response(paths.paths(options, media), media_type=media, headers=headers)
    made: list[bool] = []

    def search() -> bytes:
        made.append(True)
        return paths.paths(options, media)  # searched and written out in a path worker

    body = state.path_answers.get(state.store.version, f"{options!r}\x00{media}", search)
    return Response(body, media_type=media, headers=headers | {"X-Backchannel-Cache": "miss" if made else "hit"})


def _influence(paths: PathWorkers, thing: str, walk: Direction, max_depth: int, limit: int, key: str) -> Response:
    return Response(paths.influence(thing, walk, max_depth, limit, key), media_type="application/json")


@router.get(
    "/influence/lineage",
    summary="Who or what influenced a thing, transitively, with the cited path to each",
    description="Influence follows only the relations that carry it (listed in kg/paths/relations.py): "
    "prov:wasInfluencedBy and qualified influences, coining a concept, setting out a process, writing or editing a "
    "work, a work in which a concept was coined or described, a concept expanded into another (and sub-properties "
    "or inverses of these). So a concept's lineage holds the works that define it and their authors. Agreement, "
    "citation, publication, association and membership are not influence. Nearest first.",
    responses=RESPONSES | {200: {"model": InfluenceAnswer, "description": "The lineage, nearest first."}},
)
def get_lineage(
    paths: PathsDep,
    thing: Thing,
    max_depth: Annotated[int, Query(description=f"Most steps back (1–{MAX_LENGTH}).")] = 6,
    limit: Annotated[int, Query(description=f"Most results (1–{MAX_RESULTS}).")] = 200,
) -> Response:
    return _influence(paths, thing, "lineage", max_depth, limit, "influenced-by")


@router.get(
    "/influence/influenced",
    summary="What a thing influenced, transitively, with the cited path to each",
    description="The inverse of /influence/lineage. Nearest first.",
    responses=RESPONSES | {200: {"model": InfluenceAnswer, "description": "What it influenced, nearest first."}},
)
def get_influenced(
    paths: PathsDep,
    thing: Thing,
    max_depth: Annotated[int, Query(description=f"Most steps forward (1–{MAX_LENGTH}).")] = 6,
    limit: Annotated[int, Query(description=f"Most results (1–{MAX_RESULTS}).")] = 200,
) -> Response:
    return _influence(paths, thing, "influenced", max_depth, limit, "influenced")


@router.get(
    "/influence/ranking",
    summary="The most influential people, works and concepts",
    description="By default (`by=influence`) the things that influenced the most, counted along the relations that "
    "carry influence (see /influence/lineage): ranked by how many things each influenced transitively, then "
    "directly, then by PageRank over the influence graph (credit flows from the influenced to the influencer); "
    "a thing that influenced nothing is not ranked, so `influenced_transitively` never rises down the list. "
    "`by=centrality` is the general graph centrality instead (PageRank over every relation between actors, works, "
    "events and concepts, and betweenness), which is not influence. Computed once per version of the store. Needs "
    "the in-memory engine: on the frontier engine (the default for a remote store) it answers 400 \"ranking needs "
    "the in-memory engine (set BACKCHANNEL_PATHS_ENGINE=memory)\".",
    responses={200: {"model": RankingAnswer, "description": "The most influential things, first the most."},
               400: {"description": "A limit or kind out of range, or the frontier engine, which cannot rank "
                                    "(set BACKCHANNEL_PATHS_ENGINE=memory).", "content": PROBLEM_EXAMPLE}},
)
def get_ranking(
    paths: PathsDep,
    limit: Annotated[int, Query(description=f"How many (1–{MAX_RANKING}).",
                                openapi_examples={"ten": {"value": 10}})] = 20,
    kind: Annotated[list[str] | None, Query(
        description=f"Kinds to rank (default person, org, work, concept; `any` for all): {', '.join(KINDS)}.")] = None,
    by: Annotated[str, Query(description="`influence` (default) or `centrality` (general graph centrality, which "
                                         "is not influence).", openapi_examples={
        "influence": {"value": "influence"}, "centrality": {"value": "centrality"}})] = "influence",
) -> Response:
    kinds_given = list(split_values(kind))
    if any(k not in KINDS and k != "any" for k in map(normalise_kind, kinds_given)):
        raise PathRequestError(f"kind must be one of {', '.join(KINDS)} or any")
    wanted = None if "any" in kinds_given else frozenset(map(normalise_kind, kinds_given)) or RANKED_KINDS
    if by not in MEASURES:
        raise PathRequestError(f"by={by!r} is not a measure: use {' or '.join(MEASURES)}")
    return Response(paths.ranking(limit, wanted, by), media_type="application/json")


@router.get(
    "/search",
    summary="Find things by name (autocomplete)",
    description="Matches labels and alternative labels ignoring case and accents: exact, whole-word, prefix, "
    "substring, then fuzzy (typos). Returns a JSON list of {iri, label, kind, match}. On the frontier engine, "
    "one bounded label query per search (at most 500 candidates; accents matched as far as SPARQL regular "
    "expressions allow; typo suggestions among labels with a word starting like one of the query's).",
    responses={200: {"model": list[Candidate], "description": "The matching things, best first."},
               400: RESPONSES[400]},
)
def get_search(
    paths: PathsDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="What to look for.",
                            openapi_examples={"prefix": {"summary": "a prefix", "value": "mont"},
                                              "typo": {"summary": "a typo", "value": "Montvile"}})],
    limit: Annotated[int, Query(ge=1, le=100, description="Most results (1–100).")] = 10,
    kind: Annotated[str | None, Query(description=f"Only this kind: {', '.join(KINDS)}.")] = None,
) -> Response:
    if kind and normalise_kind(kind) not in KINDS:
        raise PathRequestError(f"kind={kind!r} is not a kind: use one of {', '.join(KINDS)}")
    return JSONResponse(paths.search_names(q, limit=limit, kind=kind))



