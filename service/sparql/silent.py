"""SILENT, as SPARQL means it: a ``SERVICE SILENT`` or ``LOAD SILENT`` whose target the federation guard refuses is
a no-op that succeeds, not a 403.

SPARQL 1.1 Federated Query says a failed ``SERVICE SILENT`` gives one solution that binds nothing, which is what
the empty group ``{}`` gives; SPARQL 1.1 Update says a failed ``LOAD SILENT`` does nothing and succeeds, which is
what ``INSERT DATA {}`` does. So the refused operation is replaced by these in the text before it runs: the
target is never contacted. The replacement keeps the text's length and line breaks where it can, so that the
parser's "error at line:column" still points into the text the client sent. A refused target without SILENT is
still refused (:class:`~service.sparql.guards.FederationRefused`, 403).

>>> from service.sparql.guards import analyse
>>> text = 'SELECT * { ?s ?p ?o SERVICE SILENT <http://10.0.0.1/sparql> { ?s ?q ?x } }'
>>> quiet, skipped = silence_refused(text, analyse(text), [])
>>> quiet.split(), len(quiet) == len(text), skipped
(['SELECT', '*', '{', '?s', '?p', '?o', '{}', '}'], True, ('SERVICE SILENT <http://10.0.0.1/sparql>',))
>>> update = 'LOAD SILENT <http://10.0.0.1/x> INTO GRAPH <http://g>'
>>> silence_refused(update, analyse(update), [])[0].split()
['INSERT', 'DATA', '{}']
"""

from __future__ import annotations

from collections.abc import Sequence

from service.sparql.guards import (
    Analysis,
    FederationRefused,
    Resolver,
    Target,
    check_target,
    resolve_host,
    tokenize,
)

NO_OP = {"SERVICE": "{}", "LOAD": "INSERT DATA {}"}
"""What a refused SILENT operation becomes: the join's identity (one empty solution), an update that does nothing."""


def silence_refused(text: str, analysis: Analysis, allowlist: Sequence[str],
                    resolver: Resolver = resolve_host) -> tuple[str, tuple[str, ...]]:
    """Check every SERVICE and LOAD target of ``text``; return the text with each refused SILENT operation made a
    no-op, and what was skipped. A refused target without SILENT raises :class:`FederationRefused`."""
    refused: list[Target] = []
    for target in analysis.targets:
        try:
            check_target(target, allowlist, resolver)
        except FederationRefused:
            if not target.silent or target.offset < 0:
                raise
            refused.append(target)
    for target in sorted(refused, key=lambda t: t.offset, reverse=True):  # later ones first: offsets stay valid
        end = _operation_end(text, target)
        if end is not None:
            text = _replace(text, target.offset, end, NO_OP[target.keyword])
    skipped = tuple(f"{t.keyword} SILENT {t.variable or f'<{t.iri}>'}" for t in refused)
    return text, skipped


def _operation_end(text: str, target: Target) -> int | None:
    """Where the SERVICE block (its closing brace) or the LOAD operation (its target, or ``INTO GRAPH <g>``) ends;
    None when the text is not well formed there (the parser then says what is wrong).

    >>> from service.sparql.guards import analyse
    >>> t = 'LOAD SILENT <http://x/> ; CLEAR ALL'
    >>> t[:_operation_end(t, analyse(t).loads[0])]
    'LOAD SILENT <http://x/>'
    """
    tokens = list(tokenize(text[target.offset:]))
    if len(tokens) < 3:
        return None
    if target.keyword == "LOAD":
        end = tokens[2]
        if len(tokens) >= 6 and tokens[3].keyword == "INTO" and tokens[4].keyword == "GRAPH":
            end = tokens[5]
        return target.offset + end.end
    depth = 0
    for token in tokens[3:]:
        if token.kind == "punct" and token.text == "{":
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
            if depth == 0:
                return target.offset + token.end
        elif depth == 0:
            return None  # SERVICE SILENT <x> must be followed by a group
    return None


def _replace(text: str, start: int, end: int, replacement: str) -> str:
    """``text`` with ``[start, end)`` replaced; blanks keep the length and line breaks when the first line has room.

    >>> _replace("a LOAD\\n <x> b", 2, 11, "{}")
    'a {}  \\n     b'
    """
    span = text[start:end]
    first_line = span.split("\n", 1)[0]
    if len(first_line) < len(replacement):
        return text[:start] + replacement + text[end:]
    kept = "".join(c if c in "\r\n" else " " for c in span[len(replacement):])
    return text[:start] + replacement + kept + text[end:]
