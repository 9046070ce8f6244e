"""The compiled TSV reader of big projection builds (kg/paths/tsv_compiled.py) numbers terms as a dictionary does."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.paths.tsv_compiled import LITERAL, RELATION, Terms, read_tsv

IRIS = st.text(st.characters(blacklist_characters="<>\t\n\"{}|^`\\ ", blacklist_categories=["Cs"]), min_size=1,
               max_size=300)


@settings(max_examples=60, deadline=None)
@given(names=st.lists(IRIS, min_size=1, max_size=400))
def test_terms_are_numbered_in_the_order_first_met_whatever_their_length(names: list[str]) -> None:
    """Ids 0, 1, … in the order first met, the same term the same id, across the growth of every array (the tables
    start with room for 512 terms and 64 KiB of text; IRIs here run up to 300 characters, in any script)."""
    terms, expected = Terms(), defaultdict[str, int](itertools.count().__next__)
    assert [terms.add(f"<{name}>".encode()) for name in names] == [expected[name] for name in names]
    assert terms.keys() == list(expected)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 600), st.integers(0, 3), st.sampled_from(["iri", "literal", "blank"])),
                     min_size=1, max_size=2_000))
def test_a_result_is_read_row_by_row_as_the_dictionaries_would(rows: list[tuple[int, int, str]]) -> None:
    """Every row's subject, predicate and object ids and kind, the object cells of literals, over results big enough
    to make the tables grow in the middle of a row."""
    lines = [b"?s\t?p\t?o"]
    for s, p, kind in rows:
        o = {"iri": f"<http://example.org/thing/{s * 7 % 601}>", "literal": f'"label {s}"@en',
             "blank": f"_:b{s}"}[kind]
        lines.append(f"<http://example.org/thing/{s}>\t<http://example.org/p{p}>\t{o}".encode())
    text = b"\n".join(lines) + b"\n"
    nodes, preds = Terms(), Terms()
    read = read_tsv(text, nodes, preds)
    expected_nodes = defaultdict[str, int](itertools.count().__next__)
    expected_preds = defaultdict[str, int](itertools.count().__next__)
    for row, (s, p, kind) in enumerate(rows):
        assert read.subjects[row] == expected_nodes[f"http://example.org/thing/{s}"]
        assert read.preds[row] == expected_preds[f"http://example.org/p{p}"]
        if kind == "iri":
            assert read.objects[row] == expected_nodes[f"http://example.org/thing/{s * 7 % 601}"]
        assert read.kinds[row] == {"iri": RELATION, "literal": LITERAL, "blank": 0}[kind]
    literals = [row for row, (_, _, kind) in enumerate(rows) if kind == "literal"]
    literal_lines = read.object_lines(np.flatnonzero(read.kinds == LITERAL))
    assert literal_lines == b"\n".join(f'"label {rows[row][0]}"@en'.encode() for row in literals)
    assert nodes.keys() == list(expected_nodes) and preds.keys() == list(expected_preds)
