"""Building the projection from a store: one pass over its quads, then numpy arrays (see :mod:`kg.paths.projection`).

>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> store.replace_graph("http://ex/src", b'''
... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... @prefix prov: <http://www.w3.org/ns/prov#> .
... <http://ex/id/person/a> rdfs:label "Ada"@en ; prov:wasInfluencedBy <http://ex/id/person/b> .
... <http://ex/id/person/b> rdfs:label "Bob"@en ; a <http://xmlns.com/foaf/0.1/Person> .
... ''', "text/turtle")
>>> p = build_projection(store)
>>> a = p.node("http://ex/id/person/a")
>>> p.label(a), p.kind(a), p.degree[a]
('Ada', 'person', 1)
>>> [(e.subject_label, e.label, e.object_label) for e in p.edges_between(a, p.node("http://ex/id/person/b"))]
[('Ada', 'was influenced by', 'Bob')]
>>> store.close()
"""

from __future__ import annotations

import array
import gc
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np
import pyoxigraph as ox

from kg.namespaces import BC, ORG, OWL, PROCESS_TYPE, PROV, RDFS, ROLE, SH, TIME, TRACK
from kg.paths.projection import (
    ALT_LABELS,
    AUXILIARY_PREDICATES,
    AUXILIARY_TYPES,
    BOOKKEEPING,
    DATE_RANKS,
    LABEL_RANKS,
    LITERAL_PREDICATES,
    MEMBERSHIP_LINKS,
    PLURAL,
    QUALIFIED,
    QUALIFIER_TARGETS,
    RDF_TYPE,
    SAME_AS,
    SCHEMA_PREDICATES,
    SCHEMA_TYPES,
    SENTENCE_LABEL,
    TIME_LITERALS,
    Projection,
    PropertyInfo,
    humanise,
    inverse_phrase,
    kind_of,
)
from kg.paths.reading import read_statements
from kg.paths.relations import INFLUENCE, QUALIFIED_ROLES
from kg.store.base import Store
from kg.store.reads import OxigraphReads


def _ints(values: np.ndarray) -> array.array:
    """A compact int32 array (4 bytes a value; fast to slice and iterate from Python)."""
    out = array.array("i")
    out.frombytes(np.ascontiguousarray(values, dtype=np.int32).tobytes())
    return out


def _order(*keys: np.ndarray) -> np.ndarray:
    """The stable order of rows sorted by ``keys`` (non-negative integers, the first key first): what
    ``np.lexsort(keys[::-1])`` gives, in one sort of the keys packed into 64-bit integers when they fit (3–4× faster).

    >>> _order(np.array([1, 0, 1, 0]), np.array([5, 7, 2, 7])).tolist()
    [1, 3, 2, 0]
    """
    widths = [int(key.max()).bit_length() if len(key) else 0 for key in keys]
    if sum(widths) > 63:
        return np.lexsort(keys[::-1])
    packed = np.zeros(len(keys[0]), dtype=np.int64)
    for key, width in zip(keys, widths, strict=True):
        packed <<= width
        packed |= key.astype(np.int64)
    return np.argsort(packed, kind="stable")


class _Builder:
    """Reads quads once (in chunks) and assembles a :class:`Projection` with numpy."""

    CHUNK = 1 << 16

    def __init__(self) -> None:
        self.index: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.pred_index: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.graph_index: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.cols: list[array.array] = [array.array("i") for _ in range(4)]
        self.literals: list[tuple[str, str, str, str | None]] = []
        self.blank: list[tuple[str, str, str, str]] = []
        self.time_literals: list[tuple[str, str, str]] = []
        """(node, predicate, value) of the literals that may date a membership (any subject)."""
        self.membership_dates: list[tuple[str, str, str]] = []
        """(member, organisation, date) when read by a query (:meth:`read_oxigraph`)."""

    def read(self, quads: Iterable[ox.Quad]) -> None:
        """One pass: IRI-object quads into integer columns; the few literals and blank nodes aside."""
        named, literal = ox.NamedNode, ox.Literal
        keep_literal = LITERAL_PREDICATES
        s_col, p_col, o_col, g_col = self.cols
        index, pred_index, graph_index = self.index, self.pred_index, self.graph_index
        it = iter(quads)
        while True:
            chunk = list(itertools.islice(it, self.CHUNK))
            if not chunk:
                break
            subjects: list[str] = []
            preds: list[str] = []
            objects: list[str] = []
            graph_names: list[str] = []
            for s, p, o, g in chunk:
                ot = type(o)
                if ot is named:
                    if type(s) is named:
                        subjects.append(s.value)
                        preds.append(p.value)
                        objects.append(o.value)
                        graph_names.append(g.value if type(g) is named else "")
                    else:
                        self.blank.append((str(s), p.value, o.value, g.value if type(g) is named else ""))
                elif ot is literal:
                    pv = p.value
                    if pv in keep_literal and type(s) is named:
                        self.literals.append((s.value, pv, o.value, o.language))
                    if pv in TIME_LITERALS:
                        self.time_literals.append((s.value if type(s) is named else str(s), pv, o.value))
                elif (type(s) is named and p.value in QUALIFIED) or p.value in MEMBERSHIP_LINKS:
                    self.blank.append((s.value if type(s) is named else str(s), p.value, str(o),
                                       g.value if type(g) is named else ""))
            s_col.extend(map(index.__getitem__, subjects))
            p_col.extend(map(pred_index.__getitem__, preds))
            o_col.extend(map(index.__getitem__, objects))
            g_col.extend(map(graph_index.__getitem__, graph_names))

    def read_oxigraph(self, raw: ox.Store, on_disk: bool = False, compiled: bool | None = None) -> None:
        """The same as :meth:`read`, faster (:func:`kg.paths.reading.read_statements`, in compiled code if
        ``compiled``; by default for a big store)."""
        read = read_statements(raw, on_disk, compiled)
        self.cols = read.cols
        self.index, self.pred_index, self.graph_index = read.index, read.pred_index, read.graph_index
        self.literals += read.literals
        self.blank += read.blank
        self.membership_dates += read.membership_dates

    # --- assembly: one step per concern, each reading what the previous ones found --------------
    def finish(self, version: str) -> Projection:
        """Assemble the projection from what :meth:`read` or :meth:`read_oxigraph` collected."""
        self._intern()
        self._read_schema()
        self._read_literals()
        self._read_memberships()
        self._fold_qualified()
        self._fold_same_as()
        return self._assemble(version)

    def _intern(self) -> None:
        """Term tables (IRIs, predicates, graphs) and the relation columns as numpy arrays."""
        self.ids: dict[str, int] = dict(self.index)
        self.iris: list[str] = list(self.ids)
        self.predicates: list[str] = list(self.pred_index)
        self.graphs: list[str] = list(self.graph_index)
        self.pid: dict[str, int] = dict(self.pred_index)
        self.s_col, self.p_col, self.o_col, self.g_col = (
            np.frombuffer(c, dtype=np.int32) if len(c) else np.zeros(0, np.int32) for c in self.cols
        )
        self.extra: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])

    def _rows(self, predicate: str) -> tuple[list[int], list[int], list[int]]:
        """Subjects, objects and graphs of the relations along one predicate (empty if unused)."""
        if predicate not in self.pid:
            return [], [], []
        rows = np.nonzero(self.p_col == self.pid[predicate])[0]
        return self.s_col[rows].tolist(), self.o_col[rows].tolist(), self.g_col[rows].tolist()

    def _read_schema(self) -> None:
        """Types, and the things that are classes or properties (never nodes): by type or by schema relations."""
        iris = self.iris
        self.types: dict[int, list[str]] = {}
        self.schema: set[int] = set()
        subjects, objects, _ = self._rows(RDF_TYPE)
        self.auxiliary: set[int] = set()
        for s, o in zip(subjects, objects, strict=True):
            self.types.setdefault(s, []).append(iris[o])
            if iris[o] in SCHEMA_TYPES or iris[o].startswith(SH):
                self.schema.add(s)
            elif iris[o] in AUXILIARY_TYPES:
                self.auxiliary.add(s)  # a qualification, membership or time given an IRI: not a thing
        self.schema |= self.auxiliary
        self.sub_property: list[tuple[str, str]] = []
        self.inverse_of: list[tuple[str, str]] = []
        for name in SCHEMA_PREDICATES:
            subjects, objects, _ = self._rows(name)
            self.schema.update(subjects)
            pairs = [(iris[s], iris[o]) for s, o in zip(subjects, objects, strict=True)]
            if name == RDFS + "subPropertyOf":
                self.sub_property += pairs
            elif name == OWL + "inverseOf":
                self.inverse_of += pairs

    def _node(self, iri: str) -> int:
        """The id of an IRI, given one if it only appears in a literal-valued or qualified statement."""
        v = self.ids.get(iri)
        if v is None:
            v = self.ids[iri] = len(self.iris)
            self.iris.append(iri)
        return v

    def _read_literals(self) -> None:
        """Labels (the best English one wins), alternative labels, dates and property annotations."""
        self.label_best: dict[int, tuple[int, str]] = {}
        self.alt: dict[int, list[str]] = {}
        self.date_best: dict[int, tuple[int, str]] = {}
        self.inverse_labels: dict[str, tuple[int, str]] = {}
        self.sentence: dict[int, tuple[int, str]] = {}
        self.plural: set[int] = set()
        for s_iri, pred, value, lang in self.literals:
            s = self._node(s_iri)
            if pred in LABEL_RANKS:
                self._label(s, LABEL_RANKS[pred], value, lang)
            elif pred in ALT_LABELS:
                self.alt.setdefault(s, []).append(value)
            elif pred in DATE_RANKS:
                best = self.date_best.get(s)
                if best is None or (DATE_RANKS[pred], value) < best:
                    self.date_best[s] = (DATE_RANKS[pred], value)
            elif pred == BC + "inverseLabel":
                self.schema.add(s)
                key = 0 if lang == "en" else 1 if not lang else 2
                old = self.inverse_labels.get(s_iri)
                if old is None or (key, value) < old:
                    self.inverse_labels[s_iri] = (key, value)
            elif pred == SENTENCE_LABEL:
                key = 0 if lang == "en" else 1 if not lang else 2
                if s not in self.sentence or (key, value) < self.sentence[s]:
                    self.sentence[s] = (key, value)
            elif pred == PLURAL and value.strip().lower() in ("true", "1"):
                self.plural.add(s)
        self.schema.update(self.ids[name] for name in self.predicates if name in self.ids)

    def _label(self, s: int, rank: int, value: str, lang: str | None) -> None:
        """Keep the best label of ``s`` (by property rank, then English, untagged, other, then the first in code
        point order, so the order statements are read in does not matter); the rest are alternatives."""
        if rank <= 1 and lang != "en":
            rank = 4
        key = rank * 3 + (0 if lang == "en" else 1 if not lang else 2)
        best = self.label_best.get(s)
        if best is None or (key, value) < best:
            self.label_best[s] = (key, value)
            if best is not None and best[1] != value:
                self.alt.setdefault(s, []).append(best[1])
        elif value != best[1]:
            self.alt.setdefault(s, []).append(value)

    def _add(self, s: int, p: str, o: int, g: int) -> None:
        """A relation the data implies rather than states (folded in by :meth:`_assemble`)."""
        if p not in self.pid:
            self.pid[p] = len(self.predicates)
            self.predicates.append(p)
        for column, value in zip(self.extra, (s, self.pid[p], o, g), strict=True):
            column.append(value)

    def _read_memberships(self) -> None:
        """When each membership held (``w3org:Membership`` with ``w3org:memberDuring`` or ``bc:date``), keyed by
        (member, organisation): the earliest date when several memberships link the same two."""
        links: dict[str, dict[str, str]] = {}
        for s, p, o, _ in self.blank:
            if p in MEMBERSHIP_LINKS:
                links.setdefault(p, {})[s] = o
        for name in MEMBERSHIP_LINKS:  # skolemised memberships and times are IRIs: their links are relations
            subjects, objects, _ = self._rows(name)
            for s_id, o_id in zip(subjects, objects, strict=True):
                links.setdefault(name, {}).setdefault(self.iris[s_id], self.iris[o_id])
        dated: dict[str, str] = {}
        for node, predicate, value in self.time_literals:
            if predicate == BC + "date" or node not in dated:
                dated[node] = value
        rows = list(self.membership_dates)
        member, organisation = links.get(ORG + "member", {}), links.get(ORG + "organization", {})
        during = links.get(ORG + "memberDuring", {})
        instants = [links.get(TIME + "inside", {}), links.get(TIME + "hasBeginning", {})]
        for m, who in member.items():
            date = dated.get(m) or next((dated[i[during[m]]] for i in instants
                                         if m in during and i.get(during[m]) in dated), None)
            if m in organisation and date:
                rows.append((who, organisation[m], date))
        self.relation_dates: dict[tuple[int, int], str] = {}
        for who, org, date in rows:
            u, v = self.ids.get(who), self.ids.get(org)
            if u is not None and v is not None and date < self.relation_dates.get((u, v), "9999"):
                self.relation_dates[(u, v)] = date

    def _fold_qualified(self) -> None:
        """A PROV qualification (``s prov:qualifiedX [ prov:agent o ]``) as the direct relation ``s prov:x o``,
        when it has no role; with a role, as the relation the role means (:data:`QUALIFIED_ROLES`), or not at all."""
        iris, graphs = self.iris, self.graphs
        qual_target = {s: o for s, p, o, _ in self.blank if p in QUALIFIER_TARGETS}
        role_of = {s: o for s, p, o, _ in self.blank if p == PROV + "hadRole"}
        for name in QUALIFIER_TARGETS:
            subjects, objects, _ = self._rows(name)
            for s, o in zip(subjects, objects, strict=True):
                qual_target.setdefault(iris[s], iris[o])
        subjects, objects, _ = self._rows(PROV + "hadRole")
        for s, o in zip(subjects, objects, strict=True):
            role_of.setdefault(iris[s], iris[o])
        qualified = [(s, p, o, g) for s, p, o, g in self.blank if p in QUALIFIED]
        for name in QUALIFIED:
            subjects, objects, gs = self._rows(name)
            qualified += [(iris[s], name, iris[o], graphs[g]) for s, o, g in zip(subjects, objects, gs, strict=True)]
        graph_ids = {g: i for i, g in enumerate(graphs)}
        for s_iri, pred, qual, g in qualified:
            target = qual_target.get(qual)
            subject = self.ids.get(s_iri)
            role = role_of.get(qual)
            direct = QUALIFIED[pred] if role is None else QUALIFIED_ROLES.get((pred, role))
            if target is None or subject is None or direct is None:
                continue
            if g not in graph_ids:
                graph_ids[g] = len(graphs)
                graphs.append(g)
            self._add(subject, direct, self._node(target), graph_ids[g])

    def _fold_same_as(self) -> None:
        """``owl:sameAs`` to a thing of the graph is a relation; to the outside world, a node attribute."""
        has_outgoing = np.zeros(len(self.iris) + 1, dtype=bool)
        has_outgoing[self.s_col] = True
        same_as: dict[int, list[str]] = {}
        subjects, objects, gs = self._rows(SAME_AS)
        for s, o, g in zip(subjects, objects, gs, strict=True):
            if has_outgoing[o] or o in self.label_best:
                self._add(s, SAME_AS, o, g)
            else:
                same_as.setdefault(s, []).append(self.iris[o])
        self.same_as = {s: sorted(set(links)) for s, links in same_as.items()}

    def _edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[int, tuple[int, ...]]]:
        """The relations (no types, schema or bookkeeping; the folded ones added), one per (s, p, o), with the
        other graphs that state a relation."""
        n = len(self.iris)
        pid, schema = self.pid, self.schema
        drop_preds = [pid[name] for name in (BOOKKEEPING | SCHEMA_PREDICATES | QUALIFIED.keys()
                                              | AUXILIARY_PREDICATES | {RDF_TYPE, SAME_AS}) if name in pid]
        is_schema = np.zeros(n, dtype=bool)
        if schema:
            is_schema[np.fromiter(schema, dtype=np.int64, count=len(schema))] = True
        s_col, p_col, o_col, g_col = self.s_col, self.p_col, self.o_col, self.g_col
        keep = ~np.isin(p_col, drop_preds) & ~is_schema[s_col] & ~is_schema[o_col] if len(s_col) else np.zeros(0, bool)
        s_col, p_col, o_col, g_col = s_col[keep], p_col[keep], o_col[keep], g_col[keep]
        extra_s, extra_p, extra_o, extra_g = self.extra
        if extra_s:
            already = set()
            if len(extra_s) < len(s_col):
                already = set(zip(s_col.tolist(), p_col.tolist(), o_col.tolist(), strict=True))
            rows = [i for i, t in enumerate(zip(extra_s, extra_p, extra_o, strict=True))
                    if t not in already and not is_schema[t[0]] and not is_schema[t[2]]]
            s_col = np.concatenate([s_col, np.array([extra_s[i] for i in rows], dtype=np.int32)])
            p_col = np.concatenate([p_col, np.array([extra_p[i] for i in rows], dtype=np.int32)])
            o_col = np.concatenate([o_col, np.array([extra_o[i] for i in rows], dtype=np.int32)])
            g_col = np.concatenate([g_col, np.array([extra_g[i] for i in rows], dtype=np.int32)])
        order = _order(s_col, p_col, o_col, g_col)
        s_col, p_col, o_col, g_col = s_col[order], p_col[order], o_col[order], g_col[order]
        first = np.ones(len(s_col), dtype=bool)
        if len(s_col) > 1:
            first[1:] = (s_col[1:] != s_col[:-1]) | (p_col[1:] != p_col[:-1]) | (o_col[1:] != o_col[:-1])
        edge_of_row = np.cumsum(first) - 1
        extra_graphs: dict[int, tuple[int, ...]] = {}
        dup_rows = np.nonzero(~first)[0]
        if len(dup_rows):
            groups: dict[int, set[int]] = {}
            for row in dup_rows.tolist():
                e = int(edge_of_row[row])
                groups.setdefault(e, {int(g_col[row - 1])}).add(int(g_col[row]))
            extra_graphs = {e: tuple(sorted(gs)) for e, gs in groups.items()}
        s_col, p_col, o_col, g_col = s_col[first], p_col[first], o_col[first], g_col[first]
        # extra_graphs must include the first row's graph: rows are sorted by graph within a relation
        for e in list(extra_graphs):
            extra_graphs[e] = tuple(sorted(set(extra_graphs[e]) | {int(g_col[e])}))
        return s_col, p_col, o_col, g_col, extra_graphs

    def _assemble(self, version: str) -> Projection:
        """Adjacency in both directions (each node's relations least connected neighbour first, so searches
        can stop scanning a hub early), degrees, predicate frequencies, and the node attributes."""
        s_col, p_col, o_col, g_col, extra_graphs = self._edges()
        iris, ids, label_best = self.iris, self.ids, self.label_best
        n = len(iris)
        out_count = np.bincount(s_col, minlength=n)
        in_count = np.bincount(o_col, minlength=n)
        degree = out_count + in_count
        order = _order(s_col, degree[o_col], o_col)
        s_col, p_col, o_col, g_col = s_col[order], p_col[order], o_col[order], g_col[order]
        if extra_graphs:
            position = np.empty(len(order), dtype=np.int64)
            position[order] = np.arange(len(order))
            extra_graphs = {int(position[e]): gs for e, gs in extra_graphs.items()}
        out_off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(out_count, out=out_off[1:])
        in_order = _order(o_col, degree[s_col], s_col)
        in_off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(in_count, out=in_off[1:])
        pred_freq = np.bincount(p_col, minlength=len(self.predicates)).tolist()

        alive = bytearray((degree > 0).astype(np.uint8).tobytes())
        for v in label_best:
            alive[v] = 1
        for v in self.schema:
            alive[v] = 0
        types_out = {v: tuple(ts) for v, ts in self.types.items() if alive[v]}
        symmetric = {iris[v] for v, ts in self.types.items() if OWL + "SymmetricProperty" in ts}
        return Projection(
            version=version, iris=iris, index=ids, alive=alive,
            out_off=_ints(out_off), out_dst=_ints(o_col), out_pred=_ints(p_col), out_graph=_ints(g_col),
            extra_graphs=extra_graphs, in_off=_ints(in_off), in_src=_ints(s_col[in_order]),
            in_pred=_ints(p_col[in_order]), in_edge=_ints(in_order), degree=_ints(degree),
            predicates=self.predicates, pred_index=self.pid, pred_freq=pred_freq, graphs=self.graphs,
            properties=_properties(self.predicates, ids, label_best, self.inverse_labels, self.sub_property,
                                   self.inverse_of, symmetric),
            labels={v: t for v, (_, t) in label_best.items() if alive[v]},
            alt_labels=_alternatives(self.alt, label_best, alive), types=types_out,
            dates={v: d for v, (_, d) in self.date_best.items() if alive[v]}, same_as=self.same_as,
            kinds=_kinds(iris, alive, types_out),
            graph_labels={g: label_best[ids[g]][1] for g in self.graphs if ids.get(g) in label_best},
            sentence_labels={v: text for v, (_, text) in self.sentence.items() if alive[v]},
            plural=frozenset(v for v in self.plural if alive[v]), relation_dates=self.relation_dates,
        )


def _alternatives(alt: dict[int, list[str]], label_best: dict[int, tuple[int, str]],
                  alive: bytearray) -> dict[int, list[str]]:
    """Each living thing's alternative labels, sorted, without its label.

    >>> _alternatives({0: ["b", "a", "b"], 1: ["x"]}, {1: (0, "x")}, bytearray([1, 1]))
    {0: ['a', 'b']}
    """
    out = {}
    for v, labels in alt.items():
        if alive[v]:
            others = set(labels) - {label_best[v][1]} if v in label_best else set(labels)
            if others:
                out[v] = sorted(others)
    return out


def _kinds(iris: list[str], alive: bytearray, types: dict[int, tuple[str, ...]]) -> dict[int, str]:
    """The short kind of every node: from its types (worked out once per combination of types), then
    from its IRI where the IRI says (``…/id/person/…``, the concept schemes)."""
    by_types: dict[tuple[str, ...], str | None] = {}
    kinds: dict[int, str] = {}
    for v, ts in types.items():
        if ts not in by_types:
            by_types[ts] = kind_of("", ts)
        kind = by_types[ts]
        if kind is not None:
            kinds[v] = kind
    telling = [v for v, iri in enumerate(iris) if "/id/" in iri or iri.startswith((TRACK, PROCESS_TYPE, ROLE))]
    for v in telling:
        if alive[v]:
            kind = kind_of(iris[v], types.get(v, ()))
            if kind is not None:
                kinds[v] = kind
    return kinds




def _properties(
    predicates: list[str], index: dict[str, int], label_best: dict[int, tuple[int, str]],
    inverse_labels: dict[str, tuple[int, str]], sub_property: list[tuple[str, str]],
    inverse_of: list[tuple[str, str]], symmetric: set[str],
) -> dict[str, PropertyInfo]:
    """Labels, inverse labels and influence direction of every property the data uses or describes: influence
    as :data:`kg.paths.relations.INFLUENCE` lists it, for sub-properties and inverses of those too."""
    influence: dict[str, int] = dict(INFLUENCE)
    pairs = inverse_of + [(b, a) for a, b in inverse_of]
    changed = True
    while changed:  # closure over rdfs:subPropertyOf and owl:inverseOf
        changed = False
        for sub, sup in sub_property:
            if sup in influence and sub not in influence:
                influence[sub] = influence[sup]
                changed = True
        for a, b in pairs:
            if b in influence and a not in influence:
                influence[a] = -influence[b]
                changed = True
    out = {}
    for iri in set(predicates) | set(inverse_labels) | set(influence):
        v = index.get(iri)
        best = label_best.get(v) if v is not None else None
        label = best[1] if best else humanise(iri)
        inverse = inverse_labels.get(iri)
        inverse_label = inverse[1] if inverse else (label if iri in symmetric else inverse_phrase(label))
        out[iri] = PropertyInfo(iri, label, inverse_label, influence.get(iri, 0), iri in symmetric)
    return out


def build_projection(store: Store, version: str | None = None, compiled: bool | None = None) -> Projection:
    """Project the store's current content (every graph) into a :class:`Projection`.

    The embedded Oxigraph store is read through a fast path (TSV written in Rust, :mod:`kg.paths.reading`; read in
    compiled code if ``compiled``, by default for a big store); any other store through :meth:`Store.quads`.
    """
    version = store.version if version is None else version
    raw = getattr(store, "raw", None)
    if not isinstance(raw, ox.Store):
        return projection_from_quads(store.quads(), version)
    with gc_paused():
        builder = _Builder()
        builder.read_oxigraph(raw, isinstance(store, OxigraphReads) and not store.in_memory, compiled)
        return builder.finish(version)


def projection_from_quads(quads: Iterable[ox.Quad], version: str = "0") -> Projection:
    """Project quads directly (tests, benchmarks). The cyclic GC is paused while building.

    >>> q = ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.NamedNode("http://x/b"),
    ...             ox.NamedNode("http://x/g"))
    >>> projection_from_quads([q, q]).edge_count
    1
    """
    with gc_paused():
        builder = _Builder()
        builder.read(quads)
        return builder.finish(version)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: a build allocates many containers and frees none, so collections would only cost time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
