"""Settings for every test run, notebooks included: backup names carry a time, so pin the clock they read."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # nbval's kernels inherit this, so the notebooks' stored outputs name the same backups on every run
    # (scripts/run_notebooks.py uses the same value when it writes them).
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
