# nnbasics: the two commands are `make book` and `make test` (see README.md).
# Every target creates the virtual environment on first use, from the pinned lock.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(BIN):$(PATH)
# The same numbers on every run: fixed hashing, fixed thread counts, no progress bars in outputs.
export PYTHONHASHSEED := 0
export OMP_NUM_THREADS := 2
export MKL_NUM_THREADS := 2
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# nbgrader and jupyter keep their runtime files inside the build folder, not in $HOME.
export JUPYTER_RUNTIME_DIR := $(CURDIR)/_build/jupyter-runtime
export MPLCONFIGDIR := $(CURDIR)/_build/matplotlib

COURSE := $(BIN)/python -m nnbasics_course
# `make book STUDENT=1`: a student-facing build, with every solution removed (see book/_ext).
STUDENT ?=
export STUDENT
JB_FLAGS := -W -n --keep-going -q
TIME = TIMEFORMAT="  [$@: $(1) took %1Rs]"; time

.PHONY: help book lab lab-instructor launch-check test lane-other-cpu lane-learner lint unit nbval nbval-learner nbval-other-cpu book-checks build-check browser instructor-check execute release autograde feedback lock clean figures mutation hub-check hub-lock grades-export sandbox-tool vendor-vega

help:
	@echo "make book      build the book (creates .venv on first use); prints where the HTML is"
	@echo "make lab       open the course in JupyterLab (exercises: the student versions)"
	@echo "make lab-instructor   instructors: open the course with the exercises' solutions"
	@echo "make test      run every test (what .ci/run calls)"
	@echo "make execute   re-run every notebook in place and store its outputs (after a change)"
	@echo "make release   instructors: generate the student release of the exercises"
	@echo "make autograde SUBMISSIONS=dir [GRADES=grades.csv]   grade a folder of submissions"
	@echo "make feedback [BATCH=_build/grading/<time>] [SHOW_HIDDEN=1]   one HTML per student and chapter"
	@echo "make grades-export TO=canvas|moodle ROSTER=roster.csv [BATCH=dir or grades.csv] [OUT=file.csv]   grades for an LMS"
	@echo "make lock      regenerate requirements.txt from requirements.in"
	@echo "make mutation  mutation testing of the training modules (minutes; not part of make test)"
	@echo "make hub-check  a real local JupyterHub: launch button, nbgitpuller, run, nbgrader exchange, grade (minutes; not part of make test)"
	@echo "make hub-lock   regenerate tools/hub/requirements.txt and package-lock.json (the hub's own pins)"
	@echo "make vendor-vega  copy Vega, Vega-Lite and Vega-Embed (tools/vega's npm lock) into book/_static/vega"

$(STAMP): requirements.txt pyproject.toml tools/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . -e tools
	@touch $@

book: $(STAMP)
	@rm -rf _build/html _build/.doctrees  # a full build: the STUDENT setting changes every page
	@$(call TIME,jupyter-book build) $(BIN)/jupyter-book build . $(JB_FLAGS)
	@$(COURSE) check-site _build/html $(if $(filter 1,$(STUDENT)),--student)
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# Learners: the chapters from book/, the exercises as their student release (no solution).
lab: $(STAMP)
	$(BIN)/python -m nnbasics_course.student lab _build/lab
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) _build/lab/

lab-instructor: $(STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) book/

# Two lanes side by side, one per core: nbval's second CPU path, then the unit tests; beside them
# nbval's first path (its threads passive), then the launch check, the build, the browser tests and
# the instructor checks. Each lane's output is printed when it ends. (Other arrangements, and what
# each took: book/performance.md.)
test: lint sandbox-tool
	@$(MAKE) --no-print-directory -j2 --output-sync=target lane-other-cpu lane-learner
	@echo "make test: all checks passed"

lane-other-cpu:
	@$(MAKE) --no-print-directory -j1 nbval-other-cpu unit
lane-learner:
	@$(MAKE) --no-print-directory -j1 nbval-learner book-checks NBVAL_WAIT=PASSIVE

book-checks:
	@$(MAKE) --no-print-directory -j1 launch-check browser instructor-check

lint: $(STAMP)
	@$(call TIME,ruff) $(BIN)/ruff check src tests tools
	@$(call TIME,workflow schema) $(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

# Both cores, through pytest-xdist: JOBS workers, each on one thread (two workers of two threads
# each would spin against each other on two cores). Unit tests are shared out one by one.
JOBS ?= 2
ONE_THREAD := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
unit: $(STAMP) sandbox-tool
	@$(call TIME,pytest tests) $(ONE_THREAD) $(BIN)/pytest -q -p no:cacheprovider -n $(JOBS) --dist load \
		--ignore=tests/book tests

# Every notebook re-run and compared with its stored outputs, twice: as a learner's machine runs it,
# and again down another CPU path (no AVX kernels in torch, MKL, oneDNN or numpy: other float sums;
# NumPy and BLAS on one thread, torch on the two every notebook fixes with nnbasics.reproducible),
# so a number that only reproduces on this CPU fails here, not on a learner's laptop.
# A cell may declare a tolerance for its numbers (nnbasics_course.nbval_tolerance).
NBVAL = TQDM_DISABLE=1 $(BIN)/pytest -q -p no:cacheprovider -p nnbasics_course.nbval_tolerance \
	--nbval --nbval-current-env --nbval-sanitize-with book/sanitize.cfg -o testpaths=
OTHER_CPU := ATEN_CPU_CAPABILITY=default NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" \
	MKL_CBWR=COMPATIBLE ONEDNN_MAX_CPU_ISA=SSE41 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# The notebooks set torch to two threads (nnbasics.reproducible), so each path runs them one at a
# time. `make test` runs each path beside other checks: there its threads sleep as soon as they
# are idle (OMP_WAIT_POLICY=PASSIVE), instead of spinning for milliseconds against the other work
# (two runs side by side, spinning, took over 6 times as long as one after the other). The wait
# policy changes when threads sleep, not what they compute.
nbval: nbval-learner nbval-other-cpu
# NBVAL_WAIT=PASSIVE: idle threads sleep at once (`make test` runs the other lane beside this).
NBVAL_WAIT ?=
nbval-learner: $(STAMP)
	@$(call TIME,pytest --nbval) $(if $(NBVAL_WAIT),OMP_WAIT_POLICY=$(NBVAL_WAIT)) $(NBVAL) $$($(COURSE) notebooks)
nbval-other-cpu: $(STAMP)
	@$(call TIME,pytest --nbval on another CPU path) $(OTHER_CPU) OMP_WAIT_POLICY=PASSIVE $(NBVAL) \
		$$($(COURSE) notebooks)

build-check: export STUDENT :=
build-check: $(STAMP)
	@rm -rf _build/html _build/.doctrees
	@$(call TIME,jupyter-book build) $(BIN)/jupyter-book build . $(JB_FLAGS)
	@$(COURSE) check-site _build/html

# The built book in headless Chromium (Debian's package, installed here when missing and root).
# loadfile: each test file on one worker, so its browser and its page survey start once. (loadgroup's
# marks are ignored under pytest 9.2: pytest-xdist issue 1386; every test was its own unit.)
browser: build-check
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; } \
		|| echo "chromium is missing and cannot be installed here: the browser tests will say so"
	@$(call TIME,pytest tests/book) $(BIN)/pytest -q -p no:cacheprovider -n $(JOBS) --dist loadfile tests/book

# The grading kernel's sandbox (book/instructors.md): Debian's bubblewrap, installed here when missing and root.
sandbox-tool:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }; } \
		|| echo "bubblewrap is missing and cannot be installed here: grading runs without its sandbox"

# The launch buttons' path without network: every notebook in a fresh venv without nnbasics.
launch-check: $(STAMP)
	@$(call TIME,fresh-kernel notebooks) NNBASICS_LAUNCH_CHECK=1 $(BIN)/pytest -q -p no:cacheprovider \
		-n $(JOBS) --dist load tests/tools/test_launch.py -k "fresh or launch_cell"

instructor-check: $(STAMP) sandbox-tool
	@$(call TIME,release and autograde) $(COURSE) verify

execute: $(STAMP)
	TQDM_DISABLE=1 $(COURSE) execute $(NOTEBOOKS)

release: $(STAMP)
	$(COURSE) release

autograde: $(STAMP) sandbox-tool
	@test -n "$(SUBMISSIONS)" || { echo "usage: make autograde SUBMISSIONS=dir [GRADES=grades.csv]"; exit 2; }
	$(COURSE) autograde "$(SUBMISSIONS)" --grades "$(or $(GRADES),grades.csv)" $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(CELL_TIMEOUT),--cell-timeout $(CELL_TIMEOUT)) $(if $(TOTAL_TIMEOUT),--total-timeout $(TOTAL_TIMEOUT))

# Feedback pages of a batch (default: the latest in _build/grading/), hidden tests' source left out.
feedback: $(STAMP)
	$(COURSE) feedback $(BATCH) $(if $(filter 1,$(SHOW_HIDDEN)),--show-hidden)

# A batch's grades (default: the latest) in Canvas's or Moodle's import format (book/instructors.md).
grades-export: $(STAMP)
	@test -n "$(TO)" -a -n "$(ROSTER)" || { echo "usage: make grades-export TO=canvas|moodle ROSTER=roster.csv \
[BATCH=_build/grading/<time> or grades.csv] [OUT=grades-<TO>.csv] [ID_COLUMN='Email address']"; exit 2; }
	$(COURSE) export-grades $(if $(BATCH),"$(BATCH)") --to "$(TO)" --roster "$(ROSTER)" \
		--out "$(or $(OUT),grades-$(TO).csv)" $(if $(ID_COLUMN),--id-column "$(ID_COLUMN)")

lock:
	rm -rf _build/lockenv
	$(PYTHON) -m venv _build/lockenv
	_build/lockenv/bin/python -m pip install --quiet -r requirements.in
	{ echo "# Full lock of every package, generated by 'make lock' from requirements.in. Do not edit."; \
	  _build/lockenv/bin/python -m pip freeze --all --exclude-editable \
	  | grep -v '^pip==' | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > requirements.txt
	rm -rf _build/lockenv
	$(MAKE) binder/requirements.txt

# Binder's environment is the lock with the CPU build of torch (tests/tools/test_launch.py checks it).
binder/requirements.txt: requirements.txt
	{ echo "# Binder's environment: the course's lock (requirements.txt), with the CPU build of torch."; \
	  echo "# Generated from requirements.txt; tests/tools/test_launch.py checks the two agree."; \
	  echo "--extra-index-url https://download.pytorch.org/whl/cpu"; \
	  grep -v -e '^#' -e '^-' -e '^$$' requirements.txt | sed 's/^torch==\(.*\)$$/torch==\1+cpu/'; } > $@

# JupyterHub, end to end (book/instructors.md, "A class on JupyterHub"): a real hub on 127.0.0.1 from
# its own lock (tools/hub/requirements.txt, package-lock.json), in _build/hub; the kernels are .venv's.
HUB := _build/hub
HUB_STAMP := $(HUB)/.installed
$(HUB_STAMP): tools/hub/requirements.txt tools/hub/package.json tools/hub/package-lock.json
	@mkdir -p $(HUB)
	@test -x $(HUB)/venv/bin/python || $(PYTHON) -m venv $(HUB)/venv
	$(HUB)/venv/bin/python -m pip install --quiet --disable-pip-version-check -r tools/hub/requirements.txt
	cp tools/hub/package.json tools/hub/package-lock.json $(HUB)/
	cd $(HUB) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

hub-check: $(STAMP) $(HUB_STAMP)
	@$(call TIME,hub check) $(BIN)/python tools/hub/hub_check.py --hub-venv $(HUB)/venv \
		--proxy $(HUB)/node_modules/.bin/configurable-http-proxy

hub-lock:
	rm -rf _build/hublock
	$(PYTHON) -m venv _build/hublock
	_build/hublock/bin/python -m pip install --quiet -r tools/hub/requirements.in
	{ echo "# Full lock of the local JupyterHub of 'make hub-check', generated by 'make hub-lock' from"; \
	  echo "# tools/hub/requirements.in. Do not edit."; \
	  _build/hublock/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip=='; } > tools/hub/requirements.txt
	rm -rf _build/hublock
	cd tools/hub && npm install --package-lock-only --no-audit --no-fund --loglevel=error

# Mutation testing (book/performance.md, "Mutation testing"): every mutant of gradcheck, training, optim,
# lr_scheduler and regularization against that module's own tests; fails below 90 % killed.
mutation: $(STAMP)
	@$(call TIME,mutation testing) nice -n 15 $(BIN)/python -m nnbasics_course.mutation $(MODULES)

# The explorers' charting scripts, served from the book (book/_static/vega; committed, so that
# building the book needs no npm): installed from tools/vega/package-lock.json, their builds copied.
VEGA_BUILDS := vega/build/vega.min.js vega-lite/build/vega-lite.min.js vega-embed/build/vega-embed.min.js
vendor-vega:
	cd tools/vega && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p book/_static/vega
	for f in $(VEGA_BUILDS); do cp tools/vega/node_modules/$$f book/_static/vega/; done
	for p in vega vega-lite vega-embed; do cd tools/vega/node_modules/$$p && \
	  node -p "p=require('./package.json'); p.name+' '+p.version+', '+p.license+' licence, '+(p.homepage || 'https://vega.github.io/vega/')" && cd - >/dev/null; \
	  done > book/_static/vega/VERSIONS

# The book's conceptual diagrams (book/figures/*.svg), redrawn from book/figures/make_figures.py.
figures: $(STAMP)
	$(BIN)/python book/figures/make_figures.py

clean:
	rm -rf _build

# JupyterLab resolves {term} and {ref} only within a notebook: each notebook that links terms, or labels
# of another notebook, ends with their entries, generated from book/glossary.md and the labels' notebooks
# (nnbasics_course.glossary; removed from the book; tests/book checks them).
.PHONY: glossary
glossary: $(STAMP)
	$(BIN)/python -m nnbasics_course.glossary
