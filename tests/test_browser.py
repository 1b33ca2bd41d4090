"""End to end: JupyterLab in headless Chromium runs the tour and diff notebooks; diagram and diff table show."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = PROJECT_ROOT / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own network chatter fails on this closed network; these flags keep it quiet and local.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    message = (
        "Chromium not found: run 'apt-get install -y chromium' (make test does it via scripts/install-system-deps)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on a free loopback port, serving a copy of notebooks/ (the originals stay as stored)."""
    _require_browser()
    workdir = tmp_path_factory.mktemp("lab")
    shutil.copytree(PROJECT_ROOT / "notebooks", workdir / "notebooks")
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["SCHEMA_TOOLS_PROJECT"] = str(PROJECT_ROOT)
    env["JUPYTER_CONFIG_DIR"] = str(workdir / "config")
    env["JUPYTER_RUNTIME_DIR"] = str(workdir / "runtime")
    # No "get notified about Jupyter news?" prompt over the page (and no request for it).
    settings = workdir / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    env["JUPYTERLAB_SETTINGS_DIR"] = str(workdir / "settings")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={workdir / 'notebooks'}",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.open_browser=False",
            "--allow-root",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("JupyterLab did not start") from None
                time.sleep(0.5)
        yield f"{base}|{token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def _run_notebook_in_browser(lab: str, notebook: str) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    base, token = lab.split("|")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/lab/tree/{notebook}?token={token}&reset", wait_until="domcontentloaded")
        page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function(
            "document.querySelector('.jp-Notebook') && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
            timeout=60_000,
        )
        page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        # Done when every code cell has a number and none is still queued or running ([*]).
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""",
            timeout=240_000,
        )
        page.wait_for_timeout(500)
        facts = page.evaluate(
            """() => ({
                svgs: [...document.querySelectorAll(
                        '.jp-OutputArea-output svg, .jp-OutputArea-output img[src^="data:image/svg+xml"]')]
                    .filter(s => s.getBoundingClientRect().width > 50).length,
                tables: [...document.querySelectorAll('.jp-OutputArea-output table.st-table')]
                    .filter(t => t.getBoundingClientRect().height > 0).length,
                tracebacks: [...document.querySelectorAll('.jp-OutputArea-output')]
                    .filter(o => /Traceback|Error:/.test(o.textContent)).length,
            })"""
        )
        page.screenshot(path=str(SCREENSHOTS / f"{Path(notebook).stem}.png"), full_page=False)
        browser.close()
    return facts


@pytest.mark.parametrize("notebook", ["01_schema_tour.ipynb", "02_diff.ipynb"])
def test_notebook_runs_in_jupyterlab_and_shows_diagrams_and_tables(jupyterlab: str, notebook: str) -> None:
    facts = _run_notebook_in_browser(jupyterlab, notebook)
    assert facts["tracebacks"] == 0, facts
    assert facts["svgs"] >= 1, facts
    assert facts["tables"] >= 1, facts
    assert (SCREENSHOTS / f"{Path(notebook).stem}.png").stat().st_size > 10_000
