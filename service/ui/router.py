"""Routes: the web interface. A SPARQL editor, a path explorer and an influence view, for people in browsers.

URL design (every page's state is in its URL, so any view can be shared, bookmarked or linked to):

- ``GET /editor`` the SPARQL editor (YASQE + YASR). ``/editor#query=<urlencoded SPARQL>`` is the shareable link
  (the query stays in the fragment, as on the Wikidata Query Service, so it is never logged or length-limited by
  servers); ``/editor?query=<SPARQL>`` loads a query too (for links from pages and for clients without scripts);
  ``/editor?example=<name>`` loads a named query with its example values. A loaded query runs at once.
  A browser asking for ``GET /sparql`` without a query (``Accept`` prefers ``text/html``) gets the same editor
  (the hook ``app.state.sparql_html_page`` of :mod:`service.sparql.router`); ``/sparql?query=…`` always answers
  with results, as the SPARQL Protocol says.
- ``GET /explore?from=<IRI or name>&to=<IRI or name>&k=&max_length=&…`` the path explorer: the question is the URL
  (the parameters of ``GET /paths``: mode, k, max_length, include_predicates, exclude_predicates, include_kinds,
  exclude_kinds, max_degree, after, before, directed); opening it runs the search.
- ``GET /influence?thing=<IRI or name>`` the influence view: lineage, what it influenced, and the ranking.
- ``GET /ui/vocabulary.json`` classes and properties (with labels) and prefixes, for the editor's autocompletion.
- ``GET /ui/examples.json`` the named queries as runnable examples (their example values bound with ``VALUES``).

The pages' scripts and styles are bundles in ``/static/vendor/`` built by ``make assets`` (esbuild, from the npm
packages pinned in ``service/web/package-lock.json``); nothing is loaded from other hosts. Without the bundles the
pages still answer and say how to build them, and every API keeps working. Pages carry a Content-Security-Policy
that allows scripts only from this origin; page data is passed in a ``<script type="application/json">`` block.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import jinja2
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import Response

from kg.namespaces import OWL, RDF, RDFS, SKOS, VOCAB
from kg.queries.definitions import split_prologue
from kg.settings import Settings
from kg.store.base import QueryEvaluationError, Store
from service.http.caching import VersionCache
from service.sparql.router import default_prefixes
from service.state import get_settings, get_store

router = APIRouter(tags=["web interface"])

HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
VENDOR = HERE / "static" / "vendor"
BUNDLES: tuple[str, ...] = ("editor", "explore", "influence")
"""Each page's bundle: ``vendor/{name}.js`` and ``vendor/{name}.css``."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""Scripts only from this origin (no inline scripts, no eval). Inline *styles* are allowed because the editor
(CodeMirror, DataTables) and cytoscape position their elements with style attributes."""

NAV_ITEMS: tuple[tuple[str, str, str, str], ...] = (("influence", "influence", "Influence", "explore"),)
"""Navigation entries this feature adds to the shared layout: (key, path, text, after which key)."""

DEFAULT_QUERY = """\
PREFIX bc: <https://w3id.org/backchannel/def#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

# Who coined which idea? (Ctrl+Enter runs the query; Ctrl+Space completes names.)
SELECT ?who ?whoLabel ?idea ?ideaLabel WHERE {
  ?who bc:coined ?idea .
  OPTIONAL { ?who rdfs:label ?whoLabel FILTER(LANGMATCHES(LANG(?whoLabel), "en")) }
  OPTIONAL { ?idea rdfs:label ?ideaLabel FILTER(LANGMATCHES(LANG(?ideaLabel), "en")) }
}
LIMIT 100
"""


# --- set-up ------------------------------------------------------------------------


def setup(app: FastAPI) -> None:
    """Answer browsers on ``/sparql`` with the editor, add our pages to the navigation, and a per-version cache.

    ``app.state.ui_vendor`` is the folder of the built bundles (tests point it elsewhere to see the pages without).
    """
    app.state.sparql_html_page = editor_page
    app.state.ui_cache = VersionCache()
    app.state.ui_vendor = VENDOR
    env = getattr(app.state, "templates", None)
    if env is not None:
        add_nav_items(env, app.state.settings)


def add_nav_items(env: jinja2.Environment, settings: Settings) -> None:
    """Put our pages into the shared navigation (after the entry named in :data:`NAV_ITEMS`), once."""
    nav = env.globals.get("nav")
    if not isinstance(nav, list) or not nav:
        return
    root = site_root(settings)
    item_type = type(nav[0])
    for key, path, text, after in NAV_ITEMS:
        if any(getattr(item, "key", None) == key for item in nav):
            continue
        keys = [getattr(item, "key", None) for item in nav]
        position = keys.index(after) + 1 if after in keys else len(nav)
        nav.insert(position, item_type(key, root + path, text))


def site_root(settings: Settings) -> str:
    """The path of the service root, ``/`` or ``/prefix/`` behind a proxy.

    >>> site_root(Settings(base_iri="http://x.org/kg/")), site_root(Settings(base_iri="http://x.org"))
    ('/kg/', '/')
    """
    path = settings.base_iri.split("://", 1)[-1].partition("/")[2]
    return "/" + path if path else "/"


def _templates(request: Request) -> jinja2.Environment:
    env = getattr(request.app.state, "templates", None)
    if env is None:  # the linked-data feature is not installed: a plain environment with the same layout
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
        env.globals.update(root=site_root(get_settings(request)), nav=[], active=None)
        request.app.state.templates = env
    return env


# --- assets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assets:
    """Whether a page's bundle is built, and the version token that busts browser caches when it changes."""

    built: bool
    version: str


def assets_for(name: str, vendor: Path = VENDOR) -> Assets:
    """The state of the bundle ``name`` in ``vendor``.

    >>> import tempfile
    >>> assets_for("editor", Path(tempfile.mkdtemp())).built
    False
    """
    files = [vendor / f"{name}.js", vendor / f"{name}.css"]
    try:
        stats = [f.stat() for f in files]
    except OSError:
        return Assets(False, "")
    # From the files' size and time (cheap: pages call this, and the editor page is served on the event loop).
    stamp = "/".join(f"{st.st_size}:{st.st_mtime_ns}" for st in stats)
    return Assets(True, hashlib.sha256(stamp.encode()).hexdigest()[:12])


# --- pages ----------------------------------------------------------------------------------


def script_json(doc: object) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (no ``<``, ``>`` or ``&``).

    >>> script_json({"q": "</script>&"})
    '{"q": "\\\\u003c/script\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(doc, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_config(settings: Settings, **extra: object) -> dict[str, object]:
    """What the page scripts need to know: where things are, and the prefixes the endpoint declares.

    >>> cfg = page_config(Settings(base_iri="http://x.org/"))
    >>> cfg["root"], cfg["endpoint"], cfg["idBase"], cfg["prefixes"]["person"]
    ('/', '/sparql', 'http://x.org/id/', 'http://x.org/id/person/')
    """
    root = site_root(settings)
    return {
        "root": root,
        "base": settings.base_iri,
        "idBase": settings.id_base,
        "vocab": VOCAB,
        "endpoint": root + "sparql",
        "api": {
            "search": root + "search",
            "paths": root + "paths",
            "influence": root + "influence/",
            "vocabulary": root + "ui/vocabulary.json",
            "examples": root + "ui/examples.json",
            "queries": root + "api/queries",
        },
        "prefixes": default_prefixes(settings),
    } | extra


def security_headers() -> dict[str, str]:
    """The headers of every page of the web interface."""
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cache-Control": "no-cache",
    }


def render_page(request: Request, name: str, *, title: str, active: str, config: Mapping[str, object],
                **context: object) -> Response:
    """One of our pages (``{name}.html``, extending the shared ``base.html``) with its bundle and its data."""
    assets = assets_for(name, getattr(request.app.state, "ui_vendor", VENDOR))
    env = _templates(request)
    body = env.get_template(f"{name}.html").render(
        title=title, active=active, assets=assets, bundle=name, config_json=script_json(config), **context
    )
    headers = security_headers() | {"Vary": "Accept"}
    return Response(body.encode(), media_type="text/html; charset=utf-8", headers=headers)


def _one(request: Request, name: str, limit: int = 20_000) -> str | None:
    """A query-string parameter given at most once, and not too long (400 otherwise)."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise HTTPException(400, f"give {name}= at most once")
    if values and len(values[0]) > limit:
        raise HTTPException(400, f"{name}= is longer than {limit} characters")
    return values[0] if values else None


def editor_page(request: Request) -> Response:
    """The SPARQL editor. Also the answer to a browser's ``GET /sparql`` without a query (see the module doc)."""
    settings = get_settings(request)
    query = _one(request, "query")
    example = _one(request, "example")
    if example is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,100}", example):
        raise HTTPException(400, f"example={example!r} is not a query name (lower-case letters, digits, hyphens)")
    config = page_config(settings, query=query, example=example, defaultQuery=DEFAULT_QUERY)
    return render_page(request, "editor", title="SPARQL query editor", active="sparql", config=config,
                       query=query or DEFAULT_QUERY)


@router.api_route("/editor", methods=["GET", "HEAD"], summary="The SPARQL query editor (HTML)",
                  response_class=Response)
def editor(request: Request) -> Response:
    return editor_page(request)


EXPLORE_PARAMS: tuple[str, ...] = (
    "from", "to", "mode", "k", "max_length", "include_predicates", "exclude_predicates", "include_kinds",
    "exclude_kinds", "max_degree", "after", "before", "directed",
)
"""The query-string names of a path question; the page passes them on to ``GET /paths`` unchanged."""


@router.api_route("/explore", methods=["GET", "HEAD"], summary="The path explorer: how is one thing connected "
                  "to another? (HTML; the question is in the URL)", response_class=Response)
def explore(request: Request) -> Response:
    settings = get_settings(request)
    question = {name: value for name in EXPLORE_PARAMS if (value := _one(request, name, 2000)) is not None}
    config = page_config(settings, question=question)
    return render_page(request, "explore", title="How are they connected?", active="explore", config=config,
                       question=question)


@router.api_route("/influence", methods=["GET", "HEAD"], summary="The influence view: lineage, what a thing "
                  "influenced, and the ranking (HTML)", response_class=Response)
def influence(request: Request) -> Response:
    settings = get_settings(request)
    thing = _one(request, "thing", 2000)
    config = page_config(settings, thing=thing)
    return render_page(request, "influence", title="Influence", active="influence", config=config, thing=thing)


# --- data for the editor ----------------------------------------------------------------------

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
        iri, kind = row["term"].value, row["kind"].value
        label = row["label"].value if "label" in row else None
        entry = seen.setdefault((kind, iri), {"iri": iri, "curie": curie(iri, prefixes), "label": label})
        entry["label"] = entry["label"] or label
    terms = sorted(seen.items(), key=lambda item: (item[1]["curie"] or item[0][1]).lower())
    return {
        "prefixes": dict(prefixes),
        "classes": [t for (kind, _), t in terms if kind == "class"],
        "properties": [t for (kind, _), t in terms if kind == "property"],
    }


def _json(request: Request, key: str, compute: Any) -> Response:
    """A JSON document computed once per store version, with an ETag."""
    store = get_store(request)
    version = store.version
    cache: VersionCache = getattr(request.app.state, "ui_cache", None) or VersionCache()
    body: bytes = cache.get(version, key, lambda: json.dumps(compute(), ensure_ascii=False).encode())
    tag = '"' + hashlib.sha256(version.encode() + b"\0" + body).hexdigest()[:20] + '"'
    headers = {"ETag": tag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.api_route("/ui/vocabulary.json", methods=["GET", "HEAD"], response_class=Response,
                  summary="Classes and properties with labels, and the prefixes (for the editor's autocompletion)")
def vocabulary_json(request: Request) -> Response:
    prefixes = default_prefixes(get_settings(request))
    return _json(request, "vocabulary", lambda: vocabulary(get_store(request), prefixes))


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
                indent = re.match(r"[ \t]*", query[line_end + 1:]).group(0) or "  "  # type: ignore[union-attr]
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


def examples(request: Request) -> list[dict[str, object]]:
    """The named queries (``app.state.named_queries``), each with its text and a runnable text with example values."""
    catalog = getattr(request.app.state, "named_queries", None)
    if catalog is None:
        return []
    settings, store = get_settings(request), get_store(request)
    out: list[dict[str, object]] = []
    for name in catalog.names():
        query = catalog.get(name)
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
            things = {k: v for k, v in default_prefixes(settings).items() if v.startswith(settings.id_base)}
            entry["query"] = example_text(query.text, dict(prepared.substitutions), things)
        except (ValueError, QueryEvaluationError) as err:  # ParamError is a ValueError: an example not in the graph
            entry["query"] = query.text
            entry["problem"] = f"the example values could not be bound: {err}"
        out.append(entry)
    return out


@router.api_route("/ui/examples.json", methods=["GET", "HEAD"], response_class=Response,
                  summary="The named queries as editor examples: text with the example values bound by VALUES")
def examples_json(request: Request) -> Response:
    return _json(request, "examples", lambda: {"examples": examples(request)})
