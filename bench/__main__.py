"""The benchmark suite, one command: ``.venv/bin/python -m bench`` (``make bench``).

Prints, as Markdown, one table of figures and ratios per section (see :mod:`bench.suite`):
the SPARQL mix on our service (embedded and remote store) against the Oxigraph server and
rdflib-endpoint; our routes (``/doc``, ``/paths``) on the seed graph against their targets; path
search embedded against remote at each size; load time and memory per million triples; start-up
time. Every requests-per-second figure comes from the native load generator ``wrk`` (Debian's
package; the run stops at once, saying how to install it, when it is missing). Options::

    --quick                 small graphs, 1 s runs, one round, no warm-up: a smoke run in about two minutes
    --sizes 1000000,10000000  sizes (triples) of the path graphs (default 1M and 10M)
    --only sparql,routes,paths,load,startup,eval
    --seconds 8 --rounds 2  wrk run per server, query kind and round; rounds of the SPARQL mix
    --write                 put the figures into the "Suite" section of bench/RESULTS.md
    --json FILE             also write the tables as JSON

The full run (1M and 10M) takes 25–30 minutes on 2 cores and needs ~8 GB free under /tmp (``--tmp``).

>>> args = parse(["--quick", "--only", "paths,load"])
>>> config(args).sizes, config(args).only, config(args).rounds
([20000], ('paths', 'load'), 1)
>>> config(parse(["--sizes", "1000000"])).pairs is None
True
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import figures, live, native, report, suite

RESULTS = Path(__file__).with_name("RESULTS.md")
NOTES = "### What the suite figures say"
"""The hand-written subsection of the "Suite" section that ``--write`` keeps."""


def _ints(text: str) -> list[int]:
    try:
        values = [int(float(part)) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers, e.g. 1000000,10000000") from None
    if not values or min(values) < 100:
        raise argparse.ArgumentTypeError("give at least one size of 100 triples or more")
    return values


def _sections(text: str) -> tuple[str, ...]:
    wanted = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [w for w in wanted if w not in figures.SECTIONS]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(f"unknown section(s) {unknown}; choose from {','.join(figures.SECTIONS)}")
    return wanted


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small graphs, 1 s runs, one round (a smoke run)")
    parser.add_argument("--sizes", type=_ints, help="triples of the path graphs (default 1000000,10000000)")
    parser.add_argument("--only", type=_sections, default=figures.SECTIONS,
                        help="sections: sparql,routes,paths,load,startup,eval")
    parser.add_argument("--sparql-triples", type=int, help="triples of the SPARQL mix graph (default 1000000)")
    parser.add_argument("--rdflib-triples", type=int, help="a smaller graph for rdflib-endpoint (default: the same)")
    parser.add_argument("--seconds", type=float, help="seconds of wrk per server, query kind and round (default 8)")
    parser.add_argument("--rounds", type=int, help="rounds of the SPARQL mix, servers alternating (default 2)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--pairs", type=int, help="pairs per path graph (default 50 up to 2M triples, 20 above)")
    parser.add_argument("--ready-timeout", type=float, default=1800.0, help="longest wait for /ready, s (1800)")
    parser.add_argument("--remote-budget", type=float, default=10.0, help="time budget of a remote path search, s")
    parser.add_argument("--remote-max-frontier", type=int, default=5000, help="frontier cap of a remote path search")
    parser.add_argument("--tmp", type=Path, default=Path("/tmp"), help="where the temporary folder goes (/tmp)")
    parser.add_argument("--write", action="store_true", help='write the figures into bench/RESULTS.md ("Suite")')
    parser.add_argument("--json", type=Path, help="also write the tables as JSON to this file")
    parser.add_argument("--set", type=live.setting, action="append", default=[], metavar="BACKCHANNEL_NAME=VALUE",
                        help="a setting of our servers, for an A/B run (repeatable; otherwise the defaults)")
    args = parser.parse_args(argv)
    args.shown = list(sys.argv[1:] if argv is None else argv)
    return args


def config(args: argparse.Namespace) -> figures.Config:
    """The suite's configuration from the command line (``--quick`` changes the defaults only)."""
    quick = args.quick
    sparql_triples = args.sparql_triples or (20_000 if quick else 1_000_000)
    return figures.Config(
        sizes=args.sizes or ([20_000] if quick else [1_000_000, 10_000_000]),
        sparql_triples=sparql_triples,
        rdflib_triples=args.rdflib_triples or sparql_triples,
        seconds=args.seconds or (1.0 if quick else 8.0),
        rounds=args.rounds or (1 if quick else 2),
        warm_up=0.0 if quick else 2.0,
        concurrency=args.concurrency,
        pairs=args.pairs if args.pairs is not None else (8 if quick else None),
        only=args.only,
        ready_timeout=args.ready_timeout,
        remote_budget=args.remote_budget,
        remote_max_frontier=args.remote_max_frontier,
        tmp=args.tmp,
        command=" ".join([".venv/bin/python -m bench", *(args.shown or [])]),
        settings=dict(args.set),
    )


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # so that every server is stopped on the way out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    cfg = config(args)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        results = suite.run(cfg)
    except native.Missing as missing:
        print(f"python -m bench: {missing}", file=sys.stderr)
        return 2
    text = suite.render(results)
    print()
    print(text)
    if args.json:
        made = suite.tables(results)
        args.json.write_text(json.dumps({
            "started": f"{results.started:%Y-%m-%d %H:%M} UTC", "machine": results.machine, "load": results.load,
            "notes": results.notes, "client": results.client,
            "sparql_rounds": {server: {kind: [vars(load) for load in loads] for kind, loads in kinds.items()}
                              for server, kinds in results.sparql.items()},
            "tables": {name: {"head": head, "rows": rows} for name, (head, rows) in made.items()},
        }, indent=2))
    if args.write:
        report.write_section(RESULTS, "Suite", text, NOTES)
        print(f"\n(written to the Suite section of {RESULTS})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
