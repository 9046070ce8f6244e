"""Tables and figures of the benchmark suite: Markdown tables, ratios, the machine, the "Suite" section of RESULTS.md.

>>> print(table(["a", "b"], [["x", "1"], ["y", "2"]]))
| a | b |
|---|---|
| x | 1 |
| y | 2 |
>>> ratio(2.0, 4.0), ratio(1.0, 0.0), ratio(None, 1.0)
('0.50', '–', '–')
>>> ms(0.0123), ms(None), triples(10_000_000), triples(20_000)
('12.3', '–', '10M', '20k')
>>> replace_section("# R\\n\\n## A\\nold\\n\\n## B\\nkeep\\n", "A", "new", "### notes")
'# R\\n\\n## A\\n\\nnew\\n\\n## B\\nkeep\\n'
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bench import sparql_bench

DASH = "–"


def table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(ours: float | None, theirs: float | None) -> str:
    """``ours / theirs`` with two decimals (three significant digits when small), or a dash."""
    if ours is None or theirs is None or not theirs or ours != ours or theirs != theirs:
        return DASH
    value = ours / theirs
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3g}"


def ms(seconds: float | None, digits: int = 1) -> str:
    """Seconds as milliseconds, or a dash."""
    return DASH if seconds is None or seconds != seconds else f"{seconds * 1000:.{digits}f}"


def secs(seconds: float | None, digits: int = 1) -> str:
    """Seconds, or a dash."""
    return DASH if seconds is None or seconds != seconds else f"{seconds:.{digits}f}"


def triples(n: int) -> str:
    """A size for headings: 20k, 1M, 10M, 1.5M."""
    if n >= 1_000_000:
        return f"{n / 1e6:g}M"
    if n >= 1000:
        return f"{n / 1e3:g}k"
    return str(n)


def machine() -> str:
    """CPU model, CPUs, memory, OS, Python (``bench.sparql_bench.machine``)."""
    return sparql_bench.machine()


def code_version(root: Path) -> str:
    """The commit of the working tree at ``root`` and the code files changed since (other work in progress)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--", "kg", "service", "bench"], cwd=root,
                                capture_output=True, text=True, timeout=10, check=True).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    changed = sorted(line[3:] for line in status if line[:2].strip() == "M")
    return f"commit {head}" + (f", with uncommitted changes in {', '.join(changed)}" if changed else "")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def replace_section(text: str, name: str, body: str, keep: str) -> str:
    """``text`` with its ``## name`` section's body replaced by ``body`` (the section is added if missing).

    A hand-written subsection starting with the line ``keep`` (e.g. ``### What the figures say``) is kept
    after the new body; the other sections are left as they are.
    """
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    found = pattern.search(text)
    notes = ""
    if found and keep in found.group(0):
        notes = "\n" + found.group(0)[found.group(0).index(keep):].rstrip() + "\n"
    section = f"## {name}\n\n{body.strip()}\n{notes}"
    if found:
        return text[: found.start()] + section + ("\n" if found.end() < len(text) else "") + text[found.end():]
    return text.rstrip() + "\n\n" + section


def write_section(path: Path, name: str, body: str, keep: str) -> None:
    """Replace (or add) the ``## name`` section of the Markdown file at ``path`` (see :func:`replace_section`)."""
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    path.write_text(replace_section(current, name, body, keep))
