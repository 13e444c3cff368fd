#!/usr/bin/env bash
# The Colab path, as closely as a machine without Colab allows (issue 19 item 4).
#
# A separate venv with an older torch as Colab ships it (PyPI's CUDA wheel; it runs on the CPU
# here) and Colab's preinstalled packages at recent versions; no nnbasics in it. Each notebook then
# runs top to bottom like a learner's Colab session: a new kernel in an empty directory (Colab's
# /content has no checkout), nnbasics and the small extras uninstalled first, so the notebook's own
# launch cell installs the course with --no-deps from a copy of this checkout (NNBASICS_SOURCE)
# and the extras by name from the package index, keeping the venv's torch.
#
# Usage: tools/colab_check.sh [book/x/x.ipynb ...]    (default: every chapter notebook, then the
#        exercises). Environment: TORCH (default 2.9.1), VENV (default /tmp/colab-venv),
#        WORK (default /tmp/colab-check). Results: $WORK/results.tsv; exit status 1 if one failed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TORCH=${TORCH:-2.9.1}
VENV=${VENV:-/tmp/colab-venv}
WORK=${WORK:-/tmp/colab-check}
PY=$VENV/bin/python

if [ ! -x "$PY" ]; then
    python3.11 -m venv "$VENV"
    # Colab's pip, setuptools and wheel are recent, so the launch cell builds the course with them
    # (--no-build-isolation, offline); a bare venv's setuptools 65 without wheel cannot, and the
    # cell then falls back to pip's isolated build (which fetches setuptools from the index)
    nice -n 10 "$VENV/bin/pip" install --quiet --upgrade pip setuptools wheel
    nice -n 10 "$VENV/bin/pip" install --quiet "torch==$TORCH"
    nice -n 10 "$VENV/bin/pip" install --quiet numpy matplotlib ipywidgets ipykernel ipython nbclient \
        nbformat scikit-learn scipy pandas tqdm pyyaml
fi
"$PY" -c "import sys, torch; v = torch.__version__.split('+')[0]; \
sys.exit(0 if v == '$TORCH' else f'{sys.argv[0]}: the venv has torch {v}, not $TORCH')"

# The course's sources, copied: building them leaves nothing in the checkout.
rm -rf "$WORK/source" && mkdir -p "$WORK/source"
cp "$ROOT/pyproject.toml" "$ROOT/README.md" "$ROOT/LICENSE" "$WORK/source/"
cp -r "$ROOT/src" "$WORK/source/src"
find "$WORK/source" \( -name __pycache__ -o -name '*.egg-info' \) -prune -exec rm -rf {} +

# A kernel running the venv's python, found through JUPYTER_PATH only.
mkdir -p "$WORK/jupyter/kernels/colab"
cat > "$WORK/jupyter/kernels/colab/kernel.json" <<EOF
{"argv": ["$PY", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
 "display_name": "colab-like (torch $TORCH)", "language": "python"}
EOF

if [ $# -eq 0 ]; then
    mapfile -t NOTEBOOKS < <(cd "$ROOT" && PYTHONPATH=tools "$PY" -c "
from pathlib import Path
from nnbasics_course import toc_notebooks
nbs = [str(p) for p in toc_notebooks(Path('.'))]
print('\\n'.join([n for n in nbs if not n.endswith('exercises.ipynb')]
                + [n for n in nbs if n.endswith('exercises.ipynb')]))")
else
    NOTEBOOKS=("$@")
fi

cd "$ROOT"
JUPYTER_PATH="$WORK/jupyter" NNBASICS_SOURCE="$WORK/source" TQDM_DISABLE=1 \
    nice -n 10 "$PY" - "$WORK" "${NOTEBOOKS[@]}" <<'EOF'
import subprocess, sys, time
from pathlib import Path

import nbformat
import torch
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

work, notebooks = Path(sys.argv[1]), sys.argv[2:]
results = []
for name in notebooks:
    # a new Colab session: none of the course's packages, an empty working directory
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes",
                    "nnbasics", "mnist1d", "mlxtend", "torchinfo"], check=True, capture_output=True)
    content = work / "content" / name.replace("/", "_").removesuffix(".ipynb")
    content.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(name, as_version=4)
    start = time.monotonic()
    try:
        NotebookClient(nb, timeout=1800, kernel_name="colab", allow_errors=False,
                       resources={"metadata": {"path": str(content)}}).execute()
        status = "ran"
    except CellExecutionError as err:
        cell = next(i for i, c in enumerate(nb.cells)
                    if any(o.get("output_type") == "error" for o in c.get("outputs", [])))
        last = str(err).strip().splitlines()[-1]
        status = f"FAILED cell {cell}: {last}"
    except Exception as err:  # noqa: BLE001 (a timeout, a dead kernel: report and go on)
        status = f"FAILED: {type(err).__name__}: {err}"
    seconds = time.monotonic() - start
    nbformat.write(nb, content / Path(name).name)  # the executed copy, for inspection
    results.append((name, status, seconds))
    print(f"{name}\t{status}\t{seconds:.0f} s", flush=True)

(work / "results.tsv").write_text(f"# torch {torch.__version__}\n"
                                  + "".join(f"{n}\t{s}\t{t:.0f}\n" for n, s, t in results))
sys.exit(any(s != "ran" for _, s, _ in results))
EOF
