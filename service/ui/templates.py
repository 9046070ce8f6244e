"""The page machinery every HTML page shares: the Jinja2 templates, the links, the navigation, the bundles.

One :class:`Pages` per app (in its state). Templates are autoescaped and strict (an unknown variable is an
error, not an empty string); every page extends ``base.html``, whose navigation is :data:`NAV`.

>>> pages = Pages(Settings(base_iri="http://x.org/kg/"))
>>> pages.links.root, [item.href for item in pages.nav][:2]
('/kg/', ['/kg/', '/kg/browse'])
>>> b"<html" in pages.render("not_found.html", iri="http://x.org/kg/id/person/nobody", suggestions=[])
True
>>> pages.static_url("style.css").startswith("/kg/static/style.css?v=")
True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
import pyoxigraph as ox

from kg.namespaces import VOCAB
from kg.settings import Settings
from service.http.caching import VersionCache
from service.linked_data.pages import Links, linkable, script_json
from service.ui.assets import AssetIndex

HERE = Path(__file__).resolve().parents[1]
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
VENDOR = STATIC / "vendor"
"""Where ``make assets`` puts the page bundles (``{name}.js``, ``{name}.css``)."""
BUNDLES: tuple[str, ...] = ("editor", "explore", "influence", "site", "docs")
"""Each page's bundle: ``vendor/{name}.js`` and ``vendor/{name}.css`` (``site`` gives the home page and the entity
pages their search boxes; ``docs`` is the API documentation)."""

NAV: tuple[tuple[str, str, str], ...] = (
    ("home", "", "Home"),
    ("browse", "browse", "Browse"),
    ("sparql", "sparql", "SPARQL"),
    ("explore", "explore", "Paths"),
    ("influence", "influence", "Influence"),
    ("def", "def", "Vocabulary"),
    ("void", ".well-known/void", "Dataset"),
    ("docs", "docs", "API"),
)
"""The navigation of every page: (key, path below the root, text)."""


@dataclass(frozen=True)
class NavItem:
    key: str
    href: str
    text: str


@dataclass(frozen=True)
class Assets:
    """Whether a page's bundle is built, and the URLs of its script and stylesheet (naming their content)."""

    built: bool
    script: str = ""
    style: str = ""


def assets_for(name: str, vendor: Path = VENDOR, index: AssetIndex | None = None, root: str = "/") -> Assets:
    """The state of the bundle ``name`` in ``vendor``.

    >>> import tempfile
    >>> assets_for("editor", Path(tempfile.mkdtemp())).built
    False
    """
    files = [vendor / f"{name}.js", vendor / f"{name}.css"]
    if not all(f.is_file() for f in files):
        return Assets(False)
    index = index or AssetIndex(STATIC)
    return Assets(True, *(f"{root}static/{f.relative_to(STATIC).as_posix()}?v={index.digest(f)}"
                          if f.is_relative_to(STATIC) else "" for f in files))


class Pages:
    """Templates, links and navigation of one app, and a cache of what pages compute once per store version."""

    def __init__(self, settings: Settings, vendor: Path = VENDOR) -> None:
        self.settings = settings
        self.links = Links(settings)
        self.vendor = vendor
        """The folder of the built bundles (tests point it elsewhere to see the pages without them)."""
        self.cache = VersionCache()
        self.static = AssetIndex(STATIC)
        """Digests and compressed copies of the static files (their URLs name their content)."""
        self.nav = [NavItem(key, self.links.root + path, text) for key, path, text in NAV]
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=True,
            trim_blocks=False,
            undefined=jinja2.StrictUndefined,
        )
        self.env.globals.update(root=self.links.root, link=self.links.href, nav=self.nav, active=None, things=[],
                                static=self.static_url, site_bundle=self.site_bundle)
        self.env.tests["iri"] = lambda term: isinstance(term, ox.NamedNode)
        self.env.tests["linkable"] = linkable  # http(s): only those IRIs become links

    def render(self, template: str, **context: object) -> bytes:
        """One of our templates, rendered."""
        return self.env.get_template(template).render(**context).encode()

    def assets(self, name: str) -> Assets:
        """The state of a page's bundle."""
        return assets_for(name, self.vendor, self.static, self.links.root)

    def static_url(self, path: str) -> str:
        """The URL of a static file (``style.css``), naming its content so that browsers may keep it."""
        return self.static.url(self.links.root, path)

    def site_bundle(self) -> dict[str, str] | None:
        """What a plain page needs for its search boxes: the ``site`` bundle's URLs and its configuration
        (None when the bundle is not built: the forms then work without suggestions)."""
        assets = self.assets("site")
        if not assets.built:
            return None
        root, settings = self.links.root, self.settings
        config = {"root": root, "idBase": settings.id_base, "vocab": VOCAB, "api": {"search": root + "search"}}
        return {"script": assets.script, "style": assets.style, "config": script_json(config)}
