"""Facts of the seed article, each checked by a SPARQL query against the built graph.

Every case is an ASK query over the union of the named graphs unless it names a
graph itself (``GRAPH source:…``), in which case it also checks which source
states the fact. The case id says in words what fact is checked.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

PREFIXES = """
PREFIX bc: <https://w3id.org/backchannel/def#>
PREFIX track: <https://w3id.org/backchannel/def/track/>
PREFIX pt: <https://w3id.org/backchannel/def/process-type/>
PREFIX role: <https://w3id.org/backchannel/def/role/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX w3org: <http://www.w3.org/ns/org#>
PREFIX dbr: <http://dbpedia.org/resource/>
PREFIX person: <{base}id/person/>
PREFIX org: <{base}id/org/>
PREFIX place: <{base}id/place/>
PREFIX work: <{base}id/work/>
PREFIX event: <{base}id/event/>
PREFIX process: <{base}id/process/>
PREFIX source: <{base}id/source/>
"""

SEED = "source:track-two-diplomacy"
GENERAL = "source:general-knowledge"


def run(store: ox.Store, base_iri: str, query: str) -> ox.QueryBoolean | ox.QuerySolutions | ox.QueryTriples:
    return store.query(PREFIXES.replace("{base}", base_iri) + query, use_default_graph_as_union=True)


def ask(store: ox.Store, base_iri: str, query: str) -> bool:
    answer = run(store, base_iri, query)
    assert isinstance(answer, ox.QueryBoolean), query
    return bool(answer)


def select(store: ox.Store, base_iri: str, query: str) -> list[ox.QuerySolution]:
    answer = run(store, base_iri, query)
    assert isinstance(answer, ox.QuerySolutions), query
    return list(answer)


FACTS = [
    # --- people
    pytest.param(
        "ASK { person:joseph-v-montville a foaf:Person ; bc:coined track:track-one, track:track-two }",
        id="montville-coined-track-one-and-track-two",
    ),
    pytest.param(
        """ASK { ?m a w3org:Membership ; w3org:member person:joseph-v-montville ;
                 w3org:organization org:us-department-of-state ; w3org:role role:employee ;
                 w3org:memberDuring/time:inside/time:inXSDgYear "1981"^^xsd:gYear }""",
        id="montville-was-a-state-department-employee-in-1981",
    ),
    pytest.param(
        """ASK { person:joseph-v-montville skos:altLabel "J. V. Montville"@en, "Montville"@en }""",
        id="montville-has-variant-names-from-the-references",
    ),
    pytest.param(
        """ASK { person:john-w-mcdonald bc:agreesWith person:joseph-v-montville .
                 ?w dcterms:creator person:john-w-mcdonald ; dcterms:subject pt:facilitated-workshops ;
                    bc:startDate "2003-09"^^xsd:gYearMonth ; bc:endDate "2004-08"^^xsd:gYearMonth }""",
        id="mcdonald-seconded-montvilles-assumption-in-sep-2003-aug-2004",
    ),
    pytest.param(
        """ASK { ?m w3org:member person:paul-sutphin ; w3org:organization org:office-of-iraq ;
                 w3org:role role:deputy-director-for-political-affairs .
                 org:office-of-iraq w3org:subOrganizationOf org:bureau-of-near-eastern-affairs .
                 org:bureau-of-near-eastern-affairs w3org:subOrganizationOf org:us-department-of-state }""",
        id="sutphin-was-deputy-director-for-political-affairs-in-the-office-of-iraq",
    ),
    pytest.param(
        "ASK { person:paul-sutphin bc:briefed org:ngo-representatives }",
        id="sutphin-briefed-ngo-representatives",
    ),
    pytest.param(
        """ASK { org:state-department-iraqi-analysts prov:actedOnBehalfOf person:colin-powell ;
                     prov:qualifiedDelegation [ prov:agent person:colin-powell ;
                                                prov:hadActivity event:state-department-ngo-briefing-2004 ] .
                 person:colin-powell w3org:headOf org:us-department-of-state }""",
        id="the-iraqi-analysts-acted-under-secretary-powells-initiative-and-authority",
    ),
    pytest.param(
        """ASK { person:yitzhak-rabin bc:shookHandsWith person:yasser-arafat ; bc:nationality org:israel .
                 ?m w3org:member person:yitzhak-rabin ; w3org:organization org:israel ;
                 w3org:role role:prime-minister }""",
        id="israeli-prime-minister-rabin-shook-hands-with-arafat",
    ),
    pytest.param(
        "ASK { person:yasser-arafat w3org:headOf org:palestine-liberation-organization }",
        id="arafat-was-head-of-the-plo",
    ),
    pytest.param(
        """ASK { person:unnamed-norwegian-scholar a foaf:Person ; bc:nationality org:norway ;
                 bc:initiated process:oslo-back-channel }""",
        id="a-norwegian-scholar-initiated-the-oslo-back-channel",
    ),
    pytest.param(
        """ASK { person:louise-diamond foaf:title "Dr." ; foaf:familyName "Diamond" }""",
        id="louise-diamond-is-titled-dr",
    ),
    pytest.param(
        """ASK { person:d-d-kaye rdfs:label "D. D. Kaye"@en . person:m-gelder rdfs:label "M. Gelder"@en .
                 person:kriesberg rdfs:label "Kriesberg"@en . person:thorson rdfs:label "Thorson"@en }""",
        id="partly-named-people-are-labelled-as-the-text-gives-them",
    ),
    # --- organisations and states
    pytest.param(
        """ASK { org:palestine-liberation-organization rdfs:label "منظمة التحرير الفلسطينية"@ar ;
                 skos:altLabel "PLO"@en }""",
        id="plo-has-its-arabic-name-and-acronym",
    ),
    pytest.param(
        """ASK { event:founding-of-the-plo a bc:Event ; bc:date "1964"^^xsd:gYear ;
                 w3org:resultingOrganization org:palestine-liberation-organization }""",
        id="plo-was-founded-in-1964",
    ),
    pytest.param(
        """ASK { org:us-department-of-state skos:altLabel "State Department"@en, "Department of State"@en ;
                 w3org:subOrganizationOf org:us-federal-government }""",
        id="state-department-is-an-executive-department-of-the-federal-government",
    ),
    pytest.param(
        """ASK { work:conflict-resolution-track-two-diplomacy dcterms:publisher org:foreign-service-institute .
                 org:foreign-service-institute w3org:subOrganizationOf org:us-department-of-state }""",
        id="foreign-service-institute-of-the-state-department-published-conflict-resolution",
    ),
    pytest.param(
        """ASK { org:living-room-dialogue-group bc:partneredWith org:camp-tawonga .
                 ?p a bc:DiplomaticProcess ; bc:participant org:living-room-dialogue-group, org:camp-tawonga ;
                    bc:startDate "2003"^^xsd:gYear ; bc:endDate "2007"^^xsd:gYear }""",
        id="living-room-dialogue-group-partnered-with-camp-tawonga-2003-2007",
    ),
    pytest.param(
        "ASK { org:kumarian-press bc:locatedIn place:west-hartford-connecticut }",
        id="kumarian-press-is-in-west-hartford",
    ),
    pytest.param(
        """ASK { work:oslo-accords bc:party org:israel, org:palestine-liberation-organization .
                 org:israel a bc:State }""",
        id="oslo-accords-are-between-the-state-of-israel-and-the-plo",
    ),
    pytest.param(
        "ASK { work:oslo-i-accord bc:signedBy org:israel, org:palestine-liberation-organization ; "
        "dcterms:isPartOf work:oslo-accords }",
        id="oslo-i-accord-was-signed-by-israel-and-the-plo",
    ),
    pytest.param(
        """ASK { org:iraq a bc:State . event:state-department-ngo-briefing-2004 dcterms:subject org:iraq .
                 process:state-department-iraq-efforts bc:location place:iraq . place:iraq a prov:Location }""",
        id="iraq-is-a-state-the-subject-of-the-2004-briefing-and-as-a-place-where-the-efforts-were",
    ),
    pytest.param(
        "ASK { org:state-of-palestine a bc:State ; bc:locatedIn place:western-asia }",
        id="state-of-palestine-is-in-western-asia",
    ),
    pytest.param(
        "ASK { org:united-nations a foaf:Organization . org:european-union a foaf:Organization }",
        id="un-and-eu-from-the-international-security-snippet-are-organisations",
    ),
    # --- places
    pytest.param(
        """ASK { event:oslo-i-accord-signing bc:location place:washington-dc ; bc:date "1993"^^xsd:gYear ;
                 prov:generated work:oslo-i-accord }""",
        id="oslo-i-accord-was-signed-in-washington-dc-in-1993",
    ),
    pytest.param(
        """ASK { event:rabin-arafat-handshake bc:location place:white-house-lawn ;
                 bc:participant person:yitzhak-rabin, person:yasser-arafat .
                 place:white-house-lawn bc:locatedIn place:white-house }""",
        id="rabin-and-arafat-shook-hands-on-the-white-house-lawn",
    ),
    pytest.param(
        """ASK { place:palestine bc:mayReferTo org:state-of-palestine, place:palestine-region,
                 place:palestinian-territories }""",
        id="palestine-may-refer-to-state-region-or-territories",
    ),
    pytest.param(
        """ASK { place:west-bank bc:locatedIn place:palestinian-territories .
                 ?e bc:location place:palestinian-territories ; bc:participant org:israel ;
                    bc:startDate "1967"^^xsd:gYear }""",
        id="palestinian-territories-including-the-west-bank-occupied-by-israel-since-1967",
    ),
    # --- works
    pytest.param(
        """ASK { work:foreign-policy-according-to-freud a bibo:Article ;
                 dcterms:title "Foreign Policy According to Freud"@en ;
                 dcterms:isPartOf work:foreign-policy ; bibo:volume "45" ; bc:date "1981"^^xsd:gYear ;
                 time:hasTime [ rdfs:label "Winter 1981–1982"@en ;
                     time:hasBeginning/time:inXSDgYear "1981"^^xsd:gYear ;
                     time:hasEnd/time:inXSDgYear "1982"^^xsd:gYear ] .
                 work:foreign-policy a bibo:Magazine }""",
        id="foreign-policy-according-to-freud-appeared-in-foreign-policy-vol-45-winter-1981-1982",
    ),
    pytest.param(
        """ASK { work:conflict-resolution-track-two-diplomacy a bibo:EditedBook ;
                 bibo:editor person:john-w-mcdonald, person:diane-b-bendahmane ;
                 dcterms:created "1986"^^xsd:gYear ; dcterms:issued "1987"^^xsd:gYear ; bc:date "1987"^^xsd:gYear }""",
        id="conflict-resolution-track-two-diplomacy-edited-by-mcdonald-and-bendahmane-1986-1987",
    ),
    pytest.param(
        """ASK { work:further-exploration-of-track-two-diplomacy a bibo:Chapter ;
                 dcterms:creator person:john-w-mcdonald ;
                 dcterms:isPartOf work:timing-the-de-escalation-of-international-conflicts ;
                 bibo:pageStart "201" ; bibo:pageEnd "220" ; bc:date "1991"^^xsd:gYear .
                 work:further-exploration-occasional-paper a bibo:Report ; bc:date "1991"^^xsd:gYear }""",
        id="further-exploration-was-an-occasional-paper-and-a-chapter-pp-201-220-in-1991",
    ),
    pytest.param(
        """ASK { work:timing-the-de-escalation-of-international-conflicts bibo:editor person:kriesberg, person:thorson ;
                 bc:date "1991"^^xsd:gYear }""",
        id="timing-the-de-escalation-is-by-kriesberg-and-thorson-1991",
    ),
    pytest.param(
        """ASK { work:the-arrow-and-the-olive-branch dcterms:creator person:joseph-v-montville ;
                 dcterms:isPartOf work:the-psychodynamics-of-international-relations ;
                 bibo:volume "2" ; bc:date "1991"^^xsd:gYear }""",
        id="montvilles-arrow-and-olive-branch-is-in-the-psychodynamics-of-international-relations-2",
    ),
    pytest.param(
        """ASK { work:multi-track-diplomacy-a-systems-guide-and-analysis
                     dcterms:creator person:louise-diamond, person:john-w-mcdonald ;
                     dcterms:publisher org:iowa-peace-institute ; bc:date "1991"^^xsd:gYear }""",
        id="multi-track-diplomacy-systems-guide-by-diamond-and-mcdonald-iowa-peace-institute-1991",
    ),
    pytest.param(
        """ASK { work:multi-track-diplomacy-a-systems-approach-to-peace
                     dcterms:creator person:louise-diamond, person:john-w-mcdonald ;
                     dcterms:publisher org:kumarian-press ;
                     bc:placeOfPublication place:west-hartford-connecticut ; bc:date "1996"^^xsd:gYear }""",
        id="multi-track-diplomacy-systems-approach-kumarian-press-west-hartford-1996",
    ),
    pytest.param(
        """ASK { work:meeting-the-enemy-becoming-a-friend dcterms:creator person:m-gelder ;
                 dcterms:publisher org:bauu-institute ; bc:date "2006"^^xsd:gYear }""",
        id="gelder-meeting-the-enemy-bauu-institute-2006",
    ),
    pytest.param(
        """ASK { work:to-make-the-earth-whole dcterms:creator person:m-gopin ;
                 dcterms:publisher org:rowman-and-littlefield ; bc:date "2009"^^xsd:gYear }""",
        id="gopin-to-make-the-earth-whole-rowman-littlefield-2009",
    ),
    pytest.param(
        """ASK { work:kaye-2007 dcterms:creator person:d-d-kaye ; dcterms:publisher org:rand-corporation ;
                 bc:date "2007"^^xsd:gYear }""",
        id="kaye-2007-published-by-rand",
    ),
    pytest.param(
        """ASK { work:track-two-diplomacy-the-work-of-healing-history dcterms:creator person:joseph-v-montville ;
                 dcterms:isPartOf work:whitehead-journal ; bibo:volume "7" ; bibo:pageStart "15" ;
                 bc:date "2006"^^xsd:gYear }""",
        id="montville-work-of-healing-history-whitehead-journal-7-15-2006",
    ),
    pytest.param(
        """ASK { work:the-asean-isis-network dcterms:creator person:d-stone ; dcterms:isPartOf work:minerva ;
                 bibo:volume "49" ; bibo:issue "2" ; bibo:pageStart "241" ; bibo:pageEnd "262" ;
                 bc:date "2011"^^xsd:gYear ; dcterms:subject org:asean-isis-network }""",
        id="stone-asean-isis-network-minerva-49-2-241-262-2011",
    ),
    pytest.param(
        """ASK { work:sutphin-2004-briefing dcterms:creator person:paul-sutphin ;
                 dcterms:publisher org:us-department-of-state ; bc:placeOfPublication place:washington-dc ;
                 bc:date "2004-07-29"^^xsd:date ; skos:altLabel "The Transition of Power in Iraq"@en }""",
        id="sutphin-briefing-on-the-transition-of-power-in-iraq-29-jul-2004",
    ),
    pytest.param(
        """ASK { work:track-ii-diplomacy-a-short-history dcterms:creator person:c-homans ;
                 dcterms:isPartOf work:foreign-policy ; bc:date "2011"^^xsd:gYear }""",
        id="homans-track-ii-diplomacy-a-short-history-foreign-policy-2011",
    ),
    pytest.param(
        """ASK { work:peacemaker-camp-2007-website a bibo:Website ;
                 dcterms:subject event:palestinian-jewish-family-peacemakers-camp ; bc:date "2007"^^xsd:gYear .
                 work:track-ii-citizen-diplomacy dcterms:isPartOf work:beyond-intractability }""",
        id="camp-website-and-beyond-intractability-entry-are-works",
    ),
    # --- events
    pytest.param(
        """ASK { event:state-department-ngo-briefing-2004 a bc:Event ; bc:date "2004-07-29"^^xsd:date ;
                 bc:participant person:paul-sutphin, org:ngo-representatives ;
                 prov:qualifiedAssociation [ prov:agent person:paul-sutphin ; prov:hadRole role:briefer ] }""",
        id="special-briefing-for-ngos-on-29-jul-2004-with-sutphin-as-briefer",
    ),
    pytest.param(
        """ASK { event:state-department-refusal-to-print bc:participant org:us-department-of-state ;
                 time:hasTime/time:hasXSDDuration "P18M"^^xsd:duration ;
                 bc:startDate "1986"^^xsd:gYear ; bc:endDate "1987"^^xsd:gYear .
                 org:us-department-of-state bc:refusedToPrint work:conflict-resolution-track-two-diplomacy }""",
        id="state-department-refused-to-print-the-book-for-eighteen-months",
    ),
    pytest.param(
        """ASK { event:compilation-of-conflict-resolution bc:date "1986"^^xsd:gYear ;
                 bc:participant person:john-w-mcdonald, person:diane-b-bendahmane ;
                 prov:generated work:conflict-resolution-track-two-diplomacy }""",
        id="mcdonald-and-bendahmane-produced-the-book-in-1986",
    ),
    pytest.param(
        """ASK { event:palestinian-jewish-family-peacemakers-camp
                 skos:altLabel "Oseh Shalom"@he-Latn, "Sanea al-Salam"@ar-Latn, "Oseh Shalom – Sanea al-Salam"@en ;
                 bc:drewParticipantsFrom place:palestine, place:israel . place:israel a prov:Location }""",
        id="family-peacemakers-camp-is-oseh-shalom-sanea-al-salam-drawing-people-from-palestine-and-israel",
    ),
    # --- processes
    pytest.param(
        """ASK { process:oslo-back-channel a bc:DiplomaticProcess ; bc:beganAs track:track-two ;
                 bc:transitionedTo track:track-one ; bc:concludedWith event:rabin-arafat-handshake ;
                 prov:generated work:oslo-accords ;
                 bc:participant org:israel, org:palestine-liberation-organization }""",
        id="oslo-back-channel-began-as-track-two-and-transitioned-into-track-one",
    ),
    pytest.param(
        """ASK { process:living-room-dialogue bc:startDate "1992"^^xsd:gYear ; bc:involvesTrack track:track-two ;
                 prov:wasAssociatedWith org:living-room-dialogue-group }""",
        id="living-room-dialogue-began-in-1992-as-track-two",
    ),
    # --- track concepts
    pytest.param(
        "ASK { track:track-two bc:complements track:track-one ; "
        "skos:altLabel \"backchannel diplomacy\"@en, \"Track II diplomacy\"@en }",
        id="track-two-complements-track-one-and-is-also-called-backchannel-diplomacy",
    ),
    pytest.param(
        "ASK { track:track-one-point-five bc:combines track:track-one, track:track-two ; skos:notation \"1.5\" }",
        id="track-one-point-five-combines-official-and-unofficial-tracks",
    ),
    pytest.param(
        """ASK { track:track-two bc:expandedInto track:multi-track-diplomacy .
                 { SELECT (COUNT(DISTINCT ?t) AS ?n) { ?t skos:broader track:multi-track-diplomacy } }
                 FILTER (?n = 9) }""",
        id="second-track-was-expanded-into-the-nine-track-model-of-multi-track-diplomacy",
    ),
    pytest.param(
        """ASK { track:mtd-3-commerce skos:prefLabel "Peacemaking through commerce"@en ;
                 skos:inScheme <https://w3id.org/backchannel/def/track> ; skos:notation "MTD-3" }""",
        id="commerce-is-a-track-of-multi-track-diplomacy",
    ),
    pytest.param(
        """ASK { track:multi-track-diplomacy prov:wasInfluencedBy track:track-two ;
                 prov:qualifiedInfluence [ prov:influencer track:track-two ;
                     dcterms:source work:multi-track-diplomacy-a-systems-approach-to-peace ] }""",
        id="multi-track-diplomacy-model-was-influenced-by-track-two",
    ),
    pytest.param(
        "ASK { track:shuttle-diplomacy skos:related track:track-two ; "
        "skos:topConceptOf <https://w3id.org/backchannel/def/track> }",
        id="shuttle-diplomacy-is-a-related-type-of-diplomacy",
    ),
    # --- process-type concepts
    pytest.param(
        """ASK { person:joseph-v-montville bc:describedProcess pt:facilitated-workshops, pt:shifting-public-opinion,
                     pt:cooperative-economic-development .
                 pt:facilitated-workshops bc:describedIn work:foreign-policy-according-to-freud .
                 pt:shifting-public-opinion bc:describedIn work:foreign-policy-according-to-freud .
                 pt:cooperative-economic-development bc:describedIn work:the-arrow-and-the-olive-branch }""",
        id="montville-described-three-processes-two-in-1981-and-the-third-in-1991",
    ),
    pytest.param(
        """ASK { pt:scientific-exchange bc:involvesTrack track:track-two .
                 pt:cultural-exchange bc:involvesTrack track:track-two }""",
        id="scientific-and-cultural-exchanges-are-examples-of-track-two",
    ),
    # --- the places the Oslo events happened in (outside facts, cited)
    pytest.param(
        f"""ASK {{ GRAPH {GENERAL} {{
                 place:oslo a prov:Location ; bc:locatedIn place:norway ;
                     owl:sameAs dbr:Oslo, <http://www.wikidata.org/entity/Q585> .
                 place:norway a prov:Location ; owl:sameAs dbr:Norway, <http://www.wikidata.org/entity/Q20> .
                 ?e bc:location place:oslo ; bc:date "1993-08-20"^^xsd:date ; dcterms:subject work:oslo-i-accord ;
                    dcterms:isPartOf process:oslo-back-channel }} }}""",
        id="graph-general-knowledge-places-the-initialling-of-the-oslo-i-accord-in-oslo-on-20-august-1993",
    ),
    # --- no fact states more than its source (regressions of issue 13)
    pytest.param(
        """ASK { FILTER NOT EXISTS { person:john-w-mcdonald prov:wasInfluencedBy ?anyone }
                 FILTER NOT EXISTS { person:john-w-mcdonald prov:qualifiedInfluence ?influence } }""",
        id="seconding-an-assumption-is-not-being-influenced",
    ),
    pytest.param(
        """ASK { FILTER NOT EXISTS { ?activity prov:wasAssociatedWith person:colin-powell }
                 FILTER NOT EXISTS { person:colin-powell bc:initiated ?activity } }""",
        id="powell-neither-carried-out-nor-initiated-the-briefing",
    ),
    pytest.param(
        """ASK { FILTER NOT EXISTS { process:oslo-back-channel prov:wasAssociatedWith ?who }
                 FILTER NOT EXISTS { process:oslo-back-channel bc:participant person:unnamed-norwegian-scholar }
                 process:oslo-back-channel prov:qualifiedAssociation [ prov:agent person:unnamed-norwegian-scholar ;
                                                                       prov:hadRole role:initiator ] }""",
        id="the-norwegian-scholar-initiated-the-oslo-contacts-and-did-not-carry-them-out",
    ),
    pytest.param(
        """ASK { person:unnamed-norwegian-scholar rdfs:label ?label ; rdfs:comment ?certainty .
                 FILTER (!CONTAINS(LCASE(STR(?label)), "unnamed"))
                 FILTER (CONTAINS(STR(?certainty), "Certainty: well established")) }""",
        id="the-norwegian-scholars-label-and-identification-agree-and-say-how-certain",
    ),
    pytest.param(
        """ASK { FILTER NOT EXISTS { ?s bc:location|dcterms:spatial|bc:drewParticipantsFrom|bc:locatedIn ?state .
                                     ?state a bc:State } }""",
        id="no-state-is-used-as-a-place",
    ),
    pytest.param(
        """ASK { FILTER NOT EXISTS { ?state a bc:State ; owl:sameAs ?country .
                                     FILTER (?country IN (dbr:Israel, dbr:Norway, dbr:Iraq, dbr:United_States)) }
                 org:norway bc:territory place:norway . org:israel bc:territory place:israel }""",
        id="countries-identity-links-go-to-their-places-and-states-govern-them",
    ),
    pytest.param(
        """ASK { FILTER NOT EXISTS { track:track-two bc:expandedInto ?track .
                                     ?track skos:broader track:multi-track-diplomacy } }""",
        id="the-unofficial-track-did-not-expand-into-the-government-track",
    ),
    pytest.param(
        """ASK { FILTER NOT EXISTS { ?person a foaf:Person ; dcterms:subject ?concept } }""",
        id="people-are-not-about-concepts",
    ),
    pytest.param(
        """ASK { FILTER NOT EXISTS { work:oslo-accords bc:involvesTrack ?track }
                 work:oslo-accords bc:plural true ; bc:sentenceLabel "the Oslo Accords"@en }""",
        id="the-tracks-belong-to-the-oslo-contacts-not-to-the-agreements",
    ),
    # --- sources
    pytest.param(
        """ASK { source:track-two-diplomacy a bc:Source ; dcterms:created "2026-11-25"^^xsd:date ;
                 dcterms:isPartOf work:theinfolist ; prov:wasGeneratedBy ?curation ;
                 prov:wasDerivedFrom [ dcterms:title "Track II diplomacy"@en ;
                                       dcterms:isPartOf work:english-wikipedia ] }""",
        id="seed-source-is-theinfolist-copy-of-the-wikipedia-article",
    ),
    # --- which graph states it
    pytest.param(
        f"""ASK {{ GRAPH {SEED} {{ org:us-department-of-state bc:refusedToPrint
                   work:conflict-resolution-track-two-diplomacy }} }}""",
        id="graph-seed-states-the-refusal-to-print",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {SEED} {{ process:oslo-back-channel bc:beganAs track:track-two }} }}""",
        id="graph-seed-states-oslo-began-as-track-two",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {SEED} {{ track:track-two bc:complements track:track-one }}
                  GRAPH <https://w3id.org/backchannel/def/track> {{
                      track:track-two bc:complements track:track-one }} }}""",
        id="graph-seed-and-tracks-scheme-both-state-track-two-complements-track-one",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {GENERAL} {{ person:yasser-arafat owl:sameAs dbr:Yasser_Arafat }}
                  FILTER NOT EXISTS {{ GRAPH {SEED} {{ ?s owl:sameAs ?o }} }} }}""",
        id="graph-general-knowledge-alone-holds-the-dbpedia-links",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {GENERAL} {{ person:unnamed-norwegian-scholar foaf:name "Terje Rød-Larsen" }}
                  FILTER NOT EXISTS {{ GRAPH {SEED} {{ person:unnamed-norwegian-scholar foaf:name ?n }} }} }}""",
        id="graph-general-knowledge-names-the-norwegian-scholar-terje-rod-larsen",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {GENERAL} {{ work:kaye-2007 dcterms:title
                   "Talking to the Enemy: Track Two Diplomacy in the Middle East and South Asia"@en }}
                  FILTER NOT EXISTS {{ GRAPH {SEED} {{ work:kaye-2007 dcterms:title ?t }} }} }}""",
        id="graph-general-knowledge-gives-kayes-missing-title",
    ),
    pytest.param(
        f"""ASK {{ GRAPH {GENERAL} {{ {GENERAL} a bc:Source ; dcterms:title ?t ; prov:wasGeneratedBy ?a }} }}""",
        id="graph-general-knowledge-describes-itself-as-a-source",
    ),
]


@pytest.mark.parametrize("query", FACTS)
def test_fact(seed_store: ox.Store, base_iri: str, query: str) -> None:
    assert ask(seed_store, base_iri, query), query


def test_who_coined_track_two(seed_store: ox.Store, base_iri: str) -> None:
    """Who coined "Track Two", when, in which work, with whom, and which source says so."""
    rows = select(
        seed_store,
        base_iri,
        """
        SELECT ?who ?year ?title ?coauthor ?graph WHERE {
            GRAPH ?graph { ?person bc:coined track:track-two . track:track-two bc:coinedIn ?work }
            ?person rdfs:label ?who .
            ?work dcterms:title ?title ; bc:date ?year ; dcterms:creator ?other .
            ?other rdfs:label ?coauthor .
            FILTER (?other != ?person)
        }""",
    )
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["who"].value == "Joseph V. Montville"
    assert row["year"] == ox.Literal("1981", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear"))
    assert row["title"].value == "Foreign Policy According to Freud"
    assert row["coauthor"].value == "W. D. Davidson"
    assert row["graph"] == ox.NamedNode(base_iri + "id/source/track-two-diplomacy")


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("person", "foaf:Person"),
        ("org", "foaf:Organization"),
        ("org", "bc:State"),
        ("place", "prov:Location"),
        ("work", "bibo:Book"),
        ("event", "bc:Event"),
        ("process", "bc:DiplomaticProcess"),
        ("source", "bc:Source"),
    ],
    ids=lambda v: v.replace(":", "-"),
)
def test_every_kind_is_present_and_described(seed_store: ox.Store, base_iri: str, kind: str, cls: str) -> None:
    rows = select(
        seed_store,
        base_iri,
        f"""SELECT ?s WHERE {{ ?s a {cls} ; rdfs:label ?l ; dcterms:description ?d .
                               FILTER STRSTARTS(STR(?s), "{base_iri}id/{kind}/") }}""",
    )
    assert rows, f"no described {cls} under id/{kind}/"
