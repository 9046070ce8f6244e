"""Routes: the site's own pages. Home (what the graph is, where to start), browse (the things of a kind) and the
static files (our stylesheet and the built bundles).
"""

from __future__ import annotations

import hashlib
import mimetypes

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from kg.namespaces import TRACK, all_prefixes
from kg.publish import describe as kd
from kg.settings import Settings
from service.linked_data import http
from service.linked_data.dataset import DUMP_TYPES
from service.linked_data.pages import Links, kind_of
from service.linked_data.resources import catalogue, graph_statistics, read_only, serve
from service.state import AppState, State
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


@read_only(router, "/", http.HTML, summary="Home page: what the graph is, what is in it, where to start")
def home(request: Request, state: State) -> Response:
    settings, links = state.settings, state.pages.links

    def build() -> bytes:
        things = {t.iri: t for t in catalogue(state)}
        sources = [
            {"label": t.label, "description": t.description, "href": links.href(t.iri)}
            for t in things.values()
            if t.iri.startswith(settings.source_base)
        ]
        return state.pages.render("home.html", stats=graph_statistics(state), kinds=kind_counts(state),
                                  sources=sources, questions=questions(links, settings, things),
                                  dumps=list(DUMP_TYPES), active="home")

    return serve(request, state, key="home", media_type=http.HTML, build=build)


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


@read_only(router, "/browse", http.HTML, summary="The things of one kind, alphabetically, with their descriptions")
def browse(request: Request, state: State, kind: str | None = None) -> Response:
    settings, links = state.settings, state.pages.links
    if kind is not None and kind not in KINDS:
        raise HTTPException(400, f"unknown kind {kind!r}; use one of: " + ", ".join(KINDS))

    def build() -> bytes:
        things = [
            {"label": t.label, "description": t.description, "href": links.href(t.iri)}
            for t in catalogue(state)
            if kind is None or kind_of(t.iri, settings) == kind
        ]
        title = KINDS[kind] if kind else "Everything in the graph"
        return state.pages.render("browse.html", title=title, kind=kind, kinds=kind_counts(state), things=things,
                                  active="browse")

    return serve(request, state, key=f"browse?{kind}", media_type=http.HTML, build=build)


@read_only(router, "/static/{path:path}", "text/css",
           summary="Static files of the pages (stylesheet, scripts, pictures)")
def static(path: str, request: Request, state: State) -> Response:
    if "\x00" in path:  # the file system cannot name it (and would raise): no such file
        raise HTTPException(404, f"no static file {path!r}: a file name cannot contain a null byte")
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file():
        raise HTTPException(404, f"no static file {path!r}")
    data = target.read_bytes()
    media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    digest = hashlib.sha256(data).hexdigest()
    return serve(request, state, key=f"static/{path}/{digest}", media_type=media, build=lambda: data, versioned=False)
