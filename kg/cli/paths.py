"""Command-line commands ``path`` and ``influence``: explained paths and influence, in the terminal.

Both ask the engine the settings choose (``paths_engine``, see :mod:`kg.paths.engines`): on a remote store
the frontier search answers without copying the graph.

>>> import argparse
>>> sub = argparse.ArgumentParser(prog="backchannel").add_subparsers(dest="command")
>>> sorted(register(sub))
['influence', 'path']
"""

from __future__ import annotations

import argparse
import json
import sys

from kg.cli.base import Handler, open_from
from kg.paths.answers import PathEngine
from kg.paths.cache import ProjectionCache
from kg.paths.engines import PathEngines
from kg.paths.explain import node_json, path_text, result_json, text_report
from kg.paths.files import ProjectionFiles, folder_of
from kg.paths.influence import MAX_RANKING, MAX_RESULTS, MEASURES, RANKED_KINDS
from kg.paths.model import (
    MAX_ALL,
    MAX_K,
    MAX_LENGTH,
    MODES,
    Path,
    PathOptions,
    PathRequestError,
    SearchTimeout,
)
from kg.paths.names import AmbiguousName, UnknownThing
from kg.paths.projection import KINDS, normalise_kind
from kg.settings import Settings
from kg.store.base import Store
from kg.store.embedded import OxigraphStore
from kg.store.readonly import open_snapshot


def _fail(command: str, err: Exception) -> int:
    print(f"backchannel {command}: {err}", file=sys.stderr)
    if isinstance(err, UnknownThing) and err.suggestions:
        print("  suggestions: " + "; ".join(f"{c.label} <{c.iri}>" for c in err.suggestions[:5]), file=sys.stderr)
    if isinstance(err, AmbiguousName):
        for c in err.candidates[:10]:
            print(f"  - {c.label} ({c.kind or 'thing'}) <{c.iri}>", file=sys.stderr)
    return 1 if isinstance(err, (UnknownThing, AmbiguousName)) else 2


def path_engines(store: Store, settings: Settings) -> PathEngines:
    """The path engines of ``store`` for a command. On an on-disk store the projection is read from the file a
    server or an earlier command wrote, or built and written there (:mod:`kg.paths.files`: the next command or
    start reads it back); elsewhere it is built without the web's warm-ups."""
    if settings.paths_projection_files and isinstance(store, OxigraphStore) and not store.in_memory:
        # read as a server's path workers read it: from a checkpoint, opened read-only, which names the file (a
        # full read of the store itself may compact its tables, and a server would then look for another name)
        snapshot = store.snapshot()
        files = ProjectionFiles.of_store(folder_of(store.location), snapshot.path)
        if files is not None:
            return PathEngines(open_snapshot(snapshot, store.version), settings, files=files)
    return PathEngines(store, settings, ProjectionCache(store))


def _engine(store: Store, settings: Settings) -> PathEngine:
    """The engine the settings choose (see :func:`path_engines`)."""
    return path_engines(store, settings).engine()


def cmd_path(args: argparse.Namespace, settings: Settings) -> int:
    store = open_from(settings)
    try:
        options = PathOptions.of(
            args.source, args.target, mode=args.mode, k=args.k, limit=args.limit, max_length=args.max_length,
            directed=args.directed, include_predicates=args.include_predicate,
            exclude_predicates=args.exclude_predicate, include_kinds=args.include_kind,
            exclude_kinds=args.exclude_kind, avoid=args.avoid, max_degree=args.max_degree,
            after=args.after, before=args.before,
        )
        answer = _engine(store, settings).paths(options)
        proj, result = answer.proj, answer.result
    except (UnknownThing, AmbiguousName, PathRequestError, SearchTimeout) as err:
        return _fail("path", err)
    finally:
        store.close()
    if args.json:
        body = result_json(proj, result)
        print(json.dumps(body | {"engine": answer.engine} if answer.engine else body, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(text_report(proj, result))
    return 0


def cmd_influence(args: argparse.Namespace, settings: Settings) -> int:
    store = open_from(settings)
    try:
        engine = _engine(store, settings)
        if args.what == "ranking":
            kinds = frozenset(normalise_kind(k) for k in args.kind or []) or RANKED_KINDS
            proj, ranked = engine.ranking(args.limit, None if "any" in kinds else kinds, args.by)
            if args.json:
                print(json.dumps([node_json(proj, r.node) | {"reason": r.reason, "pagerank": r.pagerank,
                                                             "betweenness": r.betweenness} for r in ranked],
                                 indent=2, ensure_ascii=False))
            else:
                for i, r in enumerate(ranked, 1):
                    print(f"{i:>3}. {proj.label(r.node)} ({proj.kind(r.node) or 'thing'}): {r.reason}")
            return 0
        if not args.thing:
            print(f"backchannel influence {args.what}: name a thing (an IRI or a name)", file=sys.stderr)
            return 2
        answer = engine.influence(args.thing, "lineage" if args.what == "lineage" else "influenced",
                                  max_depth=args.max_depth, limit=args.limit)
        proj, v, entries = answer.proj, answer.node, answer.entries
    except (UnknownThing, AmbiguousName, PathRequestError, SearchTimeout) as err:
        return _fail("influence", err)
    finally:
        store.close()
    rows = []
    for entry in entries:
        path = Path((v, *(h.target for h in entry.hops)), entry.hops, float(entry.depth))
        rows.append(node_json(proj, entry.node) | {"depth": entry.depth, "via": path_text(proj, path)})
    if args.json:
        print(json.dumps({"thing": node_json(proj, v), "results": rows}, indent=2, ensure_ascii=False))
        return 0
    verb = "was influenced by" if args.what == "lineage" else "influenced"
    print(f"{proj.label(v)} {verb} ({len(rows)}):" if rows else f"{proj.label(v)}: nothing found")
    for row in rows:
        print(f"  [{row['depth']}] {row['label']} <{row['iri']}>\n      via: {row['via']}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Add ``path`` and ``influence`` to ``sub``; return their handlers by name."""
    p = sub.add_parser(
        "path", help="how two things connect: explained, cited, ranked paths",
        description="Find paths between two things (IRIs, CURIEs like person:joseph-v-montville, or names like "
        "'Montville') and print them numbered, with score, reasons, English text and sources.",
        epilog='Example: backchannel path "Joseph Montville" "Oslo" --k 5 --max-length 4 --exclude-predicate '
        "dcterms:subject --after 1990",
    )
    p.add_argument("source", metavar="FROM", help="where the paths start")
    p.add_argument("target", metavar="TO", help="where the paths end")
    p.add_argument("--mode", choices=MODES, default="k", help="shortest (fewest hops), k (k best) or all")
    p.add_argument("--k", type=int, default=3, help=f"how many paths (1-{MAX_K}; default 3)")
    p.add_argument("--limit", type=int, default=100, help=f"most paths in --mode all (1-{MAX_ALL})")
    p.add_argument("--max-length", type=int, default=6, help=f"most hops (1-{MAX_LENGTH}; default 6)")
    p.add_argument("--directed", action="store_true", help="follow relations only from subject to object")
    p.add_argument("--include-predicate", action="append", metavar="P", help="only this predicate (repeatable)")
    p.add_argument("--exclude-predicate", action="append", metavar="P", help="never this predicate (repeatable)")
    p.add_argument("--include-kind", action="append", metavar="KIND",
                   help=f"nodes between the ends must be of this kind: {', '.join(KINDS)} or a class IRI")
    p.add_argument("--exclude-kind", action="append", metavar="KIND", help="nodes between the ends not of this kind")
    p.add_argument("--avoid", action="append", metavar="THING", help="never pass through this thing (repeatable)")
    p.add_argument("--max-degree", type=int, help="avoid hubs with more relations than this")
    p.add_argument("--after", help="events and works on the path dated no earlier (1990, 1990-05)")
    p.add_argument("--before", help="events and works on the path dated no later")
    p.add_argument("--json", action="store_true", help="print JSON (as GET /paths does)")
    q = sub.add_parser(
        "influence", help="influence: lineage, what a thing influenced, the most influential",
        description="Influence through the relations that carry it (kg/paths/relations.py: prov:wasInfluencedBy "
        "and qualified influences, coining a concept, setting out a process, writing or editing a work, a work that "
        "coined or described a concept, a concept expanded into another). Agreement, citation and publication are "
        "not influence.",
        epilog='Examples: backchannel influence lineage "Multi-Track Diplomacy"; '
        "backchannel influence ranking --limit 10",
    )
    q.add_argument("what", choices=["lineage", "influenced", "ranking"],
                   help="lineage: who influenced THING; influenced: what THING influenced; "
                   "ranking: the most influential")
    q.add_argument("thing", nargs="?", help="an IRI, a CURIE or a name (not for ranking)")
    q.add_argument("--max-depth", type=int, default=6, help=f"most steps (1-{MAX_LENGTH})")
    q.add_argument("--limit", type=int, default=20,
                   help=f"most results (lineage/influenced 1-{MAX_RESULTS}, ranking 1-{MAX_RANKING})")
    q.add_argument("--kind", action="append",
                   help="ranking: kinds to rank (default person, org, work, concept; 'any' for all)")
    q.add_argument("--by", choices=MEASURES, default="influence",
                   help="ranking: by influence (default) or by general graph centrality (which is not influence)")
    q.add_argument("--json", action="store_true", help="print JSON")
    return {"path": cmd_path, "influence": cmd_influence}
