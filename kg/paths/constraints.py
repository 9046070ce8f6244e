"""Constraints on paths: the user's options checked against the graph, then compiled into fast tests.

Constraints apply to the nodes *between* the two ends of a path, never to the ends themselves, which the user
named: maximum length, direction, predicates to include or exclude, node kinds to include or exclude, nodes to
avoid, hubs above a degree, a time window (events, works and processes dated outside it may not be on a path;
undated nodes may).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from kg.namespaces import PREFIXES
from kg.paths.model import (
    MAX_ALL,
    MAX_K,
    MAX_LENGTH,
    MODES,
    Constraints,
    PathRequestError,
)
from kg.paths.projection import (
    DATED_KINDS,
    KINDS,
    Projection,
    PropertyInfo,
    local_name,
    normalise_kind,
)

DATE_RE = re.compile(r"^-?\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class NodeCut:
    """A node test made only of things to avoid and a degree cap (the ends always pass), as data: compiled searches
    turn it into an array (:mod:`kg.paths.compiled`)."""

    avoid: frozenset[int]
    max_degree: int | None
    ends: frozenset[int]


@dataclass(frozen=True)
class Compiled:
    """Constraints resolved against one projection: predicate ids and a node test."""

    pred_ok: frozenset[int] | None
    node_ok: Callable[[int], bool] | None
    directed: bool
    max_length: int
    node_cut: NodeCut | None = None
    """``node_ok`` as data, when it is only avoided things and a degree cap."""


def expand_curie(name: str, prefixes: dict[str, str] | None = None) -> str:
    """An IRI from ``<iri>``, ``prefix:local`` (the usual prefixes) or a full IRI.

    >>> expand_curie("prov:wasInfluencedBy"), expand_curie("<http://x/y>")
    ('http://www.w3.org/ns/prov#wasInfluencedBy', 'http://x/y')
    """
    name = name.strip()
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    prefix, colon, local = name.partition(":")
    table = PREFIXES | (prefixes or {})
    if colon and prefix in table and not local.startswith("//"):
        return table[prefix] + local
    return name


class Vocabulary(Protocol):
    """What :func:`resolve_predicate` reads: a :class:`Projection`, or the predicates the frontier engine knows."""

    @property
    def predicates(self) -> Sequence[str]: ...

    @property
    def pred_index(self) -> Mapping[str, int]: ...

    def prop(self, iri: str) -> PropertyInfo: ...


def resolve_predicate(proj: Vocabulary, name: str) -> str:
    """The IRI of a predicate the data uses, given as IRI, CURIE, local name (``coined``) or label.

    Raises :class:`PathRequestError` naming close matches when no predicate fits.
    """
    iri = expand_curie(name)
    if iri in proj.pred_index:
        return iri
    folded = name.strip().lower()
    matches = sorted({p for p in proj.predicates if local_name(p).lower() == folded
                      or proj.prop(p).label.lower() == folded})
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise PathRequestError(f"predicate {name!r} is ambiguous: give one of {', '.join(matches)}")
    import difflib

    names = {local_name(p): p for p in proj.predicates}
    close = difflib.get_close_matches(local_name(iri), list(names), n=4, cutoff=0.6)
    hint = f"; did you mean {', '.join(names[c] for c in close)}?" if close else ""
    raise PathRequestError(f"no relation in the graph uses the predicate {name!r}{hint}")


def check_date(value: str | None, name: str) -> str | None:
    """A date bound (``1990``, ``1990-05``, ``1990-05-01``) or a 400-style error.

    >>> check_date("1993", "after")
    '1993'
    >>> check_date("93", "after")
    Traceback (most recent call last):
    ...
    kg.paths.model.PathRequestError: after=93 is not a date: give a year (1993), a month (1993-09) or a day (1993-09-13)
    """
    if value is None or value == "":
        return None
    value = value.strip()
    if not DATE_RE.match(value):
        raise PathRequestError(
            f"{name}={value} is not a date: give a year (1993), a month (1993-09) or a day (1993-09-13)"
        )
    return value


def in_window(date: str, after: str | None, before: str | None) -> bool:
    """Whether a date lies in the window, at the precision both sides have (bounds included).

    >>> in_window("1993-09-13", "1993", "1993"), in_window("1981", "1990", None), in_window("1981", None, "1990")
    (True, False, True)
    """
    if after is not None and date[: len(after)] < after[: len(date)]:
        return False
    return before is None or date[: len(before)] <= before[: len(date)]


def validate_numbers(mode: str, k: int, max_length: int, limit: int) -> None:
    """Refuse a mode that does not exist and limits past the caps (messages say the cap)."""
    if mode not in MODES:
        raise PathRequestError(f"mode={mode!r} is not a mode: use one of {', '.join(MODES)}")
    if not 1 <= max_length <= MAX_LENGTH:
        raise PathRequestError(f"max_length={max_length} is out of range: it must be between 1 and {MAX_LENGTH}")
    if not 1 <= k <= MAX_K:
        raise PathRequestError(f"k={k} is out of range: it must be between 1 and {MAX_K}")
    if not 1 <= limit <= MAX_ALL:
        raise PathRequestError(f"limit={limit} is out of range: it must be between 1 and {MAX_ALL}")


def make_constraints(
    proj: Projection | None,
    *,
    max_length: int = 6,
    directed: bool = False,
    include_predicates: Sequence[str] = (),
    exclude_predicates: Sequence[str] = (),
    include_kinds: Sequence[str] = (),
    exclude_kinds: Sequence[str] = (),
    avoid: Sequence[int] = (),
    max_degree: int | None = None,
    after: str | None = None,
    before: str | None = None,
    resolve: Callable[[str], str] | None = None,
) -> Constraints:
    """Check user options against the projection and each other; raise :class:`PathRequestError` if wrong.

    ``resolve`` names predicates instead of the projection (the frontier engine passes its own and no projection).
    """
    if not 1 <= max_length <= MAX_LENGTH:
        raise PathRequestError(f"max_length={max_length} is out of range: it must be between 1 and {MAX_LENGTH}")
    if resolve is None:
        assert proj is not None, "make_constraints needs a projection or a predicate resolver"
        resolve = partial(resolve_predicate, proj)
    include = frozenset(resolve(p) for p in include_predicates if p.strip())
    exclude = frozenset(resolve(p) for p in exclude_predicates if p.strip())
    both = include & exclude
    if both:
        raise PathRequestError(f"the predicate(s) {', '.join(sorted(both))} are both included and excluded")
    kinds_in = frozenset(_kind(k) for k in include_kinds if k.strip())
    kinds_out = frozenset(_kind(k) for k in exclude_kinds if k.strip())
    if kinds_in & kinds_out:
        raise PathRequestError(f"the kind(s) {', '.join(sorted(kinds_in & kinds_out))} are both included and excluded")
    if max_degree is not None and max_degree < 1:
        raise PathRequestError(f"max_degree={max_degree} must be at least 1")
    after, before = check_date(after, "after"), check_date(before, "before")
    if after and before:
        width = min(len(after), len(before))
        if after[:width] > before[:width]:
            raise PathRequestError(f"after={after} is later than before={before}: the window is empty")
    return Constraints(max_length, directed, include, exclude, kinds_in, kinds_out, frozenset(avoid), max_degree,
                       after, before)


def _kind(name: str) -> str:
    kind = normalise_kind(name)
    if kind in KINDS:
        return kind
    iri = expand_curie(kind)
    if "://" not in iri and not iri.startswith("urn:"):
        raise PathRequestError(f"{name!r} is not a kind: use one of {', '.join(KINDS)}, or a class IRI or CURIE")
    return iri


def compile_constraints(proj: Projection, cons: Constraints, ends: tuple[int, int]) -> Compiled:
    """Resolve constraints to predicate ids and one node test (the two ends always pass)."""
    pred_ok: frozenset[int] | None = None
    if cons.include_predicates:
        pred_ok = frozenset(proj.pred_index[p] for p in cons.include_predicates if p in proj.pred_index)
    if cons.exclude_predicates:
        dropped = {proj.pred_index[p] for p in cons.exclude_predicates if p in proj.pred_index}
        base = pred_ok if pred_ok is not None else frozenset(range(len(proj.predicates)))
        pred_ok = frozenset(base - dropped)
    tests: list[Callable[[int], bool]] = []
    if cons.avoid:
        avoid = cons.avoid
        tests.append(lambda v: v not in avoid)
    if cons.max_degree is not None:
        degree, cap = proj.degree, cons.max_degree
        tests.append(lambda v: degree[v] <= cap)
    if cons.include_kinds:
        wanted = cons.include_kinds
        tests.append(lambda v: any(proj.has_kind(v, k) for k in wanted))
    if cons.exclude_kinds:
        unwanted = cons.exclude_kinds
        tests.append(lambda v: not any(proj.has_kind(v, k) for k in unwanted))
    if cons.after or cons.before:
        after, before, dates, kinds = cons.after, cons.before, proj.dates, proj.kinds
        tests.append(lambda v: kinds.get(v) not in DATED_KINDS or v not in dates
                     or in_window(dates[v], after, before))
    node_ok: Callable[[int], bool] | None = None
    if tests:
        ends_set = set(ends)
        cache: dict[int, bool] = {}

        def node_ok(v: int) -> bool:
            ok = cache.get(v)
            if ok is None:
                ok = cache[v] = v in ends_set or all(test(v) for test in tests)
            return ok

    cut = None
    if tests and not (cons.include_kinds or cons.exclude_kinds or cons.after or cons.before):
        cut = NodeCut(frozenset(cons.avoid), cons.max_degree, frozenset(ends))
    return Compiled(pred_ok, node_ok, cons.directed, cons.max_length, cut)

