"""Headless Chromium for the browser tests: Debian's ``chromium`` driven by Playwright (no ``playwright install``).

- :func:`chromium_path` finds the browser (``BACKCHANNEL_CHROMIUM``, else ``/usr/bin/chromium``, else ``PATH``).
- :func:`require_chromium` skips the calling test when it is missing, or FAILS it when ``CI`` is set (CI must run
  the browser tests; ``.ci/run`` installs the browser).
- :func:`launch` starts it headless with the flags that make it quiet and offline-friendly.
- :func:`artifact` is where a screenshot goes (``test-artifacts/``, gitignored).
- :func:`axe_violations` runs axe-core (from npm, pinned in ``service/web/package-lock.json``) in a page and gives
  the violations of the impacts asked for; :func:`sideways_overflow` says how far a page scrolls sideways.

>>> ARGS[:2]
['--headless', '--no-sandbox']
>>> artifact("x.png").name
'x.png'
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "service" / "web" / "node_modules" / "axe-core" / "axe.min.js"
"""axe-core, installed by ``make assets`` (``npm ci`` of the web packages)."""
DEFAULT = "/usr/bin/chromium"
ARGS: list[str] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The Chromium executable, or None when there is none (``BACKCHANNEL_CHROMIUM``, when set, is the only
    candidate: point it at a missing file to see the tests without a browser)."""
    configured = os.environ.get("BACKCHANNEL_CHROMIUM")
    candidates = [configured] if configured else [DEFAULT, shutil.which("chromium"), shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def in_ci() -> bool:
    """Whether we run in continuous integration (``CI`` set to anything but empty, 0 or false)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) when ``condition`` does not hold."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def require_chromium() -> str:
    """The Chromium executable; skip the test without it (fail in CI)."""
    path = chromium_path()
    require(path is not None, "headless Chromium is not installed (apt-get install chromium, "
                              "or set BACKCHANNEL_CHROMIUM to its path)")
    assert path is not None  # require() did not return otherwise
    return path


@contextmanager
def launch(executable: str) -> Iterator[object]:
    """A headless Chromium (a Playwright ``Browser``), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def artifact(name: str) -> Path:
    """The path of a test artefact (the folder is made on demand)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def require_axe() -> str:
    """The source of axe-core; skip the test without it (fail in CI)."""
    require(AXE.is_file(), "axe-core is not installed (run `make assets`, which runs npm ci in service/web)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any, source: str, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Run axe-core in the page (evaluated through the debugging protocol, so the page's CSP, which forbids
    inline scripts, does not stop it) and describe each violation of the given impacts with its first targets."""
    page.evaluate(source + "\n;0")
    found = page.evaluate(
        """() => axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
               id: v.id, impact: v.impact, help: v.help,
               targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))})))"""
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['targets']}" for v in found if v["impact"] in impacts]


def sideways_overflow(page: Any) -> tuple[int, int, list[str]]:
    """The page's scroll width, the window's width, and the widest elements that stick out (to say what to fix)."""
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    wide = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
                  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                  .slice(0, 5).map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`)"""
    ) if width > inner else []
    return width, inner, wide
