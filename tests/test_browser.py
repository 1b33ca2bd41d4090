"""End to end in JupyterLab in headless Chromium at 1400×1000: all four notebooks run, their diagrams fit, the
explorer zooms, focuses and searches, and an untrusted notebook still shows an image for every diagram."""

from __future__ import annotations

import json
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
from typing import Any

import pytest

from schema_tools import erd
from schema_tools.settings import load_metadata

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = PROJECT_ROOT / "build" / "screenshots"
NOTEBOOKS = [
    "01_schema_tour.ipynb",
    "02_diff.ipynb",
    "03_draft_revision.ipynb",
    "04_migration_lab.ipynb",
    "05_fleet.ipynb",
]
VIEWPORT = {"width": 1400, "height": 1000}
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
# JupyterLab settings for a quiet, checkable page: no news prompt, no autosave (the stored copies stay untrusted
# and as committed), and every cell rendered (no windowing), so that every output can be measured.
LAB_SETTINGS = {
    "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "docmanager-extension/plugin": {"autosave": False},
    "notebook-extension/tracker": {"windowingMode": "none"},
}
DIAGRAMS = '.jp-OutputArea-output img[src^="data:image/svg+xml"], .jp-OutputArea-output .st-diagram-view'
SLOW = 120_000  # ms: generous, for a 2-core machine running other work


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
        return int(sock.getsockname()[1])


def _lab_environment(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["SCHEMA_TOOLS_PROJECT"] = str(PROJECT_ROOT)
    for name in ("CONFIG", "RUNTIME", "DATA"):  # a fresh data dir: no notebook is trusted from an earlier run
        env[f"JUPYTER_{name}_DIR"] = str(workdir / name.lower())
    for plugin, values in LAB_SETTINGS.items():
        folder, name = plugin.split("/")
        path = workdir / "settings" / "@jupyterlab" / folder / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env["JUPYTERLAB_SETTINGS_DIR"] = str(workdir / "settings")
    return env


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab on a free loopback port over copies of notebooks/: run/ to execute, stored/ to open untrusted."""
    _require_browser()
    workdir = tmp_path_factory.mktemp("lab")
    for folder in ("run", "stored"):
        shutil.copytree(PROJECT_ROOT / "notebooks", workdir / "root" / folder)
    port, token = _free_port(), secrets.token_hex(16)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={workdir / 'root'}",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.open_browser=False",
            "--allow-root",
        ],
        env=_lab_environment(workdir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
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


@pytest.fixture(scope="module")
def browser(jupyterlab: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


def _open(browser: Any, lab: str, path: str) -> Any:
    """A page with the notebook open, its cells rendered and its kernel started."""
    base, token = lab.split("|")
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{base}/lab/tree/{path}?token={token}&reset", wait_until="domcontentloaded")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=SLOW)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=SLOW)
    page.wait_for_function(
        "(() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel; })()",
        timeout=SLOW,
    )
    return page


_RAN: dict[str, Any] = {}


def _ran(browser: Any, lab: str, notebook: str) -> Any:
    """The notebook opened from run/ with every cell executed (once per module: later tests reuse the page)."""
    if notebook in _RAN:
        return _RAN[notebook]
    page = _open(browser, lab, f"run/{notebook}")
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # Done when every code cell has a number and none is still queued or running ([*]).
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=600_000,
    )
    # Widgets render after their cell finishes: wait until every explorer has drawn its diagram.
    page.wait_for_function(
        "[...document.querySelectorAll('.st-diagram-view')].every(v => v.dataset.scale && v.querySelector('svg'))",
        timeout=SLOW,
    )
    page.wait_for_timeout(500)
    _RAN[notebook] = page
    return page


# Each output area's own width is the limit: a diagram or output wider than it would be cut off or scroll.
MEASURE = """(selector) => {
    const outputs = [...document.querySelectorAll('.jp-OutputArea-output')];
    const cellOf = (node) => [...document.querySelectorAll('.jp-Cell')].indexOf(node.closest('.jp-Cell'));
    const diagrams = [...document.querySelectorAll(selector)].map((d) => {
        const box = d.getBoundingClientRect(), area = d.closest('.jp-OutputArea-output').getBoundingClientRect();
        return {cell: cellOf(d), left: box.left - area.left, right: area.right - box.right, width: box.width};
    });
    return {
        diagrams,
        overflowing: outputs.filter((o) => o.scrollWidth > o.clientWidth + 1)
            .map((o) => ({cell: cellOf(o), scroll: o.scrollWidth, client: o.clientWidth})),
        tables: [...document.querySelectorAll('.jp-OutputArea-output table')]
            .filter(t => t.getBoundingClientRect().height > 0).length,
        tracebacks: outputs.filter((o) => /Traceback|Error:/.test(o.textContent)).length,
    };
}"""


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_notebook_runs_and_its_diagrams_and_outputs_fit_the_page(
    browser: Any, jupyterlab: str, notebook: str
) -> None:
    page = _ran(browser, jupyterlab, notebook)
    facts = page.evaluate(MEASURE, DIAGRAMS)
    page.screenshot(path=str(SCREENSHOTS / f"{Path(notebook).stem}.png"))
    assert facts["tracebacks"] == 0, facts
    assert facts["overflowing"] == [], facts["overflowing"]
    for diagram in facts["diagrams"]:
        assert diagram["width"] > 50, diagram
        assert diagram["left"] >= -1 and diagram["right"] >= -1, diagram
    if notebook in ("01_schema_tour.ipynb", "02_diff.ipynb"):
        assert len(facts["diagrams"]) >= 2 and facts["tables"] >= 1, facts


def _explorer(page: Any) -> Any:
    explorer = page.locator(".jp-OutputArea-output:has(.st-diagram-view)").first
    explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
    return explorer


def _scale(explorer: Any) -> float:
    return float(explorer.locator(".st-diagram-view").get_attribute("data-scale"))


def _stage_width(explorer: Any) -> float:
    return float(explorer.locator(".st-diagram-stage svg").evaluate("s => s.getBoundingClientRect().width"))


def test_the_explorer_zooms_with_buttons_and_the_wheel(browser: Any, jupyterlab: str) -> None:
    page = _ran(browser, jupyterlab, "01_schema_tour.ipynb")
    explorer = _explorer(page)
    explorer.screenshot(path=str(SCREENSHOTS / "explorer.png"))
    fitted, width = _scale(explorer), _stage_width(explorer)
    assert 0 < fitted <= 1
    explorer.locator(".st-zoom-in").click()
    explorer.locator(".st-zoom-in").click()
    zoomed = _scale(explorer)
    assert zoomed == pytest.approx(fitted * 1.25**2, rel=1e-3)
    assert _stage_width(explorer) == pytest.approx(width * zoomed / fitted, rel=0.02)  # drawn larger, not just said
    view = explorer.locator(".st-diagram-view")
    box = view.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 400)
    page.wait_for_function(
        "(before) => Number(document.querySelector('.st-diagram-view').dataset.scale) < before", arg=zoomed
    )
    explorer.locator(".st-fit").click()
    whole, frame = explorer.locator(".st-diagram-stage svg").bounding_box(), view.bounding_box()
    assert frame["x"] - 1 <= whole["x"] and whole["x"] + whole["width"] <= frame["x"] + frame["width"] + 1
    assert frame["y"] - 1 <= whole["y"] and whole["y"] + whole["height"] <= frame["y"] + frame["height"] + 1
    explorer.locator(".st-fit-width").click()
    assert _scale(explorer) == pytest.approx(fitted, rel=1e-3)


def test_clicking_a_table_in_the_explorer_focuses_it_and_search_centres_a_column(browser: Any, jupyterlab: str) -> None:
    page = _ran(browser, jupyterlab, "01_schema_tour.ipynb")
    explorer = _explorer(page)
    names = "(v) => [...v.querySelectorAll('g.st-table > title')].map(t => t.textContent).sort()"
    view = explorer.locator(".st-diagram-view")
    everything = view.evaluate(names)
    bots = explorer.locator("g.st-table", has=page.locator("title", has_text="bots")).first
    box = bots.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 8)  # the table's header
    neighbours = sorted(erd(load_metadata(), focus="bots", depth=1).table_names)
    page.wait_for_function(
        f"(want) => JSON.stringify(({names})(document.querySelector('.st-diagram-view'))) === JSON.stringify(want)",
        arg=neighbours,
        timeout=SLOW,
    )
    assert len(neighbours) < len(everything)
    picked = explorer.locator(".widget-dropdown select").evaluate("s => s.selectedOptions[0].textContent")
    assert picked == "bots"
    search = explorer.locator(".st-search")
    search.fill("email")  # a column of users, a neighbour of bots
    search.press("Enter")
    found = explorer.locator("g.st-found")
    assert found.count() == 1, explorer.locator(".st-status").text_content()
    hit, frame = found.bounding_box(), view.bounding_box()
    assert abs(hit["x"] + hit["width"] / 2 - (frame["x"] + frame["width"] / 2)) < 2
    assert abs(hit["y"] + hit["height"] / 2 - (frame["y"] + frame["height"] / 2)) < 2


def test_the_diff_diagram_fits_the_output_width(browser: Any, jupyterlab: str) -> None:
    page = _ran(browser, jupyterlab, "02_diff.ipynb")
    image = page.locator('.jp-OutputArea-output img[src^="data:image/svg+xml"][alt*="; +"]').first
    image.scroll_into_view_if_needed()
    natural, shown = image.evaluate("i => [i.naturalWidth, i.getBoundingClientRect().width]")
    area = image.evaluate("i => i.closest('.jp-OutputArea-output').clientWidth")
    assert natural > area and shown <= area  # wider than the output at natural size: scaled down to fit
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 1900})  # the whole image in one screenshot
    image.evaluate("i => i.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    image.screenshot(path=str(SCREENSHOTS / "diff_diagram.png"))
    page.set_viewport_size(VIEWPORT)


def _stored_outputs(notebook: str) -> tuple[int, int]:
    """How many outputs the stored notebook holds, and how many of them are diagrams (they carry an SVG)."""
    cells = json.loads((PROJECT_ROOT / "notebooks" / notebook).read_text())["cells"]
    outputs = [output for cell in cells for output in cell.get("outputs", [])]
    return len(outputs), sum("image/svg+xml" in output.get("data", {}) for output in outputs)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_an_untrusted_notebook_shows_an_image_for_each_diagram(browser: Any, jupyterlab: str, notebook: str) -> None:
    page = _open(browser, jupyterlab, f"stored/{notebook}")
    outputs, diagrams = _stored_outputs(notebook)
    trusted = page.evaluate(
        "(() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells;"
        " return [...Array(cells.length).keys()].some(i => cells.get(i).trusted); })()"
    )
    assert not trusted
    # Every stored output rendered, and every image in them loaded (or failed), before counting.
    page.wait_for_function(
        """(n) => document.querySelectorAll('.jp-OutputArea-output').length >= n
            && [...document.querySelectorAll('.jp-OutputArea-output img')].every(i => i.complete)""",
        arg=outputs,
        timeout=SLOW,
    )
    shown = page.evaluate(
        """() => [...document.querySelectorAll('.jp-OutputArea-output')]
            .filter(o => [...o.querySelectorAll('img')].some(i => i.naturalWidth > 0)).length"""
    )
    if page.locator(".jp-OutputArea-output img").count():
        page.locator(".jp-OutputArea-output img").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"{Path(notebook).stem}_untrusted.png"))
    page.close()
    assert shown == diagrams, f"{shown} of {diagrams} stored diagrams show an image in the untrusted notebook"
