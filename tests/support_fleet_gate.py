"""Models that hold a Celery worker inside a check: the management models, imported only once a gate file exists.

Armed only where $SCHEMA_TOOLS_TEST_FLEET_GATE names a folder (the test's workers): importing this module leaves
`held-<worker>` there, then waits for `open`. Anywhere else it is the management models, at once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from management_server.models import Base

GATE_ENV = "SCHEMA_TOOLS_TEST_FLEET_GATE"
WORKER_ENV = "SCHEMA_TOOLS_TEST_WORKER"


def _wait_at_the_gate() -> None:
    folder = os.environ.get(GATE_ENV)
    if not folder:
        return
    gate = Path(folder)
    (gate / f"held-{os.environ.get(WORKER_ENV, os.getpid())}").touch()
    while not (gate / "open").exists():
        time.sleep(0.05)


_wait_at_the_gate()
metadata = Base.metadata
