"""``python -m nnbasics_course COMMAND``: the course tooling's command line (see `nnbasics_course.cli`)."""

import sys

from nnbasics_course.cli import main

sys.exit(main())
