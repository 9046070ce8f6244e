"""Reading an Oxigraph store's statements for the projection build: TSV written by Oxigraph, split and interned.

Each graph is read by SELECT queries with no filter (Oxigraph would read every term's text to test ``isIRI``: in a
RocksDB store, a lookup per term) and told apart by the first byte of each cell (:func:`kg.paths.tsv.tsv_rows`).
In a RocksDB store each graph is read one predicate at a time, so no predicate's text is read per row (~30 % less
time there; in memory, 4–5 times more). In a store of :data:`COMPILED_FROM` quads or more, a compiled loop reads
each answer and numbers its cells where they lie (:mod:`kg.paths.tsv_compiled`); in a smaller one, the cells are
split into ``bytes`` and numbered by dictionaries, in C (``map`` of their ``__getitem__``). Either way the relations
are kept by numpy and no Python code runs per row.

>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> store.replace_graph("http://ex/g", b'<http://ex/a> <http://ex/p> <http://ex/b> ; '
...                     b'<http://www.w3.org/2000/01/rdf-schema#label> "A"@en .', "text/turtle")
>>> read = read_statements(store.raw, on_disk=False)
>>> dict(read.index), [list(column) for column in read.cols]
({'http://ex/a': 0, 'http://ex/b': 1}, [[0], [0], [1], [1]])
>>> read.literals
[('http://ex/a', 'http://www.w3.org/2000/01/rdf-schema#label', 'A', 'en')]
>>> store.close()
"""

from __future__ import annotations

import array
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyoxigraph as ox

from kg.namespaces import BC, ORG, PROV, TIME
from kg.paths.projection import LITERAL_PREDICATES, QUALIFIED, QUALIFIER_TARGETS
from kg.paths.tsv import literal_lines, select, select_tsv, tsv_literals, tsv_rows, unbracket
from kg.paths.tsv_compiled import LITERAL, RELATION, Terms, read_tsv

_IRI, _BLANK = ord("<"), ord("_")

Tables = tuple[defaultdict[bytes, int], defaultdict[bytes, int]]


@dataclass
class Statements:
    """What :func:`read_statements` read: the relations as four int32 columns (subject, predicate, object, graph),
    the term tables behind them, and the statements the build reads apart."""

    cols: list[array.array] = field(default_factory=lambda: [array.array("i") for _ in range(4)])
    index: defaultdict[str, int] = field(default_factory=lambda: defaultdict(itertools.count().__next__))
    pred_index: defaultdict[str, int] = field(default_factory=lambda: defaultdict(itertools.count().__next__))
    graph_index: defaultdict[str, int] = field(default_factory=lambda: defaultdict(itertools.count().__next__))
    literals: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    """(subject, predicate, value, language) of the literals of :data:`LITERAL_PREDICATES`."""
    blank: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(subject, predicate, object, graph) of the qualifications (``prov:qualifiedX`` and their parts)."""
    membership_dates: list[tuple[str, str, str]] = field(default_factory=list)
    """(member, organisation, date) of the dated memberships."""


COMPILED_FROM = 100_000
"""Stores of this many quads or more are read by compiled code (:mod:`kg.paths.tsv_compiled`): ~3 s less CPU a
million relations, against ~0.6 s to load numba and its cached code."""


def read_statements(raw: ox.Store, on_disk: bool, compiled: bool | None = None) -> Statements:
    """Every graph's relations and the literals and qualifications the build needs, from ``raw``: read in compiled
    code if ``compiled`` (by default, for a store of :data:`COMPILED_FROM` quads or more). Both ways read the same
    statements; the node ids may differ (both number the things in an order fixed by the data)."""
    if compiled is None:
        compiled = _holds(raw, COMPILED_FROM)
    # in IRI order: the same data gives the same node ids on every build (comparable runs of the benches)
    graphs = sorted((g for g in raw.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value)
    read = _relations_compiled(raw, graphs, on_disk) if compiled else _relations(raw, graphs, on_disk)
    values = " ".join(f"<{p}>" for p in sorted(QUALIFIED.keys() | QUALIFIER_TARGETS | {PROV + "hadRole"}))
    for row in select(raw, f"SELECT ?s ?p ?o ?g {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?p {{ {values} }} }}"):
        s, p, o, g = row
        read.blank.append((s.value if type(s) is ox.NamedNode else str(s), p.value,
                           o.value if type(o) is ox.NamedNode else str(o), g.value))
    for row in select(raw, MEMBERSHIP_DATES, union=True):
        member, organisation, date = row
        read.membership_dates.append((member.value, organisation.value, date.value))
    return read


def _holds(raw: ox.Store, count: int) -> bool:
    """Whether ``raw`` holds ``count`` quads or more: a query that stops there (``len`` reads them all).

    >>> store = ox.Store(); store.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal(1)))
    >>> _holds(store, 1), _holds(store, 2)
    (True, False)
    """
    query = f"SELECT ?s {{ {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }} }} OFFSET {count - 1} LIMIT 1"
    return any(True for _ in select(raw, query))


_LITERAL_PREDICATES = {f"<{p}>".encode(): p for p in LITERAL_PREDICATES}


def _relations(raw: ox.Store, graphs: list[ox.NamedNode], on_disk: bool) -> Statements:
    """The relations and literals of :func:`read_statements`, split and numbered in Python (C underneath)."""
    read = Statements()
    index: defaultdict[bytes, int] = defaultdict(itertools.count().__next__)  # b"<iri>" (blank nodes dropped later)
    pred_index: defaultdict[bytes, int] = defaultdict(itertools.count().__next__)
    graph_index: defaultdict[bytes, int] = defaultdict(itertools.count().__next__)
    literal_cells: tuple[list[bytes], list[bytes], list[bytes]] = ([], [], [])  # parsed together at the end
    for graph in [None, *graphs]:  # queries per graph: no graph column to write and read back
        gid = graph_index[f"<{graph.value}>".encode() if graph is not None else b""]
        for query, predicate in _statement_queries(raw, f"GRAPH {graph}" if graph is not None else "", on_disk):
            _read_rows(read, select_tsv(raw, query), predicate, gid, (index, pred_index), set(_LITERAL_PREDICATES),
                       literal_cells)
    subjects, preds, cells = literal_cells
    for subject, pred, (value, lang) in zip(subjects, preds, tsv_literals(cells), strict=True):
        read.literals.append((subject.decode()[1:-1], _LITERAL_PREDICATES[pred], value, lang))
    _keep(read, index, np.frombuffer(bytes(key[0] == _IRI for key in index), dtype=bool), (0, 2))
    used = np.zeros(len(pred_index), dtype=bool)
    used[np.frombuffer(read.cols[1], dtype=np.int32)] = True
    _keep(read, pred_index, used, (1,))
    read.index, read.pred_index, read.graph_index = map(unbracket, (index, pred_index, graph_index))
    return read


def _relations_compiled(raw: ox.Store, graphs: list[ox.NamedNode], on_disk: bool) -> Statements:
    """The relations and literals of :func:`read_statements`, read and numbered in compiled code."""
    read = Statements()
    nodes, preds = Terms(), Terms()
    columns: tuple[list[np.ndarray], ...] = ([], [], [], [])
    literal_rows: tuple[list[np.ndarray], list[np.ndarray], list[bytes]] = ([], [], [])  # subjects, predicates, lines
    graph_names = ["", *(graph.value for graph in graphs)]
    for gid, graph in enumerate([None, *graphs]):
        for query, predicate in _statement_queries(raw, f"GRAPH {graph}" if graph is not None else "", on_disk):
            pid = None if predicate is None else preds.add(predicate)
            rows = read_tsv(select_tsv(raw, query), nodes, preds, pid)
            relations = rows.kinds == RELATION
            for column, values in zip(columns[:3], (rows.subjects, rows.preds, rows.objects), strict=True):
                column.append(values[relations])
            columns[3].append(np.full(int(relations.sum()), gid, np.int32))
            names = preds.keys()
            wanted = [i for i, name in enumerate(names) if name in LITERAL_PREDICATES]
            literals = np.flatnonzero((rows.kinds == LITERAL) & np.isin(rows.preds, wanted))
            literal_rows[0].append(rows.subjects[literals])
            literal_rows[1].append(rows.preds[literals])
            if len(literals):
                literal_rows[2].append(rows.object_lines(literals))
    read.cols = [array.array("i", np.concatenate(column).astype(np.int32).tobytes()) if column else array.array("i")
                 for column in columns]
    iris, predicates = nodes.keys(), preds.keys()
    subjects, pids = (np.concatenate(ids).tolist() if ids else [] for ids in literal_rows[:2])
    parsed = literal_lines(b"\n".join(literal_rows[2]), len(subjects))
    if parsed:  # (the tuples made in C: a loop in Python costs ~0.15 s a million relations)
        texts, langs = zip(*parsed, strict=True)
        read.literals += zip(map(iris.__getitem__, subjects), map(predicates.__getitem__, pids), texts, langs,
                             strict=True)
    read.index = _table(iris)
    pred_index = _table(predicates)
    used = np.zeros(len(pred_index), dtype=bool)
    used[np.frombuffer(read.cols[1], dtype=np.int32)] = True
    _keep(read, pred_index, used, (1,))
    read.pred_index = _table(list(pred_index))
    read.graph_index = _table(graph_names)
    return read


def _table(keys: list[str]) -> defaultdict[str, int]:
    """``keys`` numbered 0, 1, … in order, a new key getting the next number.

    >>> table = _table(["a", "b"]); table["c"], dict(table)
    (2, {'a': 0, 'b': 1, 'c': 2})
    """
    table: defaultdict[str, int] = defaultdict(itertools.count(len(keys)).__next__)
    table.update(zip(keys, range(len(keys)), strict=True))
    return table


def _statement_queries(raw: ox.Store, scope: str, by_predicate: bool) -> list[tuple[str, bytes | None]]:
    """The SELECT queries that read the statements of one graph (``scope``: ``GRAPH <g>``, or empty for the
    default graph), each with the predicate it binds (None: ``?s ?p ?o``): one query, or one per predicate."""
    if not by_predicate:
        return [(f"SELECT ?s ?p ?o {{ {scope} {{ ?s ?p ?o }} }}", None)]
    found = select(raw, f"SELECT DISTINCT ?p {{ {scope} {{ ?s ?p ?o }} }}")
    names = sorted(str(row[0]) for row in found)
    return [(f"SELECT ?s ?o {{ {scope} {{ ?s {name} ?o }} }}", name.encode()) for name in names]


def _interned(table: defaultdict[bytes, int], cells: list[bytes]) -> np.ndarray:
    """The ids of ``cells`` in ``table`` (a new cell gets the next id), as int32.

    >>> table = defaultdict(itertools.count().__next__)
    >>> _interned(table, [b"<a>", b"x", b"<a>"]).tolist(), dict(table)
    ([0, 1, 0], {b'<a>': 0, b'x': 1})
    """
    ids = array.array("i")
    ids.fromlist(list(map(table.__getitem__, cells)))  # (fromlist of a list: ~25 % faster than extend(map))
    return np.frombuffer(ids, dtype=np.int32) if len(ids) else np.zeros(0, dtype=np.int32)


def _read_rows(read: Statements, text: bytes, predicate: bytes | None, gid: int, tables: Tables,
               literal_predicates: set[bytes], literal_cells: tuple[list[bytes], list[bytes], list[bytes]]) -> None:
    """One TSV result of :func:`_statement_queries`: its relations into the columns (graph ``gid``), the cells of
    its literals of :data:`LITERAL_PREDICATES` onto ``literal_cells`` (subjects, predicates, literals)."""
    index, pred_index = tables
    s_col, p_col, o_col, g_col = read.cols
    for (s, p, o), relations, literals in tsv_rows(text, predicate):
        # subjects and predicates interned whole (no Python code per row), the relations' kept by numpy
        rows = np.flatnonzero(relations)
        s_ids, p_ids = _interned(index, s), _interned(pred_index, p)
        s_col.frombytes(s_ids[rows].tobytes())
        p_col.frombytes(p_ids[rows].tobytes())
        o_col.frombytes(_interned(index, list(itertools.compress(o, relations.tolist()))).tobytes())
        g_col.fromlist([gid] * len(rows))
        wanted = [pred_index[name] for name in literal_predicates if name in pred_index]
        for row in np.flatnonzero(literals & np.isin(p_ids, wanted)).tolist():
            for out, cells in zip(literal_cells, (s, p, o), strict=True):
                out.append(cells[row])


def _keep(read: Statements, table: dict[Any, int], keep: np.ndarray, columns: tuple[int, ...]) -> None:
    """Keep only the entries of ``table`` (ids 0, 1, …) that ``keep`` marks (the IRIs among the cells, the
    predicates of relations), renumbered in order, and the relation ``columns`` that hold its ids with them."""
    if keep.all():
        return
    renumber = np.full(len(table), -1, dtype=np.int32)
    renumber[keep] = np.arange(int(keep.sum()), dtype=np.int32)
    kept = {key: int(renumber[v]) for key, v in table.items() if keep[v]}
    table.clear()
    table.update(kept)
    for column in columns:
        read.cols[column] = array.array("i", renumber[np.frombuffer(read.cols[column], dtype=np.int32)].tobytes())


MEMBERSHIP_DATES = f"""SELECT DISTINCT ?member ?organisation (STR(?when) AS ?date) {{
  ?m <{ORG}member> ?member ; <{ORG}organization> ?organisation .
  {{ ?m <{BC}date> ?when }} UNION {{
    ?m <{ORG}memberDuring>/(<{TIME}inside>|<{TIME}hasBeginning>) ?instant .
    VALUES ?p {{ <{TIME}inXSDgYear> <{TIME}inXSDgYearMonth> <{TIME}inXSDDate> }} ?instant ?p ?when }}
  FILTER(isIRI(?member) && isIRI(?organisation))
}}"""
"""When each membership held, by member and organisation (the earliest is kept)."""
