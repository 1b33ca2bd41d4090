"""What every result shows: plain tables when piped and drawn in colour on a terminal, and the notebook views
(error boxes with a copyable fix, the head graph, DiffSession runs, code with a copy button, the write preview,
roundtrip progress) with exactly what they must contain."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa
from nbclient import NotebookClient

from schema_tools import DiffSession, SchemaToolsError, branch, draft, heads, history, merge, roundtrip, upgrade
from schema_tools.cli import main
from schema_tools.display import badge, text_table
from schema_tools.progress import steps
from schema_tools.scratch import scratch_project
from schema_tools.sources import copy_metadata
from schema_tools.write_preview import preview_write, stable_name

ADDRESS = re.compile(r" at 0x[0-9a-f]+")
ANSI = "\x1b["


class _Terminal(io.StringIO):
    """A stream that says it is a terminal, as a person's shell is."""

    def isatty(self) -> bool:
        return True


def _at_head(url: sa.URL) -> sa.URL:
    upgrade(url)
    return url


# -- terminal output ----------------------------------------------------------------------------------------------


def test_piped_tables_are_plain_ascii_columns_two_spaces_apart() -> None:
    table = text_table(("table", "risk", "why"), [("bots", "may-fail", None), ("users_long", "safe", "x")])
    assert table == (
        "table       risk      why\n----------  --------  ---\nbots        may-fail\nusers_long  safe      x"
    )


def test_cell_text_is_never_read_as_markup() -> None:
    assert text_table(("a",), [("[bold]x[/bold] :smile:",)]).splitlines()[2] == "[bold]x[/bold] :smile:"


def test_a_terminal_gets_a_drawn_table_with_risks_in_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr("sys.stdout", _Terminal())
    drawn = text_table(("table", "risk"), [("bots", "data-loss")])
    assert ANSI in drawn and "data-loss" in drawn and "─" in drawn


def test_no_color_turns_the_terminal_colour_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr("sys.stdout", _Terminal())
    drawn = text_table(("table", "risk"), [("bots", "data-loss")])
    assert ANSI not in drawn and "data-loss" in drawn


def test_cli_json_is_byte_identical_on_a_terminal_and_piped(
    sqlite_url: sa.URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    upgrade(sqlite_url, "2aefc3d92de3")
    url = sqlite_url.render_as_string(hide_password=False)
    assert main(["diff", "--url", url, "--format", "json"]) == 1
    piped = capsys.readouterr().out
    terminal = _Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    assert main(["diff", "--url", url, "--format", "json"]) == 1
    assert terminal.getvalue() == piped and json.loads(piped)["changes"]


def test_cli_text_piped_has_no_escape_codes(sqlite_url: sa.URL, capsys: pytest.CaptureFixture[str]) -> None:
    upgrade(sqlite_url, "2aefc3d92de3")
    assert main(["diff", "--url", sqlite_url.render_as_string(hide_password=False)]) == 1
    out = capsys.readouterr().out
    assert ANSI not in out and out.isascii() and "\n-----" in out


# -- errors -------------------------------------------------------------------------------------------------------


def test_an_error_shows_what_why_and_the_fix_as_a_copyable_command(sqlite_url: sa.URL) -> None:
    project = scratch_project()
    branch("a parallel change", "head-1", config=project, rev_id="b7a1c0ffee01")
    with pytest.raises(SchemaToolsError) as caught:
        draft(copy_metadata(), _at_head(sqlite_url), "x").write(project)
    box = caught.value._repr_html_()
    command = f"alembic merge -m &quot;merge heads&quot; {' '.join(sorted(heads(config=project)))}"
    assert f'data-copy="{command}"' in box and "navigator.clipboard" in box
    assert "why: The scripts have more than one head" in box  # the error class's meaning
    assert "fix: merge them first with" in box and not ADDRESS.search(box)


# -- history, heads, merges ---------------------------------------------------------------------------------------


def test_two_heads_show_the_graph_and_the_merge_command() -> None:
    project = scratch_project()
    branch("a parallel change", "head-1", config=project, rev_id="b7a1c0ffee01")
    found = heads(config=project)
    assert found == tuple(sorted(found)) and len(found) == 2  # still a tuple
    shown = found._repr_html_()
    assert "2 heads: " + ", ".join(found) in shown and "alembic merge -m &quot;merge heads&quot;" in shown
    assert "<svg" in shown and "b7a1c0ffee01" in shown and not ADDRESS.search(shown)


def test_a_merge_without_a_message_reads_merge_of_its_parents_and_long_messages_get_an_ellipsis() -> None:
    project = scratch_project()
    long_message = "a parallel change whose message is much longer than sixty characters, to be cut"
    branch(long_message, "head-1", config=project, rev_id="b7a1c0ffee01")
    parents = sorted(heads(config=project))
    merge("", config=project, rev_id="c3d4e5f60718")
    node = next(n for n in history(config=project).nodes if n.revision == "c3d4e5f60718")
    assert node.message == f"merge of {', '.join(parents)}" or node.message == f"merge of {', '.join(parents[::-1])}"
    dot = history(config=project).to_dot()
    assert "merge of" in dot and long_message[:59] + "…" in dot and long_message not in dot


# -- diffs, sessions, code ----------------------------------------------------------------------------------------


def test_risk_badges_never_wrap(sqlite_url: sa.URL) -> None:
    from schema_tools import diff

    models = copy_metadata()
    models.tables["users"].append_column(sa.Column("timezone", sa.String(40), nullable=False))
    shown = diff(models, _at_head(sqlite_url))._repr_html_()
    assert re.search(r'<span class="st-badge" style="[^"]*white-space:nowrap[^"]*">may-fail</span>', shown)
    assert "white-space:nowrap" in badge("data-loss")


def test_a_session_run_shows_compared_against_reused_and_the_full_compare_time(sqlite_url: sa.URL) -> None:
    models = copy_metadata()
    with DiffSession(_at_head(sqlite_url), models) as session:
        session.diff()
        first = session.last_run
        assert first is not None and "full compare" in first._repr_html_()
        models.tables["bots"].append_column(sa.Column("region", sa.String(20)))
        session.diff()
        run = session.last_run
        assert run is not None and run.compared == ("bots",) and run.baseline == first.seconds
        shown = run._repr_html_()
        assert "bots" in shown and f"{run.reused} tables from the previous result" in shown
        assert "for a full compare" in shown and "faster" in shown
        for text in (repr(run), repr(session), session._repr_html_()):
            assert not ADDRESS.search(text)
        assert not re.search(r"\d\.\d{3}", repr(run) + repr(session))  # no seconds in the stored text


def test_code_and_sql_views_have_a_copy_button_and_never_wrap_mid_identifier(sqlite_url: sa.URL) -> None:
    models = copy_metadata()
    models.tables["users"].append_column(sa.Column("timezone", sa.String(40), nullable=True))
    made = draft(models, _at_head(sqlite_url), "add timezone")
    for shown in (made._repr_html_(), made.sql_html("sqlite")._repr_html_()):
        assert 'class="st-copy"' in shown and "navigator.clipboard" in shown
        assert "white-space:pre;" in shown and "pre-wrap" not in shown and "word-break:keep-all" in shown


def test_the_write_preview_shows_the_file_and_its_path_relative_to_the_project(sqlite_url: sa.URL) -> None:
    models = copy_metadata()
    models.tables["users"].append_column(sa.Column("timezone", sa.String(40), nullable=True))
    made = draft(models, _at_head(sqlite_url), "add timezone")
    versions = Path("alembic/versions")
    before = sorted(versions.iterdir())
    preview = preview_write(made)
    assert sorted(versions.iterdir()) == before  # nothing written into the app
    assert preview.path == "alembic/versions/YYYY_MM_DD_<rev>_add_timezone.py"
    assert "def upgrade" in preview.code and "timezone" in preview.code and "<rev>" in preview.code
    assert "Create Date: <when written>" in preview.code
    shown = preview._repr_html_()
    assert preview.path.replace("<", "&lt;").replace(">", "&gt;") in shown and 'class="st-copy"' in shown


def test_stable_names_read_the_file_template_backwards() -> None:
    template = "%(year)d_%(month).2d_%(day).2d_%(rev)s_%(slug)s"
    assert stable_name(template, "2026_11_30_abc123_add_x_y.py", "abc123") == "YYYY_MM_DD_<rev>_add_x_y.py"
    assert stable_name("%(rev)s_%(slug)s", "abc123_add_x.py", "abc123") == "<rev>_add_x.py"


# -- roundtrip ----------------------------------------------------------------------------------------------------


def test_roundtrip_status_cells_are_coloured_and_no_bar_reaches_captured_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = roundtrip(seed_rows=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    shown = report._repr_html_()
    assert shown.count('white-space:nowrap">ok</span>') == len(report.steps)
    assert "#dafbe1" in shown  # ok wears the safe colours


def test_a_terminal_shows_a_progress_bar_that_progress_false_turns_off(monkeypatch: pytest.MonkeyPatch) -> None:
    heard: list[str] = []
    for option, shown in ((True, True), (False, False), (heard.append, True)):
        terminal = _Terminal()
        monkeypatch.setattr("sys.stderr", terminal)
        with steps(3, "roundtrip", option) as bar:
            for name in ("a", "b", "c"):
                bar.start(name)
                bar.finish(f"revision {name}: ok")
        assert ("3/3" in terminal.getvalue()) == shown, option
    assert heard == ["revision a: ok", "revision b: ok", "revision c: ok"]


# -- a live kernel: the error display and the progress bar leave deterministic outputs ----------------------------


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz")
def test_in_a_live_kernel_an_uncaught_error_is_a_box_and_the_progress_bar_leaves_nothing_behind() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        # A live session, not a reproducible run (SOURCE_DATE_EPOCH, which nbval's runs set, turns the bar off).
        nbformat.v4.new_code_cell(
            "import os\nos.environ.pop('SOURCE_DATE_EPOCH', None)\n"
            "from schema_tools import roundtrip\nreport = roundtrip(seed_rows=False)"
        ),
        nbformat.v4.new_code_cell(
            "from schema_tools.errors import ConfigurationError\n"
            "raise ConfigurationError(\"the database is behind: run 'alembic upgrade head', then draft again\")"
        ),
    ]
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True)
    client.execute(cwd=str(Path.cwd()))
    progress_outputs = notebook.cells[0].outputs
    assert [o.get("data") for o in progress_outputs] == [{"text/plain": ""}]  # the bar, emptied at the end
    error_outputs = notebook.cells[1].outputs
    box = next(o for o in error_outputs if o.output_type == "display_data")["data"]["text/html"]
    assert 'data-copy="alembic upgrade head"' in box and "st-error" in box
    assert not [o for o in error_outputs if o.output_type == "error"]  # no traceback under the box
