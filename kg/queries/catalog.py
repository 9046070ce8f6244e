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

import datetime as dt
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import urljoin

import pyoxigraph as ox
import yaml

from kg.namespaces import PREFIXES, RDFS, SKOS, XSD, thing_prefixes
from kg.store.results import QueryRequest, Term
from kg.store.embedded import Store

PARAM_TYPES: tuple[str, ...] = ("iri", "string", "integer", "year", "date", "boolean", "enum")
"""The types a parameter may declare."""

RESERVED: frozenset[str] = frozenset({"format", "page", "per_page"})
"""Query-string names the service uses itself; no parameter may take them."""

HEADER_KEYS: frozenset[str] = frozenset({"summary", "description", "tags", "params", "paging"})
PARAM_KEYS: frozenset[str] = frozenset(
    {"name", "type", "description", "required", "default", "example", "enum", "enum_query", "min", "max"}
)
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
VARIABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")
CURIE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*):(\S*)$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
INTEGER_RE = re.compile(r"^[+-]?[0-9]{1,18}$")
YEAR_RE = re.compile(r"^-?[0-9]{1,4}$")
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
BOOLEANS: dict[str, bool] = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
MAX_VALUE_LENGTH = 1000
"""Longest parameter value accepted (characters)."""

DEFAULT_PER_PAGE = 100
"""Rows per page when ``per_page`` is not given."""
MAX_PER_PAGE = 1000
"""Most rows per page (lower if ``settings.max_rows`` is lower)."""

LABEL_SUFFIX = "Label"
"""A projected ``?xLabel`` next to ``?x`` is the label of ``x`` (used by the records format)."""

_PROLOGUE_RE = re.compile(
    r"\A(?:\s+|#[^\n]*(?:\n|\Z)|PREFIX\s+(?:[A-Za-z][\w.-]*)?:\s*<[^>\s]*>|BASE\s+<[^>\s]*>)*",
    re.IGNORECASE,
)
_INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                    "positiveInteger", "negativeInteger", "nonPositiveInteger",
                                    "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
_FLOAT_TYPES = {XSD + t for t in ("decimal", "double", "float")}


class QueryDefinitionError(ValueError):
    """A named query file is malformed (the message names the file and what to fix)."""


class ParamError(ValueError):
    """A parameter value is not acceptable: ``status`` 400 (fix the value) or 409 (ambiguous name)."""

    def __init__(self, message: str, status: int = 400, candidates: Sequence[Mapping[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.candidates = list(candidates)


@dataclass(frozen=True)
class Option:
    """An allowed value of an enum parameter: what the caller types, the term it binds, a label."""

    key: str
    term: Term
    label: str = ""


@dataclass(frozen=True)
class Param:
    """A declared parameter of a named query (its name is the SPARQL variable it binds)."""

    name: str
    type: str
    description: str
    required: bool = False
    default: str | None = None
    example: str | None = None
    enum: tuple[str, ...] = ()
    enum_query: str | None = None
    min: int | None = None
    max: int | None = None

    def to_json(self) -> dict[str, object]:
        """The parameter as listed by the API and the CLI."""
        out: dict[str, object] = {"name": self.name, "type": self.type, "description": self.description,
                                  "required": self.required}
        for key in ("default", "example", "min", "max"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.enum:
            out["enum"] = list(self.enum)
        return out


@dataclass(frozen=True)
class NamedQuery:
    """A parsed ``.rq`` file: metadata, parameters and the query split into prologue and body."""

    name: str
    summary: str
    text: str
    prologue: str
    body: str
    description: str = ""
    tags: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    paging: bool = False
    variables: tuple[str, ...] = field(default=())
    source: str = ""
    """The whole file, header included (what ``GET /api/queries/{name}.rq`` returns)."""

    def param(self, name: str) -> Param | None:
        """The parameter called ``name``, if declared."""
        return next((p for p in self.params if p.name == name), None)

    def example_values(self) -> dict[str, str]:
        """A working set of parameter values (the examples, else the defaults)."""
        out = {}
        for p in self.params:
            value = p.example if p.example is not None else p.default
            if value is not None:
                out[p.name] = value
        return out

    def to_json(self) -> dict[str, object]:
        """The query's metadata, as listed by the API and the CLI."""
        return {
            "name": self.name,
            "summary": self.summary,
            "description": self.description,
            "tags": list(self.tags),
            "params": [p.to_json() for p in self.params],
            "paging": self.paging,
            "variables": list(self.variables),
        }


# --- parsing -----------------------------------------------------------------


def split_header(text: str) -> tuple[str, str]:
    """Split the leading ``#+`` lines (the YAML header, prefix removed) from the rest.

    >>> split_header("#+ summary: x\\n#+ tags: [a]\\nSELECT * {}")
    ('summary: x\\ntags: [a]', 'SELECT * {}')
    """
    lines = text.splitlines(keepends=True)
    header: list[str] = []
    index = 0
    while index < len(lines) and (lines[index].startswith("#+") or (not header and not lines[index].strip())):
        line = lines[index]
        if line.startswith("#+"):
            content = line[2:].rstrip("\r\n")
            header.append(content[1:] if content.startswith(" ") else content)
        index += 1
    return "\n".join(header), "".join(lines[index:])


def split_prologue(query: str) -> tuple[str, str]:
    """Split the PREFIX/BASE declarations (and comments) from the query form that follows.

    >>> split_prologue("# c\\nPREFIX ex: <http://ex/#>\\nSELECT ?s { ?s ex:p 1 }")
    ('# c\\nPREFIX ex: <http://ex/#>\\n', 'SELECT ?s { ?s ex:p 1 }')
    """
    end = _PROLOGUE_RE.match(query).end()  # type: ignore[union-attr]  # the pattern always matches
    return query[:end], query[end:]


def _fail(name: str, message: str) -> QueryDefinitionError:
    return QueryDefinitionError(f"queries/{name}.rq: {message}")


def _text(name: str, where: str, value: object, *, allow_none: bool = True) -> str | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _fail(name, f"{where} must be a string, not {value!r}")
    return str(value)


def _parse_param(name: str, raw: object) -> Param:
    if not isinstance(raw, dict):
        raise _fail(name, f"each entry of params must be a mapping (name, type, description, ...), not {raw!r}")
    unknown = set(raw) - PARAM_KEYS
    pname = raw.get("name")
    if not isinstance(pname, str) or not VARIABLE_RE.match(pname):
        raise _fail(name, f"a parameter name must be a SPARQL variable name (letters, digits, _), not {pname!r}")
    if unknown:
        raise _fail(name, f"param {pname}: unknown keys {sorted(unknown)}; allowed: {sorted(PARAM_KEYS)}")
    if pname in RESERVED:
        raise _fail(name, f"param {pname}: the name is reserved ({', '.join(sorted(RESERVED))})")
    ptype = raw.get("type")
    if ptype not in PARAM_TYPES:
        raise _fail(name, f"param {pname}: type must be one of {', '.join(PARAM_TYPES)}, not {ptype!r}")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise _fail(name, f"param {pname}: a description is required")
    enum = raw.get("enum") or ()
    enum_query = raw.get("enum_query")
    if ptype == "enum" and not enum and not enum_query:
        raise _fail(name, f"param {pname}: an enum parameter needs `enum: [...]` or `enum_query: SELECT ?value ...`")
    if ptype != "enum" and (enum or enum_query):
        raise _fail(name, f"param {pname}: enum/enum_query need `type: enum`")
    if not isinstance(enum, (list, tuple)) or not all(isinstance(v, (str, int)) for v in enum):
        raise _fail(name, f"param {pname}: enum must be a list of strings")
    bounds = {}
    for key in ("min", "max"):
        value = raw.get(key)
        if value is not None and (ptype not in ("integer", "year") or not isinstance(value, int)):
            raise _fail(name, f"param {pname}: {key} must be an integer, on an integer or year parameter")
        bounds[key] = value
    default = _text(name, f"param {pname}: default", raw.get("default"))
    required = raw.get("required", default is None)
    if not isinstance(required, bool):
        raise _fail(name, f"param {pname}: required must be true or false")
    if required and default is not None:
        raise _fail(name, f"param {pname}: a required parameter cannot have a default")
    example = _text(name, f"param {pname}: example", raw.get("example"))
    if required and example is None:
        raise _fail(name, f"param {pname}: a required parameter needs an example (used by /docs and the tests)")
    return Param(
        name=pname, type=ptype, description=description.strip(), required=required, default=default,
        example=example, enum=tuple(str(v) for v in enum),
        enum_query=_text(name, f"param {pname}: enum_query", enum_query), **bounds,
    )


def parse_query(name: str, text: str) -> NamedQuery:
    """Parse a named query's text (header and SPARQL); the SPARQL itself is checked by :func:`check`."""
    if not NAME_RE.match(name):
        raise _fail(name, "the file name must be lower-case letters, digits and hyphens")
    header_text, query = split_header(text)
    if not header_text.strip():
        raise _fail(name, "no metadata header: start the file with `#+ summary: ...` lines")
    try:
        header = yaml.safe_load(header_text)
    except yaml.YAMLError as err:
        raise _fail(name, f"the #+ header is not valid YAML: {err}") from None
    if not isinstance(header, dict):
        raise _fail(name, "the #+ header must be a mapping (summary: ..., params: ...)")
    unknown = set(header) - HEADER_KEYS
    if unknown:
        raise _fail(name, f"unknown header keys {sorted(unknown)}; allowed: {sorted(HEADER_KEYS)}")
    summary = header.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise _fail(name, "the header needs a `summary:` line")
    tags = header.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _fail(name, "tags must be a list of strings, e.g. [works, people]")
    raw_params = header.get("params") or []
    if not isinstance(raw_params, list):
        raise _fail(name, "params must be a list of parameters")
    params = tuple(_parse_param(name, p) for p in raw_params)
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise _fail(name, f"a parameter is declared twice: {names}")
    paging = header.get("paging", False)
    if not isinstance(paging, bool):
        raise _fail(name, "paging must be true or false")
    prologue, body = split_prologue(query)
    if not body.strip():
        raise _fail(name, "no SPARQL query after the header")
    return NamedQuery(
        name=name, summary=summary.strip(), description=str(header.get("description") or "").strip(),
        tags=tuple(tags), params=params, paging=paging, text=query, prologue=prologue, body=body.strip(), source=text,
    )


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
    kg.queries.catalog.ParamError: parameter n: 0 is below the minimum 1
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
    kg.queries.catalog.ParamError: parameter person: 'http://ex.org/"> . ?s ?p ?o' is not a valid IRI (...)
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
    short = [re.split(r"[/#]", r["value"].value.rstrip("/#"))[-1] if isinstance(r["value"], ox.NamedNode)
             else r["value"].value for r in rows]
    seen: dict[str, int] = {}
    for key in short:
        seen[key] = seen.get(key, 0) + 1
    options = []
    for row, key in zip(rows, short):
        term = row["value"]
        label = row["label"].value if "label" in row else key
        options.append(Option(key if seen[key] == 1 else term.value, term, label))
    return sorted({o.key: o for o in options}.values(), key=lambda o: o.key)


def _enum_term(param: Param, value: str, options: list[Option]) -> Term:
    text = value.strip()
    for option in options:
        if text == option.key or text == option.term.value:
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

    >>> q = parse_query("q", "#+ summary: s\\n#+ params: [{name: n, type: integer, description: d, example: '1'}]\\n"
    ...                 "SELECT ?n {}")
    >>> bind(q, {"n": "2"}, base_iri="http://ex/")["n"].value
    '2'
    >>> bind(q, {"m": "2"}, base_iri="http://ex/")
    Traceback (most recent call last):
    ...
    kg.queries.catalog.ParamError: unknown parameter 'm'; q takes: n
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
    kg.queries.catalog.ParamError: per_page must be an integer from 1 to 1000, not '5000'
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
    value = term.get("value")
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
            found.setdefault(row["thing"].value, row["label"].value)
        if not found and SLUG_RE.match(name):
            rows = select(SLUG_QUERY, {"base": ox.Literal(id_base), "suffix": ox.Literal("/" + name)})
            found = {row["thing"].value: name for row in rows}
        return sorted(found.items())

    return lookup


def enum_options(select: Callable[..., list[dict[str, Term]]], param: Param) -> list[Option]:
    """The allowed values of an enum parameter (running its ``enum_query`` with the trusted ``select``)."""
    if param.enum or not param.enum_query:
        return static_options(param)
    return options_from_rows(select(param.enum_query))


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
            prefixes=PREFIXES | thing_prefixes(id_base),
        )
        return request_for(query, bindings, select_type=select_type, base_iri=base_iri, max_rows=max_rows, page=page)
