"""Command-line commands that work on the graph alone (no HTTP service).

Each feature registers its commands with :func:`register`; ``service.cli``
adds ``serve`` and is the ``backchannel`` entry point.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from kg.namespaces import all_prefixes
from kg.settings import Settings
from kg.store.base import (
    QueryEvaluationError,
    QueryRequest,
    QuerySyntaxError,
    Store,
    StoreError,
)
from kg.store.embedded import OxigraphStore
from kg.store.factory import store_from_settings
from kg.store.formats import GRAPH_TYPES, SELECT_TYPES, media_type_for

Handler = Callable[[argparse.Namespace, Settings], int]


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the global command-line options."""
    overrides = {k: v for k, v in (("store", args.store), ("base_iri", args.base_iri)) if v is not None}
    return Settings(**overrides)


def open_from(settings: Settings) -> Store:
    """Open the configured store, or exit with a message that says why not."""
    try:
        return store_from_settings(settings)
    except StoreError as err:
        raise SystemExit(f"backchannel: {err}") from None


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from kg.data.build import BuildError, build

    if args.dump_dir:
        settings = settings.model_copy(update={"dump_dir": Path(args.dump_dir)})
    store = open_from(settings)
    try:
        report = build(store, settings, dumps=not args.no_dumps)
    except BuildError as err:
        print(f"backchannel build: {err}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(report.to_text())
    return 0


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    import pyoxigraph as ox

    from kg.data.build import BuildError, build
    from kg.data.validate import validate

    data = ox.Store()
    try:
        if args.built:
            store = open_from(settings)
            try:
                data.extend(store.quads())
            finally:
                store.close()
        else:
            scratch = OxigraphStore(":memory:")
            build(scratch, settings)
            data = scratch.raw
    except BuildError as err:
        print(f"backchannel validate: {err}", file=sys.stderr)
        return 2
    report = validate(data, settings.ontology_dir)
    print(report.to_text())
    return 0 if report.conforms else 1


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    text = Path(args.file).read_text() if args.file else args.query
    if text is None:
        print("backchannel query: give a query, or --file", file=sys.stderr)
        return 2
    fmt = media_type_for(args.format, SELECT_TYPES) or "text/csv"
    graph_fmt = "text/turtle" if args.format not in ("json",) else "application/ld+json"
    prefixes = tuple(all_prefixes(settings.id_base).items())
    request = QueryRequest(text, select_type=fmt, graph_type=graph_fmt, max_rows=args.limit, prefixes=prefixes)
    store = open_from(settings)
    try:
        response = store.execute(request, settings.query_timeout)
    except QuerySyntaxError as err:
        print(f"backchannel query: syntax error: {err}", file=sys.stderr)
        return 2
    except QueryEvaluationError as err:
        print(f"backchannel query: {err}", file=sys.stderr)
        return 1
    finally:
        store.close()
    sys.stdout.write(response.body.decode())
    if response.truncated:
        print(f"# cut at {response.rows} rows (--limit)", file=sys.stderr)
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    store = open_from(settings)
    try:
        if not isinstance(store, OxigraphStore) or store.in_memory:
            print("backchannel backup: only an on-disk embedded store can be backed up", file=sys.stderr)
            return 2
        target = Path(args.target)
        if target.exists():
            print(f"backchannel backup: {target} exists; give a new directory", file=sys.stderr)
            return 2
        store.raw.backup(str(target))
    finally:
        store.close()
    print(f"Backed up to {target}; restore with: backchannel --store {target} serve")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Add the graph commands to ``sub``; return their handlers by name."""
    p = sub.add_parser("build", help="load the curated sources into the store and write dumps",
                       description="Load ontology/ and kg/data/sources/ into the store, replacing only the curated "
                       "graphs, and write TriG, N-Quads, Turtle and JSON-LD dumps.")
    p.add_argument("--no-dumps", action="store_true", help="do not write the dumps")
    p.add_argument("--dump-dir", help="where to write the dumps (default: var/dumps)")
    p = sub.add_parser("validate", help="check the data against the SHACL shapes and the ontology",
                       description="Build the sources in memory (or use the built store with --built) and "
                       "validate them; exit 1 with a report when something is wrong.")
    p.add_argument("--built", action="store_true", help="validate the configured store instead of the sources")
    p = sub.add_parser("query", help="run a SPARQL query against the store",
                       description="Run a SPARQL query (with the usual prefixes declared) and print the answer.")
    p.add_argument("query", nargs="?", help="the SPARQL query text")
    p.add_argument("--file", help="read the query from this file")
    p.add_argument("--format", choices=["csv", "tsv", "json", "xml"], default="csv", help="result format")
    p.add_argument("--limit", type=int, default=10_000, help="maximum rows printed")
    p = sub.add_parser("backup", help="copy the on-disk store to a new directory",
                       description="Write a consistent copy of the on-disk store (it can be served directly).")
    p.add_argument("target", help="a directory that does not exist yet")
    return {"build": cmd_build, "validate": cmd_validate, "query": cmd_query, "backup": cmd_backup}


__all__ = ["register", "settings_from", "open_from", "SELECT_TYPES", "GRAPH_TYPES"]
