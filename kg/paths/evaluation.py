"""How well the ranking finds the telling path: hit@1 and mean reciprocal rank over an evaluation set.

The set (``tests/data/path_eval.yaml``) pairs things of the seed article with the path a historian would give
first, written from the article, not from the engine's output: per pair the two ends, the hops in walking order
(each the triple as the data states it, or the equivalent triples the graph states for that step) and whether
the honest answer is "only through a broad concept". :func:`evaluate` asks an engine for the ten best paths of
each pair and finds the expected one among them: its rank gives hit@1 (ranked first) and the reciprocal rank
(``1 / rank``, 0 when absent); the mean of those is the MRR. A pair whose honest answer is a broad concept counts
as agreeing when the first path says so (``broad_concept``), and the others when it does not.
``tests/test_path_eval.py`` guards the figures and ``python -m bench.paths_eval`` prints them.

>>> report = EvalReport([PairResult("a", "b", 1, True, True), PairResult("c", "d", 2, False, True)])
>>> report.hit_at_1, report.mrr, report.broad_agreement
(0.5, 0.75, 0.5)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from kg.namespaces import PREFIXES, PROCESS_TYPE, thing_prefixes
from kg.paths.answers import PathEngine
from kg.paths.model import PathOptions, SearchResult
from kg.paths.projection import Projection
from kg.paths.sentences import path_text

EVAL_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "path_eval.yaml"
"""The evaluation set the test and the bench read."""
EVAL_K = 10
"""How many paths are asked for per pair (a path ranked below is absent: reciprocal rank 0)."""

Triple = tuple[str, str, str]
Runner = Callable[[PathOptions], tuple[Projection, SearchResult]]


@dataclass(frozen=True)
class Pair:
    """One pair of the set: ends (IRIs), the expected hops (each a set of acceptable triples), broad or not."""

    source: str
    target: str
    hops: tuple[frozenset[Triple], ...]
    broad: bool
    why: str


@dataclass(frozen=True)
class PairResult:
    """How one pair went: the rank of the expected path (None: not among the first :data:`EVAL_K`), whether the
    first path says it is only through a broad concept, and whether the set expects that."""

    source: str
    target: str
    rank: int | None
    flagged_broad: bool
    expected_broad: bool
    first: str = ""


@dataclass(frozen=True)
class EvalReport:
    """The results of every pair, and the figures."""

    results: Sequence[PairResult]

    @property
    def hit_at_1(self) -> float:
        return sum(r.rank == 1 for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def mrr(self) -> float:
        return sum(1 / r.rank for r in self.results if r.rank) / len(self.results) if self.results else 0.0

    @property
    def broad_agreement(self) -> float:
        """Share of the pairs whose first path is marked broad exactly when the set expects it."""
        if not self.results:
            return 0.0
        return sum(r.flagged_broad == r.expected_broad for r in self.results) / len(self.results)

    @property
    def misses(self) -> list[PairResult]:
        return [r for r in self.results if r.rank != 1]


def curie_prefixes(base_iri: str) -> dict[str, str]:
    """The prefixes the set's CURIEs use: things under ``{base}id/``, the vocabulary's, ``pt:`` for process types."""
    return PREFIXES | thing_prefixes(base_iri + "id/") | {"pt": PROCESS_TYPE}


def load_pairs(base_iri: str, path: Path = EVAL_SET) -> list[Pair]:
    """The pairs of the set, CURIEs expanded under ``base_iri``.

    >>> pairs = load_pairs("http://127.0.0.1:8000/")
    >>> len(pairs) >= 25, pairs[0].target
    (True, 'http://127.0.0.1:8000/id/place/oslo')
    """
    prefixes = curie_prefixes(base_iri)

    def iri(curie: str) -> str:
        prefix, _, local = curie.partition(":")
        if prefix not in prefixes:
            raise ValueError(f"{path.name}: unknown prefix in {curie!r}")
        return prefixes[prefix] + local

    pairs = []
    for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["pairs"]:
        hops = []
        for hop in entry["path"]:
            options = hop if isinstance(hop[0], list) else [hop]
            hops.append(frozenset((iri(s), iri(p), iri(o)) for s, p, o in options))
        pairs.append(Pair(iri(entry["from"]), iri(entry["to"]), tuple(hops), bool(entry.get("broad")),
                          " ".join(str(entry.get("why", "")).split())))
    return pairs


def runner(engine: PathEngine) -> Runner:
    """An engine's path search as :func:`evaluate` asks it."""

    def run(options: PathOptions) -> tuple[Projection, SearchResult]:
        answer = engine.paths(options)
        return answer.proj, answer.result

    return run


def evaluate(run: Runner, pairs: Sequence[Pair], k: int = EVAL_K) -> EvalReport:
    """Ask ``run`` (an engine's path search) for the ``k`` best paths of each pair; find the expected one."""
    results = []
    for pair in pairs:
        proj, result = run(PathOptions(pair.source, pair.target, k=k))
        rank = None
        for position, path in enumerate(result.paths, 1):
            triples = [(proj.iris[proj.edge_subject(h.edge)], proj.predicates[proj.out_pred[h.edge]],
                        proj.iris[proj.out_dst[h.edge]]) for h in path.hops]
            if len(triples) == len(pair.hops) and all(t in hop for t, hop in zip(triples, pair.hops, strict=True)):
                rank = position
                break
        first = result.paths[0] if result.paths else None
        results.append(PairResult(pair.source, pair.target, rank, first is not None and first.broad_concept is not None,
                                  pair.broad, path_text(proj, first) if first else ""))
    return EvalReport(results)
