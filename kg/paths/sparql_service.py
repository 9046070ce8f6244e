"""``SERVICE bc:paths``: a path search inside a SPARQL query, expanded into a ``VALUES`` block before it runs.

The SPARQL endpoint runs :func:`paths_rewriter` on every query's text before its guards; the block's errors keep
their own kind (an unknown name is still an :class:`~kg.paths.names.UnknownThing`, answered 404) with the note
``SERVICE bc:paths`` saying where they happened.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, overload

from kg.namespaces import BC, PREFIXES
from kg.paths.model import PathOptions, PathRequestError, SearchResult, SearchTimeout
from kg.paths.projection import Projection
from kg.paths.search import PathRunner, search_options
from kg.paths.sentences import hop_sentence, path_text

if TYPE_CHECKING:
    from kg.paths.engines import PathEngines

QueryRewriter = Callable[[str, dict[str, str]], "str | None"]
"""Given a query's text and the endpoint's prefixes, the text to run instead, or None to run it as it is."""

MAX_SERVICE_BLOCKS = 4
"""Most ``SERVICE bc:paths`` blocks in one SPARQL query (each is a search of up to ``TIME_BUDGET`` in a path worker)."""
PATHS_SERVICE = BC + "paths"
"""IRI of the virtual SPARQL service that runs a path search (see :func:`expand_path_service`)."""

_SERVICE_INPUTS: dict[str, str] = {
    "from": "from", "to": "to", "k": "k", "maxLength": "max_length", "mode": "mode", "limit": "limit",
    "directed": "directed", "includePredicate": "include_predicates", "excludePredicate": "exclude_predicates",
    "includeKind": "include_kinds", "excludeKind": "exclude_kinds", "avoid": "avoid", "maxDegree": "max_degree",
    "after": "after", "before": "before",
}
_SERVICE_OUTPUTS = ("path", "hop", "subject", "predicate", "object", "direction", "graph", "score", "length",
                    "text", "pathText", "broadConcept")


class PathServiceError(ValueError):
    """A ``SERVICE bc:paths`` block that cannot be run; the message says what to fix."""


_TOKEN = re.compile(
    r"""(?P<ws>\s+|\#[^\n]*)
      |(?P<iri><[^<>"{}|^`\\\s]*>)
      |(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')(?P<suffix>@[A-Za-z0-9-]+|\^\^\S+)?
      |(?P<var>[?$][A-Za-z0-9_]+)
      |(?P<number>[+-]?\d+(?:\.\d+)?)
      |(?P<punct>[{}();,.\[\]])
      |(?P<word>(?:[A-Za-z_][\w-]*)?:(?:[\w%-]|\.(?=[\w%-]))*|[A-Za-z_][\w-]*)
    """,
    re.X,
)


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of SPARQL tokens, comments dropped; unknown characters kept as 'other'."""
    out: list[tuple[str, str, int, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            out.append(("other", text[pos], pos, pos + 1))
            pos += 1
            continue
        assert m.lastgroup is not None  # every alternative of the pattern is a named group
        kind = m.lastgroup if m.lastgroup != "suffix" else "string"
        if kind != "ws":
            out.append((kind, m.group(0), m.start(), m.end()))
        pos = m.end()
    return out


def _prefixes(tokens: list[tuple[str, str, int, int]]) -> dict[str, str]:
    table = dict(PREFIXES)
    for i, (kind, text, _, _) in enumerate(tokens[:-2]):
        if kind == "word" and text.upper() == "PREFIX" and tokens[i + 2][0] == "iri":
            table[tokens[i + 1][1].rstrip(":")] = tokens[i + 2][1][1:-1]
    return table


def _term_value(kind: str, text: str, prefixes: dict[str, str]) -> str | int | bool:
    if kind == "iri":
        return text[1:-1]
    if kind == "number":
        return int(float(text))
    if kind == "string":
        body = text[1 : text.rindex(text[0])] if text[0] in "\"'" else text
        return body.replace('\\"', '"').replace("\\'", "'").replace("\\\\", "\\")
    if kind == "word":
        if text in ("true", "false"):
            return text == "true"
        prefix, _, local = text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
    raise PathServiceError(f"cannot read {text!r} in SERVICE bc:paths: give an IRI, a prefixed name, a string "
                           "or a number")


def expand_path_service(query_text: str, projection: Projection | PathRunner,
                        prefixes: dict[str, str] | None = None) -> str | None:
    """Replace every ``SERVICE bc:paths { … }`` block of a query by a ``VALUES`` block of computed paths.

    Returns None when the query has no such block (run it as it is). The block describes one search
    with ``bc:`` properties of any subject (``[]`` or a variable); constants are inputs, variables
    are outputs:

    - inputs: ``bc:from``, ``bc:to`` (an IRI, or a name resolved as in ``GET /paths``), ``bc:mode``
      ("shortest", "k", "all"), ``bc:k``, ``bc:maxLength``, ``bc:limit``, ``bc:directed``,
      ``bc:includePredicate`` / ``bc:excludePredicate`` / ``bc:includeKind`` / ``bc:excludeKind`` /
      ``bc:avoid`` (repeatable), ``bc:maxDegree``, ``bc:after``, ``bc:before`` (dates as strings);
    - outputs, one row per hop and source graph: ``bc:path`` (1 = best), ``bc:hop`` (1 = first),
      ``bc:subject`` / ``bc:predicate`` / ``bc:object`` (the triple as the data states it),
      ``bc:direction`` ("forward" or "backward" along the path), ``bc:graph`` (a source graph that
      states it), ``bc:score``, ``bc:length``, ``bc:text`` (the hop in English, in walking order),
      ``bc:pathText`` (the whole path in English) and ``bc:broadConcept`` (the concept through which alone the
      path links its ends, unbound when it says more).

    ``projection`` is the projection to search, or an engine's :data:`PathRunner` (the frontier engine's).
    ``prefixes`` are those the endpoint declares for every query (the query's own PREFIX lines win).
    ``SERVICE SILENT bc:paths`` gives no rows instead of an error. Errors raise
    :class:`PathServiceError` (a 400 for the SPARQL endpoint); unknown or ambiguous names raise
    :class:`kg.paths.names.UnknownThing` / :class:`kg.paths.names.AmbiguousName` (both ``LookupError``).

    >>> from kg.paths.builder import projection_from_quads
    >>> import pyoxigraph as ox
    >>> quads = [ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/coined"), ox.NamedNode("http://x/b"),
    ...                  ox.NamedNode("http://x/g"))]
    >>> query = '''PREFIX bc: <https://w3id.org/backchannel/def#>
    ... SELECT * WHERE { SERVICE bc:paths { [] bc:from <http://x/a> ; bc:to <http://x/b> ; bc:k 1 ;
    ...   bc:hop ?hop ; bc:subject ?s ; bc:predicate ?p ; bc:object ?o ; bc:graph ?g } }'''
    >>> print(expand_path_service(query, projection_from_quads(quads)))
    PREFIX bc: <https://w3id.org/backchannel/def#>
    SELECT * WHERE { VALUES (?hop ?s ?p ?o ?g) {
      (1 <http://x/a> <http://x/coined> <http://x/b> <http://x/g>)
    } }
    >>> expand_path_service("SELECT * { ?s ?p ?o }", projection_from_quads(quads)) is None
    True
    """
    tokens = _tokens(query_text)
    prefixes = (prefixes or {}) | _prefixes(tokens)
    blocks = []
    i = 0
    while i < len(tokens):
        kind, text, start, _ = tokens[i]
        if kind == "word" and text.upper() == "SERVICE":
            j = i + 1
            silent = j < len(tokens) and tokens[j][0] == "word" and tokens[j][1].upper() == "SILENT"
            j += silent
            if j < len(tokens) and _is_paths_iri(tokens[j], prefixes):
                if j + 1 >= len(tokens) or tokens[j + 1][1] != "{":
                    raise PathServiceError("SERVICE bc:paths must be followed by a { … } block")
                depth, end = 0, j + 1
                while end < len(tokens):
                    depth += {"{": 1, "}": -1}.get(tokens[end][1], 0) if tokens[end][0] == "punct" else 0
                    if depth == 0:
                        break
                    end += 1
                if depth:
                    raise PathServiceError("SERVICE bc:paths { … } is not closed")
                blocks.append((start, tokens[end][3], tokens[j + 2 : end], silent))
                i = end
        i += 1
    if not blocks:
        return None
    if len(blocks) > MAX_SERVICE_BLOCKS:  # each block is a search in the server process, outside the query's limit
        raise PathServiceError(f"a query may hold at most {MAX_SERVICE_BLOCKS} SERVICE bc:paths blocks, not "
                               f"{len(blocks)}; run several queries")
    out = query_text
    for start, end, body, silent in reversed(blocks):
        out = out[:start] + _values_block(body, prefixes, projection, silent) + out[end:]
    return out


def _is_paths_iri(token: tuple[str, str, int, int], prefixes: dict[str, str]) -> bool:
    kind, text, _, _ = token
    if kind == "iri":
        return text[1:-1] == PATHS_SERVICE
    if kind == "word" and ":" in text:
        prefix, _, local = text.partition(":")
        return prefixes.get(prefix, "") + local == PATHS_SERVICE
    return False


def _values_block(body: list[tuple[str, str, int, int]], prefixes: dict[str, str], proj: Projection | PathRunner,
                  silent: bool) -> str:
    inputs: dict[str, list[str | int | bool]] = {}
    outputs: dict[str, str] = {}
    pos = 0
    # subject: [] or a variable or an IRI, then predicate-object lists
    if pos < len(body) and body[pos][1] == "[":
        pos += 2 if pos + 1 < len(body) and body[pos + 1][1] == "]" else 1
    elif pos < len(body):
        pos += 1
    predicate: str | None = None
    while pos < len(body):
        kind, text, _, _ = body[pos]
        if text in (";", ".", "]"):
            predicate = None
            pos += 1
            continue
        if text == ",":
            pos += 1
            continue
        if predicate is None:
            iri = _term_value(kind, text, prefixes)
            if not isinstance(iri, str) or not iri.startswith(BC):
                raise PathServiceError(f"{text} is not a bc:paths property: use bc:from, bc:to, bc:k, bc:hop, …")
            predicate = iri[len(BC):]
            if predicate not in _SERVICE_INPUTS and predicate not in _SERVICE_OUTPUTS:
                known = ", ".join(f"bc:{n}" for n in (*_SERVICE_INPUTS, *_SERVICE_OUTPUTS))
                raise PathServiceError(f"bc:{predicate} is not a bc:paths property; known: {known}")
        elif kind == "var":
            if predicate not in _SERVICE_OUTPUTS:
                raise PathServiceError(f"bc:{predicate} is an input: give it a value, not a variable")
            outputs[predicate] = text
        else:
            if predicate not in _SERVICE_INPUTS:
                raise PathServiceError(f"bc:{predicate} is an output: bind it to a variable")
            inputs.setdefault(predicate, []).append(_term_value(kind, text, prefixes))
        pos += 1
    if "from" not in inputs or "to" not in inputs:
        raise PathServiceError("SERVICE bc:paths needs bc:from and bc:to")
    if not outputs:
        raise PathServiceError("SERVICE bc:paths binds nothing: add outputs such as bc:hop ?hop ; bc:subject ?s")
    names = list(outputs)
    head = "(" + " ".join(outputs[n] for n in names) + ")"
    try:
        rows = _service_rows(inputs, proj)
    except (PathRequestError, LookupError, SearchTimeout, PathServiceError):
        if silent:
            return f"VALUES {head} {{ }}"
        raise
    lines = [" ".join(_sparql_term(row[n]) for n in names) for row in rows]
    unique = list(dict.fromkeys(lines))
    return f"VALUES {head} {{\n" + "".join(f"  ({line})\n" for line in unique) + "}"


def _one(inputs: dict[str, list[str | int | bool]], name: str, default: object = None) -> object:
    values = inputs.get(name, [])
    if len(values) > 1:
        raise PathServiceError(f"bc:{name} is given {len(values)} times; give it once")
    return values[0] if values else default


@overload
def _int(inputs: dict[str, list[str | int | bool]], name: str, default: int) -> int: ...
@overload
def _int(inputs: dict[str, list[str | int | bool]], name: str, default: None) -> int | None: ...
def _int(inputs: dict[str, list[str | int | bool]], name: str, default: int | None) -> int | None:
    """A whole-number input of ``SERVICE bc:paths``; anything else is a :class:`PathServiceError`.

    >>> _int({"k": ["abc"]}, "k", 3)
    Traceback (most recent call last):
    ...
    kg.paths.sparql_service.PathServiceError: bc:k must be a whole number, not 'abc'
    """
    value = _one(inputs, name, default)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise PathServiceError(f"bc:{name} must be a whole number, not {value!r}") from None


def _bool(inputs: dict[str, list[str | int | bool]], name: str) -> bool:
    """A true/false input of ``SERVICE bc:paths`` (``true``, ``false``, ``1``, ``0``).

    >>> _bool({"directed": ["false"]}, "directed")
    False
    """
    value = _one(inputs, name, False)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise PathServiceError(f"bc:{name} must be true or false, not {value!r}")


def _service_rows(inputs: dict[str, list[str | int | bool]], engine: Projection | PathRunner
                  ) -> list[dict[str, object]]:
    def strings(name: str) -> list[str]:
        return [str(v) for v in inputs.get(name, [])]

    def given(name: str) -> str | None:
        value = _one(inputs, name)
        return None if value is None else str(value)

    options = PathOptions.of(
        str(_one(inputs, "from")), str(_one(inputs, "to")), mode=str(_one(inputs, "mode", "k")),
        k=_int(inputs, "k", 3), limit=_int(inputs, "limit", 100), max_length=_int(inputs, "maxLength", 6),
        directed=_bool(inputs, "directed"), include_predicates=strings("includePredicate"),
        exclude_predicates=strings("excludePredicate"), include_kinds=strings("includeKind"),
        exclude_kinds=strings("excludeKind"), avoid=strings("avoid"), max_degree=_int(inputs, "maxDegree", None),
        after=given("after"), before=given("before"),
    )
    if isinstance(engine, Projection):
        proj, result = engine, search_options(engine, options)
    else:
        proj, result = engine(options)
    rows: list[dict[str, object]] = []
    for rank, path in enumerate(result.paths, 1):
        text = path_text(proj, path)
        broad = None if path.broad_concept is None else ("iri", proj.iris[path.broad_concept])
        for number, hop in enumerate(path.hops, 1):
            u = proj.edge_subject(hop.edge)
            for g in proj.edge_graphs(hop.edge):
                rows.append({
                    "path": rank, "hop": number, "subject": ("iri", proj.iris[u]),
                    "predicate": ("iri", proj.predicates[proj.out_pred[hop.edge]]),
                    "object": ("iri", proj.iris[proj.out_dst[hop.edge]]),
                    "direction": "forward" if hop.forward else "backward",
                    "graph": ("iri", proj.graphs[g]) if proj.graphs[g] else None,
                    "score": round(path.score, 6), "length": path.length, "text": hop_sentence(proj, hop),
                    "pathText": text, "broadConcept": broad,
                })
    return rows


def _sparql_term(value: object) -> str:
    if value is None:
        return "UNDEF"
    if isinstance(value, tuple):
        return f"<{value[1]}>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f'"{value!r}"^^<http://www.w3.org/2001/XMLSchema#double>'
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def mentions_paths(query_text: str) -> bool:
    """Whether a query may hold ``SERVICE bc:paths`` (every spelling of its IRI contains ``paths``); if not, no
    rewriter needs to see it.

    >>> mentions_paths("SELECT * { SERVICE bc:paths { } }"), mentions_paths("ASK { ?s ?p ?o }")
    (True, False)
    """
    return "paths" in query_text


def paths_rewriter(service: PathEngines) -> QueryRewriter:
    """The SPARQL endpoint's rewriter for ``SERVICE bc:paths``, answered by the engine ``service`` chooses.

    Call it in a worker thread (it may search). Its errors are those of the path search, noted
    ``SERVICE bc:paths``.
    """

    def rewrite(query_text: str, prefixes: dict[str, str]) -> str | None:
        if not mentions_paths(query_text):  # skip the tokenizer
            return None
        chosen = service.engine()

        def run(options: PathOptions) -> tuple[Projection, SearchResult]:
            answer = chosen.paths(options)  # the chosen engine's search (the frontier one loads no projection)
            return answer.proj, answer.result

        try:
            return expand_path_service(query_text, run, prefixes)
        except (PathServiceError, PathRequestError, LookupError, SearchTimeout) as err:
            err.add_note("SERVICE bc:paths")
            raise

    return rewrite
