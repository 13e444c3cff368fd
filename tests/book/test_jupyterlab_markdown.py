"""The notebooks' Markdown renders in JupyterLab too (issue 18 item 5), where jupyterlab-myst
(pinned in requirements.txt, installed by `make lab` and Binder) renders MyST instead of Sphinx.

Measured in JupyterLab 4.6 with jupyterlab-myst 2.7 (headless Chromium, every cell of
regularization, conv, capstone and the losses exercises): {term}, {doc}, {numref} and {zh} roles,
figures, exercises and display math render; a role inside a directive's title line does not:

    ```{admonition} {zh}`对照中文资料` / From the Chinese sources

shows the whole block as raw text ("```{admonition} ... :class: note ..."). The book marks Chinese
written without the role as lang="zh" when it is built (book/_ext/nnbasics_layout.py), so a title
keeps its Chinese plainly. This checks the sources stay within what renders in both places.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from nnbasics_layout import CJK_RUN  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").glob("*/*.ipynb"))
DIRECTIVE_LINE = re.compile(r"^\s*(`{3,}|:{3,})\{[a-z-]+\}(?P<argument>.*)$", re.M)
ROLE = re.compile(r"\{[a-z:-]+\}`")


def directive_titles_with_a_role(markdown: str) -> list[str]:
    return [m.group(0).strip() for m in DIRECTIVE_LINE.finditer(markdown) if ROLE.search(m.group("argument"))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / "book").as_posix())
def test_no_role_in_a_directive_title(path: Path) -> None:
    cells = nbformat.read(path, as_version=4).cells
    found = [t for c in cells if c.cell_type == "markdown" for t in directive_titles_with_a_role(c.source)]
    assert not found, f"jupyterlab-myst shows these blocks as raw text; drop the role: {found}"


def test_the_check_catches_a_role_in_a_title() -> None:
    assert directive_titles_with_a_role("```{admonition} {zh}`对照` / Sources\n:class: note\ntext\n```\n")
    assert directive_titles_with_a_role(":::{note} See {term}`loss`\n:::\n")
    assert not directive_titles_with_a_role("```{admonition} 对照 / Sources\nA {zh}`中文` role.\n```\n")


def test_chinese_runs_are_found_for_marking() -> None:
    runs = [m.group(0) for m in CJK_RUN.finditer("对照中文资料 / From the sources, 卷积层.")]
    assert runs == ["对照中文资料", "卷积层"]
    assert not CJK_RUN.search("plain English, 3×3 · 5,000")


# --- Glossary terms in JupyterLab (issue 35 item 7) -----------------------------------------------
# jupyterlab-myst resolves {term} only against a {glossary} in the same notebook, so every notebook
# that links terms ends with a generated cell (nnbasics_course.glossary, `make glossary`).

from nnbasics_course import glossary  # noqa: E402

ENTRIES = glossary.glossary_entries((ROOT / "book" / "glossary.md").read_text())
TERM_NOTEBOOKS = [p for p in NOTEBOOKS if glossary.notebook_terms(nbformat.read(p, as_version=4))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / "book").as_posix())
def test_the_glossary_cell_is_up_to_date(path: Path) -> None:
    assert not glossary.stale(path, ENTRIES), "stale or missing glossary cell: run make glossary"


def test_the_glossary_cell_is_generated_from_the_glossary_page() -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("A {term}`Mini-batches <mini-batch>` of {term}`epoch`, {term}`epoch`."),
    ])
    assert glossary.notebook_terms(nb) == ["mini-batch", "epoch"]
    source = glossary.glossary_cell_source(["mini-batch", "epoch"], ENTRIES, "../glossary.md")
    assert source.index("\nepoch\n: {zh}`迭代周期`. One pass over the whole training set.\n") \
        < source.index("\nmini-batch\n: ")  # the page's order; MyST's definition-list syntax
    assert "轮次" not in source  # an "also" name stays on the glossary page
    assert "[the course glossary](../glossary.md)" in source
    with pytest.raises(KeyError, match="no such term"):
        glossary.glossary_cell_source(["no such term"], ENTRIES, "../glossary.md")


def test_only_the_also_part_of_an_entry_is_left_out() -> None:
    entry = "x\n  {zh}`甲` (X; also {zh}`乙`, y). Text (kept).\n  More."
    assert glossary.without_alternates(entry) == "x\n  {zh}`甲` (X). Text (kept).\n  More."
    assert glossary.without_alternates("x\n  {zh}`甲` (also {zh}`乙`). T.") == "x\n  {zh}`甲`. T."
    assert glossary.as_definition_list("x\n  a\n  b") == "x\n: a\n  b"


def test_refresh_writes_one_removed_cell_and_is_idempotent(tmp_path: Path) -> None:
    chapter = tmp_path / "book" / "demo" / "demo.ipynb"
    chapter.parent.mkdir(parents=True)
    cell = nbformat.v4.new_markdown_cell("A {term}`bias`.")
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), chapter)
    assert glossary.refresh(chapter, ENTRIES) and not glossary.refresh(chapter, ENTRIES)
    cells = nbformat.read(chapter, as_version=4).cells
    assert len(cells) == 2 and cells[-1].metadata["tags"] == ["remove-cell", glossary.GLOSSARY_TAG]
    assert "\nbias\n: {zh}`偏置`." in cells[-1].source
    cells[0].source = "No term."
    nbformat.write(nbformat.v4.new_notebook(cells=cells), chapter)
    assert glossary.stale(chapter, ENTRIES) and glossary.refresh(chapter, ENTRIES)
    assert len(nbformat.read(chapter, as_version=4).cells) == 1  # no term: no cell


# --- The same in a real JupyterLab, in headless Chromium (run by make browser) --------------------

LAB_SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},  # every cell rendered
                "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}
NOT_FOUND = "Cross reference target was not found: term-"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of book/ (opening a notebook writes nothing into the checkout)."""
    tmp = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "book", tmp / "root" / "book", ignore=shutil.ignore_patterns("_build"))
    for plugin, settings in LAB_SETTINGS.items():
        path = tmp / "settings" / (plugin.replace(":", "/") + ".jupyterlab-settings")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_CONFIG_DIR=str(tmp / "config"))
    log = (tmp / "lab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--allow-root",
         "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={tmp / 'root'}",
         f"--LabApp.user_settings_dir={tmp / 'settings'}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=5)
                break
            except OSError:
                assert server.poll() is None, (tmp / "lab.log").read_text()
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def chromium():
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        message = "no chromium on PATH (make browser installs Debian's chromium where it can)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


def open_in_lab(chromium, lab, path: Path):
    """The notebook open in JupyterLab, every markdown cell rendered; and the console's messages."""
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text))
    page.goto(f"{lab}/lab/tree/{path.relative_to(ROOT).as_posix()}")
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.locator(".jp-MarkdownCell h1").first.wait_for(timeout=120_000)
    # jupyterlab-myst resolves the notebook's references once every cell has rendered
    page.wait_for_function("""() => {
        const p = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
        return p && p.querySelectorAll('.jp-MarkdownCell').length > 0
            && !p.querySelector('.jp-MarkdownCell:not(.jp-mod-rendered)');
    }""", timeout=120_000)
    page.wait_for_timeout(2_000)
    return page, panel, messages


@pytest.mark.parametrize("path", TERM_NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / "book").as_posix())
def test_every_term_resolves_in_jupyterlab(chromium, lab, path: Path) -> None:
    page, panel, messages = open_in_lab(chromium, lab, path)
    not_found = sorted({line for m in messages for line in m.splitlines() if NOT_FOUND in line})
    assert not_found == [], f"{len(not_found)} terms unresolved in JupyterLab: {not_found}"
    terms = glossary.notebook_terms(nbformat.read(path, as_version=4))
    links = panel.locator("a.hover-link[href^='#term-']")
    hrefs = set(links.evaluate_all("as => as.map(a => a.getAttribute('href'))"))
    targets = set(panel.locator("dt[id^='term-']").evaluate_all("ds => ds.map(d => '#' + d.id)"))
    assert len(hrefs) == len(terms) and hrefs <= targets, (sorted(hrefs), sorted(targets))
    page.close()


def test_hovering_a_term_shows_its_definition_from_the_glossary(chromium, lab) -> None:
    page, panel, _ = open_in_lab(chromium, lab, ROOT / "book" / "optimizers" / "optimizers.ipynb")
    link = panel.locator("a.hover-link[href='#term-adam']").first
    link.scroll_into_view_if_needed()
    link.hover()
    card = page.locator(".hover-card-content").first
    card.wait_for(state="visible", timeout=10_000)
    definition = ENTRIES["adam"].split(". ", 1)[1]  # the English after the Chinese term
    assert " ".join(definition.split()) in " ".join(card.inner_text().split())
    page.close()
