"""Routes: the dataset as a whole. Its VoID and DCAT description, its dumps and the JSON-LD context.

- ``GET /.well-known/void`` the VoID + DCAT description (Turtle first; ``.ttl``, ``.jsonld`` … suffixes too; a
  browser, asking for HTML, gets the same description as a page: :mod:`service.linked_data.void_page`);
- ``GET /dumps/backchannel.{trig,nq,ttl,jsonld}`` the whole dataset (``.gz`` too, or ``Accept-Encoding: gzip``);
- ``GET /context.jsonld`` the JSON-LD context of our documents (our prefixes).

>>> accepts_gzip("gzip, deflate"), accepts_gzip("gzip;q=0"), accepts_gzip("br")
(True, False, False)
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from kg.data.build import DUMP_FILES, write_dumps
from kg.namespaces import DCTERMS, TRACK, all_prefixes
from kg.publish import describe as kd
from kg.publish import jsonld
from kg.publish.documents import write_document
from kg.publish.void import DatasetInfo, Distribution, void_triples
from kg.store.base import term_value
from service.http.negotiation import negotiate
from service.linked_data import http
from service.linked_data.resources import graph_statistics, read_only, serve
from service.linked_data.void_page import void_view
from service.state import AppState, State

router = APIRouter(tags=["linked data"])

DUMP_TYPES: dict[str, str] = {
    "backchannel.trig": "application/trig",
    "backchannel.nq": "application/n-quads",
    "backchannel.ttl": "text/turtle",
    "backchannel.jsonld": "application/ld+json",
}
"""The dumps and their media types."""

VOID_TYPES = [http.TURTLE, http.JSONLD, "application/n-triples", "application/rdf+xml", "application/trig",
              "application/n-quads", http.HTML]
"""What the description offers: Turtle first (for ``*/*`` and no ``Accept``), HTML to a browser that asks for it."""


def dataset_info(state: AppState) -> DatasetInfo:
    """What VoID says besides the numbers: title, links, examples, licences."""
    settings, store = state.settings, state.store
    base = settings.base_iri
    wanted = [
        settings.id_base + "person/joseph-v-montville",
        settings.id_base + "work/oslo-accords",
        settings.id_base + "process/oslo-back-channel",
        TRACK + "track-two",
    ]
    licenses = sorted(
        {
            term_value(r["l"])
            for r in store.select(f"SELECT DISTINCT ?l {{ ?x {kd.node(DCTERMS + 'license')} ?l FILTER isIRI(?l) }}")
        }
    )
    return DatasetInfo(
        void_url=base + ".well-known/void",
        title="backchannel: a knowledge graph of Track Two diplomacy",
        description="People, organisations, works, events, places and diplomatic processes of Track Two "
        "(backchannel) diplomacy, each fact kept in the named graph of the source that states it.",
        uri_space=settings.id_base,
        sparql_endpoint=base + "sparql",
        homepage=base,
        modified=store.last_modified,
        distributions=tuple(
            Distribution(base + "dumps/" + name, media, f"Dump of the dataset ({name.rsplit('.', 1)[-1]})")
            for name, media in DUMP_TYPES.items()
        ),
        examples=tuple(iri for iri in wanted if kd.exists(store, iri)),
        licenses=tuple(licenses),
    )


@read_only(router, "/.well-known/void", *VOID_TYPES,
           summary="VoID and DCAT description of the dataset (Turtle unless asked)")
def void(request: Request, state: State) -> Response:
    media = negotiate(request.headers.get("accept"), request.query_params.get("format"), VOID_TYPES)
    return _void(request, state, media, ("Accept",))


@read_only(router, "/.well-known/void.{suffix}", *VOID_TYPES, summary="The dataset description in one format")
def void_suffixed(suffix: str, request: Request, state: State) -> Response:
    media = http.SUFFIXES.get(suffix)
    if media not in VOID_TYPES:
        suffixes = ", ".join(http.SUFFIX_OF[m] for m in VOID_TYPES)
        raise HTTPException(404, f"no format .{suffix}; use one of: {suffixes}")
    return _void(request, state, media, ())


def _void(request: Request, state: AppState, media: str, vary: tuple[str, ...]) -> Response:
    prefixes = all_prefixes(state.settings.id_base)
    if media == http.HTML:
        return serve(request, state, key="void", media_type=media, vary=vary, build=lambda: _void_page(state))
    return serve(
        request,
        state,
        key="void",
        media_type=media,
        vary=vary,
        build=lambda: write_document(void_triples(graph_statistics(state), dataset_info(state)), media, prefixes),
    )


def _void_page(state: AppState) -> bytes:
    """The dataset description as a page (for a browser: the menu's "Dataset")."""
    info, stats = dataset_info(state), graph_statistics(state)
    named = {*info.examples, *stats.graphs, *stats.class_partitions, *stats.property_partitions}
    labels = kd.pick_labels(kd.label_facts(state.store, named))
    page = void_view(info, stats, state.pages.links, labels)
    return state.pages.render("void.html", void=page, active="void")


def _dumps(state: AppState) -> dict[str, bytes]:
    def make() -> dict[str, bytes]:
        with tempfile.TemporaryDirectory(prefix="backchannel-dumps-") as folder:
            paths = write_dumps(state.store.quads(), Path(folder), state.settings)
            return {path.name: path.read_bytes() for path in paths}

    return state.pages.cache.get(state.store.version, "dumps", make)


def _gzipped(state: AppState, name: str) -> bytes:
    return state.pages.cache.get(state.store.version, "gz:" + name,
                                 lambda: gzip.compress(_dumps(state)[name], mtime=0))


@read_only(router, "/dumps/{name}", *DUMP_TYPES.values(), "application/gzip",
           summary="The whole dataset: backchannel.trig, .nq, .ttl, .jsonld (and .gz)")
def dump(name: str, request: Request, state: State) -> Response:
    plain = name.removesuffix(".gz")
    if plain not in DUMP_FILES or plain not in DUMP_TYPES:
        raise HTTPException(
            404, f"no dump {name!r}; the dumps are: " + ", ".join(f"{n}, {n}.gz" for n in DUMP_TYPES)
        )
    if name.endswith(".gz"):
        return serve(request, state, key="dumps/" + name, media_type="application/gzip",
                     build=lambda: _gzipped(state, plain),
                     extra={"Content-Disposition": f'attachment; filename="{name}"'})
    wants_gzip = accepts_gzip(request.headers.get("accept-encoding", ""))
    extra = {"Content-Disposition": f'attachment; filename="{plain}"'}
    if wants_gzip:
        extra["Content-Encoding"] = "gzip"

    def build() -> bytes:
        return _gzipped(state, plain) if wants_gzip else _dumps(state)[plain]

    return serve(request, state, key="dumps/" + plain + (".gzip" if wants_gzip else ""),
                 media_type=DUMP_TYPES[plain], build=build, vary=("Accept-Encoding",), extra=extra)


def accepts_gzip(header: str) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (and does not give it q=0)."""
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return float(q) > 0 if params.strip().startswith("q=") else True
            except ValueError:
                return False
    return False


@read_only(router, "/context.jsonld", http.JSONLD, summary="The JSON-LD @context of our documents (our prefixes)")
def context(request: Request, state: State) -> Response:
    body = jsonld.dumps(jsonld.context(all_prefixes(state.settings.id_base)))
    return serve(request, state, key="context", media_type=http.JSONLD, build=lambda: body, versioned=False)
