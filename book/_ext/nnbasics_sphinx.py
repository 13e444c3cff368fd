"""Sphinx glue for the book: $...$ math in the API reference, the student build, and fixes
that let sphinx-exercise, sphinx-thebe and sphinx-codeautolink work together.

The library's docstrings use the same LaTeX as the chapters ($x$ inline, $$...$$ displayed),
which reads well in a terminal and in JupyterLab. reStructuredText needs :math: roles instead,
so this hook rewrites the docstrings as autodoc reads them; the source stays as it is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
# Inline math may wrap onto the docstring's next line (not across a blank line).
INLINE = re.compile(r"(?<![\\$])\$(?!\$)((?:[^$\n]|\n(?![ \t]*\n))+?)\$")


def dollars_to_math(lines: list[str]) -> list[str]:
    text = "\n".join(lines)
    text = DISPLAY.sub(lambda m: "\n\n.. math::\n\n   " + " ".join(m.group(1).split()) + "\n\n", text)
    text = INLINE.sub(lambda m: ":math:`" + " ".join(m.group(1).split()) + "`", text)
    return text.split("\n")


def _process(app, what, name, obj, options, lines):
    lines[:] = dollars_to_math(lines)


def _strip_solutions(app, doctree, docname):
    # A student build (STUDENT=1) drops every solution, with the code gated into it. This runs
    # after sphinx-exercise has merged the gated cells into their solution node; its own
    # hide_solutions option fails on gated solutions (an unknown solution_end_node).
    if os.environ.get("STUDENT") == "1":
        from sphinx_exercise.nodes import solution_node

        for node in list(doctree.findall(solution_node)):
            node.parent.remove(node)


def _untitled_sections_to_containers(app, doctree):
    # sphinx-exercise wraps each solution's body in a section without a title, which
    # sphinx-codeautolink cannot walk (it pops a title per section). A plain container renders
    # the same and keeps code-to-API links working on the exercise pages.
    from docutils import nodes

    for section in list(doctree.findall(nodes.section)):
        if not any(isinstance(child, nodes.title) for child in section.children):
            container = nodes.container(classes=["solution-content"], ids=section["ids"])
            container.extend(section.children)
            section.replace_self(container)


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    # sphinx-thebe registers its configuration script once per read phase, and Jupyter Book
    # runs two, so pages declared `const THEBE_JS_URL` twice: a JavaScript error on every page.
    seen, unique = set(), []
    for js in context.get("script_files", []):
        attributes = getattr(js, "attributes", {})
        filename = getattr(js, "filename", js) or ""  # None and "" both mean an inline script
        key = (filename, tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def _math_and_figures(app, config):
    # MathJax's \text{} shows \_ literally ("fan\_in") unless its textmacros package is loaded
    # (served by sphinx-mathjax-offline like the rest of MathJax); myst-parser adds its own
    # options to the same dictionary afterwards.
    # MathJax's combined tex-chtml.js (1.16 MB) carries the 0.43 MB context menu; the startup
    # component loads only core, TeX input, CHTML output and the hidden MathML screen readers
    # read (0.86 MB), from the same offline copy (issue 18, page weight).
    config.mathjax_path = "mathjax/startup.js"
    mathjax = dict(config.mathjax3_config or {})
    loader = dict(mathjax.get("loader", {}))
    loader["load"] = [*loader.get("load", []), "input/tex", "output/chtml", "a11y/assistive-mml",
                      "[tex]/textmacros"]
    tex = dict(mathjax.get("tex", {}))
    packages = dict(tex.get("packages", {}))
    packages["[+]"] = [*packages.get("[+]", []), "textmacros"]
    tex["packages"] = packages
    mathjax.update(loader=loader, tex=tex)
    config.mathjax3_config = mathjax
    # Wide equations scroll in their box with a cue; figures open full size on a tap.
    static = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_static")
    if static not in config.html_static_path:
        config.html_static_path.append(static)
    app.add_css_file("math.css")
    # Font Awesome's web fonts cut down to the glyphs CSS draws (tools/site/make_fontawesome.py): loaded after
    # the theme's stylesheet, its faces replace the theme's 157 KB and 118 KB fonts.
    app.add_css_file("fontawesome-subset.css")
    app.add_js_file("nnbasics-figures.js", loading_method="defer")


def _mathjax_only_with_math(app, pagename, templatename, context, doctree):
    # myst-nb asks Sphinx to put MathJax (0.86 MB) on every page, in case a notebook output holds
    # LaTeX; a page whose body renders no math (Sphinx and myst-nb both mark it class="math ...")
    # drops MathJax's configuration and loader (issue 18, page weight).
    if 'class="math' in context.get("body", ""):
        return

    def is_mathjax(js) -> bool:
        filename = getattr(js, "filename", js) or ""
        body = getattr(js, "attributes", {}).get("body", "")
        return "mathjax" in filename.lower() or "window.MathJax" in body

    context["script_files"] = [js for js in context.get("script_files", []) if not is_mathjax(js)]


def _explorer_scripts_where_explorers_are(app, pagename, templatename, context, doctree):
    # An explorer (nnbasics.explorer, drawn by nnbasics_course.explorer_page) needs Vega, Vega-Lite
    # and Vega-Embed, served from the book (book/_static/vega): only the pages that hold one load them.
    from nnbasics_course.explorer_page import CLASS, SCRIPTS

    if f'class="{CLASS}"' in context.get("body", ""):
        for script in SCRIPTS:
            app.add_js_file(script, loading_method="defer")


SEARCH_SCRIPTS = re.compile(r'[ \t]*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|'
                            r'searchindex\.js)[^"]*"></script>\n?')


def _search_index_only_on_the_search_page(app, exception):
    # pydata-sphinx-theme puts Sphinx's search tools and the whole search index (0.18 MB) on every
    # page for its search-as-you-type dialog, which this book leaves off (the dialog submits to
    # search.html, which loads them itself); every other page drops them (issue 18, page weight).
    if exception is not None or app.builder.format != "html" or app.config.html_theme_options.get(
            "search_as_you_type"):
        return
    for page in Path(app.outdir).rglob("*.html"):
        if page.name == "search.html" and page.parent == Path(app.outdir):
            continue
        text = page.read_text(encoding="utf-8")
        lean = SEARCH_SCRIPTS.sub("", text)
        if lean != text:
            page.write_text(lean, encoding="utf-8")


def setup(app):
    app.connect("config-inited", _math_and_figures)
    app.connect("autodoc-process-docstring", _process)
    app.connect("doctree-read", _untitled_sections_to_containers, priority=400)
    app.connect("doctree-resolved", _strip_solutions)
    app.connect("html-page-context", _explorer_scripts_where_explorers_are, priority=800)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _mathjax_only_with_math, priority=901)
    app.connect("build-finished", _search_index_only_on_the_search_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
