"""How ``make browser`` shares these tests between its pytest-xdist workers (``--dist loadgroup``).

Each module's tests stay together on one worker, so a module's browser, server and page fixtures
start once; only opening each notebook in JupyterLab, the longest module by far, is shared out test
by test (each worker then starts its own JupyterLab).
"""

from __future__ import annotations

import pytest

SHARED_OUT = {"test_every_reference_resolves_in_jupyterlab"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if getattr(item, "originalname", item.name) not in SHARED_OUT:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
