"""Routes: the site's own pages. Home (what the graph is, a search box, where to start), browse (the things of a
kind, or those whose names match ``q=``) and the static files (our stylesheet and the built bundles).

>>> first_sentence("A copy of an article (the 2004 one). Kept in the project as shared/seed/a.txt.")
'A copy of an article (the 2004 one).'
>>> first_sentence("No full stop")
'No full stop'
>>> first_sentence("U.S. State Department employee who met Joseph V. Montville. He wrote.")
'U.S. State Department employee who met Joseph V. Montville.'
"""

from __future__ import annotations

import mimetypes
import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from kg.namespaces import TRACK, all_prefixes
from kg.publish import describe as kd
from kg.publish.timeline import Axis, process_timeline
from kg.settings import Settings
from service.linked_data import http
from service.linked_data.dataset import DUMP_TYPES
from service.linked_data.pages import Links, kind_of
from service.linked_data.resources import catalogue, graph_statistics, read_only, serve
from service.state import AppState, State
from service.ui.assets import IMMUTABLE, SHORT, immutable_name
from service.ui.templates import STATIC

router = APIRouter(tags=["web interface"])

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


def kind_counts(state: AppState) -> list[dict[str, object]]:
    """How many things of each kind, with the link to browse them."""
    settings, links = state.settings, state.pages.links
    counts: dict[str, int] = {}
    for t in catalogue(state):
        kind = kind_of(t.iri, settings)
        counts[kind] = counts.get(kind, 0) + 1
    return [
        {"key": key, "title": title, "count": counts.get(key, 0), "href": f"{links.root}browse?kind={key}"}
        for key, title in KINDS.items()
    ]


def timeline(state: AppState) -> dict[str, object]:
    """The diplomatic processes on a timeline, for the templates' ``_timeline.html``: the dated ones with their bars
    on a shared axis, the undated ones, and the link of every thing they name (computed once per store version)."""

    def build() -> dict[str, object]:
        links = state.pages.links
        hrefs = {t.iri: href for t in catalogue(state) if (href := links.href(t.iri)) is not None}
        spans = process_timeline(state.store, hrefs)
        dated = [s for s in spans if s.start is not None or s.end is not None]
        axis = Axis.around(dated)
        return {"axis": axis, "dated": [{"span": s, "bar": axis.bar(s)} for s in dated],
                "undated": [s for s in spans if s not in dated], "href": hrefs}

    return state.pages.cache.get(state.store.version, "timeline", build)


@read_only(router, "/", http.HTML, summary="Home page: what the graph is, what is in it, the processes on a timeline")
def home(request: Request, state: State) -> Response:
    settings, links = state.settings, state.pages.links

    def build() -> bytes:
        things = {t.iri: t for t in catalogue(state)}
        sources = [
            {"label": t.label, "description": first_sentence(t.description or ""), "href": links.href(t.iri)}
            for t in things.values()
            if t.iri.startswith(settings.source_base)
        ]
        return state.pages.render("home.html", stats=graph_statistics(state), kinds=kind_counts(state),
                                  sources=sources, questions=questions(links, settings, things),
                                  dumps=list(DUMP_TYPES), timeline=timeline(state), active="home",
                                  search_boxes=True)

    return serve(request, state, key="home", media_type=http.HTML, build=build)


def first_sentence(text: str) -> str:
    """The first sentence of a description: a blurb (the rest, on the thing's own page). A full stop ends it when
    the next word starts a sentence, and not after initials or a title (U.S., Joseph V. Montville, Dr.)."""
    text = text.strip()
    for end in re.finditer(r"[.!?](?=\s+[\"“‘(]?[A-Z0-9]|\s*$)", text):
        head = text[:end.end()]
        if not _ABBREVIATION.search(head):
            return head
    return text


_ABBREVIATION = re.compile(r"(?:\b[A-Z]\.)+$|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Gen|Col|Amb|e\.g|i\.e|cf|vs)\.$")
"""What ends in a full stop without ending a sentence: initials (U.S., V.) and the usual abbreviations."""


def questions(links: Links, settings: Settings, things: dict[str, kd.Thing]) -> list[dict[str, str]]:
    """Example questions for the home page: SPARQL queries for the editor, and path questions."""
    prefixes = all_prefixes(settings.id_base)
    prologue = "".join(f"PREFIX {p}: <{prefixes[p]}>\n"
                       for p in ("bc", "bc-track", "rdfs", "dcterms", "prov", "bc-person", "bc-process"))
    sparql = [
        ("Who coined “Track Two diplomacy”, and in which work?",
         "SELECT ?who ?work WHERE {\n  ?who bc:coined bc-track:track-two .\n"
         "  OPTIONAL { bc-track:track-two bc:coinedIn ?work }\n}"),
        ("Which diplomatic processes began as Track Two and became Track One?",
         "SELECT ?process ?name WHERE {\n  ?process bc:beganAs bc-track:track-two ;\n"
         "           bc:transitionedTo bc-track:track-one ;\n           rdfs:label ?name .\n}"),
        ("Which works are about Track Two, oldest first?",
         "SELECT ?work ?title ?date WHERE {\n  ?work dcterms:subject bc-track:track-two ; rdfs:label ?title .\n"
         "  OPTIONAL { ?work bc:date ?date }\n}\nORDER BY ?date"),
        ("Who was influenced by Joseph V. Montville?",
         "SELECT ?who ?name WHERE {\n  ?who prov:wasInfluencedBy bc-person:joseph-v-montville ; rdfs:label ?name .\n}"),
        ("Which source states each fact about the Oslo back channel?",
         "SELECT ?property ?value ?source WHERE {\n"
         "  GRAPH ?source { bc-process:oslo-back-channel ?property ?value }\n}"),
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


@read_only(router, "/browse", http.HTML,
           summary="The things of one kind, alphabetically, with their descriptions (processes also on a timeline); "
           "with q=, the things whose names match (the home page's search box)")
def browse(request: Request, state: State, kind: str | None = None, q: str | None = None) -> Response:
    settings, links = state.settings, state.pages.links
    if kind is not None and kind not in KINDS:
        raise HTTPException(400, f"unknown kind {kind!r}; use one of: " + ", ".join(KINDS))
    if q is not None and len(q.strip()) > 200:
        raise HTTPException(400, "q= is longer than 200 characters: give a name, or part of one, to look for")
    wanted = q.strip() if q else None

    def build() -> bytes:
        listed = catalogue(state)
        if wanted:
            found = [c.iri for c in state.paths.engine().search_names(wanted, limit=50)]
            order = {iri: i for i, iri in enumerate(found)}
            listed = sorted((t for t in listed if t.iri in order), key=lambda t: order[t.iri])
        things = [
            {"label": t.label, "description": first_sentence(t.description or ""), "href": links.href(t.iri)}
            for t in listed
            if kind is None or kind_of(t.iri, settings) == kind
        ]
        title = f"Things named like “{wanted}”" if wanted else KINDS[kind] if kind else "Everything in the graph"
        shown = timeline(state) if kind in (None, "process") and not wanted else None
        return state.pages.render("browse.html", title=title, kind=kind, kinds=kind_counts(state), things=things,
                                  query=wanted, timeline=shown, active="browse", search_boxes=True)

    return serve(request, state, key=f"browse?{kind}&{wanted}", media_type=http.HTML, build=build)


@read_only(router, "/static/{path:path}", "text/css", "text/javascript",
           summary="Static files of the pages (stylesheet, scripts, pictures): compressed when the client accepts "
           "it, kept for a year when the URL names the content (?v=digest, or a hashed chunk name)")
def static(path: str, request: Request, state: State) -> Response:
    if "\x00" in path:  # the file system cannot name it (and would raise): no such file
        raise HTTPException(404, f"no static file {path!r}: a file name cannot contain a null byte")
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file():
        raise HTTPException(404, f"no static file {path!r}")
    media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    index = state.pages.static
    digest = index.digest(target)
    named = request.query_params.get("v") == digest or immutable_name(path)
    variant = index.variant(target, media, request.headers.get("accept-encoding"))
    extra = {"Cache-Control": IMMUTABLE if named else SHORT}
    if variant.encoding:
        extra["Content-Encoding"] = variant.encoding
    return serve(request, state, key=f"static/{path}/{digest}/{variant.encoding}", media_type=media,
                 build=lambda: variant.data, versioned=False, vary=("Accept-Encoding",), extra=extra)
