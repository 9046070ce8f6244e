"""Facts of the landmark Track Two cases (issue 17), each checked by a SPARQL ASK against the built graph.

Each case names the graph that must state the fact (``GRAPH source:…``): a work-based graph holds only what its
work is widely cited for, the curators' statement everything else. Negative cases check that roles stay roles
(a mediator is not a party, a backer not a participant, an editor not an author) and that the honest limits of
the data hold (no page ranges, no exact days but for the famous signings, no second label on the article's
things).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from tests.test_content import ask, select

CASES = "source:curators-track-two-cases"
WORK_GRAPHS = (
    "kelman-1972-problem-solving-workshop", "kelman-1995-contributions-unofficial-conflict-resolution",
    "kelman-1998-interactive-problem-solving", "saunders-1999-a-public-peace-process",
    "slim-saunders-2001-inter-tajik-dialogue", "stone-2011-asean-isis-network", "cscap-1993-kuala-lumpur-statement",
    "notter-diamond-1996-building-peace", "kaye-2007-talking-to-the-enemy",
)
NEW = tuple(f"source:{g}" for g in WORK_GRAPHS) + (CASES,)
OLD = ("source:track-two-diplomacy", "source:general-knowledge")

FACTS = [
    pytest.param(
        """ASK { GRAPH source:kelman-1998-interactive-problem-solving {
                   person:herbert-c-kelman prov:wasInfluencedBy person:john-w-burton ;
                       prov:qualifiedInfluence [ prov:influencer person:john-w-burton ;
                                                 dcterms:source work:kelman-1998-interactive-problem-solving ] } }""",
        id="kelman-says-his-approach-derives-from-burton",
    ),
    pytest.param(
        """ASK { GRAPH source:kelman-1995-contributions-unofficial-conflict-resolution {
                   work:oslo-i-accord prov:wasInfluencedBy process:kelman-israeli-palestinian-workshops }
                 FILTER NOT EXISTS { GRAPH ?g { work:oslo-i-accord prov:wasInfluencedBy ?w }
                   FILTER (?g != source:kelman-1995-contributions-unofficial-conflict-resolution) } }""",
        id="only-kelman-claims-his-workshops-helped-the-oslo-accord",
    ),
    pytest.param(
        """ASK { GRAPH source:kelman-1972-problem-solving-workshop {
                   process:burton-controlled-communication-workshops dcterms:type pt:facilitated-workshops ;
                       prov:qualifiedAssociation [ prov:agent person:john-w-burton ; prov:hadRole role:convener ] .
                   process:fermeda-workshop prov:qualifiedAssociation [ prov:agent person:leonard-w-doob ;
                                                                        prov:hadRole role:convener ] } }""",
        id="kelman-1972-compares-burtons-and-doobs-workshops",
    ),
    pytest.param(
        """ASK { GRAPH source:saunders-1999-a-public-peace-process {
                   person:harold-h-saunders prov:wasInfluencedBy process:dartmouth-conference .
                   process:dartmouth-conference bc:beganAs track:track-two } }""",
        id="sustained-dialogue-grew-out-of-the-dartmouth-conference",
    ),
    pytest.param(
        """ASK { GRAPH source:slim-saunders-2001-inter-tajik-dialogue {
                   process:inter-tajik-negotiations prov:wasInfluencedBy process:inter-tajik-dialogue ;
                       bc:beganAs track:track-one .
                   process:inter-tajik-dialogue bc:beganAs track:track-two } }""",
        id="the-inter-tajik-dialogue-led-to-the-official-negotiations",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {CASES} {{
                   process:dartmouth-conference bc:startDate "1960-10"^^xsd:gYearMonth .
                   person:norman-cousins bc:initiated process:dartmouth-conference .
                   process:inter-tajik-dialogue dcterms:isPartOf process:dartmouth-conference ;
                       bc:startDate "1993-03"^^xsd:gYearMonth .
                   process:inter-tajik-negotiations prov:generated work:general-agreement-tajikistan-1997 }} }}""",
        id="dartmouth-from-1960-and-its-inter-tajik-dialogue",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {CASES} {{
                   process:pugwash-conferences bc:beganAs track:track-two ; dcterms:type pt:scientific-exchange ;
                       bc:startDate "1957-07"^^xsd:gYearMonth .
                   event:nobel-peace-prize-1995
                       prov:qualifiedAssociation [ prov:agent person:joseph-rotblat ; prov:hadRole role:recipient ],
                           [ prov:agent org:pugwash-conferences-on-science-and-world-affairs ;
                             prov:hadRole role:recipient ],
                           [ prov:agent org:norwegian-nobel-committee ; prov:hadRole role:awarder ] }} }}""",
        id="pugwash-from-1957-and-the-1995-nobel-peace-prize",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {CASES} {{
                   process:pennsylvania-channel bc:beganAs track:track-two ;
                       bc:involvesTrack track:track-one-point-five ;
                       prov:qualifiedAssociation [ prov:agent person:henry-kissinger ;
                                                   prov:hadRole role:intermediary ] .
                   person:herbert-marcovich bc:initiated process:pennsylvania-channel .
                   event:pugwash-conference-paris-1967 dcterms:isPartOf process:pugwash-conferences }} }}""",
        id="the-pennsylvania-channel-came-out-of-a-pugwash-meeting",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {CASES} {{
                   work:general-peace-agreement-for-mozambique bc:party org:mozambique, org:renamo ;
                       bc:date "1992-10-04"^^xsd:date .
                   process:mozambique-peace-talks-rome bc:involvesTrack track:track-one-point-five ;
                       prov:qualifiedAssociation [ prov:agent person:andrea-riccardi ; prov:hadRole role:mediator ],
                           [ prov:agent person:matteo-zuppi ; prov:hadRole role:mediator ],
                           [ prov:agent person:jaime-goncalves ; prov:hadRole role:mediator ],
                           [ prov:agent person:mario-raffaelli ; prov:hadRole role:mediator ] }} }}""",
        id="sant-egidio-mediated-the-mozambique-peace",
    ),
    pytest.param(
        """ASK { FILTER NOT EXISTS { work:general-peace-agreement-for-mozambique bc:party ?mediator
                   FILTER (?mediator IN (person:andrea-riccardi, person:matteo-zuppi, person:jaime-goncalves,
                                         person:mario-raffaelli, org:community-of-sant-egidio)) } }""",
        id="a-mediator-is-not-a-party",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {CASES} {{
                   event:oslo-channel-london-meeting-1992 bc:date "1992-12"^^xsd:gYearMonth ;
                       bc:participant person:yair-hirschfeld, person:ahmed-qurei ;
                       dcterms:isPartOf process:oslo-back-channel .
                   process:oslo-back-channel prov:qualifiedAssociation [ prov:agent person:yossi-beilin ;
                                                                          prov:hadRole role:sponsor ],
                       [ prov:agent org:fafo ; prov:hadRole role:facilitator ] .
                   event:initialling-of-the-oslo-i-accord prov:qualifiedAssociation
                       [ prov:agent person:shimon-peres ; prov:hadRole role:observer ] }}
                 FILTER NOT EXISTS {{ process:oslo-back-channel bc:participant person:yossi-beilin }} }}""",
        id="the-oslo-channels-participants-backer-and-facilitators",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {CASES} {{ process:geneva-initiative bc:beganAs track:track-two ;
                   prov:generated work:geneva-accord .
                   person:yossi-beilin bc:initiated process:geneva-initiative .
                   person:yasser-abed-rabbo bc:initiated process:geneva-initiative }} }}""",
        id="beilin-and-abed-rabbo-initiated-the-geneva-initiative",
    ),
    pytest.param(
        """ASK { GRAPH source:cscap-1993-kuala-lumpur-statement {
                   event:founding-of-cscap bc:location place:kuala-lumpur ;
                       w3org:resultingOrganization org:council-for-security-cooperation-in-the-asia-pacific ;
                       prov:wasInfluencedBy process:scap-conferences .
                   process:scap-conferences prov:qualifiedAssociation [ prov:agent org:asean-isis-network ;
                                                                        prov:hadRole role:convener ] } }""",
        id="cscap-grew-out-of-the-scap-conferences-asean-isis-convened",
    ),
    pytest.param(
        """ASK { GRAPH source:notter-diamond-1996-building-peace {
                   event:founding-of-the-institute-for-multi-track-diplomacy bc:date "1992"^^xsd:gYear .
                   org:institute-for-multi-track-diplomacy
                       prov:wasInfluencedBy work:multi-track-diplomacy-a-systems-guide-and-analysis } }""",
        id="imtd-was-founded-in-1992-to-practise-the-1991-book",
    ),
    pytest.param(
        """ASK { GRAPH source:kaye-2007-talking-to-the-enemy {
                   work:kaye-2007 dcterms:subject process:middle-east-regional-security-track-two-dialogues,
                                                  process:south-asia-regional-track-two-dialogues } }""",
        id="kaye-2007-studies-the-regional-dialogues-of-two-regions",
    ),
    pytest.param(
        """ASK { GRAPH source:stone-2011-asean-isis-network {
                   process:asean-isis-informal-diplomacy bc:beganAs track:track-two ;
                       bc:participant org:asean-isis-network .
                   work:the-asean-isis-network dcterms:subject process:asean-isis-informal-diplomacy } }""",
        id="stone-2011-on-asean-isis-informal-diplomacy",
    ),
    pytest.param(
        """ASK { FILTER NOT EXISTS { ?s bc:location ?state . ?state a bc:State } }""",
        id="no-state-is-a-location",
    ),
    pytest.param(
        """ASK { FILTER NOT EXISTS { ?work bibo:pages|bibo:pageStart|bibo:doi|bibo:isbn13|bibo:issue ?x
                   FILTER (?work NOT IN (work:the-asean-isis-network, work:further-exploration-of-track-two-diplomacy,
                                         work:track-two-diplomacy-the-work-of-healing-history)) } }""",
        id="no-page-range-issue-doi-or-isbn-beyond-what-the-article-gives",
    ),
]


@pytest.mark.parametrize("query", FACTS)
def test_fact(seed_store: ox.Store, base_iri: str, query: str) -> None:
    assert ask(seed_store, base_iri, query), query


def test_every_new_graph_names_its_basis(seed_store: ox.Store, base_iri: str) -> None:
    """Each work-based graph gives its work's citation and says it is the curators' summary of what the work is
    widely cited for; the curators' graph says it is a curators' statement. None claims a page was read."""
    for graph in NEW:
        rows = select(seed_store, base_iri, f"""SELECT ?description ?citation ?how WHERE {{ GRAPH {graph} {{
                            {graph} a bc:Source ; dcterms:description ?description ; prov:wasGeneratedBy ?act .
                            ?act dcterms:description ?how OPTIONAL {{ {graph} dcterms:bibliographicCitation ?citation }}
                          }} }}""")
        assert len(rows) == 1, graph
        text = rows[0]["description"].value + " " + rows[0]["how"].value
        assert "read the abstract" not in text and "table of contents" not in text
        if graph == CASES:
            assert ask(seed_store, base_iri, f"ASK {{ GRAPH {graph} {{ {graph} a bc:CuratorsStatement }} }}")
        else:
            assert rows[0]["description"].value.startswith("The curators' summary of what this work is widely cited")
            assert rows[0]["citation"] is not None and "pp." not in rows[0]["citation"].value, graph


def test_breadth_at_least_15_processes_and_60_people_and_organisations(seed_store: ox.Store, base_iri: str) -> None:
    values = " ".join(NEW)
    old = " ".join(OLD)
    rows = select(seed_store, base_iri, f"""SELECT ?kind (COUNT(DISTINCT ?s) AS ?n) WHERE {{
        VALUES ?g {{ {values} }} GRAPH ?g {{ ?s a ?kind }}
        FILTER (?kind IN (bc:DiplomaticProcess, foaf:Person, foaf:Organization, foaf:Group))
        FILTER NOT EXISTS {{ VALUES ?h {{ {old} }} GRAPH ?h {{ ?s a ?any }} }} }} GROUP BY ?kind""")
    counts = {r["kind"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: int(r["n"].value) for r in rows}
    assert counts["DiplomaticProcess"] >= 15
    assert counts["Person"] + counts["Organization"] + counts.get("Group", 0) >= 60


def test_no_new_graph_renames_the_articles_things(seed_store: ox.Store, base_iri: str) -> None:
    values = " ".join(NEW)
    old = " ".join(OLD)
    assert ask(seed_store, base_iri, f"""ASK {{ FILTER NOT EXISTS {{
        VALUES ?g {{ {values} }} GRAPH ?g {{ ?s rdfs:label|skos:prefLabel ?name }}
        VALUES ?h {{ {old} }} GRAPH ?h {{ ?s rdfs:label ?first }} }} }}""")


def test_exact_days_only_for_the_famous_signings(seed_store: ox.Store, base_iri: str) -> None:
    values = " ".join(NEW)
    rows = select(seed_store, base_iri, f"""SELECT DISTINCT ?day WHERE {{ VALUES ?g {{ {values} }}
        GRAPH ?g {{ ?s bc:date|bc:startDate|bc:endDate|time:inXSDDate ?day FILTER (DATATYPE(?day) = xsd:date) }} }}""")
    assert {r["day"].value for r in rows} <= {"1992-10-04", "2005-08-15"}


def test_identity_links_only_in_the_curators_statements(seed_store: ox.Store, base_iri: str) -> None:
    assert ask(seed_store, base_iri, f"""ASK {{ FILTER NOT EXISTS {{ GRAPH ?g {{ ?s owl:sameAs ?o }}
        FILTER (?g NOT IN ({CASES}, source:general-knowledge)) }} }}""")
    assert ask(seed_store, base_iri, f"""ASK {{ GRAPH {CASES} {{ person:herbert-c-kelman owl:sameAs dbr:Herbert_Kelman .
        FILTER NOT EXISTS {{ process:dartmouth-conference owl:sameAs ?unsure }} }} }}""")
