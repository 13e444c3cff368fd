"""The book's side of the explorers (src/nnbasics/explorer.py): Vega-Lite outputs become live charts.

myst-nb renders a notebook output through this plugin (registered in tools/pyproject.toml under
``myst_nb.mime_renderers``) when it holds a Vega-Lite specification: the page gets a ``<figure>``
carrying the specification as JSON, which book/_static/nnbasics-explorers.js hands to Vega-Embed.
Vega, Vega-Lite and Vega-Embed are served from the book itself (book/_static/vega, vendored by
``make vendor-vega`` from the npm lock in tools/vega), and only on pages with an explorer
(book/_ext/nnbasics_sphinx.py adds them there).
"""

from __future__ import annotations

import html
import json
from typing import ClassVar

from docutils import nodes

VEGALITE_MIME = "application/vnd.vegalite.v5+json"
CLASS = "nnbasics-explorer"
SCRIPTS = ("vega/vega.min.js", "vega/vega-lite.min.js", "vega/vega-embed.min.js", "nnbasics-explorers.js")


def explorer_html(spec: dict) -> str:
    """The figure the page carries: the specification as JSON, its alt text for readers without scripts."""
    alt = spec.get("description") or spec.get("usermeta", {}).get("nnbasics", {}).get("alt", "")
    data = json.dumps(spec, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return (f'<figure class="{CLASS}">'
            f'<script type="application/json" class="{CLASS}-spec">{data}</script>'
            f'<div class="{CLASS}-view"></div>'
            f'<noscript><p>{html.escape(alt)}</p></noscript>'
            f"</figure>")


class VegaLiteExplorer:
    """myst-nb mime plugin: a Vega-Lite output first, as the live explorer (HTML builders only)."""

    mime_priority_overrides: ClassVar = (("html", VEGALITE_MIME, 5), ("dirhtml", VEGALITE_MIME, 5),
                                         ("singlehtml", VEGALITE_MIME, 5))

    @staticmethod
    def handle_mime(renderer, data, inline) -> list | None:
        if inline or data.mime_type != VEGALITE_MIME:
            return None
        spec = data.content if isinstance(data.content, dict) else json.loads(data.content)
        return [nodes.raw("", explorer_html(spec), format="html")]
