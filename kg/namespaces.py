"""The namespaces backchannel uses, and the prefixes offered to queries.

Our own namespaces have prefixes that start with ``bc`` (``bc:``, ``bc-track:``, ``bc-person:``…), so they
clash with no common vocabulary's: ``org:`` is the W3C Organization Ontology, as everyone types it, and
``person:`` is left to the W3C Person vocabulary.

>>> BC + "coined"
'https://w3id.org/backchannel/def#coined'
>>> PREFIXES["prov"], PREFIXES["org"]
('http://www.w3.org/ns/prov#', 'http://www.w3.org/ns/org#')
"""

from __future__ import annotations

VOCAB = "https://w3id.org/backchannel/def"
"""The ontology IRI. Stable: it does not change with the deployment's base IRI."""

BC = VOCAB + "#"
TRACK = VOCAB + "/track/"
PROCESS_TYPE = VOCAB + "/process-type/"
ROLE = VOCAB + "/role/"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
DCTERMS = "http://purl.org/dc/terms/"
BIBO = "http://purl.org/ontology/bibo/"
TIME = "http://www.w3.org/2006/time#"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
SD = "http://www.w3.org/ns/sparql-service-description#"
SH = "http://www.w3.org/ns/shacl#"
VANN = "http://purl.org/vocab/vann/"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"

PREFIXES: dict[str, str] = {
    "bc": BC,
    "bc-track": TRACK,
    "bc-process-type": PROCESS_TYPE,
    "bc-role": ROLE,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "prov": PROV,
    "foaf": FOAF,
    "dcterms": DCTERMS,
    "bibo": BIBO,
    "time": TIME,
    "void": VOID,
    "dcat": DCAT,
    "sd": SD,
    "sh": SH,
    "vann": VANN,
    "org": ORG,
    "schema": SCHEMA,
    "dbr": "http://dbpedia.org/resource/",
}
"""The vocabularies' prefixes (ours first), as queries, documents, dumps and the editor declare them."""

THING_KINDS: tuple[str, ...] = ("person", "org", "place", "work", "event", "process", "source")
"""The kinds of things minted under ``{base}id/{kind}/``; each has the prefix ``bc-{kind}:``."""


def thing_prefixes(id_base: str) -> dict[str, str]:
    """Prefixes for the things of the graph, under the deployment's ``id/`` namespace.

    >>> thing_prefixes("http://x.org/id/")["bc-person"]
    'http://x.org/id/person/'
    """
    return {f"bc-{kind}": f"{id_base}{kind}/" for kind in THING_KINDS}


GENID = ".well-known/genid/"
"""Where the build's stable IRIs for blank nodes live under the base IRI (RDF 1.1 Concepts, 3.5):
``{base}.well-known/genid/{digest}`` (:mod:`kg.data.skolem`)."""


def is_skolem(iri: str) -> bool:
    """Whether an IRI stands for what a source wrote as a blank node (a membership, a time span…).

    >>> is_skolem("http://x.org/.well-known/genid/3fa2c1d0"), is_skolem("http://x.org/id/person/a")
    (True, False)
    """
    return "/" + GENID in iri


def sparql_prologue(prefixes: dict[str, str]) -> str:
    """PREFIX declarations for a query.

    >>> sparql_prologue({"ex": "http://ex/"})
    'PREFIX ex: <http://ex/>\\n'
    """
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())


def all_prefixes(id_base: str) -> dict[str, str]:
    """Every prefix a deployment declares: the vocabularies' and its things' (for queries, documents, the editor).

    >>> all_prefixes("http://x.org/id/")["bc"], all_prefixes("http://x.org/id/")["bc-person"]
    ('https://w3id.org/backchannel/def#', 'http://x.org/id/person/')
    """
    return PREFIXES | thing_prefixes(id_base)
