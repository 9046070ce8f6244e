"""Named queries: SPARQL files with a metadata header, run with typed parameters bound by substitution.

A named query is a ``queries/NAME.rq`` file. Its first lines, each starting
with ``#+``, hold a small YAML header (summary, description, tags, params,
paging); the rest is a SPARQL SELECT query. Parameter values are never pasted
into the query text: each is checked against its declared type, made into one
RDF term and handed to pyoxigraph as a *substitution* (SEP-0007 pre-binding).

The header (YAML; unknown keys are refused so typos show)::

    #+ summary: Works of a person, in year order        (required; the OpenAPI summary)
    #+ description: >-                                   (optional, Markdown)
    #+   Longer text.
    #+ tags: [works, people]
    #+ params:                                           (each binds the SPARQL variable of its name)
    #+   - name: person
    #+     type: iri          # iri | string | integer | year | date | boolean | enum
    #+     description: the person                      (required)
    #+     example: id/person/joseph-v-montville        (required when the parameter is required)
    #+     default: ...       # makes the parameter optional; without default or `required: false`, it is required
    #+     required: false    # optional without default: the variable stays unbound
    #+     min: 1900          # integer and year only; also max
    #+     enum: [a, b]       # enum: allowed strings, bound as plain literals
    #+     enum_query: SELECT ?value ?label { ... }      # enum: allowed terms, read from the graph
    #+ paging: true          # page/per_page, the query wrapped as a sub-query with LIMIT/OFFSET

Values: ``iri`` takes an absolute IRI, a prefixed name (``bc:coined``,
``person:joseph-v-montville``), an id relative to the base IRI
(``id/person/x``) or a name, looked up as an exact (case-insensitive)
rdfs:label / skos:prefLabel / skos:altLabel, or as the slug ending an IRI
under ``id/``; a name that fits several things is a 409 listing them.
``year`` and ``integer`` bind ``xsd:integer`` (compare with ``YEAR(?date)``),
``date`` ``xsd:date``, ``boolean`` ``xsd:boolean``, ``string`` and static
``enum`` a plain literal; an ``enum_query`` option binds the term the query
gave (an IRI option is also accepted by its last segment or its label).
Relative IRIs in the query text (``<id/work/>``) resolve against the
deployment's base IRI.

pyoxigraph's rule for substitutions (checked at load time, see :func:`check`):
in a SELECT query a substituted variable must be in the projection
(``SELECT ?person ?work …`` or ``SELECT *``); otherwise the query fails with
"does not contains variable ?x in its SELECT projection". A projected variable
is bound everywhere in the top-level pattern, including FILTERs, BINDs,
OPTIONALs, GRAPH ?g and sub-queries that project it, with one exception:
``BOUND(?x)`` is false for a substituted ``?x``. An optional parameter that is
left out stays unbound, so test it with ``COALESCE(?year >= ?from, true)``
(the comparison errors when ``?from`` is unbound); :func:`check` rejects
``BOUND(?param)``.

>>> text = '''#+ summary: Things with a label
... #+ params:
... #+   - name: text
... #+     type: string
... #+     description: the exact label
... #+     example: Alpha
... #+ paging: true
... PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
... SELECT ?thing ?text WHERE { ?thing rdfs:label ?text } ORDER BY ?thing
... '''
>>> query = check(parse_query("things-labelled", text), base_iri="http://ex/")
>>> query.summary, [p.name for p in query.params], query.paging
('Things with a label', ['text'], True)
>>> bindings = bind(query, {"text": 'x" } ; DROP ALL'}, base_iri="http://ex/")
>>> bindings["text"]
<Literal value=x" } ; DROP ALL datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#string>>
>>> print(paged_text(query, page=2, per_page=10), end="")
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?thing ?text WHERE {
{
SELECT ?thing ?text WHERE { ?thing rdfs:label ?text } ORDER BY ?thing
}
}
LIMIT 11 OFFSET 10
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox

from kg.namespaces import XSD, all_prefixes
from kg.queries.binding import (
    _enum_term,
    bind,
    convert,
    enum_options,
    label_lookup,
    paged_text,
    request_for,
    resolve_iri,
    static_options,
)
from kg.queries.definitions import (
    NamedQuery,
    Option,
    Param,
    ParamError,
    QueryDefinitionError,
    _fail,
    parse_query,
)
from kg.store.base import QueryRequest, Store, Term


def _placeholder(param: Param) -> Term:
    """A term of the right kind for a parameter, used to check that the query accepts the binding."""
    if param.type == "iri":
        return ox.NamedNode("urn:backchannel:check")
    if param.type in ("integer", "year"):
        return ox.Literal("1", datatype=ox.NamedNode(XSD + "integer"))
    if param.type == "date":
        return ox.Literal("2000-01-01", datatype=ox.NamedNode(XSD + "date"))
    if param.type == "boolean":
        return ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
    return ox.Literal("check")


def check(query: NamedQuery, base_iri: str) -> NamedQuery:
    """Parse the query (as written and as paged) on an empty store with every parameter bound.

    Returns the query with its projected ``variables`` filled in; raises
    :class:`QueryDefinitionError` if it is not a valid SELECT query, does not
    project a parameter's variable, or projects a reserved name.
    """
    empty = ox.Store()
    subs = {ox.Variable(p.name): _placeholder(p) for p in query.params}
    texts = [("", query.text)]
    try:
        result = empty.query(query.text, base_iri=base_iri, substitutions=subs or None)
    except SyntaxError as err:
        raise _fail(query.name, f"SPARQL syntax error: {err}") from None
    except RuntimeError as err:
        raise _fail(query.name, f"{err} (pyoxigraph binds only projected variables: add it to SELECT)") from None
    if not isinstance(result, ox.QuerySolutions):
        raise _fail(query.name, "a named query must be a SELECT query")
    variables = tuple(v.value for v in result.variables)
    if "labels" in variables:
        raise _fail(query.name, "?labels is reserved for the records format; rename the variable")
    checked = replace(query, variables=variables)
    if query.paging:
        texts.append(("paged ", paged_text(checked, page=1, per_page=1)))
    for kind, text in texts[1:]:
        try:
            empty.query(text, base_iri=base_iri, substitutions=subs or None)
        except (SyntaxError, RuntimeError) as err:
            raise _fail(query.name, f"the {kind}query does not parse ({err}); is the body one SELECT query?") from None
    for param in query.params:
        code = re.sub(r"(?m)^\s*#.*$", "", query.body)
        if re.search(r"\bBOUND\s*\(\s*[?$]" + param.name + r"\s*\)", code, re.IGNORECASE):
            raise _fail(query.name, f"BOUND(?{param.name}) is always false for a substituted variable in pyoxigraph; "
                        f"test an optional parameter with COALESCE(<test using ?{param.name}>, true)")
        _check_param(query.name, param, empty)
    return checked


def _check_param(name: str, param: Param, empty: ox.Store) -> None:
    """Check a parameter's default and example against its type, and its enum_query's syntax."""
    for what, value in (("default", param.default), ("example", param.example)):
        if value is None:
            continue
        try:
            if param.type == "enum" and param.enum:
                _enum_term(param, value, static_options(param))
            elif param.type == "iri":
                resolve_iri(param, value, "http://check.invalid/", lambda text: [("urn:backchannel:check", text)])
            elif param.type != "enum":
                convert(param, value)
        except ParamError as err:
            raise _fail(name, f"param {param.name}: the {what} is not valid: {err}") from None
    if param.enum_query:
        try:
            result = empty.query(param.enum_query, use_default_graph_as_union=True)
        except SyntaxError as err:
            raise _fail(name, f"param {param.name}: enum_query: SPARQL syntax error: {err}") from None
        if not isinstance(result, ox.QuerySolutions) or "value" not in [v.value for v in result.variables]:
            raise _fail(name, f"param {param.name}: enum_query must be a SELECT projecting ?value (and ?label)")


def load_queries(folder: Path, base_iri: str) -> dict[str, NamedQuery]:
    """Read and check every ``*.rq`` file of ``folder``, by name (the file stem).

    >>> load_queries(Path("/nonexistent"), "http://ex/")
    {}
    """
    queries = {}
    for path in sorted(folder.glob("*.rq")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise QueryDefinitionError(f"{path}: cannot read: {err}") from None
        queries[path.stem] = check(parse_query(path.stem, text), base_iri)
    return queries


class Catalog:
    """The named queries of one deployment, with the allowed values of their enum parameters cached per store version.

    >>> catalog = Catalog({})
    >>> catalog.names()
    []
    """

    def __init__(self, queries: Mapping[str, NamedQuery]) -> None:
        self.queries = dict(queries)
        self._options: dict[tuple[str, str], tuple[str, list[Option]]] = {}

    def names(self) -> list[str]:
        """The query names, sorted."""
        return sorted(self.queries)

    def get(self, name: str) -> NamedQuery | None:
        """The query called ``name``, if any."""
        return self.queries.get(name)

    def options(self, store: Store, query: NamedQuery, param: Param) -> list[Option]:
        """The allowed values of an enum parameter, recomputed when the store changes."""
        if param.enum or not param.enum_query:
            return static_options(param)
        key = (query.name, param.name)
        cached = self._options.get(key)
        version = store.version
        if cached is None or cached[0] != version:
            cached = (version, enum_options(store.select, param))
            self._options[key] = cached
        return cached[1]

    def prepare(
        self,
        store: Store,
        query: NamedQuery,
        given: Mapping[str, str],
        *,
        base_iri: str,
        select_type: str,
        max_rows: int,
        page: tuple[int, int] | None = None,
    ) -> QueryRequest:
        """Bind ``given`` (names resolved with the store's labels) and make the request to run; may raise ParamError."""
        id_base = base_iri + "id/"
        bindings = bind(
            query, given, base_iri=base_iri,
            lookup=label_lookup(store.select, id_base),
            options=lambda param: self.options(store, query, param),
            prefixes=all_prefixes(id_base),
        )
        return request_for(query, bindings, select_type=select_type, base_iri=base_iri, max_rows=max_rows, page=page)

