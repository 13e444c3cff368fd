#!/bin/bash
# Time every notebook of _toc.yml, top to bottom in a fresh kernel, without writing it back:
# wall, user and system seconds (the kernel's included), one tab-separated line per notebook.
#
#   tools/time_notebooks.sh [checkout] > times.tsv
#
# `checkout` defaults to this repository; give another worktree (git worktree add /tmp/old <rev>) to
# time an older commit with this repository's .venv (its src/ and tools/ come first on PYTHONPATH).
# Threads and seeds as `make execute` sets them. Run it on an otherwise idle machine.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "${1:-$here}" && pwd)
bin=$here/.venv/bin
export PYTHONPATH=$repo/src:$repo/tools TQDM_DISABLE=1 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 PYTHONHASHSEED=0
out=$(mktemp -d)
cd "$repo"
for nb in $("$bin/python" -m nnbasics_course notebooks); do
  (cd "$(dirname "$nb")" && /usr/bin/time -f "$nb\t%e\t%U\t%S" -o "$out/time" \
     "$bin/jupyter" nbconvert --execute --to notebook --output "$out/run.ipynb" \
     --ExecutePreprocessor.timeout=600 "$(basename "$nb")" > /dev/null 2> "$out/log") \
    && cat "$out/time" || echo -e "$nb\tFAILED"
done
rm -rf "$out"
