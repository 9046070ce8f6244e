"""Command-line commands for the named queries: ``run-query`` and ``list-queries``.

``service.cli`` registers them with :func:`register`, like ``kg.cli.base``.

>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> handlers = register(parser.add_subparsers(dest="command"))
>>> sorted(handlers)
['list-queries', 'run-query']
>>> args = parser.parse_args(["run-query", "works-by-person", "--param", "person=id/person/x", "--format", "records"])
>>> args.name, args.param, args.format
('works-by-person', ['person=id/person/x'], 'records')
>>> parse_params(["person=id/person/x", "q=a=b"])
{'person': 'id/person/x', 'q': 'a=b'}
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from kg.cli.base import Handler, open_from
from kg.queries.binding import page_window, records
from kg.queries.catalog import Catalog, load_queries
from kg.queries.definitions import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    NamedQuery,
    ParamError,
    QueryDefinitionError,
)
from kg.settings import Settings
from kg.store.base import (
    QueryBusy,
    QueryEvaluationError,
    QuerySyntaxError,
    QueryTimeout,
)
from kg.store.formats import SELECT_TYPES, media_type_for

FORMATS: dict[str, str] = {name: media_type_for(name, SELECT_TYPES) or "" for name in ("csv", "tsv", "json", "xml")}
FORMATS["records"] = "application/sparql-results+json"
"""``--format`` choices and the SPARQL result type each is made from (records: from JSON)."""


def parse_params(items: Sequence[str]) -> dict[str, str]:
    """``name=value`` pairs (the value may contain ``=``); a malformed or repeated one raises ParamError."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ParamError(f"--param {item!r}: write it as name=value")
        if name in out:
            raise ParamError(f"--param {name} is given more than once")
        out[name] = value
    return out


def _catalog(settings: Settings) -> Catalog:
    try:
        return Catalog(load_queries(settings.queries_dir, settings.base_iri))
    except QueryDefinitionError as err:
        raise SystemExit(f"backchannel: {err}") from None


def describe(query: NamedQuery) -> str:
    """A query as ``list-queries`` prints it.

    >>> from kg.queries.definitions import parse_query
    >>> print(describe(parse_query("q", "#+ summary: S\\n#+ params: [{name: n, type: year, description: d, "
    ...                                 "example: '1991'}]\\nSELECT ?n {}")))
    q: S
        n (year, required): d  e.g. 1991
    """
    lines = [f"{query.name}: {query.summary}"]
    for p in query.params:
        flags = [p.type, "required" if p.required else "optional"]
        extra = f"  e.g. {p.example}" if p.example is not None else ""
        extra += f"  default {p.default}" if p.default is not None else ""
        extra += f"  one of: {', '.join(p.enum)}" if p.enum else ""
        lines.append(f"    {p.name} ({', '.join(flags)}): {p.description}{extra}")
    if query.paging:
        lines.append("    (paged: --page, --per-page)")
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    catalog = _catalog(settings)
    if args.json:
        print(json.dumps([catalog.queries[n].to_json() for n in catalog.names()], indent=2, ensure_ascii=False))
        return 0
    print("\n".join(describe(catalog.queries[n]) for n in catalog.names()))
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    catalog = _catalog(settings)
    query = catalog.get(args.name)
    if query is None:
        print(f"backchannel run-query: no query named {args.name!r}; see `backchannel list-queries`",
              file=sys.stderr)
        return 2
    store = open_from(settings)
    try:
        try:
            given = parse_params(args.param or [])
            if not query.paging and (args.page is not None or args.per_page is not None):
                raise ParamError(f"{query.name} is not paged; drop --page and --per-page")
            window = page_window(
                None if args.page is None else str(args.page), None if args.per_page is None else str(args.per_page),
                default=DEFAULT_PER_PAGE, cap=min(MAX_PER_PAGE, settings.max_rows),
            ) if query.paging and (args.page is not None or args.per_page is not None) else None
            request = catalog.prepare(store, query, given, base_iri=settings.base_iri,
                                      select_type=FORMATS[args.format], max_rows=settings.max_rows, page=window)
        except ParamError as err:
            print(f"backchannel run-query: {err}", file=sys.stderr)
            for candidate in err.candidates:
                print(f"    {candidate['iri']}  {candidate['label']}", file=sys.stderr)
            return 2
        try:
            answer = store.execute(request, settings.query_timeout)
        except (QueryTimeout, QueryBusy, QuerySyntaxError, QueryEvaluationError) as err:
            print(f"backchannel run-query: {query.name}: {err}", file=sys.stderr)
            return 1
    finally:
        store.close()
    if args.format == "records":
        print(json.dumps(records(answer.body), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(answer.body.decode())
    if answer.truncated:
        more = "there is a next page (--page)" if window else f"cut at {answer.rows} rows"
        print(f"# {more}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Add ``run-query`` and ``list-queries`` to ``sub``; return their handlers by name."""
    p = sub.add_parser("run-query", help="run a named query (queries/*.rq) with parameters",
                       description="Run a named query against the store. Parameters are checked against their "
                       "declared types and bound as RDF terms, never pasted into the query text.")
    p.add_argument("name", help="the query name (see list-queries)")
    p.add_argument("--param", "-p", action="append", metavar="NAME=VALUE",
                   help="a parameter value; repeat for several "
                   "(an IRI parameter takes an IRI, id/kind/slug, prefix:name or a label)")
    p.add_argument("--format", choices=list(FORMATS), default="csv", help="result format (default csv)")
    p.add_argument("--page", type=int, help="page number, from 1 (paged queries)")
    p.add_argument("--per-page", type=int, help="rows per page (paged queries)")
    p = sub.add_parser("list-queries", help="list the named queries and their parameters",
                       description="List the named queries (queries/*.rq): summary and parameters.")
    p.add_argument("--json", action="store_true", help="print the metadata as JSON")
    return {"run-query": cmd_run, "list-queries": cmd_list}
