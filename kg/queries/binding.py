"""Binding a named query's parameters: each value checked against its type and made into one RDF term.

Values are never pasted into the query text: each becomes one term handed to pyoxigraph as a substitution
(see :mod:`kg.queries.catalog` for the rules of each type).

>>> page_window("2", "10", default=100, cap=1000)
(2, 10)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox

from kg.namespaces import RDFS, SKOS, XSD
from kg.queries.definitions import (
    _FLOAT_TYPES,
    _INTEGER_TYPES,
    BOOLEANS,
    CURIE_RE,
    DATE_RE,
    INTEGER_RE,
    LABEL_SUFFIX,
    MAX_VALUE_LENGTH,
    SCHEME_RE,
    SLUG_RE,
    YEAR_RE,
    NamedQuery,
    Option,
    Param,
    ParamError,
)
from kg.store.base import QueryRequest, Term, term_value

# --- parameters ----------------------------------------------------------------

LabelLookup = Callable[[str], list[tuple[str, str]]]
"""Finds things by name: returns (IRI, label) pairs."""

OptionsFor = Callable[[Param], list[Option]]
"""Gives the allowed values of an enum parameter."""


def _literal(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def _bounded(param: Param, number: int) -> int:
    if param.min is not None and number < param.min:
        raise ParamError(f"parameter {param.name}: {number} is below the minimum {param.min}")
    if param.max is not None and number > param.max:
        raise ParamError(f"parameter {param.name}: {number} is above the maximum {param.max}")
    return number


def convert(param: Param, value: str) -> Term:
    """Make a term of a parameter's declared type from a scalar value (not iri or enum).

    >>> convert(Param("from", "year", "first year"), "1981")
    <Literal value=1981 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
    >>> convert(Param("n", "integer", "a count", min=1), "0")
    Traceback (most recent call last):
    ...
    kg.queries.definitions.ParamError: parameter n: 0 is below the minimum 1
    """
    if param.type == "string":
        return ox.Literal(value)
    if param.type == "integer":
        if not INTEGER_RE.match(value.strip()):
            raise ParamError(f"parameter {param.name}: {value!r} is not an integer (e.g. 42)")
        return _literal(str(_bounded(param, int(value))), "integer")
    if param.type == "year":
        if not YEAR_RE.match(value.strip()):
            raise ParamError(f"parameter {param.name}: {value!r} is not a year (four digits, e.g. 1991)")
        return _literal(str(_bounded(param, int(value))), "integer")
    if param.type == "date":
        try:
            if not DATE_RE.match(value.strip()):
                raise ValueError(value)
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ParamError(f"parameter {param.name}: {value!r} is not a date (YYYY-MM-DD, e.g. 1993-09-13)") from None
        return _literal(day.isoformat(), "date")
    if param.type == "boolean":
        flag = BOOLEANS.get(value.strip().lower())
        if flag is None:
            raise ParamError(f"parameter {param.name}: {value!r} is not a boolean (true or false)")
        return _literal("true" if flag else "false", "boolean")
    raise ParamError(f"parameter {param.name}: type {param.type} needs more than a scalar conversion")


def resolve_iri(
    param: Param, value: str, base_iri: str, lookup: LabelLookup | None, prefixes: Mapping[str, str] | None = None
) -> ox.NamedNode:
    """An IRI from an absolute IRI, a prefixed name (``bc:coined``), an id relative to the base IRI, or a name.

    Names (anything with white space, or without ``/`` or ``:``) are looked up with ``lookup``.

    >>> p = Param("person", "iri", "a person")
    >>> resolve_iri(p, "id/person/joseph-v-montville", "http://ex.org/", None).value
    'http://ex.org/id/person/joseph-v-montville'
    >>> resolve_iri(p, "http://dbpedia.org/resource/Oslo", "http://ex.org/", None).value
    'http://dbpedia.org/resource/Oslo'
    >>> resolve_iri(p, "person:x", "http://ex.org/", None, {"person": "http://ex.org/id/person/"}).value
    'http://ex.org/id/person/x'
    >>> resolve_iri(p, "Joseph Montville", "http://ex.org/", lambda name: [("http://ex.org/id/person/j", name)]).value
    'http://ex.org/id/person/j'
    >>> resolve_iri(p, 'http://ex.org/"> . ?s ?p ?o', "http://ex.org/", None)
    Traceback (most recent call last):
    ...
    kg.queries.definitions.ParamError: parameter person: 'http://ex.org/"> . ?s ?p ?o' is not a valid IRI (...)
    """
    prefixes = prefixes or {}
    text = value.strip()
    curie = CURIE_RE.match(text)
    if curie and curie.group(1) in prefixes and not curie.group(2).startswith("//"):
        candidate = prefixes[curie.group(1)] + curie.group(2)
    elif SCHEME_RE.match(text) or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
        candidate = text
    elif "/" in text and not any(c.isspace() for c in text):
        candidate = urljoin(base_iri, text)
    else:
        if lookup is None:
            raise ParamError(
                f"parameter {param.name}: {value!r} is not an IRI; give an absolute IRI or an id like id/person/slug"
            )
        found = lookup(text)
        if not found:
            raise ParamError(
                f"parameter {param.name}: nothing is labelled {value!r}; give an absolute IRI, an id like "
                "id/person/joseph-v-montville, or an exact label (case does not matter)"
            )
        if len({iri for iri, _ in found}) > 1:
            candidates = [{"iri": iri, "label": label} for iri, label in found]
            raise ParamError(
                f"parameter {param.name}: {value!r} names {len(candidates)} things; give one of their IRIs",
                status=409, candidates=candidates,
            )
        candidate = found[0][0]
    try:
        return ox.NamedNode(candidate)
    except ValueError as err:
        raise ParamError(f"parameter {param.name}: {value!r} is not a valid IRI ({err})") from None


def static_options(param: Param) -> list[Option]:
    """The options of an ``enum: [...]`` parameter (bound as plain strings).

    >>> [o.key for o in static_options(Param("kind", "enum", "a kind", enum=("person", "org")))]
    ['person', 'org']
    """
    return [Option(value, ox.Literal(value), value) for value in param.enum]


def options_from_rows(rows: Iterable[Mapping[str, Term]]) -> list[Option]:
    """Options from the rows of an ``enum_query`` (``?value`` and optional ``?label``).

    An IRI value is offered by its last segment (after ``/`` or ``#``) when that is unique, else in full.

    >>> rows = [{"value": ox.NamedNode("http://ex/track/track-two"), "label": ox.Literal("Track Two")}]
    >>> options_from_rows(rows)[0].key
    'track-two'
    """
    rows = [r for r in rows if "value" in r]
    short = [re.split(r"[/#]", term_value(r["value"]).rstrip("/#"))[-1] if isinstance(r["value"], ox.NamedNode)
             else term_value(r["value"]) for r in rows]
    seen: dict[str, int] = {}
    for key in short:
        seen[key] = seen.get(key, 0) + 1
    options = []
    for row, key in zip(rows, short, strict=True):
        term = row["value"]
        label = term_value(row["label"]) if "label" in row else key
        options.append(Option(key if seen[key] == 1 else term_value(term), term, label))
    return sorted({o.key: o for o in options}.values(), key=lambda o: o.key)


def _enum_term(param: Param, value: str, options: list[Option]) -> Term:
    text = value.strip()
    for option in options:
        if text == option.key or text == term_value(option.term):
            return option.term
    lowered = text.lower()
    for option in options:
        if lowered == option.key.lower() or (option.label and lowered == option.label.lower()):
            return option.term
    allowed = ", ".join(o.key for o in options) or "(none: the graph has no values for it yet)"
    raise ParamError(f"parameter {param.name}: {value!r} is not allowed; use one of: {allowed}")


def bind(
    query: NamedQuery,
    given: Mapping[str, str],
    *,
    base_iri: str,
    lookup: LabelLookup | None = None,
    options: OptionsFor | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> dict[str, Term]:
    """Check the given parameter values and make the terms to substitute; raise :class:`ParamError`.

    ``given`` holds the query's own parameters only (``format``, ``page``,
    ``per_page`` are taken out before). Defaults fill in missing optional
    parameters; an optional parameter without default stays unbound.

    >>> from kg.queries.definitions import parse_query
    >>> q = parse_query("q", "#+ summary: s\\n#+ params: [{name: n, type: integer, description: d, example: '1'}]\\n"
    ...                 "SELECT ?n {}")
    >>> bind(q, {"n": "2"}, base_iri="http://ex/")["n"].value
    '2'
    >>> bind(q, {"m": "2"}, base_iri="http://ex/")
    Traceback (most recent call last):
    ...
    kg.queries.definitions.ParamError: unknown parameter 'm'; q takes: n
    """
    unknown = sorted(set(given) - {p.name for p in query.params})
    if unknown:
        takes = ", ".join(p.name for p in query.params) or "no parameters"
        raise ParamError(f"unknown parameter {unknown[0]!r}; {query.name} takes: {takes}")
    terms: dict[str, Term] = {}
    for param in query.params:
        value = given.get(param.name)
        if value is None or value == "":
            if param.required:
                raise ParamError(
                    f"missing required parameter {param.name!r} ({param.description}); "
                    f"e.g. {param.name}={param.example}"
                )
            value = param.default
            if value is None:
                continue
        if len(value) > MAX_VALUE_LENGTH:
            raise ParamError(f"parameter {param.name}: the value is longer than {MAX_VALUE_LENGTH} characters")
        if param.type == "iri":
            terms[param.name] = resolve_iri(param, value, base_iri, lookup, prefixes)
        elif param.type == "enum":
            allowed = static_options(param) if param.enum else (options(param) if options else [])
            terms[param.name] = _enum_term(param, value, allowed)
        else:
            terms[param.name] = convert(param, value)
    return terms


def page_window(page: str | None, per_page: str | None, *, default: int, cap: int) -> tuple[int, int]:
    """Validate ``page`` (from 1) and ``per_page`` (1..cap).

    >>> page_window(None, None, default=100, cap=1000)
    (1, 100)
    >>> page_window("2", "5000", default=100, cap=1000)
    Traceback (most recent call last):
    ...
    kg.queries.definitions.ParamError: per_page must be an integer from 1 to 1000, not '5000'
    """
    number, size = 1, default
    if page not in (None, ""):
        if not re.fullmatch(r"[0-9]{1,9}", page) or int(page) < 1:
            raise ParamError(f"page must be a whole number from 1, not {page!r}")
        number = int(page)
    if per_page not in (None, ""):
        if not re.fullmatch(r"[0-9]{1,9}", per_page) or not 1 <= int(per_page) <= cap:
            raise ParamError(f"per_page must be an integer from 1 to {cap}, not {per_page!r}")
        size = int(per_page)
    return number, size


# --- running -----------------------------------------------------------------------


def paged_text(query: NamedQuery, page: int, per_page: int) -> str:
    """The query wrapped as a sub-query, cut to one page plus one row (that row says whether a next page exists).

    Not an injection risk: the body is the checked query file and the numbers are validated integers.
    """
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page start at 1")
    projection = " ".join("?" + v for v in query.variables) or "*"
    return (
        f"{query.prologue}SELECT {projection} WHERE {{\n{{\n{query.body}\n}}\n}}\n"
        f"LIMIT {per_page + 1} OFFSET {(page - 1) * per_page}\n"
    )


def request_for(
    query: NamedQuery,
    bindings: Mapping[str, Term],
    *,
    select_type: str,
    base_iri: str,
    max_rows: int,
    page: tuple[int, int] | None = None,
) -> QueryRequest:
    """The :class:`QueryRequest` that runs a named query with its bound parameters.

    With ``page`` = (number, size) the query is paged and ``max_rows`` is the
    page size, so the response's ``truncated`` flag means "there is a next page".

    >>> from kg.queries.catalog import check
    >>> from kg.queries.definitions import parse_query
    >>> q = check(parse_query("q", "#+ summary: s\\n#+ paging: true\\nSELECT ?s { ?s ?p ?o }"), "http://ex/")
    >>> r = request_for(q, {}, select_type="text/csv", base_iri="http://ex/", max_rows=50, page=(3, 10))
    >>> r.max_rows, r.query.splitlines()[-1]
    (10, 'LIMIT 11 OFFSET 20')
    """
    text = query.text
    if page is not None:
        text = paged_text(query, *page)
        max_rows = page[1]
    return QueryRequest(
        text,
        select_type=select_type,
        substitutions=tuple((name, str(term)) for name, term in bindings.items()),
        max_rows=max_rows,
        base_iri=base_iri,
    )


def _value(term: Mapping[str, Any]) -> object:
    kind = term.get("type")
    value: Any = term.get("value")
    if kind == "bnode":
        return f"_:{value}"
    if kind == "literal" or kind == "typed-literal":
        datatype = term.get("datatype", "")
        try:
            if datatype in _INTEGER_TYPES:
                return int(value)
            if datatype in _FLOAT_TYPES:
                return float(value)
        except (TypeError, ValueError):
            return value
        if datatype == XSD + "boolean":
            return value in ("true", "1")
        return value
    if kind == "triple":
        return {k: _value(v) for k, v in value.items()}
    return value


def records(sparql_json: bytes) -> list[dict[str, object]]:
    """SPARQL JSON results as plain records: IRIs as strings, literals as their values.

    When the query projects ``?xLabel`` next to ``?x``, each record also has
    ``labels``: ``{"x": <label>}``, so a client can show a label for each IRI.

    >>> doc = {"head": {"vars": ["work", "workLabel", "year"]}, "results": {"bindings": [
    ...     {"work": {"type": "uri", "value": "http://ex/w"}, "workLabel": {"type": "literal", "value": "W"},
    ...      "year": {"type": "literal", "value": "1981", "datatype": XSD + "integer"}}]}}
    >>> records(json.dumps(doc).encode())
    [{'work': 'http://ex/w', 'workLabel': 'W', 'year': 1981, 'labels': {'work': 'W'}}]
    """
    doc = json.loads(sparql_json)
    variables = doc.get("head", {}).get("vars", [])
    labelled = [v for v in variables if v + LABEL_SUFFIX in variables]
    out = []
    for binding in doc.get("results", {}).get("bindings", []):
        record: dict[str, object] = {v: _value(binding[v]) for v in variables if v in binding}
        if labelled:
            record["labels"] = {v: record[v + LABEL_SUFFIX] for v in labelled if v + LABEL_SUFFIX in record}
        out.append(record)
    return out


LABEL_QUERY = f"""PREFIX rdfs: <{RDFS}>
PREFIX skos: <{SKOS}>
SELECT DISTINCT ?thing ?label ?name WHERE {{
  VALUES ?property {{ rdfs:label skos:prefLabel skos:altLabel }}
  ?thing ?property ?label .
  FILTER(isIRI(?thing) && LCASE(STR(?label)) = LCASE(?name))
}} ORDER BY ?thing ?label"""
"""Things whose rdfs:label, skos:prefLabel or skos:altLabel equals ``?name``, ignoring case."""

SLUG_QUERY = """SELECT DISTINCT ?thing ?base ?suffix WHERE {
  ?thing a ?type .
  FILTER(isIRI(?thing) && STRSTARTS(STR(?thing), ?base) && STRENDS(STR(?thing), ?suffix))
} ORDER BY ?thing"""
"""Things of the deployment whose IRI ends with ``/slug``."""


def label_lookup(select: Callable[..., list[dict[str, Term]]], id_base: str) -> LabelLookup:
    """A :data:`LabelLookup` over a store's trusted ``select`` (names are bound, never pasted).

    An exact label wins; failing that, a bare slug (``joseph-v-montville``) matches the end of an IRI under ``id_base``.
    """

    def lookup(name: str) -> list[tuple[str, str]]:
        rows = select(LABEL_QUERY, {"name": ox.Literal(name)})
        found: dict[str, str] = {}
        for row in rows:
            found.setdefault(term_value(row["thing"]), term_value(row["label"]))
        if not found and SLUG_RE.match(name):
            rows = select(SLUG_QUERY, {"base": ox.Literal(id_base), "suffix": ox.Literal("/" + name)})
            found = {term_value(row["thing"]): name for row in rows}
        return sorted(found.items())

    return lookup


def enum_options(select: Callable[..., list[dict[str, Term]]], param: Param) -> list[Option]:
    """The allowed values of an enum parameter (running its ``enum_query`` with the trusted ``select``)."""
    if param.enum or not param.enum_query:
        return static_options(param)
    return options_from_rows(select(param.enum_query))

