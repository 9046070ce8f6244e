"""Reading a pyoxigraph store through the :class:`kg.store.base.Store` interface: one mixin for every store that
holds a ``raw`` :class:`pyoxigraph.Store` (the embedded store, and a worker's read-only snapshot).

The default graph is the union of all graphs; ``bindings`` are bound safely with ``substitutions=``.

>>> import pyoxigraph as ox
>>> class Reads(OxigraphReads):
...     def __init__(self) -> None:
...         self.raw = ox.Store()
>>> r = Reads()
>>> r.raw.add(ox.Quad(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("x"), ox.NamedNode("http://ex/g")))
>>> [row["o"].value for row in r.select("SELECT ?o { ?s ?p ?o }")], r.ask("ASK { ?s ?p 'x' }")
(['x'], True)
"""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox

from kg.store.base import QueryEvaluationError, QuerySyntaxError, Term


class OxigraphReads:
    """``select``, ``ask`` and ``construct`` over ``self.raw``, with the union default graph."""

    raw: ox.Store
    in_memory: bool = True
    """Whether ``raw`` lives in memory (else in RocksDB on disk, where reading a term's text costs a lookup)."""

    def _query(self, query: str, bindings: Mapping[str, Term] | None) -> object:
        subs = {ox.Variable(k): v for k, v in (bindings or {}).items()} or None
        try:
            return self.raw.query(query, use_default_graph_as_union=True, substitutions=subs)
        except SyntaxError as err:
            raise QuerySyntaxError(str(err)) from None

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[dict[str, Term]]:
        result = self._query(query, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryEvaluationError("not a SELECT query")
        names = [v.value for v in result.variables]
        return [{n: s[n] for n in names if s[n] is not None} for s in result]

    def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool:
        result = self._query(query, bindings)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryEvaluationError("not an ASK query")
        return bool(result)

    def construct(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[ox.Triple]:
        result = self._query(query, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise QueryEvaluationError("not a CONSTRUCT or DESCRIBE query")
        return list(result)
