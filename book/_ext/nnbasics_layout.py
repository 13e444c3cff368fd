"""The book's layout at every width: the stylesheet and script in book/_static/.

- nnbasics-nav.js: the hamburger opens the navigation drawer on a phone or tablet (works around
  pydata-sphinx-theme 0.17's hidden `.primary-toggle`, upstream issue 2451).
- exercises are numbered per chapter ("Exercise 6.3": the 3rd exercise of the 6th chapter of
  _toc.yml, its exercises page included) instead of book-wide.
- nnbasics.css: one header on desktop, code and outputs that scroll inside their own box, a
  font stack for Chinese text (any element marked `lang="zh"`).

Chinese in the book's Markdown: write {zh}`中文`; the role renders <span lang="zh">. Chinese
written without it (a directive's title, where jupyterlab-myst cannot parse a role) is marked
the same way when the page is built.
tests/book/test_responsive.py checks all of it in Chromium.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes

STATIC = Path(__file__).resolve().parents[1] / "_static"


def zh_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """{zh}`文本`: Chinese text marked lang="zh" (the right font, the right voice in a screen reader)."""
    # docutils' HTML writer turns a `language-xx` class into the attribute lang="xx".
    return [nodes.inline(rawtext, text, classes=["language-zh"])], []


# CJK ideographs and punctuation, fullwidth forms: a run of these is Chinese text.
CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+(?:[ 0-9A-Za-z]*"
                     r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+)*")
SKIP = (nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.raw, nodes.comment)


def _mark_chinese(app, doctree, docname):
    # Chinese written without the role (where a role cannot go: a directive's title line, which
    # jupyterlab-myst then fails to parse) is marked lang="zh" too, as if written {zh}`...`.
    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        if parent is None or not CJK_RUN.search(text.astext()):
            continue
        ancestors, node = [], parent
        while node is not None:
            ancestors.append(node)
            node = node.parent
        if any(isinstance(a, SKIP) or "language-zh" in a.get("classes", []) for a in ancestors
               if isinstance(a, nodes.Element)):
            continue
        pieces, at, value = [], 0, text.astext()
        for m in CJK_RUN.finditer(value):
            if m.start() > at:
                pieces.append(nodes.Text(value[at:m.start()]))
            pieces.append(nodes.inline(m.group(0), m.group(0), classes=["language-zh"]))
            at = m.end()
        if at < len(value):
            pieces.append(nodes.Text(value[at:]))
        parent.replace(text, pieces)


def _static_path(app):
    if str(STATIC) not in app.config.html_static_path:
        app.config.html_static_path.append(str(STATIC))


def _chapter_of(env) -> dict[str, int]:
    """Each document's chapter number: the order of the root's toctree entries, 1-based."""
    chapters: dict[str, int] = {}

    def walk(doc, number):
        if doc in chapters:
            return
        chapters[doc] = number
        for child in env.toctree_includes.get(doc, []):
            walk(child, number)

    for number, chapter in enumerate(env.toctree_includes.get(env.config.root_doc, []), start=1):
        walk(chapter, number)
    return chapters


def _number_exercises_per_chapter(app, env):
    # Sphinx numbers each enumerable type book-wide when the toctree is not numbered; the
    # chapter-relative number replaces it where sphinx-exercise and {numref} read it.
    chapters = _chapter_of(env)
    counts: dict[int, int] = {}
    pages = {d: n["exercise"] for d, n in env.toc_fignumbers.items() if n.get("exercise") and d in chapters}
    for docname in sorted(pages, key=lambda d: (chapters[d], min(pages[d].values()))):
        numbers = pages[docname]
        chapter = chapters[docname]
        for ids, _old in sorted(numbers.items(), key=lambda item: item[1]):
            counts[chapter] = counts.get(chapter, 0) + 1
            numbers[ids] = (chapter, counts[chapter])
    return []


def setup(app):
    app.connect("env-get-updated", _number_exercises_per_chapter, priority=900)
    app.connect("builder-inited", _static_path)
    app.add_css_file("nnbasics.css")
    app.add_js_file("nnbasics-nav.js")
    app.add_role("zh", zh_role)
    app.connect("doctree-resolved", _mark_chinese)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
