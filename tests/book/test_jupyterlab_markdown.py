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

sys.path.insert(0, str(ROOT / "tools"))
from nnbasics_course.toc import toc_notebooks  # noqa: E402

NOTEBOOKS = sorted(toc_notebooks(ROOT))  # every notebook of _toc.yml, chapters and exercises
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

from test_jupyterlab_explorers import assert_explorers_redraw  # noqa: E402

from nnbasics_course import glossary  # noqa: E402

ENTRIES = glossary.glossary_entries((ROOT / "book" / "glossary.md").read_text())


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


# --- References to another notebook's labels (the chapters' lists of their exercises) ------------

TARGETS = glossary.book_targets()


def test_references_to_another_notebook_are_found() -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("(here)=\n## Here\n\nSee {ref}`opt-ex-adam`, "
                                      "{numref}`Fig. %s <fig-x>`, "
                                      "[that](#there), {ref}`here` and {ref}`opt-ex-adam`.\n\n"
                                      "```{figure} x.svg\n:name: fig-x\n\nCaption.\n```"),
    ])
    assert glossary.notebook_references(nb) == ["opt-ex-adam", "fig-x", "there", "here"]
    assert glossary.notebook_labels(nb) == ["here", "fig-x"]


def test_an_exercise_is_named_as_the_book_numbers_it() -> None:
    adam = TARGETS["opt-ex-adam"]
    assert (adam.name, adam.title) == ("Exercise 6.1", "One Adam step by hand")
    assert adam.path == ROOT / "book" / "optimizers" / "exercises.ipynb"
    assert adam.page == "Exercises: optimizers and learning-rate schedules"
    assert TARGETS["cap-ex-debug"].name == "Exercise 11.7"  # chapter 11 of _toc.yml, its 7th exercise
    assert glossary._exercises("````{exercise} A title\n:label: x-ex-a\n:class: c\n\nText.\n````\n"
                               "```{exercise} Another\n\nNo label.\n```") == [("x-ex-a", "A title"),
                                                                                  (None, "Another")]


def test_the_cell_defines_each_label_of_another_notebook_above_its_name_and_a_link() -> None:
    here = ROOT / "book" / "optimizers" / "optimizers.ipynb"
    source = glossary.references_source(["opt-ex-schedule", "opt-ex-adam"], TARGETS, here)
    assert source.index("(opt-ex-adam)=\nExercise 6.1\n: *One Adam step by hand*, in "
                        "[Exercises: optimizers and learning-rate schedules](exercises.ipynb)") \
        < source.index("(opt-ex-schedule)=\nExercise 6.2\n: ")  # the book's order
    elsewhere = glossary.references_source(["opt-ex-adam"], TARGETS, ROOT / "book" / "conv" / "conv.ipynb")
    assert "](../optimizers/exercises.ipynb)" in elsewhere
    with pytest.raises(KeyError, match="no-such-label"):
        glossary.references_source(["no-such-label"], TARGETS, here)


@pytest.mark.skipif(not (ROOT / "_build" / "html").exists(), reason="no built book (make build-check)")
def test_each_exercise_name_is_the_one_the_built_book_shows() -> None:
    """The generator numbers exercises as book/_ext/nnbasics_layout.py does: the built book agrees."""
    shown = {}
    for page in (ROOT / "_build" / "html" / "book").glob("*/*.html"):
        numref = r'href="[^"#]*#([\w-]+)"><span class="std std-numref">([^<]+)</span>'
        for m in re.finditer(numref, page.read_text()):
            shown[m.group(1)] = m.group(2)
    exercises = {label: t.name for label, t in TARGETS.items() if t.title}
    assert exercises and set(shown) & set(exercises), "no {ref} to an exercise in the built book"
    assert {label: shown[label] for label in exercises if label in shown} == \
        {label: name for label, name in exercises.items() if label in shown}


DOC = re.compile(r"\{doc\}`(?:[^`<]*<(?P<target>[^`>]+)>|(?P<plain>[^`<]+))`")


def doc_links_to_a_heading(markdown: str) -> list[str]:
    """{doc} targets that are also a heading's id in the same markdown: jupyterlab-myst links the
    {doc} to that heading, with "Legacy syntax used for link target" (write [](page.ipynb) instead)."""
    ids = {re.sub(r"[^\w]+", "-", m.group("text").lower()).strip("-")
           for m in glossary.HEADING.finditer(markdown)}
    targets = ((m.group("target") or m.group("plain")).strip() for m in DOC.finditer(markdown))
    return [t for t in targets if t in ids]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / "book").as_posix())
def test_no_doc_link_is_taken_for_a_heading(path: Path) -> None:
    cells = nbformat.read(path, as_version=4).cells
    markdown = "\n\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert doc_links_to_a_heading(markdown) == []


def test_the_check_catches_a_doc_link_taken_for_a_heading() -> None:
    assert doc_links_to_a_heading("## Exercises\n\nOn the next page, {doc}`exercises`.") == ["exercises"]
    assert doc_links_to_a_heading("## Exercises\n\nOn the next page, [](exercises.ipynb).") == []


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
    cells = nbformat.read(chapter, as_version=4).cells
    cells[0].source = "Try {ref}`opt-ex-adam`."  # a label of another notebook
    nbformat.write(nbformat.v4.new_notebook(cells=cells), chapter)
    assert glossary.refresh(chapter, ENTRIES, TARGETS) and not glossary.refresh(chapter, ENTRIES, TARGETS)
    last = nbformat.read(chapter, as_version=4).cells[-1]
    assert "(opt-ex-adam)=\nExercise 6.1\n" in last.source and "{glossary}" not in last.source


# --- The same in a real JupyterLab, in headless Chromium (run by make browser) --------------------

LAB_SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},  # every cell rendered
                "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}
# What jupyterlab-myst logs for a reference or a link it cannot resolve (myst-transforms' messages)
MYST_PROBLEM = re.compile(r"Cross reference target was not found|No target for internal reference"
                          r"|Legacy syntax used for link target|to an implicit \w+ reference|Link has no URL")


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
         "--ServerApp.disable_check_xsrf=True",  # close() shuts kernels down with DELETE
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


PAGE_ERROR = "uncaught error: "


def open_in_lab(chromium, lab, path: Path):
    """The notebook open in JupyterLab, every markdown cell rendered; and the console's messages."""
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text))
    page.on("pageerror", lambda err: messages.append(f"{PAGE_ERROR}{err}"))
    # ?reset: a new workspace, or the page would reopen every notebook an earlier test opened
    page.goto(f"{lab}/lab/tree/{path.relative_to(ROOT).as_posix()}?reset")
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


def close(page, lab) -> None:
    """Close the page and shut down the kernels it started (2 cores: a kernel per notebook adds up)."""
    page.close()
    for session in json.load(urllib.request.urlopen(f"{lab}/api/sessions", timeout=10)):
        urllib.request.urlopen(urllib.request.Request(f"{lab}/api/sessions/{session['id']}", method="DELETE"),
                               timeout=30)


def myst_problems(messages: list[str]) -> list[str]:
    return sorted({line for m in messages for line in m.splitlines() if MYST_PROBLEM.search(line)})


def test_the_check_catches_what_jupyterlab_myst_logs() -> None:
    logged = ["Cross reference target was not found: opt-ex-adam\n"
              "Cross reference target was not found: term-adam",
              "Legacy syntax used for link target, please prepend a '#' to your link url: \"exercises\"",
              'Linking "exercises" to an implicit heading reference, best practice is to create an explicit '
              "reference.", "Re-rendering VDOM for MySTWidget W false"]
    assert len(myst_problems(logged)) == 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / "book").as_posix())
def test_every_reference_resolves_in_jupyterlab(chromium, lab, path: Path) -> None:
    """No reference of any kind unresolved and no link warning; each term and each label of another
    notebook links to its entry in the generated cell, a {ref} shows the book's text; and every
    explorer the notebook stores redraws when a control moves (test_jupyterlab_explorers.py)."""
    page, panel, messages = open_in_lab(chromium, lab, path)
    problems = myst_problems(messages)
    assert problems == [], f"{len(problems)} references or links unresolved in JupyterLab: {problems}"
    nb = nbformat.read(path, as_version=4)
    terms = glossary.notebook_terms(nb)
    links = panel.locator("a.hover-link[href^='#term-']")
    hrefs = set(links.evaluate_all("as => as.map(a => a.getAttribute('href'))"))
    targets = set(panel.locator("dt[id^='term-']").evaluate_all("ds => ds.map(d => '#' + d.id)"))
    assert len(hrefs) == len(terms) and hrefs <= targets, (sorted(hrefs), sorted(targets))
    defined = set(glossary.notebook_labels(nb))
    for label in [label for label in glossary.notebook_references(nb) if label not in defined]:
        target = TARGETS[label]
        texts = panel.locator(f"a.hover-link[href='#{label}']").all_inner_texts()
        assert texts and {t.strip() for t in texts} == {target.name}, (label, texts)
        # the relative link, as JupyterLab resolves it (a click opens the notebook in JupyterLab)
        link = f"/files/{target.path.relative_to(ROOT).as_posix()}"
        assert panel.locator(f"[id='{label}'] a[href*='{link}']").count() == 1, (label, link)
    assert_explorers_redraw(page, panel, path)  # on the page already open: opening one is the slow part
    assert [m for m in messages if m.startswith(PAGE_ERROR)] == []
    close(page, lab)


def test_a_reference_to_an_exercise_leads_to_the_exercises_notebook(chromium, lab) -> None:
    page, panel, _ = open_in_lab(chromium, lab, ROOT / "book" / "optimizers" / "optimizers.ipynb")
    ref = panel.locator("a.hover-link[href='#opt-ex-adam']").first
    ref.scroll_into_view_if_needed()
    ref.hover()
    card = page.locator(".hover-card-content").first
    card.wait_for(state="visible", timeout=10_000)
    assert "One Adam step by hand" in card.inner_text()  # the exercise's title, from exercises.ipynb
    page.mouse.move(0, 0)
    panel.locator("[id='opt-ex-adam'] a[href*='/files/book/optimizers/exercises.ipynb']").click()
    page.locator(".jp-NotebookPanel:visible .jp-MarkdownCell h1:has-text('Exercises: optimizers')").wait_for(
        timeout=60_000)
    close(page, lab)


def test_hovering_a_term_shows_its_definition_from_the_glossary(chromium, lab) -> None:
    page, panel, _ = open_in_lab(chromium, lab, ROOT / "book" / "optimizers" / "optimizers.ipynb")
    link = panel.locator("a.hover-link[href='#term-adam']").first
    link.scroll_into_view_if_needed()
    link.hover()
    card = page.locator(".hover-card-content").first
    card.wait_for(state="visible", timeout=10_000)
    definition = ENTRIES["adam"].split(". ", 1)[1]  # the English after the Chinese term
    assert " ".join(definition.split()) in " ".join(card.inner_text().split())
    close(page, lab)


NUMREF = re.compile(r"\{numref\}`(?:[^`<]*<(?P<target>[^`>]+)>|(?P<plain>[^`<]+))`")


def numrefs_to_another_cell(cells: list) -> list[str]:
    """{numref} targets a notebook's markdown defines in another cell than the reference's:
    jupyterlab-myst numbers a figure only within its own cell, so JupyterLab logs "Cross reference
    target was not found" for them (the debugging page's kink figure, in a separate cell)."""
    markdown = [c.source for c in cells if c.cell_type == "markdown"]
    defined_in = {m.group(1): i for i, source in enumerate(markdown)
                  for m in re.finditer(r"^:name: *([\w-]+)", source, re.MULTILINE)}
    return [label for i, source in enumerate(markdown) for m in NUMREF.finditer(source)
            if (label := (m.group("target") or m.group("plain")).strip()) in defined_in
            and defined_in[label] != i]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / "book").as_posix())
def test_each_numref_is_in_the_cell_of_its_figure(path: Path) -> None:
    assert numrefs_to_another_cell(nbformat.read(path, as_version=4).cells) == []


def test_the_check_catches_a_numref_to_a_figure_in_another_cell() -> None:
    figure = nbformat.v4.new_markdown_cell("```{figure} a.svg\n:name: fig-a\n\nA.\n```")
    before = nbformat.v4.new_markdown_cell("As {numref}`fig-a` shows.")
    assert numrefs_to_another_cell([before, figure]) == ["fig-a"]
    together = nbformat.v4.new_markdown_cell(before.source + "\n\n" + figure.source)
    assert numrefs_to_another_cell([together]) == []
