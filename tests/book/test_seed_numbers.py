"""Every number of the Chinese source posts (issue 24) is reproduced in the book, by the library.

The numbers are read from the chapters' stored outputs (what nbval re-runs and compares), so a
change in the library or in a chapter that loses one of them fails here; the boxes' prose
("From the Chinese sources") must carry the source's own figure beside it. No browser needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# chapter -> the source's numbers, each as the chapter's code output prints it.
SEED_NUMBERS = {
    "optimizers": [
        "1 -> 0.990000 -> 0.971100",  # SGD momentum 0.9
        "1 -> 0.990000 -> 0.982965",  # AdaGrad
        "1 -> 0.968377 -> 0.945788",  # RMSprop alpha 0.9
        "1 -> 0.990000 -> 0.980003",  # Adam betas (0.9, 0.99)
        "StepLR(step_size=50, gamma=0.5)",
        "MultiStepLR([50, 125, 160], gamma=0.5)",
        "ExponentialLR(gamma=0.95)",
        "= momentum buffer",  # the momentum / EWMA bridge
    ],
    "losses": ["weights per example: [1.0, 2.0, 2.0]", "weighted total 1.821", "weighted mean 0.3642"],
    "conv": ["parameters: 2,800", "= 5,427,200", "parameters 1,792"],
    "networks": ["parameters: 60"],
    "gradient-descent": ["lr 0.1367", "lr 0.1250: factor per step |1 - 8 lr| = 0.000",
                         "iterations per epoch: 196", "1960"],
    "capstone": ["parameters: 397,510", "60,000 / 100 = 600"],
}
# Words the boxes' prose must say (source errors flagged, conventions named).
SEED_PROSE = {
    "conv": ["typo", "5,427,200", "2,800", "1,792"],
    "gradient-descent": ["0.136", "1/8 = 0.125"],
    "optimizers": ["0.982965", "0.968377 → 0.945788", "0.980003", "0.9711", "γ = 0.5", "0.95"],
    "losses": ["1.821 / 5 = 0.3642"],
    "capstone": ["98 %", "60,000", "4,000"],
    "networks": ["60"],
}
CHAPTERS = ["activations", "networks", "init", "losses", "gradient-descent", "optimizers",
            "regularization", "conv", "recurrent", "attention", "capstone"]


def cells(chapter: str) -> list[dict]:
    return json.loads((ROOT / "book" / chapter / f"{chapter}.ipynb").read_text(encoding="utf-8"))["cells"]


def text(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def outputs(chapter: str) -> str:
    out = []
    for cell in cells(chapter):
        for o in cell.get("outputs", []):
            if "text" in o:
                out.append("".join(o["text"]))
            elif "text/plain" in o.get("data", {}):
                out.append("".join(o["data"]["text/plain"]))
    return "\n".join(out)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_has_the_sources_box(chapter):
    boxes = [c for c in cells(chapter) if c["cell_type"] == "markdown" and "对照中文资料" in text(c)
             and "{admonition}" in text(c)]
    assert boxes, f"{chapter}: no 'From the Chinese sources' admonition"


@pytest.mark.parametrize("chapter", sorted(SEED_NUMBERS))
def test_source_numbers_are_reproduced_in_the_outputs(chapter):
    printed = outputs(chapter)
    missing = [n for n in SEED_NUMBERS[chapter] if n not in printed]
    assert not missing, f"{chapter}: the stored outputs lack {missing}"


@pytest.mark.parametrize("chapter", sorted(SEED_PROSE))
def test_boxes_quote_the_sources_numbers(chapter):
    prose = "\n".join(text(c) for c in cells(chapter)
                      if c["cell_type"] == "markdown" and "对照中文资料" in text(c))
    missing = [n for n in SEED_PROSE[chapter] if n not in prose]
    assert not missing, f"{chapter}: the box does not say {missing}"
