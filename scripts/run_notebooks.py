"""Re-execute the notebooks in place so their stored outputs are fresh and deterministic (`make notebooks`)."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOK_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z; tests/conftest.py sets the same for nbval
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def strip_widget_views(notebook: nbformat.NotebookNode) -> None:
    """Keep a widget's static diagram, not its view: the view names a random model id, and stored widget
    state would churn on every run (schema_tools.drawing.widget.with_static puts the image beside the view)."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)


def run(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        record_timing=False,  # no timestamps in the committed files
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    strip_widget_views(notebook)
    for index, cell in enumerate(notebook.cells):
        cell.metadata.pop("execution", None)
        # Cell ids from the position, not nbformat's random ones: a new cell changes no other cell's id.
        cell["id"] = hashlib.sha1(f"{path.stem}:{index}:{cell.cell_type}".encode()).hexdigest()[:8]
    nbformat.write(notebook, path)
    print(f"executed {path.name}", file=sys.stderr)


def main(argv: list[str]) -> int:
    # The stored outputs describe the embedded database's scratch copy, never a URL from this shell.
    os.environ.pop("DATABASE_URL", None)
    os.environ["SCHEMA_TOOLS_FRESH_DATABASE"] = "1"
    os.environ["SOURCE_DATE_EPOCH"] = NOTEBOOK_EPOCH  # backup names carry a time: the same one every run
    paths = [Path(arg) for arg in argv] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        run(path.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
