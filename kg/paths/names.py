"""Name resolution and search: "Montville", "oslo", "Arafat" or an IRI → the thing meant.

Matching works on labels and alternative labels, ignoring case and accents (Unicode NFKD) and
punctuation. Matches rank in tiers: **exact** (the whole label), **token** (every word of the query
is a whole word of the label), **prefix** (every word starts a word of the label: autocomplete),
**substring**, then **fuzzy** (difflib, for typos). Within a tier, a label the query covers more of
ranks first ("Oslo" is closer to "Oslo Accords" than to "Oslo I Accord"), then primary labels before
alternative ones.

:meth:`NameIndex.resolve` returns one node or raises: :class:`UnknownThing` (404, with suggestions)
when nothing matches but fuzzy suggestions, :class:`AmbiguousName` (409, with the candidates) when
the best matches tie.

>>> from kg.paths.builder import projection_from_quads
>>> import pyoxigraph as ox
>>> lab = lambda s, text: ox.Quad(ox.NamedNode(s), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
...                               ox.Literal(text, language="en"))
>>> proj = projection_from_quads([lab("http://x/id/person/jvm", "Joseph V. Montville"),
...                               lab("http://x/id/work/oslo", "Oslo Accords"),
...                               lab("http://x/id/work/oslo1", "Oslo I Accord")])
>>> index = NameIndex(proj)
>>> proj.iris[index.resolve("montville")], proj.iris[index.resolve("Oslo")]
('http://x/id/person/jvm', 'http://x/id/work/oslo')
>>> index.resolution("Oslo")[1].others[0]["label"]
'Oslo I Accord'
>>> index.resolve("Montvile")
Traceback (most recent call last):
...
kg.paths.names.UnknownThing: nothing is called 'Montvile'; did you mean Joseph V. Montville?
"""

from __future__ import annotations

import bisect
import difflib
from dataclasses import dataclass

from kg.paths.constraints import expand_curie
from kg.paths.model import Resolution
from kg.paths.projection import Projection, fold, normalise_kind

TIERS = ("exact", "token", "prefix", "substring", "fuzzy")
MAX_OTHERS = 8
"""Most other things a resolution lists (the things a name matched less well than the one taken)."""


@dataclass(frozen=True)
class Candidate:
    """A thing that matches a name, and how well."""

    node: int
    iri: str
    label: str
    kind: str | None
    match: str
    matched: str
    coverage: float
    primary: bool

    def as_json(self) -> dict[str, object]:
        return {"iri": self.iri, "label": self.label, "kind": self.kind, "match": self.match,
                "matched": self.matched}


class UnknownThing(LookupError):
    """No thing has this IRI or name; ``suggestions`` are close names."""

    def __init__(self, name: str, suggestions: list[Candidate]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(c.label for c in suggestions[:5])}?" if suggestions else ""
        super().__init__(f"nothing is called {name!r}{hint}")

    def __str__(self) -> str:
        return str(self.args[0])


class AmbiguousName(LookupError):
    """Several things match a name equally well; ``candidates`` lists them."""

    def __init__(self, name: str, candidates: list[Candidate]) -> None:
        self.name = name
        self.candidates = candidates
        listed = "; ".join(f"{c.label} ({c.kind or 'thing'}) <{c.iri}>" for c in candidates[:8])
        super().__init__(f"{name!r} could mean several things: {listed}. Give the IRI or a longer name")

    def __str__(self) -> str:
        return str(self.args[0])


class NameIndex:
    """An in-memory index of the labels of a projection's nodes (built once per projection)."""

    def __init__(self, proj: Projection) -> None:
        self.proj = proj
        self.keys: list[tuple[str, int, bool]] = []
        self.exact: dict[str, list[int]] = {}
        self.tokens: dict[str, set[int]] = {}
        for v in proj.nodes():
            names = [(proj.label(v), True)] + [(alt, False) for alt in proj.alt_labels.get(v, ())]
            for text, primary in names:
                key = fold(text)
                if not key:
                    continue
                self.keys.append((key, v, primary))
                self.exact.setdefault(key, []).append(v)
                for token in key.split():
                    self.tokens.setdefault(token, set()).add(v)
        self.sorted_tokens = sorted(self.tokens)
        self.labels_of: dict[int, list[tuple[str, bool]]] = {}
        for key, v, primary in self.keys:
            self.labels_of.setdefault(v, []).append((key, primary))

    # --- matching -------------------------------------------------------------------
    def _prefixed(self, prefix: str) -> set[int]:
        out: set[int] = set()
        i = bisect.bisect_left(self.sorted_tokens, prefix)
        while i < len(self.sorted_tokens) and self.sorted_tokens[i].startswith(prefix):
            out |= self.tokens[self.sorted_tokens[i]]
            i += 1
            if len(out) > 20000:
                break
        return out

    def _grade(self, v: int, query: str, words: list[str]) -> Candidate | None:
        best: tuple[int, float, bool, str] | None = None
        for key, primary in self.labels_of.get(v, ()):
            label_words = key.split()
            if key == query:
                tier = 0
            elif all(w in label_words for w in words):
                tier = 1
            elif all(any(lw.startswith(w) for lw in label_words) for w in words):
                tier = 2
            elif query in key:
                tier = 3
            else:
                continue
            coverage = len(query) / max(len(key), 1)
            grade = (tier, -coverage, not primary, key)
            if best is None or grade < (best[0], -best[1], not best[2], best[3]):
                best = (tier, coverage, primary, key)
        if best is None:
            return None
        return self._candidate(v, TIERS[best[0]], best[3], best[1], best[2])

    def _candidate(self, v: int, match: str, matched: str, coverage: float, primary: bool) -> Candidate:
        proj = self.proj
        return Candidate(v, proj.iris[v], proj.label(v), proj.kind(v), match, matched, round(coverage, 4), primary)

    def search(self, text: str, limit: int = 10, kind: str | None = None, fuzzy: bool = True) -> list[Candidate]:
        """Things whose names match ``text``, best first (see the module docstring for the order)."""
        query = fold(text)
        if not query:
            return []
        words = query.split()
        pools = [self.tokens.get(w, set()) | self._prefixed(w) for w in words]
        pool = set.intersection(*pools) if pools else set()
        if len(query) >= 3 and len(pool) < limit:
            pool |= {v for key, v, _ in self.keys if query in key}
        wanted = normalise_kind(kind) if kind else None
        graded = [c for c in (self._grade(v, query, words) for v in pool) if c is not None]
        if wanted:
            graded = [c for c in graded if self.proj.has_kind(c.node, wanted)]
        degree = self.proj.degree
        graded.sort(key=lambda c: (TIERS.index(c.match), -c.coverage, not c.primary, -degree[c.node], c.label))
        if not graded and fuzzy:
            graded = [c for c in self.suggest(text, limit * 2) if not wanted or self.proj.has_kind(c.node, wanted)]
        return graded[:limit]

    def suggest(self, text: str, limit: int = 5) -> list[Candidate]:
        """Close names for a query that matches nothing (typos): difflib on words and whole labels."""
        query = fold(text)
        words = query.split()
        scores: dict[int, float] = {}
        for word in words:
            for close in difflib.get_close_matches(word, self.sorted_tokens, n=8, cutoff=0.75):
                ratio = difflib.SequenceMatcher(None, word, close).ratio()
                for v in self.tokens[close]:
                    scores[v] = max(scores.get(v, 0.0), ratio)
        for key in difflib.get_close_matches(query, list(self.exact), n=limit, cutoff=0.7):
            ratio = difflib.SequenceMatcher(None, query, key).ratio()
            for v in self.exact[key]:
                scores[v] = max(scores.get(v, 0.0), ratio + 0.01)
        ranked = sorted(scores, key=lambda v: (-scores[v], -self.proj.degree[v], self.proj.label(v)))[:limit]
        return [self._candidate(v, "fuzzy", fold(self.proj.label(v)), round(scores[v], 4), True) for v in ranked]

    # --- resolution --------------------------------------------------------------------
    def resolve(self, text: str) -> int:
        """The node meant by an IRI, a CURIE (``person:joseph-v-montville``) or a name; raises if unclear."""
        return self.resolution(text)[0]

    def resolution(self, text: str) -> tuple[int, Resolution]:
        """The node meant by an IRI, a CURIE or a name, and how it was chosen: an exact label or alternative label
        beats a partial match; among equals, a primary label beats an alternative one; a tie is ambiguous
        (:class:`AmbiguousName`, 409); the things that matched less well are listed (``others``)."""
        text = text.strip()
        if not text:
            raise UnknownThing(text, [])
        proj = self.proj
        iri = expand_curie(text, self._thing_prefixes())
        v = proj.node(iri)
        if v is not None:
            return v, Resolution(text, "iri")
        if "://" in iri or iri.startswith("urn:"):
            tail = iri.rstrip("/").rsplit("/", 1)[-1]
            raise UnknownThing(text, self.search(tail.replace("-", " "), 5) if tail else [])
        found = self.search(text, limit=50, fuzzy=False)
        if not found:
            raise UnknownThing(text, self.suggest(text))
        top = found[0]
        ties = [c for c in found if (c.match, c.coverage, c.primary) == (top.match, top.coverage, top.primary)]
        distinct = list(dict.fromkeys(c.node for c in ties))
        if len(distinct) == 1:
            others = tuple(dict.fromkeys(c.node for c in found if c.node != top.node))[:MAX_OTHERS]
            best = {c.node: c for c in reversed(found)}
            return top.node, Resolution(text, top.match, top.matched, tuple(best[o].as_json() for o in others))
        raise AmbiguousName(text, [c for c in found if c.node in set(distinct)] + [
            c for c in found if c.node not in set(distinct)][: max(0, 8 - len(distinct))])

    def _thing_prefixes(self) -> dict[str, str]:
        """``person:``, ``work:`` … for the deployment, guessed from the IRIs of the things."""
        return self.proj.memo("thing-prefixes", self._guess_prefixes)

    def _guess_prefixes(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for iri in self.proj.iris:
            cut = iri.find("/id/")
            if cut > 0:
                kind = iri[cut + 4 :].split("/", 1)[0]
                if kind and kind not in out:
                    out[kind] = iri[: cut + 4] + kind + "/"
        return out


def name_index(proj: Projection) -> NameIndex:
    """The name index of a projection (built on first use, then shared)."""
    return proj.memo("names", lambda: NameIndex(proj))
