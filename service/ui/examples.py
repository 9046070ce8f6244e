"""What the query editor needs: the graph's classes and properties (for autocompletion) and the named queries
as runnable examples, their example values bound with ``VALUES`` so people can read, change and run them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kg.namespaces import OWL, RDF, RDFS, SKOS, all_prefixes
from kg.queries.catalog import Catalog
from kg.queries.definitions import split_prologue
from kg.settings import Settings
from kg.store.base import QueryEvaluationError, Store, term_value

_CLASS_TYPES = (OWL + "Class", RDFS + "Class")
_PROPERTY_TYPES = (OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty", RDF + "Property")

VOCABULARY_QUERY = f"""
SELECT ?term ?kind (SAMPLE(?l) AS ?label) WHERE {{
  {{ ?term a ?type . VALUES (?type ?kind) {{ {" ".join(f'(<{t}> "class")' for t in _CLASS_TYPES)}
                                         {" ".join(f'(<{t}> "property")' for t in _PROPERTY_TYPES)} }} }}
  UNION {{ [] a ?term . BIND("class" AS ?kind) }}
  UNION {{ [] ?term [] . BIND("property" AS ?kind) }}
  FILTER(isIRI(?term))
  OPTIONAL {{ ?term <{RDFS}label>|<{SKOS}prefLabel> ?l FILTER(LANG(?l) = "" || LANGMATCHES(LANG(?l), "en")) }}
}}
GROUP BY ?term ?kind
"""


def curie(iri: str, prefixes: Mapping[str, str]) -> str | None:
    """The shortest prefixed name of ``iri`` (None when no prefix fits or the local part is not a plain name).

    >>> curie("http://ex.org/a#thing", {"ex": "http://ex.org/a#"}), curie("http://other/x", {"ex": "http://ex/"})
    ('ex:thing', None)
    """
    best: str | None = None
    for name, namespace in prefixes.items():
        if iri.startswith(namespace):
            local = iri[len(namespace):]
            if re.fullmatch(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?", local or "") or local == "":
                candidate = f"{name}:{local}"
                if best is None or len(candidate) < len(best):
                    best = candidate
    return best


def vocabulary(store: Store, prefixes: Mapping[str, str]) -> dict[str, Any]:
    """Classes and properties known to the graph (declared or used), with labels and prefixed names."""
    seen: dict[tuple[str, str], dict[str, str | None]] = {}
    for row in store.select(VOCABULARY_QUERY):
        iri, kind = term_value(row["term"]), term_value(row["kind"])
        label = term_value(row["label"]) if "label" in row else None
        entry = seen.setdefault((kind, iri), {"iri": iri, "curie": curie(iri, prefixes), "label": label})
        entry["label"] = entry["label"] or label
    terms = sorted(seen.items(), key=lambda item: (item[1]["curie"] or item[0][1]).lower())
    return {
        "prefixes": dict(prefixes),
        "classes": [t for (kind, _), t in terms if kind == "class"],
        "properties": [t for (kind, _), t in terms if kind == "property"],
    }


def values_clause(bindings: Mapping[str, str]) -> str:
    """A ``VALUES`` block binding variables to terms (given in SPARQL/N-Triples syntax).

    >>> values_clause({"thing": "<http://ex/a>", "year": '"1990"^^<http://www.w3.org/2001/XMLSchema#gYear>'})
    'VALUES (?thing ?year) { (<http://ex/a> "1990"^^<http://www.w3.org/2001/XMLSchema#gYear>) }'
    """
    names = " ".join("?" + name for name in bindings)
    return f"VALUES ({names}) {{ ({' '.join(bindings.values())}) }}"


_SKIP = re.compile(r"#[^\n]*|<[^<>\"{}|^`\\\s]*>|\"\"\"(?:[^\\]|\\.)*?\"\"\"|'''(?:[^\\]|\\.)*?'''"
                   r"|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")


def bind_in_text(query: str, bindings: Mapping[str, str]) -> str:
    """The query with ``VALUES`` for the bindings placed first in its outermost group (WHERE clause).

    A ``VALUES`` block at the start of the WHERE clause gives the variables their values before anything else in
    the group (patterns, FILTERs, OPTIONALs, BINDs), which is what a substitution does; it keeps the query
    readable, so that people can change the values and run it again.

    >>> print(bind_in_text("PREFIX ex: <http://ex/#>\\n# {\\nSELECT ?a WHERE {\\n  ?a ex:p ?b\\n}", {"b": "1"}))
    PREFIX ex: <http://ex/#>
    # {
    SELECT ?a WHERE {
      VALUES (?b) { (1) }
      ?a ex:p ?b
    }
    >>> bind_in_text("SELECT * {}", {})
    'SELECT * {}'
    """
    if not bindings:
        return query
    position = 0
    while position < len(query):
        skipped = _SKIP.match(query, position)
        if skipped and skipped.end() > position:
            position = skipped.end()
            continue
        if query[position] == "{":
            line_end = query.find("\n", position)
            if line_end != -1 and not query[position + 1:line_end].strip():
                next_line = query[line_end + 1:]
                indent = next_line[: len(next_line) - len(next_line.lstrip(" \t"))] or "  "
                return f"{query[:line_end + 1]}{indent}{values_clause(bindings)}\n{query[line_end + 1:]}"
            rest = query[position + 1:]
            return f"{query[:position + 1]} {values_clause(bindings)}{'' if rest[:1].isspace() else ' '}{rest}"
        position += 1
    raise ValueError("the query has no group pattern to put VALUES in")


_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\s]*)>[ \t]*\n?", re.IGNORECASE)


_SHORT_LITERAL = re.compile(
    r'"(-?[0-9]+)"\^\^<http://www\.w3\.org/2001/XMLSchema#integer>|"(true|false)"\^\^<http://www\.w3\.org/2001/XMLSchema#boolean>'
)


def short_literal(term: str) -> str:
    """A number or boolean literal in SPARQL's short form (the same term, easier to read and edit).

    >>> short_literal('"1990"^^<http://www.w3.org/2001/XMLSchema#integer>'), short_literal('"x"')
    ('1990', '"x"')
    >>> short_literal('"false"^^<http://www.w3.org/2001/XMLSchema#boolean>')
    'false'
    """
    match = _SHORT_LITERAL.fullmatch(term)
    return (match.group(1) or match.group(2)) if match else term


def example_text(query: str, substitutions: Mapping[str, str], prefixes: Mapping[str, str]) -> str:
    """The query with its parameters bound by ``VALUES``; IRIs of our things as prefixed names (declared if needed).

    >>> print(example_text("PREFIX ex: <http://ex/>\\nSELECT ?a WHERE { ?a ex:p ?who }",
    ...                    {"who": "<http://x/id/person/ada>"}, {"person": "http://x/id/person/"}))
    PREFIX ex: <http://ex/>
    PREFIX person: <http://x/id/person/>
    SELECT ?a WHERE { VALUES (?who) { (person:ada) } ?a ex:p ?who }
    """
    prologue, body = split_prologue(query)
    declared = {m.group(1) or "": m.group(2) for m in _PREFIX_DECL.finditer(prologue)}
    last = max((m.end() for m in _PREFIX_DECL.finditer(prologue)), default=0)
    added: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, term in substitutions.items():
        short = curie(term[1:-1], prefixes) if term.startswith("<") and term.endswith(">") else None
        prefix = short.split(":", 1)[0] if short else ""
        if short and declared.get(prefix, prefixes[prefix]) == prefixes[prefix]:
            term = short
            if prefix not in declared:
                added[prefix] = prefixes[prefix]
        values[name] = short_literal(term)
    declarations = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in added.items())
    if last and not prologue[:last].endswith("\n"):
        declarations = "\n" + declarations
    return prologue[:last] + declarations + prologue[last:] + bind_in_text(body, values)


def examples(catalog: Catalog, store: Store, settings: Settings) -> list[dict[str, object]]:
    """The named queries, each with its text and a runnable text with its example values bound."""
    things = {k: v for k, v in all_prefixes(settings.id_base).items() if v.startswith(settings.id_base)}
    out: list[dict[str, object]] = []
    for name in catalog.names():
        query = catalog.queries[name]
        values = query.example_values()
        entry: dict[str, object] = {
            "name": name,
            "summary": query.summary,
            "description": query.description,
            "tags": list(query.tags),
            "params": values,
            "text": query.text,
        }
        try:
            prepared = catalog.prepare(store, query, values, base_iri=settings.base_iri,
                                       select_type="application/sparql-results+json", max_rows=settings.max_rows)
            entry["query"] = example_text(query.text, dict(prepared.substitutions), things)
        except (ValueError, QueryEvaluationError) as err:  # ParamError is a ValueError: an example not in the graph
            entry["query"] = query.text
            entry["problem"] = f"the example values could not be bound: {err}"
        out.append(entry)
    return out
