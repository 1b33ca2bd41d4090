"""The notebooks: thin, with clean stored outputs, and the diff notebook also runs against PostgreSQL."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
import sqlalchemy as sa
from nbclient import NotebookClient
from sqlalchemy.pool import NullPool

from tests.support_project import upgrade_database

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
PASSWORD_IN_URL = re.compile(r"[a-z0-9+]+://[^:/@\s\"']+:(?!\*\*\*@)[^@\s\"'/]+@", re.IGNORECASE)
MACHINE_PATH = re.compile(r"(?<![\w.])/(tmp|root|home|work|var|usr|opt)/")


def outputs_text(path: Path) -> str:
    notebook = json.loads(path.read_text())
    return json.dumps([cell.get("outputs", []) for cell in notebook["cells"]])


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_hold_no_password_and_no_machine_path(path: Path) -> None:
    text = outputs_text(path)
    assert not PASSWORD_IN_URL.search(text), PASSWORD_IN_URL.search(text)
    assert not MACHINE_PATH.search(text), MACHINE_PATH.search(text)
    assert '"output_type": "error"' not in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_cells_stay_thin(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["parameters"]
    for cell in code:
        assert len(cell.source.splitlines()) <= 8, cell.source
        assert "def " not in cell.source and "class " not in cell.source


def _run_all(url: sa.URL) -> list[str]:
    """Execute every notebook with DATABASE_URL set to `url`; their outputs as text, one per notebook."""
    texts = []
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
    try:
        for path in NOTEBOOKS:
            notebook = nbformat.read(path, as_version=4)
            NotebookClient(
                notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
            ).execute()
            texts.append(json.dumps([cell.get("outputs", []) for cell in notebook.cells]))
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
    return texts


def test_every_notebook_runs_on_postgresql_without_showing_the_password(postgres_url: sa.URL) -> None:
    secret = "nb-s3cret:pw@x"
    admin = sa.create_engine(postgres_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("DROP ROLE IF EXISTS st_nb_role")
        connection.exec_driver_sql("CREATE ROLE st_nb_role LOGIN SUPERUSER PASSWORD 'nb-s3cret:pw@x'")
    url = postgres_url.set(username="st_nb_role", password=secret)
    upgrade_database(url)
    try:
        texts = _run_all(url)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql("REASSIGN OWNED BY st_nb_role TO CURRENT_USER")
            connection.exec_driver_sql("DROP OWNED BY st_nb_role")
            connection.exec_driver_sql("DROP ROLE IF EXISTS st_nb_role")
        admin.dispose()
    for path, text in zip(NOTEBOOKS, texts, strict=True):
        assert '"output_type": "error"' not in text, path.name
        assert secret not in text and "s3cret" not in text, path.name
    assert all("postgresql" in text for text in texts[:2]) and "***" in texts[1]


def test_every_notebook_runs_on_mariadb(mysql_url: sa.URL) -> None:
    upgrade_database(mysql_url)
    for path, text in zip(NOTEBOOKS, _run_all(mysql_url), strict=True):
        assert '"output_type": "error"' not in text, path.name
        assert "mysql" in text, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_with_their_outputs(path: Path) -> None:
    """nbval compares stored outputs: a notebook saved without them would pass without checking anything."""
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    with_outputs = [cell for cell in code if cell.outputs]
    assert len(with_outputs) * 2 >= len(code), f"{len(with_outputs)} of {len(code)} code cells have outputs"


FLEET_NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05_fleet.ipynb"
NO_FREQTRADE = "no ../shared/freqtrade here"


def _compared(outputs: list[Any]) -> list[str]:
    """What nbval compares of a cell, minus diagrams (their SVG is masked): the text and the HTML tables."""
    shown = []
    for output in outputs:
        data = output.get("data", {})
        shown += [data[kind] for kind in ("text/plain", "text/html") if kind in data and "<svg" not in data[kind]]
        shown += [output["text"]] if "text" in output else []
    return shown


def test_the_fleet_notebook_runs_without_the_freqtrade_data_with_the_same_compared_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone has no ../shared/freqtrade: its cells say so (nbval skips them), every other output is the
    stored one; the stored notebook itself shows the Freqtrade bots' matrix."""
    monkeypatch.setenv("FREQTRADE_DATA", str(tmp_path / "missing"))
    monkeypatch.setenv("SCHEMA_TOOLS_FRESH_DATABASE", "1")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    stored = nbformat.read(FLEET_NOTEBOOK, as_version=4)
    ran = nbformat.read(FLEET_NOTEBOOK, as_version=4)
    NotebookClient(
        ran, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(FLEET_NOTEBOOK.parent)}}
    ).execute()
    code = [(a, b) for a, b in zip(stored.cells, ran.cells, strict=True) if a.cell_type == "code"]
    freqtrade = [(a, b) for a, b in code if "nbval-ignore-output" in a.metadata.get("tags", [])]
    assert len(freqtrade) == 2
    for before, after in freqtrade:
        assert NO_FREQTRADE in json.dumps(after.outputs) and NO_FREQTRADE not in json.dumps(before.outputs)
    assert "stale-2022" in json.dumps(freqtrade[0][0].outputs) and "bot-2024.10" in json.dumps(freqtrade[0][0].outputs)
    for before, after in code:
        if (before, after) not in freqtrade:
            assert _compared(after.outputs) == _compared(before.outputs), before.source
