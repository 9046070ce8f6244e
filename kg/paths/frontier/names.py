"""Names on the frontier engine: "Montville", "oslo" or an IRI → the thing meant, with bounded label queries.

The in-memory engine keeps an index of every label (:mod:`kg.paths.names`). The frontier engine asks the store
instead, with one bounded query per name: the things whose label (``rdfs:label``, ``skos:prefLabel``,
``skos:altLabel``, ``foaf:name``, …) contains every word of the name, case-insensitively, at most
:data:`MAX_CANDIDATES` of them. Accents are matched as far as SPARQL allows: each word, folded as the
index folds it (``Café`` → ``cafe``), becomes a regular expression in which a letter also matches its
accented forms (``caf[eèéêëēėęě]``). The candidates' labels and types are then graded by the same
:class:`kg.paths.names.NameIndex` rules (exact, whole word, prefix, substring; 404 with suggestions, 409 with
candidates). When nothing matches, a second query fetches the things with a word starting like one of
the name's words, for the "did you mean" suggestions (typos after the first three letters).

IRIs and CURIEs (``person:joseph-v-montville``) are not searched: one query checks the thing exists.

Bounds: a name so common that more than ``MAX_CANDIDATES`` labels contain it is graded among the first
ones the engine returns.

>>> word_pattern("cafe")
'[cçćč][aàáâãäåāăą]f[eèéêëēėęě]'
"""

from __future__ import annotations

import array
import re
from collections.abc import Iterable

import pyoxigraph as ox

from kg.namespaces import all_prefixes
from kg.paths.builder import projection_from_quads
from kg.paths.constraints import expand_curie
from kg.paths.frontier.graph import NAME_PREDICATES, Session
from kg.paths.model import Resolution
from kg.paths.names import Candidate, NameIndex, UnknownThing
from kg.paths.projection import Projection, fold
from kg.store.base import term_value
from kg.store.sparql_text import sparql_term

MAX_CANDIDATES = 500
"""Most things one name query returns."""
ACCENTS: dict[str, str] = {
    "a": "aàáâãäåāăą", "c": "cçćč", "d": "dď", "e": "eèéêëēėęě", "g": "gğ", "i": "iìíîïīį", "l": "lł",
    "n": "nñńň", "o": "oòóôõöøōő", "r": "rř", "s": "sśšş", "t": "tť", "u": "uùúûüūůű", "y": "yýÿ",
    "z": "zźżž",
}
"""Letters and the accented forms a name query also matches (the query is case-insensitive)."""


def word_pattern(word: str) -> str:
    """A regular expression for a folded word that also matches its accented spellings."""
    return "".join(f"[{ACCENTS[c]}]" if c in ACCENTS else re.escape(c) for c in word)


def _label_query(patterns: list[str], any_of: bool = False) -> str:
    """Things with a name matching every pattern (or any, with ``any_of``). A pattern that is plain digits is
    matched with CONTAINS (cheaper than a regular expression); the longest comes first (the most selective)."""
    names = " ".join(f"<{p}>" for p in sorted(NAME_PREDICATES))
    tests = [f"CONTAINS(STR(?l), {sparql_term(ox.Literal(p))})" if p.isdigit()
             else f"REGEX(STR(?l), {sparql_term(ox.Literal(p))}, \"i\")"
             for p in sorted(patterns, key=len, reverse=True)]
    joined = (" || " if any_of else " && ").join(tests)
    return (f"SELECT DISTINCT ?s {{ VALUES ?p {{ {names} }} ?s ?p ?l "
            f"FILTER(isIRI(?s) && isLiteral(?l) && ({joined})) }} LIMIT {MAX_CANDIDATES}")


class FrontierNames:
    """Name resolution and search over a store, through a :class:`kg.paths.frontier.graph.Session`."""

    def __init__(self, id_base: str) -> None:
        self.prefixes = all_prefixes(id_base)

    def _index(self, session: Session, iris: Iterable[str]) -> NameIndex:
        """A name index over a few things: their labels and types, and their degrees in the whole graph."""
        things = [i for i in dict.fromkeys(iris) if i not in session.figures.schema_nodes]
        facts = session.facts(things)
        quads = [ox.Quad(ox.NamedNode(i), ox.NamedNode(p), v) for i, rows in facts.items() for p, v in rows]
        proj: Projection = projection_from_quads(quads, session.figures.version)
        degree = session.degrees([proj.iris[v] for v in proj.nodes()])
        proj.degree = array.array("i", (degree.get(iri, d) for iri, d in zip(proj.iris, proj.degree, strict=True)))
        return NameIndex(proj)

    def _matching(self, session: Session, text: str) -> list[str]:
        words = list(dict.fromkeys(fold(text).split()))
        if not words:
            return []
        return [term_value(row["s"]) for row in session.select(_label_query([word_pattern(w) for w in words]))]

    def _alike(self, session: Session, text: str) -> list[str]:
        """Things with a word that starts like a word of ``text`` (for suggestions)."""
        stems = sorted({w[:3] for w in fold(text).split() if len(w) >= 3})
        if not stems:
            return []
        patterns = [r"(^|\W)" + word_pattern(stem) for stem in stems]
        return [term_value(row["s"]) for row in session.select(_label_query(patterns, any_of=True))]

    def search(self, session: Session, text: str, limit: int = 10, kind: str | None = None,
               fuzzy: bool = True) -> list[Candidate]:
        """Things whose names match ``text``, best first, as :meth:`kg.paths.names.NameIndex.search` orders them."""
        found = self._matching(session, text)
        if not found and fuzzy:
            found = self._alike(session, text)
        if not found:
            return []
        return self._index(session, found).search(text, limit=limit, kind=kind, fuzzy=fuzzy)

    def resolve(self, session: Session, text: str) -> str:
        """The IRI of the thing meant by an IRI, a CURIE or a name; raises :class:`UnknownThing` (with
        suggestions) or :class:`AmbiguousName` (with candidates) as the in-memory index does."""
        return self.resolution(session, text)[0]

    def resolution(self, session: Session, text: str) -> tuple[str, Resolution]:
        """The IRI of the thing meant, and how it was chosen (as :meth:`kg.paths.names.NameIndex.resolution`)."""
        text = text.strip()
        if not text:
            raise UnknownThing(text, [])
        iri = expand_curie(text, self.prefixes)
        if "://" in iri or iri.startswith("urn:"):
            try:
                known = session.is_thing(iri)
            except ValueError:  # not a valid IRI
                known = False
            if known:
                return iri, Resolution(text, "iri")
            tail = iri.rstrip("/").rsplit("/", 1)[-1]
            raise UnknownThing(text, self.search(session, tail.replace("-", " "), 5) if tail else [])
        found = self._matching(session, text)
        index = self._index(session, found or self._alike(session, text))
        v, how = index.resolution(text)  # UnknownThing / AmbiguousName as in memory
        return index.proj.iris[v], how
