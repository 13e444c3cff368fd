"""The book's side of the explorers (nnbasics_course.explorer_page): Vega-Lite outputs become live figures."""

from __future__ import annotations

import json
import re
from importlib.metadata import entry_points
from pathlib import Path

from docutils import nodes
from myst_nb.core.render import MimeData, get_mime_priority

from nnbasics_course.explorer_page import CLASS, SCRIPTS, VEGALITE_MIME, VegaLiteExplorer, explorer_html

ROOT = Path(__file__).resolve().parents[2]
SPEC = {"mark": "point", "description": "Dots & a </script> tag", "datasets": {"main": [{"x": [1]}]}}


def test_the_figure_carries_the_spec_as_json_and_the_alt_text_for_readers_without_scripts() -> None:
    html = explorer_html(SPEC)
    assert html.startswith(f'<figure class="{CLASS}">') and html.endswith("</figure>")
    spec_script = r'<script type="application/json" class="nnbasics-explorer-spec">(.*?)</script>'
    data = re.search(spec_script, html).group(1)
    assert json.loads(data) == SPEC  # "</" is escaped, so the spec cannot close its script early
    assert "<noscript><p>Dots &amp; a &lt;/script&gt; tag</p></noscript>" in html


def test_the_plugin_renders_vega_lite_first_and_leaves_everything_else_to_myst_nb() -> None:
    names = [ep.name for ep in entry_points().select(group="myst_nb.mime_renderers")]
    assert "nnbasics-explorer" in names, "tools/pyproject.toml registers the plugin"
    priority = get_mime_priority("html", [])
    others = ("text/html", "image/png", "text/plain")
    assert priority.index(VEGALITE_MIME) < min(priority.index(m) for m in others)
    (node,) = VegaLiteExplorer.handle_mime(None, MimeData(VEGALITE_MIME, SPEC), False)
    assert isinstance(node, nodes.raw) and node["format"] == "html" and CLASS in node.astext()
    as_text = MimeData(VEGALITE_MIME, json.dumps(SPEC))
    assert VegaLiteExplorer.handle_mime(None, as_text, False)[0].astext() == node.astext()
    assert VegaLiteExplorer.handle_mime(None, MimeData("text/plain", "x"), False) is None
    assert VegaLiteExplorer.handle_mime(None, MimeData(VEGALITE_MIME, SPEC), True) is None


def test_the_scripts_are_vendored_in_the_book_with_their_versions() -> None:
    static = ROOT / "book" / "_static"
    for script in SCRIPTS:
        assert (static / script).stat().st_size > 1000, script
    lock = json.loads((ROOT / "tools" / "vega" / "package-lock.json").read_text())
    versions = (static / "vega" / "VERSIONS").read_text()
    for name in ("vega", "vega-lite", "vega-embed"):
        version = lock["packages"][f"node_modules/{name}"]["version"]
        assert f"{name} {version}, BSD-3-Clause" in versions
        build = (static / "vega" / f"{name}.min.js").read_text()
        assert f'"{version}"' in build, f"{name}.min.js is not version {version} of the lock"
    pinned = json.loads((ROOT / "tools" / "vega" / "package.json").read_text())["dependencies"]
    assert pinned["vega-lite"] == "5.20.1", "the Vega-Lite version Altair 5.5.0 writes"
