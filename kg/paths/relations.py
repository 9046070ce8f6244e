"""What each relation means to the path ranking and to influence: the one place these judgements are made.

Four tables, each a set of predicate IRIs:

- :data:`SPECIFIC`: relations that say something particular about the two things (someone *coined* a term, a
  process *began as* a track, an agreement *was signed by* a party, someone *took part in* an event, a book
  *was edited by* someone). A path made
  of them tells a story. REX (Fang et al., "REX: explaining relationships between entity pairs", VLDB 2011)
  ranks explanations by how specific their relation patterns are; Hulpuş, Prangnawarat and Hayes
  ("Path-based semantic relatedness on linked data", ISWC 2015) measure how informative a path's relations
  are. We take the judgement from them and make it by hand for the vocabulary we curate, because on a graph
  this small frequencies are too few to estimate it.
- :data:`GENERIC`: relations that only say two things are loosely linked (*is about*, *belongs to* a track, *is
  related to*, *points to*, *falls under*, *may refer to*), or that tie two descriptions of one thing (a state
  *governs the territory of* its country as a place). A hop along one costs more (:mod:`kg.paths.ranking`).
  Every other relation is judged by how often the graph uses it (the commonness measure of the ranking).
- :data:`CLASSIFYING`: relations that file a thing under a concept (*is about*, *belongs to*, *began as*,
  *transitioned into*, *falls under*, *is related to*). Two things that each reach the same concept this way
  share nothing but a broad concept: REX's "weak" pattern of two entities linked only through a common type.
  A path whose middle concept is reached so from both sides is marked ``through_broad_concept``.
- :data:`INFLUENCE`: the relations that carry influence and which way: ``1`` when ``s p o`` means *s was
  influenced by o*, ``-1`` when it means *o was influenced by s*. Only these, with ``rdfs:subPropertyOf``
  and ``owl:inverseOf`` statements about them, are influence (:mod:`kg.paths.influence`): the PROV-O
  influence itself (and its qualified form, folded by the projection), coining a concept, setting out a
  process, writing or editing a work, a work in which a concept was coined or described, a concept
  expanded into another. Agreement, citation, publication, association, attribution, membership and
  participation are not influence, although PROV-O files the last few under ``prov:wasInfluencedBy``.

:data:`QUALIFIED_ROLES` says how a qualified attribution with a role reads as a direct relation (an author is a
creator, a publisher a publisher); a qualification whose role is not listed there is not read as any direct
relation (an audience is not an agent, an initiator is not who carried something out): the data states its
direct relation, if any, itself.

>>> BC + "coined" in SPECIFIC, DCTERMS + "subject" in GENERIC, INFLUENCE[BC + "coined"]
(True, True, -1)
>>> specificity(BC + "coined"), specificity(DCTERMS + "subject"), specificity("http://x/knows")
('specific', 'generic', 'neutral')
"""

from __future__ import annotations

from kg.namespaces import BC, BIBO, DCTERMS, ORG, PROV, RDFS, ROLE, SKOS

SPECIFIC: frozenset[str] = frozenset({
    BC + "coined", BC + "coinedIn", BC + "describedProcess", BC + "describedIn", BC + "expandedInto",
    BC + "beganAs", BC + "transitionedTo", BC + "initiated", BC + "briefed", BC + "refusedToPrint",
    BC + "partneredWith", BC + "party", BC + "signedBy", BC + "concludedWith", BC + "shookHandsWith",
    BC + "founded", BC + "agreesWith", BC + "alsoPublishedAs", BC + "drewParticipantsFrom", BC + "complements",
    BC + "combines", BC + "nationality", BC + "location", BC + "placeOfPublication", BC + "participant",
    PROV + "generated", PROV + "wasGeneratedBy", PROV + "wasInfluencedBy", PROV + "actedOnBehalfOf",
    PROV + "wasDerivedFrom", DCTERMS + "creator", DCTERMS + "publisher", BIBO + "editor",
    ORG + "headOf", ORG + "memberOf", ORG + "resultedFrom", ORG + "resultingOrganization",
})
"""Relations that say something particular (produced, began as, signed, wrote, edited, partnered with…)."""

GENERIC: frozenset[str] = frozenset({
    DCTERMS + "subject", BC + "involvesTrack", SKOS + "related", SKOS + "broader", SKOS + "narrower",
    RDFS + "seeAlso", DCTERMS + "relation", DCTERMS + "spatial", DCTERMS + "source", DCTERMS + "license",
    BC + "mayReferTo", BC + "territory",
})
"""Relations that only say two things are loosely linked (is about, belongs to, is related to, see also…), or that
link two descriptions of one thing (a state and the land it governs)."""

CLASSIFYING: frozenset[str] = frozenset({
    DCTERMS + "subject", BC + "involvesTrack", BC + "beganAs", BC + "transitionedTo", SKOS + "broader",
    SKOS + "narrower", SKOS + "related",
})
"""Relations that file a thing under a concept: two things that reach one concept only so share a broad concept."""

INFLUENCE: dict[str, int] = {
    PROV + "wasInfluencedBy": 1,      # s was influenced by o (also its qualified form, prov:qualifiedInfluence)
    PROV + "influenced": -1,          # PROV-O's inverse
    BC + "coined": -1,                # an agent coined a concept: the concept was shaped by the agent
    BC + "describedProcess": -1,      # an agent set out a process: the same
    BC + "coinedIn": 1,               # a concept was coined in a work: shaped by the work
    BC + "describedIn": 1,            # a concept was set out in a work: the same
    DCTERMS + "creator": 1,           # a work was written by its author
    BIBO + "editor": 1,               # a work was edited by its editor
    BC + "expandedInto": -1,          # a concept was expanded into another: the other grew out of it
}
"""The relations that carry influence, and which way (1: subject influenced by object; -1: the reverse)."""

QUALIFIED_ROLES: dict[tuple[str, str], str] = {
    (PROV + "qualifiedAttribution", ROLE + "author"): DCTERMS + "creator",
    (PROV + "qualifiedAttribution", ROLE + "editor"): BIBO + "editor",
    (PROV + "qualifiedAttribution", ROLE + "publisher"): DCTERMS + "publisher",
}
"""A qualified attribution with one of these roles reads as this direct relation (work → agent)."""

def specificity(predicate: str) -> str:
    """``specific``, ``generic`` or ``neutral`` (judged by frequency): see the module documentation."""
    if predicate in SPECIFIC:
        return "specific"
    if predicate in GENERIC:
        return "generic"
    return "neutral"
