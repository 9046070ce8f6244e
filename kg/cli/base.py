"""Command-line commands that work on the graph alone (no HTTP service).

Each feature registers its commands with :func:`register`; ``service.cli``
adds ``serve`` and is the ``backchannel`` entry point.
"""

from __future__ import annotations

import argparse
import shutil
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
from kg.store.embedded import OxigraphStore, serving_file
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
    target = Path(args.target)
    if target.exists():
        print(f"backchannel backup: {target} exists; give a new directory", file=sys.stderr)
        return 2
    try:
        store = store_from_settings(settings)
    except StoreError as err:  # another process holds it: back it up through that service, if one serves it
        return _backup_through_service(settings, target, err)
    try:
        if not isinstance(store, OxigraphStore) or store.in_memory:
            print("backchannel backup: only an on-disk embedded store can be backed up", file=sys.stderr)
            return 2
        store.raw.backup(str(target))
    finally:
        store.close()
    print(f"Backed up to {target}; restore with: backchannel --store {target} serve")
    return 0


def _backup_through_service(settings: Settings, target: Path, refused: StoreError) -> int:
    """Back up a store a running service holds: it takes an online checkpoint (``POST /backup``, write token),
    which is then moved to ``target``."""
    import json

    import httpx

    record = serving_file(settings.store)
    try:
        url = json.loads(record.read_text())["url"]
    except (OSError, ValueError, KeyError):
        print(f"backchannel backup: {refused}; no service says it serves it ({record} is missing): stop the "
              "process that holds it, or back up through the service that serves it", file=sys.stderr)
        return 1
    if not settings.write_token and not settings.dev_open_writes:
        print(f"backchannel backup: the store is served by {url}; set BACKCHANNEL_WRITE_TOKEN to its write token "
              "to back it up through it", file=sys.stderr)
        return 1
    headers = {"Authorization": f"Bearer {settings.write_token}"} if settings.write_token else {}
    try:
        answer = httpx.post(url + "backup", headers=headers, timeout=600)
    except httpx.HTTPError as err:
        print(f"backchannel backup: the store is in use, and the service at {url} does not answer ({err})",
              file=sys.stderr)
        return 1
    if answer.status_code != 200:
        detail = answer.json().get("detail", answer.text) if answer.headers.get("content-type", "").endswith(
            "json") else answer.text
        print(f"backchannel backup: the service at {url} refused ({answer.status_code}): {detail}", file=sys.stderr)
        return 1
    shutil.move(answer.json()["path"], target)
    print(f"Backed up (an online checkpoint by the service at {url}) to {target}; restore with: "
          f"backchannel --store {target} serve")
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
    p = sub.add_parser("backup", help="copy the on-disk store to a new directory (also while it is served)",
                       description="Write a consistent copy of the on-disk store (it can be served directly). When "
                       "a running service holds the store, the copy is an online checkpoint it takes (POST "
                       "/backup, with BACKCHANNEL_WRITE_TOKEN).")
    p.add_argument("target", help="a directory that does not exist yet")
    return {"build": cmd_build, "validate": cmd_validate, "query": cmd_query, "backup": cmd_backup}


__all__ = ["register", "settings_from", "open_from", "SELECT_TYPES", "GRAPH_TYPES"]
