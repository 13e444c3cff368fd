"""Exercises pages launch the student release: their Binder/JupyterHub/Colab links open
``student/<chapter>/exercises.ipynb`` (no solution, no hidden test), not the instructor's source."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

EXERCISES_PAGE = re.compile(r"^book/(?P<chapter>.+)/exercises$")


def student_launch_links(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Point the launch buttons of ``book/<chapter>/exercises`` at ``student/<chapter>/``."""
    match = EXERCISES_PAGE.match(pagename)
    if not match:
        return
    chapter = match["chapter"]
    source, student = f"book/{chapter}/exercises.ipynb", f"student/{chapter}/exercises.ipynb"
    pairs = [(source, student), (quote(source, safe=""), quote(student, safe=""))]
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            url = button.get("url", "")
            for old, new in pairs:
                url = url.replace(old, new)
            button["url"] = url


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", student_launch_links, priority=502)  # after the theme's (501)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
