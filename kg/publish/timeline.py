"""The diplomatic processes on a timeline: when each ran, the track it began on, the track it became, and the
processes, events and agreements it led to, so that a reader sees the field's history at a glance.

A process is placed by its ``bc:startDate`` (else ``bc:date``) and ``bc:endDate``; one with a start and no end is
drawn as ongoing to the last year on the axis; one known only by its end (the Oslo back channel "up to 1993") is a
mark at that year. "Led to" is what the graph states: a process whose outcome was influenced by it
(``prov:wasInfluencedBy``, as the Inter-Tajik Dialogue for the UN-sponsored negotiations) or that it produced
(``prov:generated``, an agreement). Dates are read at year precision: the axis is in years.

>>> spans = [Span("p", "Dartmouth Conference", "p", 1960, None, True, ("Track Two diplomacy",), (), ()),
...          Span("q", "Oslo back channel", "q", None, 1993, False, ("Track Two diplomacy",),
...               ("Track One diplomacy",), ())]
>>> axis = Axis.around(spans)
>>> axis.first, axis.last, axis.ticks
(1960, 2000, (1960, 1970, 1980, 1990, 2000))
>>> [(round(b.left, 1), round(b.width, 1)) for b in (axis.bar(s) for s in spans)]
[(0.0, 100.0), (82.5, 1.0)]
>>> spans[1].when, spans[1].transition
('up to 1993', 'Track Two diplomacy → Track One diplomacy')
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.namespaces import BC, PROV, RDFS, SKOS
from kg.store.base import Store, Term, term_value

__all__ = ["Axis", "Bar", "Span", "process_timeline"]

QUERY = f"""
SELECT ?p ?start ?end ?date ?began ?became ?next WHERE {{
  ?p a <{BC}DiplomaticProcess> .
  OPTIONAL {{ ?p <{BC}startDate> ?start }}
  OPTIONAL {{ ?p <{BC}endDate> ?end }}
  OPTIONAL {{ ?p <{BC}date> ?date }}
  OPTIONAL {{ ?p <{BC}beganAs>|<{BC}involvesTrack> ?began }}
  OPTIONAL {{ ?p <{BC}transitionedTo> ?became }}
  OPTIONAL {{ {{ ?next <{PROV}wasInfluencedBy> ?p }} UNION {{ ?p <{PROV}generated> ?next }}
             FILTER NOT EXISTS {{ ?next a ?agent FILTER (?agent IN (<{PROV}Person>, <{PROV}Organization>)) }} }}
}}
"""

LABELS = f"""
SELECT ?s ?label WHERE {{
  VALUES ?p {{ <{SKOS}prefLabel> <{RDFS}label> }}
  ?s ?p ?label FILTER (LANGMATCHES(LANG(?label), "en") || LANG(?label) = "")
}}
"""


@dataclass(frozen=True)
class Span:
    """One process on the timeline: years (``None`` when not known), tracks by label (the track it began as, else
    the tracks it involves), what it led to."""

    iri: str
    label: str
    href: str
    start: int | None
    end: int | None
    ongoing: bool
    began_as: tuple[str, ...]
    became: tuple[str, ...]
    led_to: tuple[tuple[str, str], ...]  # (IRI, label) of what the process influenced or produced

    @property
    def when(self) -> str:
        """The years in words: "1990–1992", "since 1960", "up to 1993", "1992", or "undated"."""
        if self.start is not None and self.end is not None:
            return str(self.start) if self.start == self.end else f"{self.start}–{self.end}"
        if self.start is not None:
            return f"since {self.start}" if self.ongoing else str(self.start)
        if self.end is not None:
            return f"up to {self.end}"
        return "undated"

    @property
    def transition(self) -> str:
        """"Track Two diplomacy → Track One diplomacy" for a process that changed track, else its first track."""
        return " → ".join((", ".join(self.began_as), ", ".join(self.became))) if self.became else ", ".join(
            self.began_as)

    @property
    def unofficial(self) -> bool:
        """Whether it began off the official track (Track Two, Track 1.5, the citizens' tracks)."""
        return any("Track One" not in t for t in self.began_as) if self.began_as else True


@dataclass(frozen=True)
class Bar:
    """Where a span is drawn, in percent of the axis (an SVG ``viewBox`` of 0–100)."""

    left: float
    width: float


@dataclass(frozen=True)
class Axis:
    """The years the timeline covers, padded to whole decades, with a tick per decade."""

    first: int
    last: int

    @classmethod
    def around(cls, spans: list[Span]) -> Axis:
        years = [y for s in spans for y in (s.start, s.end) if y is not None] or [2000]
        return cls(min(years) // 10 * 10, -(-max(max(years), min(years) + 1) // 10) * 10)

    @property
    def ticks(self) -> tuple[int, ...]:
        return tuple(range(self.first, self.last + 1, 10))

    def x(self, year: int) -> float:
        return 100.0 * (year - self.first) / (self.last - self.first)

    def bar(self, span: Span) -> Bar:
        """A bar from start to end (to the axis's end when ongoing); a mark of one year when only one is known."""
        start = span.start if span.start is not None else span.end
        if start is None:
            return Bar(0.0, 0.0)
        end = self.last if span.ongoing and span.end is None else (span.end if span.end is not None else start)
        left = self.x(start)
        return Bar(left, max(self.x(end) - left, 100.0 / (self.last - self.first) * 0.4))


def _year(term: Term | None) -> int | None:
    text = term_value(term) if term is not None else ""
    head = text.lstrip("-")[:4]
    return int(head) if head.isdigit() else None


@dataclass
class _Found:
    """What the query rows say of one process, gathered before it becomes a :class:`Span`."""

    start: int | None = None
    end: int | None = None
    date: int | None = None
    began: set[str] = field(default_factory=set)
    became: set[str] = field(default_factory=set)
    led_to: set[str] = field(default_factory=set)


def process_timeline(store: Store, href: dict[str, str] | None = None) -> list[Span]:
    """Every diplomatic process, in the order they began (undated ones last, by name).

    ``href`` maps an IRI to the link of its page (the IRI itself when missing).
    """
    labels: dict[str, str] = {}
    for row in store.select(LABELS):
        labels.setdefault(term_value(row["s"]), term_value(row["label"]))
    found: dict[str, _Found] = {}
    for row in store.select(QUERY):
        e = found.setdefault(term_value(row["p"]), _Found())
        e.start = _year(row.get("start")) or e.start
        e.end = _year(row.get("end")) or e.end
        e.date = _year(row.get("date")) or e.date
        if row.get("began") is not None:
            e.began.add(labels.get(term_value(row["began"]), term_value(row["began"])))
        if row.get("became") is not None:
            e.became.add(labels.get(term_value(row["became"]), term_value(row["became"])))
        if row.get("next") is not None:
            e.led_to.add(term_value(row["next"]))
    links = href or {}
    spans = [
        Span(iri, labels.get(iri, iri), links.get(iri, iri),
             start=e.start if e.start is not None else (e.date if e.end is None else None), end=e.end,
             ongoing=e.start is not None and e.end is None, began_as=tuple(sorted(e.began)),
             became=tuple(sorted(e.became)),
             led_to=tuple(sorted(((n, labels.get(n, n)) for n in e.led_to), key=lambda pair: pair[1])))
        for iri, e in found.items()
    ]
    return sorted(spans, key=lambda s: (s.start is None and s.end is None,
                                        s.start if s.start is not None else (s.end or 0), s.label.casefold()))
