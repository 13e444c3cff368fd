"""What the book shows of a notebook's stored outputs (issue 17): no frozen progress bar.

The chapters' long loops show a ``tqdm.auto`` bar to a reader who runs them; ``execute`` stores
outputs with bars switched off, so the published page never shows a bar stuck at ``0%``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nnbasics_course.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[2]
BAR = re.compile(r"\d+%\|")  # tqdm's "  0%|          | 0/12 [00:00<?, ?it/s]"


def stored_texts(cell: dict) -> list[str]:
    """Every text a cell's stored outputs carry: streams, plain-text reprs, HTML."""
    texts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            texts.append("".join(out["text"]))
        for value in out.get("data", {}).values():
            texts.append(value if isinstance(value, str) else json.dumps(value))
    return texts


def test_bar_pattern_matches_a_tqdm_line_and_not_a_percentage():
    assert BAR.search("runs:   0%|          | 0/12 [00:00<?, ?it/s]")
    assert BAR.search("epochs: 100%|##########| 30/30 [00:01<00:00, 25.1it/s]")
    assert not BAR.search("test accuracy 75.4%, inactive 17% -> 20%")


@pytest.mark.parametrize("path", toc_notebooks(ROOT), ids=lambda p: p.relative_to(ROOT / "book").as_posix())
def test_no_stored_output_shows_a_progress_bar(path):
    nb = json.loads(path.read_text())
    bars = [i for i, cell in enumerate(nb["cells"]) if any(BAR.search(t) for t in stored_texts(cell))]
    assert not bars, f"cells {bars} store a progress bar: re-store outputs with `make execute`"


@pytest.mark.parametrize("path", toc_notebooks(ROOT), ids=lambda p: p.relative_to(ROOT / "book").as_posix())
def test_every_stored_image_has_alt_text_where_myst_nb_reads_it(path):
    """myst-nb reads a figure's alt text from ``metadata.mystnb.image.alt`` only; an ``image`` key
    beside ``mystnb`` is ignored, and the page's check-site step fails on the build (CI, stop 43)."""
    nb = json.loads(path.read_text())
    missing = [
        i for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code"
        and any(key.startswith("image/") for out in cell.get("outputs", []) for key in out.get("data", {}))
        and not cell["metadata"].get("mystnb", {}).get("image", {}).get("alt")
    ]
    assert not missing, f"cells {missing} store an image without mystnb.image.alt"
