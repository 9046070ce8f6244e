"""Command-line commands ``load`` and ``index``: a bulk loader for big files, and the path index built with the data.

Like ``oxigraph load``, Fuseki's ``tdbloader`` or QLever's index builder, ``backchannel load FILE…`` puts RDF files
into the on-disk store without transactions, and before it returns it builds what a server would otherwise build on
its first start: the projection the path search runs on (:mod:`kg.paths.files`). On the bench's 1M-relation graph
that projection takes ~15 s of CPU to read out of RocksDB; once it is on disk, the first ``serve`` is ready in the
time a restart takes. ``backchannel index`` builds it alone, for a store filled another way.

The projection file is named by the content of the store's table files, so the load first lets the store settle:
a full compaction (``optimize``); the index then opens the store again, which drops the log of the load. Without
the compaction the server's first opens would rewrite the table files, find no file of that name and build the
projection again.

>>> import argparse
>>> sub = argparse.ArgumentParser(prog="backchannel").add_subparsers(dest="command")
>>> sorted(register(sub))
['index', 'load']
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from kg.cli.base import Handler
from kg.cli.paths import path_engines
from kg.paths.files import folder_of
from kg.settings import Settings
from kg.store.base import StoreError
from kg.store.embedded import OxigraphStore
from kg.store.factory import store_from_settings
from kg.store.formats import GRAPH_TYPES, format_for_file, media_type_for


def _on_disk(settings: Settings, command: str) -> OxigraphStore:
    """The configured store, which must be the embedded store on disk (else exit with a message)."""
    try:
        store = store_from_settings(settings)
    except StoreError as err:
        served = " (while a server holds the store, send data through the Graph Store Protocol: POST /store with " \
                 "the write token)" if "lock" in str(err).lower() else ""
        raise SystemExit(f"backchannel {command}: {err}{served}") from None
    if not isinstance(store, OxigraphStore) or store.in_memory:
        store.close()
        raise SystemExit(f"backchannel {command}: needs the embedded store on disk (--store DIR or "
                         f"BACKCHANNEL_STORE), not {settings.store!r}")
    return store


def media_type_of(file: str, given: str | None) -> str:
    """The media type of ``file``: ``given`` (a media type or a format name), else its extension's.

    >>> media_type_of("a.nq", None), media_type_of("data", "turtle"), media_type_of("x", "application/trig")
    ('application/n-quads', 'text/turtle', 'application/trig')
    >>> media_type_of("dump.nq.gz", None)
    Traceback (most recent call last):
    ValueError: 'dump.nq.gz' is compressed: the loader reads plain RDF files (decompress it first, e.g. gunzip -k)
    """
    if file.lower().endswith((".gz", ".bz2", ".xz", ".zst", ".zip")):
        raise ValueError(f"{file!r} is compressed: the loader reads plain RDF files (decompress it first, e.g. "
                         "gunzip -k)")
    if given:
        media = media_type_for(given, GRAPH_TYPES) or format_for_file(f"x.{given}")
        if media is None or media not in GRAPH_TYPES:
            raise ValueError(f"unknown format {given!r}: give a media type ({', '.join(sorted(GRAPH_TYPES))}) "
                             "or an extension (ttl, nt, nq, trig, rdf, jsonld)")
        return media
    found = format_for_file(file)
    if found is None or found not in GRAPH_TYPES:
        raise ValueError(f"cannot tell the format of {file!r} from its extension: name it with --format")
    return found


def index_store(settings: Settings) -> str:
    """Build the path projection of the configured on-disk store and write its file (as the server's path workers
    read it: from a checkpoint); answer what was done, in a sentence."""
    if not settings.paths_projection_files:
        return "nothing to index: projection files are turned off (BACKCHANNEL_PATHS_PROJECTION_FILES)"
    store = _on_disk(settings, "index")
    try:
        engines = path_engines(store, settings)
        if engines.choice() != "memory":
            return ("nothing to index: paths on this store use the frontier search (its size passes "
                    "paths_memory_max_triples, or paths_engine says so)")
        started = time.perf_counter()
        projection = engines.memory.projection()
        built = engines.memory.projections.builds > 0
        return (f"{'built' if built else 'found'} the path projection ({projection.edge_count:,} relations among "
                f"{len(projection.iris):,} things) in {time.perf_counter() - started:.1f} s, beside the store in "
                f"{folder_of(store.location)}")
    finally:
        store.close()


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    print(f"backchannel index: {index_store(settings)}")
    return 0


def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    missing = [file for file in args.files if not Path(file).is_file()]
    if missing:
        print(f"backchannel load: no file {missing[0]!r}", file=sys.stderr)
        return 2
    try:
        plan = [(file, media_type_of(file, args.format)) for file in args.files]
    except ValueError as err:
        print(f"backchannel load: {err}", file=sys.stderr)
        return 2
    try:
        if args.graph:
            ox.NamedNode(args.graph)
    except ValueError as err:
        print(f"backchannel load: --graph {args.graph!r} must be an absolute IRI ({err})", file=sys.stderr)
        return 2
    for file, media in plan:
        if args.graph and GRAPH_TYPES[media].supports_datasets:
            print(f"backchannel load: {file} holds quads (their graphs are named in the file): --graph is for "
                  "triples", file=sys.stderr)
            return 2
    store = _on_disk(settings, "load")
    try:
        before = len(store.raw)
        for file, media in plan:
            started = time.perf_counter()
            try:
                store.bulk_load(file, media, args.graph)
            except (SyntaxError, OSError) as err:
                # a bulk load has no transaction: what came before the error stays; RDF is a set, so loading the
                # mended file again adds nothing twice
                print(f"backchannel load: {file}: {err}\n  {len(store.raw) - before:,} quads were loaded before "
                      "it; mend the file and load it again (a quad already there is not added twice)",
                      file=sys.stderr)
                return 2
            print(f"backchannel load: {file} ({media}) in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        store.raw.optimize()  # a full compaction: the table files a server will find (see the module's text)
        after = len(store.raw)  # (a full scan on disk: counted once)
        print(f"backchannel load: {after - before:,} quads added ({after:,} in the store); "
              f"compacted in {time.perf_counter() - started:.1f} s")
    except (StoreError, OSError) as err:  # the compaction can fail too (a full disk)
        print(f"backchannel load: {err}", file=sys.stderr)
        return 2
    finally:
        store.close()
    if not args.no_index:
        print(f"backchannel load: {index_store(settings)}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Add ``load`` and ``index`` to ``sub``; return their handlers by name."""
    p = sub.add_parser(
        "load", help="bulk-load RDF files into the on-disk store, then index it for paths",
        description="Load RDF files (N-Quads, TriG, N-Triples, Turtle, RDF/XML, JSON-LD) into the on-disk store "
        "without transactions (the store must not be served meanwhile), compact it, and build the path "
        "projection a server reads at its first start.",
        epilog="Example: backchannel --store var/store load big.nq; backchannel --store var/store load people.ttl "
        "--graph https://example.org/people",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="the files to load")
    p.add_argument("--format", help="their format, as a media type or an extension (default: each file's "
                   "extension)")
    p.add_argument("--graph", help="the named graph for triples (default: the default graph)")
    p.add_argument("--no-index", action="store_true", help="do not build the path projection")
    sub.add_parser(
        "index", help="build the path projection of the on-disk store now (a server reads it at start)",
        description="Build the projection the path search runs on and write it beside the store, so the next "
        "serve is ready without building it.",
    )
    return {"load": cmd_load, "index": cmd_index}
