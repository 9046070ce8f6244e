"""The path ranking's evaluation figures: hit@1 and mean reciprocal rank over the evaluation set (not a test).

    .venv/bin/python -m bench.paths_eval          # the table, then each pair whose expected path was not first
    .venv/bin/python -m bench --only eval         # the same table as a section of the suite

The set (``tests/data/path_eval.yaml``, read by :func:`kg.paths.evaluation.load_pairs`) pairs things of the seed
article with the path a historian would give first, written from the article. The seed graph is built into an
in-memory store; each pair is asked of both engines (the in-memory projection, and the frontier engine's batched
SPARQL on the same store) for its ten best paths. ``tests/test_path_eval.py`` fails below hit@1 0.9.

>>> head, rows = table({})
>>> head[:4]
['engine', 'pairs', 'hit@1', 'MRR']
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kg.data.build import build
from kg.paths.engines import PathEngines
from kg.paths.evaluation import EVAL_SET, EvalReport, evaluate, load_pairs, runner
from kg.settings import Settings
from kg.store.embedded import OxigraphStore

BASE = "http://127.0.0.1:8000/"
ENGINES = ("memory", "frontier")
NOTES = [f"The evaluation set `{EVAL_SET.relative_to(EVAL_SET.parents[2])}`: pairs of things of the seed article with "
         "the path a historian would give first, written from the article (not from the engine's output). Each pair "
         "asked of each engine for its 10 best paths (`mode=k`, at most 6 hops) on the seed graph: hit@1 is the "
         "share of pairs whose expected path comes first, MRR the mean of 1/rank (0 when not among the 10). "
         "\"Broad\": the share of pairs whose first path says it links only through a broad concept exactly when "
         "the set expects that. `tests/test_path_eval.py` fails below hit@1 0.9."]

Table = tuple[list[str], list[list[str]]]


def measure(base_iri: str = BASE) -> dict[str, EvalReport]:
    """The evaluation of each engine on the seed graph (built into an in-memory store, then closed)."""
    store = OxigraphStore(":memory:")
    try:
        build(store, Settings(base_iri=base_iri, store=":memory:"))
        pairs = load_pairs(base_iri)
        reports = {}
        for name in ENGINES:
            engine = PathEngines(store, Settings(base_iri=base_iri, store=":memory:", paths_engine=name)).engine()
            reports[name] = evaluate(runner(engine), pairs)
        return reports
    finally:
        store.close()


def table(reports: dict[str, EvalReport]) -> Table:
    """One row per engine: pairs, hit@1, MRR, broad-concept agreement, the pairs missed at rank 1."""
    head = ["engine", "pairs", "hit@1", "MRR", "broad", "missed at rank 1 (rank)"]
    rows = []
    for name, report in reports.items():
        misses = "; ".join(f"{_short(m.source)} → {_short(m.target)} ({m.rank or '>10'})" for m in report.misses)
        rows.append([name, str(len(report.results)), f"{report.hit_at_1:.3f}", f"{report.mrr:.3f}",
                     f"{report.broad_agreement:.3f}", misses or "none"])
    return head, rows


def _short(iri: str) -> str:
    """The tail of an IRI (``person/joseph-v-montville``).

    >>> _short("http://127.0.0.1:8000/id/person/joseph-v-montville")
    'person/joseph-v-montville'
    """
    return iri.split("/id/", 1)[-1] if "/id/" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paths_eval", description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    from bench import report

    reports = measure()
    print("\n".join(NOTES))
    print()
    print(report.table(*table(reports)))
    for name, result in reports.items():
        for miss in result.misses:
            print(f"\n{name}: {_short(miss.source)} → {_short(miss.target)}: expected path at rank "
                  f"{miss.rank or 'below 10'}; first: {miss.first}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
