"""Course tooling for authors and instructors (not taught in a chapter; see the README).

A separate distribution (``tools/``), installed for development only: the ``nnbasics`` package
students install holds the taught library and nothing else. ``python -m nnbasics_course COMMAND``
is its command line (``--help`` lists the commands); the Makefile's targets call it.

What lives where, one job a module:

- `nnbasics_course.toc`: the table of contents (``_toc.yml``): its files and notebooks, the chapters
  with exercises (``EXERCISES``), and re-running notebooks in place (``notebooks``, ``execute``);
- `nnbasics_course.leaks`: an exercises notebook's solution and hidden-test markers, its secret
  lines, and finding them in a release;
- `nnbasics_course.site_check`: the checks of a built book (``check-site``);
- `nnbasics_course.release`: the student release with nbgrader and the instructor checks
  (``release``, ``verify``);
- `nnbasics_course.grading`: the autograder, one submission or a batch (``autograde``,
  ``feedback``), with its preflight; `nnbasics_course.sandbox`, the grading kernel's allow-list
  sandbox (bubblewrap); `nnbasics_course.screen`, the solution cells that reach for the grader,
  refused before they run; and `nnbasics_course.checks`, what it runs inside the grading kernel;
- `nnbasics_course.exports`: a batch's grades in Canvas's and Moodle's import formats
  (``export-grades``);
- `nnbasics_course.cli`: the command line (``__main__`` calls it);
- `nnbasics_course.student`: what a learner launches (the notebooks' install cell, the committed
  student copies of the exercises, ``make lab``);
- `nnbasics_course.nbval_tolerance`: the pytest plugin for declared tolerances under nbval;
- `nnbasics_course.mutation`: mutation testing of the training modules (``make mutation``).

Import from the module that does the job. The grading kernel imports `nnbasics_course.checks`, so
this file stays light.
"""

from __future__ import annotations

# tools/colab_check.sh and book/instructors.md import it from the package itself.
from .toc import toc_notebooks

__all__ = ["toc_notebooks"]
