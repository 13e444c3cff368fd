"""``python -m nnbasics_course COMMAND``: the course tooling's command line (see the package docstring)."""

import sys

from nnbasics_course import main

sys.exit(main())
