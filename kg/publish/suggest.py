"""Name suggestions for an unknown IRI ("did you mean …"): a trigram index built once per store version, with a
bounded amount of work per question.

The 404 of ``/doc/person/<anything>`` suggests the things whose names are nearest the path. Comparing the path
with every name (as difflib does) costs time in proportion to the number of names *and* to the path's length, in
the server process: an 8 KB path took 2.8 s on the seed graph, and with 300,000 labels a short one took 16–30 s.
Here each question does a bounded amount of work, whatever it asks and however big the graph:

1. the text is cut to :data:`MAX_TEXT` characters and reduced to lower-case words (a slug and a label compare
   alike: ``joseph-v-montville`` ~ ``Joseph V. Montville``);
2. its distinct trigrams (at most ``MAX_TEXT + 2``) are looked up in the index, rarest first; posting lists longer than
   :data:`COMMON` are skipped (a trigram every tenth name has tells little), and at most :data:`MAX_POSTINGS`
   entries are read in all;
3. the :data:`MAX_CANDIDATES` names sharing the most trigrams (Jaccard similarity) are compared closely
   (difflib ratio over at most :data:`NAME_CHARS` characters), and those at least :data:`MIN_RATIO` alike are
   returned, best first, one per thing.

The index is built with numpy in a few passes over all names (about 2 s for 600,000 names), once per store
version, in the background (:class:`LatestSuggester`): meanwhile the previous version's index answers.

>>> index = Suggester([Named("http://x/id/a", "Oslo Accords"), Named("http://x/id/b", "Oslo"),
...                    Named("http://x/id/c", "Joseph V. Montville")])
>>> [n.label for n in index.suggest("oslo acords")]
['Oslo Accords', 'Oslo']
>>> [n.iri for n in index.suggest("joseph-v-montvile")]
['http://x/id/c']
>>> found = index.search("x" * 12_000)
>>> found.names, found.compared <= MAX_CANDIDATES, len(found.text)
([], True, 64)
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

MAX_TEXT = 64
"""Characters of the asked text that are looked at (a slug longer than this names nothing better)."""
NAME_CHARS = 96
"""Characters of each name that are indexed and compared."""
MAX_POSTINGS = 100_000
"""Index entries read per question, at most."""
COMMON = 20_000
"""A trigram in more names than this is skipped (it would cost much and tell little)."""
MAX_CANDIDATES = 50
"""Names compared closely per question, at most."""
MIN_RATIO = 0.5
"""How alike (difflib ratio, 0–1) a name must be to be suggested."""


@dataclass(frozen=True)
class Named:
    """A thing's IRI and one of its names."""

    iri: str
    label: str


@dataclass(frozen=True)
class Found:
    """The answer to one question, and how much work it took (for tests and benchmarks)."""

    text: str
    """The words that were looked up (cut to :data:`MAX_TEXT`)."""
    names: list[Named]
    scanned: int
    """Index entries read."""
    compared: int
    """Names compared closely."""


def words(text: str, size: int = MAX_TEXT) -> str:
    """Lower-case words separated by single spaces, from the first ``size`` characters that count.

    >>> words("Joseph V. Montville"), words("joseph-v-montville"), words("coinedIn")
    ('joseph v montville', 'joseph v montville', 'coined in')
    """
    return _normalise([text[: size * 4]], size)[0]  # punctuation collapses: read a little more than is kept


def _normalise(texts: list[str], size: int) -> list[str]:
    """:func:`words` of many texts at once (three regular-expression passes over them all, not one per text)."""
    joined = _CAMEL.sub(" ", "\x00".join(texts)).lower()
    return [part.strip()[:size].strip() for part in _SEPARATORS.sub(" ", joined).split("\x00")]


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^0-9a-z\x00]+")
_ALPHABET = np.zeros(256, dtype=np.uint16)
_ALPHABET[np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)] = np.arange(1, 37)
GRAMS = 37 ** 3
"""Trigrams of the 37 characters a key holds (space, digits, letters), each a number below this (16 bits)."""


def trigram_codes(keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(key number, trigram code) of every trigram of every key, each key padded as ``"  key "`` so short words
    have some. Vectorised: the keys are laid end to end and the trigrams read off in one pass. A trigram that
    occurs twice in a key counts twice (a multiset: cheaper, and just as good at ranking names).

    >>> owners, codes = trigram_codes(["ab", "b"])
    >>> owners.tolist(), len(set(codes.tolist()))
    ([0, 0, 0, 1, 1], 5)
    """
    padded = [f"  {key} " for key in keys]
    lengths = np.fromiter((len(p) for p in padded), dtype=np.int64, count=len(padded))
    letters = _ALPHABET[np.frombuffer("".join(padded).encode("ascii"), dtype=np.uint8)]
    if len(letters) < 3:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint16)
    owner = np.repeat(np.arange(len(padded), dtype=np.int32), lengths)
    codes = letters[:-2] * np.uint16(1369) + letters[1:-1] * np.uint16(37) + letters[2:]
    inside = owner[:-2] == owner[2:]  # the three characters belong to one key
    return owner[:-2][inside], codes[inside]


def _counted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values, sorted, and how often each occurs (``numpy.unique`` by sorting, which is many times
    faster than numpy 2.4's hash-based ``unique`` on large integer arrays)."""
    ordered = np.sort(values, kind="stable")
    if not len(ordered):
        return ordered, np.zeros(0, dtype=np.int64)
    firsts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[firsts], np.diff(np.append(firsts, len(ordered)))


class Suggester:
    """A trigram index of names (see the module documentation); build it once per store version.

    The index is two numpy arrays: the names of each trigram side by side (``members``), and where each trigram's
    run starts (``starts``); a question counts shared trigrams with numpy, not name by name.
    """

    def __init__(self, names: Iterable[Named]) -> None:
        listed = list(names)
        keys = _normalise([n.label[: NAME_CHARS * 4] for n in listed], NAME_CHARS)
        kept = [i for i, key in enumerate(keys) if key]
        self.names: list[Named] = [listed[i] for i in kept]
        self.keys: list[str] = [keys[i] for i in kept]
        owners, codes = trigram_codes(self.keys)
        order = np.argsort(codes, kind="stable")  # 16-bit keys: a radix sort
        self.members = owners[order]
        self.starts = np.concatenate(([0], np.cumsum(np.bincount(codes, minlength=GRAMS))))
        self.sizes = np.bincount(owners, minlength=len(self.keys))

    def __len__(self) -> int:
        return len(self.names)

    def search(self, text: str, *, limit: int = 5, within: str = "") -> Found:
        """The things whose names are nearest ``text`` (IRIs starting with ``within``), and the work it took."""
        key = words(text)
        if not key or not self.names:
            return Found(key, [], 0, 0)
        _, grams = trigram_codes([key])
        grams = np.unique(grams)  # a few dozen values
        runs = sorted(((int(self.starts[g]), int(self.starts[g + 1])) for g in grams),
                      key=lambda run: run[1] - run[0])
        chosen, scanned = [], 0
        for start, end in runs:  # rarest first: every later run is at least as long
            if end - start > COMMON or scanned + end - start > MAX_POSTINGS:
                break
            chosen.append(self.members[start:end])
            scanned += end - start
        if not scanned:
            return Found(key, [], 0, 0)
        numbers, shared = _counted(np.concatenate(chosen))
        jaccard = shared / (len(grams) + self.sizes[numbers] - shared)
        order = np.argsort(-jaccard, kind="stable")[: MAX_CANDIDATES * 20]
        candidates = [int(n) for n in numbers[order] if not within or self.names[n].iri.startswith(within)]
        candidates = candidates[:MAX_CANDIDATES]
        best: dict[str, tuple[float, Named]] = {}
        for number in candidates:
            named = self.names[number]
            ratio = difflib.SequenceMatcher(None, key, self.keys[number]).ratio()
            if ratio >= MIN_RATIO and ratio > best.get(named.iri, (0.0, named))[0]:
                best[named.iri] = (ratio, named)
        ranked = sorted(best.values(), key=lambda item: (-item[0], item[1].label))
        return Found(key, [named for _, named in ranked[:limit]], scanned, len(candidates))

    def suggest(self, text: str, *, limit: int = 5, within: str = "") -> list[Named]:
        """The things whose names are nearest ``text``, best first, one entry per thing."""
        return self.search(text, limit=limit, within=within).names


class LatestSuggester:
    """The suggester of a store's current version, rebuilt in the background when the version changes.

    Until the new index is ready, questions are answered from the previous one (names rarely change between
    versions), so no request waits for a rebuild: only the very first question waits for the first index. At most
    one rebuild runs at a time.

    >>> latest = LatestSuggester()
    >>> latest.get("v1", lambda: Suggester([Named("http://x/a", "Oslo")])).suggest("oslo")[0].iri
    'http://x/a'
    >>> latest.get("v1", lambda: Suggester([])) is latest.get("v1", lambda: Suggester([]))
    True
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first = threading.Lock()
        self._current: tuple[str, Suggester] | None = None
        self._building = False

    def get(self, version: str, build: Callable[[], Suggester]) -> Suggester:
        """The index of ``version`` if it is ready, else the previous one (a rebuild starts), else built now."""
        with self._lock:
            current = self._current
            if current is not None:
                if current[0] != version and not self._building:
                    self._building = True
                    threading.Thread(target=self._rebuild, args=(version, build), daemon=True,
                                     name="suggester-rebuild").start()
                return current[1]
        with self._first:  # nothing yet: the first question builds it, the others wait for that one build
            if self._current is None:
                self._current = (version, build())
            return self._current[1]

    def _rebuild(self, version: str, build: Callable[[], Suggester]) -> None:
        try:
            fresh = build()
            with self._lock:
                self._current = (version, fresh)
        finally:
            with self._lock:
                self._building = False
