"""Plain English from relations: each hop a sentence in the order the path walks it, each path a sentence.

A hop from ``u`` to ``v`` along ``s p o`` reads ``u`` first: with the property's reading (``rdfs:label``) when the
path walks it as stated, with its inverse reading (``bc:inverseLabel``) when it walks it backwards. Things are
named as they are written inside a sentence (``bc:sentenceLabel``: "the Oslo Accords"), capitalised at the start
of one; the verb agrees with a plural subject (``bc:plural``: "the Oslo Accords were entered into by Israel"); a
membership with a known time says when ("was a member of the United States Department of State (1981)").

>>> agree("was entered into by", True), agree("includes", True), agree("coined", True), agree("is about", False)
('were entered into by', 'include', 'coined', 'is about')
>>> when("2004-07-29"), when("2003-09"), when("1981")
('29 July 2004', 'September 2003', '1981')
"""

from __future__ import annotations

from collections.abc import Sequence

from kg.namespaces import ORG
from kg.paths.model import Hop, Path
from kg.paths.projection import Projection

PLURAL_VERBS: dict[str, str] = {"was": "were", "is": "are", "has": "have", "does": "do"}
"""Verbs that change irregularly for a plural subject."""
DATED_RELATIONS = frozenset({ORG + "memberOf", ORG + "headOf"})
"""Relations whose sentence gives the time of the membership behind them, when the graph knows it."""
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def agree(reading: str, plural: bool) -> str:
    """A reading whose first word (a verb) agrees with a plural subject: was → were, is → are, has → have,
    includes → include; past tenses do not change."""
    if not plural or not reading:
        return reading
    verb, _, rest = reading.partition(" ")
    if verb in PLURAL_VERBS:
        verb = PLURAL_VERBS[verb]
    elif verb.endswith("ies") and len(verb) > 4:
        verb = verb[:-3] + "y"
    elif verb.endswith(("ches", "shes", "sses", "xes", "zes")):
        verb = verb[:-2]
    elif verb.endswith("s") and not verb.endswith("ss"):
        verb = verb[:-1]
    return f"{verb} {rest}".rstrip()


def when(date: str) -> str:
    """A sortable date (``1981``, ``2003-09``, ``2004-07-29``) as English."""
    parts = date.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{int(parts[2])} {MONTHS[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return date


def capitalise(text: str) -> str:
    """The first letter in upper case (the rest as it is).

    >>> capitalise("the Oslo Accords"), capitalise("")
    ('The Oslo Accords', '')
    """
    return text[:1].upper() + text[1:]


def name(proj: Projection, v: int, start: bool = False) -> str:
    """How a thing is named in a sentence, capitalised when it starts one."""
    text = proj.sentence_label(v)
    return capitalise(text) if start else text


def reading(proj: Projection, e: int, forward: bool) -> str:
    """The phrase that reads relation ``e`` from its subject (``forward``) or from its object."""
    info = proj.prop(proj.predicates[proj.out_pred[e]])
    return info.label if forward else info.inverse_label


def relation_date(proj: Projection, e: int) -> str | None:
    """When the membership behind relation ``e`` held (``w3org:memberOf`` / ``w3org:headOf``), if known."""
    if proj.predicates[proj.out_pred[e]] not in DATED_RELATIONS:
        return None
    return proj.relation_dates.get((proj.edge_subject(e), proj.out_dst[e]))


def dated(proj: Projection, e: int) -> str:
    """`` (1981)`` after a membership whose time the graph knows, else nothing."""
    date = relation_date(proj, e)
    return f" ({when(date)})" if date else ""


def clause(proj: Projection, source: int, target: int, e: int, forward: bool, start: bool = True) -> str:
    """``source`` related to ``target`` along relation ``e`` (walked forward or backward), as a clause."""
    verb = agree(reading(proj, e, forward), source in proj.plural)
    return f"{name(proj, source, start)} {verb} {name(proj, target)}{dated(proj, e)}"


def hop_sentence(proj: Projection, hop: Hop, start: bool = True) -> str:
    """One hop in the order the path walks it: "The Oslo back channel began as Track Two diplomacy"."""
    return clause(proj, hop.source, hop.target, hop.edge, hop.forward, start)


def statement(proj: Projection, e: int) -> str:
    """Relation ``e`` as the data states it (subject first): "Joseph V. Montville coined Track Two diplomacy"."""
    return clause(proj, proj.edge_subject(e), proj.out_dst[e], e, True)


def path_sentence(proj: Projection, hops: Sequence[Hop]) -> str:
    """A whole path in walking order, one clause a hop: "Joseph V. Montville coined Track Two diplomacy; the Oslo
    back channel began as Track Two diplomacy; the Oslo back channel produced the Oslo Accords."."""
    if not hops:
        return ""
    return "; ".join(hop_sentence(proj, hop, start=i == 0) for i, hop in enumerate(hops)) + "."


def path_text(proj: Projection, path: Path) -> str:
    """A ranked path in plain English (see :func:`path_sentence`)."""
    return path_sentence(proj, path.hops)
