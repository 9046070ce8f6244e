"""Named-query definitions: a ``queries/NAME.rq`` file read, its ``#+`` YAML header checked, its parameters typed.

The file format is described in :mod:`kg.queries.catalog`.

>>> split_header("#+ summary: x\\nSELECT * {}")
('summary: x', 'SELECT * {}')
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import yaml

from kg.namespaces import XSD
from kg.store.base import Term

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
    match = _PROLOGUE_RE.match(query)
    assert match is not None  # the pattern matches the empty string too
    return query[: match.end()], query[match.end() :]


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

