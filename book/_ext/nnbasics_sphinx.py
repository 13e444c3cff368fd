"""Sphinx glue for the book: docstrings written with $...$ math render in the API reference.

The library's docstrings use the same LaTeX as the chapters ($x$ inline, $$...$$ displayed),
which reads well in a terminal and in JupyterLab. reStructuredText needs :math: roles instead,
so this hook rewrites the docstrings as autodoc reads them; the source stays as it is.
"""

from __future__ import annotations

import os
import re

DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)\$")


def dollars_to_math(lines: list[str]) -> list[str]:
    text = "\n".join(lines)
    text = DISPLAY.sub(lambda m: "\n\n.. math::\n\n   " + " ".join(m.group(1).split()) + "\n\n", text)
    text = INLINE.sub(lambda m: f":math:`{m.group(1)}`", text)
    return text.split("\n")


def _process(app, what, name, obj, options, lines):
    lines[:] = dollars_to_math(lines)


def _student_build(app, config):
    if os.environ.get("STUDENT") == "1":
        config.hide_solutions = True


def setup(app):
    app.connect("autodoc-process-docstring", _process)
    app.connect("config-inited", _student_build)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
