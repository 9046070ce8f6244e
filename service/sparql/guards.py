"""Guards in front of the store: federation (SSRF), write authorisation and the request body limit.

Federation. pyoxigraph runs ``SERVICE <iri>`` (and the update ``LOAD <iri>``)
against any host, so every query and update is checked *before* it runs. A
small SPARQL lexer (:func:`tokenize`) finds the real ``SERVICE``/``LOAD``
keywords (not words inside strings, IRIs or comments) and resolves their
targets (``PREFIX`` declarations, ``\\u`` escapes in IRIs). A target is reached
only if it starts with an entry of the allow-list *and* every address its host
resolves to is public.

>>> analyse('SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }').services
(Target(iri='http://example.org/sparql', variable=None, keyword='SERVICE'),)
>>> analyse('SELECT * { ?s ?p "SERVICE <http://169.254.169.254/>" }').services
()
>>> check_federation(analyse('SELECT * { SERVICE <http://example.org/sparql> {} }'),
...                  [])  # doctest: +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
service.sparql.guards.FederationRefused: federation is disabled on this endpoint: SERVICE <http://example.org/sparql>
is not allowed (set BACKCHANNEL_FEDERATION_ALLOWLIST to allow endpoints)
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import socket
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from urllib.parse import urljoin, urlsplit

from fastapi import HTTPException

# --- the lexer -------------------------------------------------------------

_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS = _PN_CHARS_BASE + r"_\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = rf"(?:[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)?"
_LOCAL = rf"(?:[{_PN_CHARS}:]|{_PLX})(?:[{_PN_CHARS}.:]|{_PLX})*"

_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|$)
      | '''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)
      | "(?:[^"\\\r\n]|\\.)*(?:"|$)
      | '(?:[^'\\\r\n]|\\.)*(?:'|$))
  | (?P<var>[?$][{_PN_CHARS}]+)
  | (?P<bnode>_:(?:[{_PN_CHARS}])(?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)
  | (?P<pname>{_PREFIX}:(?:{_LOCAL})?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    """One lexical token: ``kind`` (iri, string, var, bnode, pname, name, langtag, number, punct), text, offsets."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def keyword(self) -> str:
        """The upper-cased text of a ``name`` token (keywords are case-insensitive), else ''."""
        return self.text.upper() if self.kind == "name" else ""


def tokenize(text: str) -> Iterator[Token]:
    """The tokens of a SPARQL query or update, without whitespace and comments.

    >>> [t.text for t in tokenize('ASK { "a # b" # comment\\n <x#y> }')]
    ['ASK', '{', '"a # b"', '<x#y>', '}']
    >>> [t.kind for t in tokenize("select ?s ex:a\\\\.b 'it''s' .5")]
    ['name', 'var', 'pname', 'string', 'string', 'number']
    """
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        assert match is not None  # the last alternative matches any character
        kind = match.lastgroup or "punct"
        end = match.end()
        if kind == "pname":
            # a local name cannot end with '.', unless the dot is escaped: give the dots back
            while end > match.start() and text[end - 1] == "." and text[end - 2] != "\\":
                end -= 1
        if kind not in ("ws", "comment"):
            yield Token(kind, text[match.start() : end], match.start(), end)
        pos = end


def _unescape_iri(text: str) -> str:
    r"""The IRI of an IRIREF token, with ``\u``/``\U`` escapes decoded.

    >>> _unescape_iri(r"<http://\u0031\u0032\u0037.0.0.1/>")
    'http://127.0.0.1/'
    """
    return re.sub(_UCHAR, lambda m: chr(int(m.group()[2:], 16)), text[1:-1])


def _unescape_local(local: str) -> str:
    return re.sub(r"\\(.)", r"\1", local)


# --- what a request asks for -----------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a ``SERVICE`` or ``LOAD`` would go: an IRI (None if it cannot be resolved) or a variable; whether
    the operation is ``SILENT``, and where its keyword starts in the text."""

    iri: str | None
    variable: str | None
    keyword: str
    silent: bool = field(default=False, compare=False, repr=False)
    offset: int = field(default=-1, compare=False, repr=False)

    def describe(self) -> str:
        return f"{self.keyword} {self.variable or f'<{self.iri}>'}"


@dataclass(frozen=True)
class Analysis:
    """What the lexer found in a query or an update.

    ``form``: SELECT, ASK, CONSTRUCT, DESCRIBE for a query (None if unknown);
    ``services``/``loads``: the federation targets; ``from_graphs``/``from_named``:
    the query's own dataset clauses; ``dataset_keywords``: USING/WITH found in an
    update; ``volatile``: calls of NOW, RAND, UUID, STRUUID or BNODE (do not cache).
    """

    form: str | None = None
    services: tuple[Target, ...] = ()
    loads: tuple[Target, ...] = ()
    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()
    dataset_keywords: tuple[str, ...] = ()
    volatile: bool = False

    @property
    def targets(self) -> tuple[Target, ...]:
        return self.services + self.loads


_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
_VOLATILE = {"NOW", "RAND", "UUID", "STRUUID", "BNODE"}


def _absolute(iri: str) -> bool:
    return re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", iri) is not None


def analyse(text: str, prefixes: Mapping[str, str] | None = None, base: str | None = None) -> Analysis:
    """Lex ``text`` and report its form, federation targets, dataset clauses and volatile functions.

    ``prefixes`` are the prefixes declared for the request beforehand (the
    query's own ``PREFIX`` lines override them); ``base`` resolves relative IRIs
    of ``FROM`` clauses.

    >>> a = analyse('PREFIX e: <http://ex.org/> SELECT * FROM e:g { SERVICE SILENT e:s\\\\/q { } }')
    >>> a.form, a.from_graphs, a.services[0].iri
    ('SELECT', ('http://ex.org/g',), 'http://ex.org/s/q')
    >>> analyse('LOAD <http://ex.org/data.ttl> INTO GRAPH <http://g>').loads[0].iri
    'http://ex.org/data.ttl'
    >>> analyse('select * { service ?where { } }').services[0].variable
    '?where'
    """
    declared = dict(prefixes or {})
    form: str | None = None
    services: list[Target] = []
    loads: list[Target] = []
    from_graphs: list[str] = []
    from_named: list[str] = []
    dataset_keywords: list[str] = []
    volatile = False

    def iri_of(token: Token | None, keep_relative: bool = False) -> str | None:
        """The IRI a token stands for; relative ones are resolved only if ``keep_relative``."""
        if token is None:
            return None
        if token.kind == "iri":
            iri = _unescape_iri(token.text)
        elif token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            if prefix not in declared:
                return None
            iri = declared[prefix] + _unescape_local(local)
        else:
            return None
        if _absolute(iri):
            return iri
        return urljoin(base, iri) if keep_relative and base else None

    def target(token: Token, ahead: list[Token]) -> Target:
        silent = bool(ahead) and ahead[0].keyword == "SILENT"
        if silent:
            ahead = ahead[1:]
        nxt = ahead[0] if ahead else None
        if nxt is not None and nxt.kind == "var":
            return Target(None, nxt.text, token.keyword, silent, token.start)
        return Target(iri_of(nxt), None, token.keyword, silent, token.start)

    stream = tokenize(text)
    window: deque[Token] = deque(islice(stream, 4))  # a token and the three after it: the lexer streams
    while window:
        token = window.popleft()
        window.extend(islice(stream, 4 - len(window) - 1))
        word = token.keyword
        if not word:
            continue
        ahead = list(window)
        nxt = ahead[0] if ahead else None
        if word == "PREFIX" and len(ahead) >= 2 and ahead[0].kind == "pname" and ahead[1].kind == "iri":
            value = iri_of(ahead[1], keep_relative=True)
            declared[ahead[0].text.partition(":")[0]] = value if value is not None else _unescape_iri(ahead[1].text)
        elif word == "BASE" and nxt is not None and nxt.kind == "iri":
            base = iri_of(nxt, keep_relative=True) or base
        elif word in _FORMS and form is None:
            form = word
        elif word == "SERVICE":
            services.append(target(token, ahead))
        elif word == "LOAD":
            loads.append(target(token, ahead))
        elif word == "FROM" and nxt is not None:
            named = nxt.keyword == "NAMED"
            iri = iri_of(ahead[1] if named and len(ahead) > 1 else None if named else nxt, keep_relative=True)
            if iri is not None:
                (from_named if named else from_graphs).append(iri)
        elif word in ("USING", "WITH"):
            dataset_keywords.append(word)
        elif word in _VOLATILE and nxt is not None and nxt.text == "(":
            volatile = True
    return Analysis(
        form, tuple(services), tuple(loads), tuple(from_graphs), tuple(from_named), tuple(dataset_keywords), volatile
    )


# --- federation --------------------------------------------------------------


class FederationRefused(Exception):
    """A SERVICE or LOAD target is not allowed (the message names it and says why)."""


Resolver = Callable[[str], list[str]]


def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to (``socket.getaddrinfo``); empty if it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return sorted({info[4][0] for info in infos if isinstance(info[4][0], str)})


def address_problem(address: str) -> str | None:
    """Why an address must not be reached (loopback, private, ...), or None if it is public.

    >>> address_problem("169.254.169.254")
    'link-local'
    >>> address_problem("::ffff:127.0.0.1")
    'loopback'
    >>> address_problem("10.1.2.3"), address_problem("0.0.0.0"), address_problem("93.184.215.14")
    ('private', 'unspecified', None)
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for name, flag in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if flag:
            return name
    if not ip.is_global:
        return "not globally routable"
    return None


def allowed_by_list(iri: str, allowlist: Sequence[str]) -> bool:
    """Whether ``iri`` starts with an allow-list entry, at a boundary (``http://a.org`` does not allow ``http://a.org.evil``).

    >>> allowed_by_list("https://query.wikidata.org/sparql", ["https://query.wikidata.org"])
    True
    >>> allowed_by_list("https://query.wikidata.org.evil.net/", ["https://query.wikidata.org"])
    False
    >>> allowed_by_list("https://query.wikidata.org@10.0.0.1/", ["https://query.wikidata.org"])
    False
    """
    for entry in allowlist:
        if not entry or not iri.startswith(entry):
            continue
        rest = iri[len(entry) :]
        if entry.endswith(("/", "?", "#")) or rest == "" or rest[0] in "/?#":
            return True
        if rest[0] == ":" and urlsplit(entry).port is None and rest[1:2].isdigit() and "@" not in rest:
            return True  # an entry without a port allows an explicit port on the same host
    return False


def check_target(target: Target, allowlist: Sequence[str], resolver: Resolver = resolve_host) -> None:
    """Raise :class:`FederationRefused` unless ``target`` may be reached.

    >>> public = lambda host: ["93.184.215.14"]
    >>> check_target(Target("https://dbpedia.org/sparql", None, "SERVICE"), ["https://dbpedia.org/"], public)
    >>> loopback = lambda host: ["127.0.0.1"]
    >>> check_target(Target("http://localhost/", None, "SERVICE"), ["http://localhost/"],
    ...              loopback)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    service.sparql.guards.FederationRefused: SERVICE <http://localhost/> is not allowed: its host localhost resolves to
    127.0.0.1, a loopback address
    """
    if not allowlist:
        raise FederationRefused(
            f"federation is disabled on this endpoint: {target.describe()} is not allowed "
            "(set BACKCHANNEL_FEDERATION_ALLOWLIST to allow endpoints)"
        )
    if target.variable is not None:
        raise FederationRefused(f"{target.describe()} is not allowed: the endpoint must be a fixed IRI, not a variable")
    iri = target.iri
    if iri is None:
        raise FederationRefused(
            f"{target.keyword} must name an absolute http(s) IRI (or a prefixed name with a declared prefix)"
        )
    parts = urlsplit(iri)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FederationRefused(f"{target.describe()} is not allowed: only http and https endpoints can be reached")
    if "@" in parts.netloc or "\\" in iri:
        raise FederationRefused(f"{target.describe()} is not allowed: user names and backslashes are refused in IRIs")
    if not allowed_by_list(iri, allowlist):
        raise FederationRefused(
            f"{target.describe()} is not allowed: it is not under any endpoint of the allow-list "
            f"({', '.join(allowlist)})"
        )
    try:
        _ = parts.port  # read for the ValueError of a port that is not a number in range
    except ValueError:
        raise FederationRefused(f"{target.describe()} is not allowed: its port is not valid") from None
    addresses = resolver(parts.hostname)
    if not addresses:
        raise FederationRefused(f"{target.describe()} is not allowed: its host {parts.hostname} does not resolve")
    for address in addresses:
        problem = address_problem(address)
        if problem is not None:
            article = "an" if problem[0] in "aeiou" else "a"
            what = f"{article} {problem} address" if problem != "not globally routable" else "not globally routable"
            raise FederationRefused(
                f"{target.describe()} is not allowed: its host {parts.hostname} resolves to {address}, {what}"
            )


def check_federation(analysis: Analysis, allowlist: Sequence[str], resolver: Resolver = resolve_host) -> None:
    """Check every SERVICE and LOAD target of a request (see :func:`check_target`)."""
    for target in analysis.targets:
        check_target(target, allowlist, resolver)


# --- writes ------------------------------------------------------------------

WRITES_DISABLED = "writes are disabled on this endpoint; set BACKCHANNEL_WRITE_TOKEN"


def check_write(authorization: str | None, write_token: str | None, dev_open_writes: bool = False) -> None:
    """Raise 403 if writes are off, 401 without a bearer token, 403 with a wrong one.

    >>> check_write("Bearer s3cret", "s3cret")
    >>> check_write(None, None, dev_open_writes=True)
    >>> check_write(None, "s3cret")
    Traceback (most recent call last):
    ...
    fastapi.exceptions.HTTPException: 401: this write needs the header 'Authorization: Bearer <token>'
    >>> check_write("Bearer nope", "s3cret")
    Traceback (most recent call last):
    ...
    fastapi.exceptions.HTTPException: 403: the bearer token is not valid for writes
    """
    if not write_token:
        if dev_open_writes:
            return
        raise HTTPException(403, WRITES_DISABLED)
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise HTTPException(
            401,
            "this write needs the header 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": 'Bearer realm="backchannel"'},
        )
    if not hmac.compare_digest(credentials.strip().encode(), write_token.encode()):
        raise HTTPException(
            403,
            "the bearer token is not valid for writes",
            headers={"WWW-Authenticate": 'Bearer realm="backchannel", error="invalid_token"'},
        )
