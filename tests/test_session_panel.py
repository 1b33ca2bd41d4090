"""session.panel(): after each diff it shows that diff's changes and what the run compared or reused."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from schema_tools import DiffSession
from schema_tools.session_panel import WIDGET_VIEW, SessionPanel

TIME = re.compile(r"\d+\.\d{3} s")


def models() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("owners", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))
    sa.Table(
        "pets",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.ForeignKey("owners.id")),
        sa.Column("name", sa.String(50)),
    )
    sa.Table("vets", md, sa.Column("id", sa.Integer, primary_key=True))
    return md


@pytest.fixture
def session(sqlite_url: sa.URL):
    engine = sa.create_engine(sqlite_url)
    models().create_all(engine)
    engine.dispose()
    desired = models()
    with DiffSession(sqlite_url, desired) as opened:
        yield opened, desired


def assert_shows_last_run(panel: SessionPanel, session: DiffSession, result) -> None:
    run = session.last_run
    assert (panel.state.full, panel.state.compared, panel.state.reused) == (run.full, run.compared, run.reused)
    assert panel.state.changes == tuple(result)


def test_the_panel_follows_each_diff_and_its_html_shows_the_same(session) -> None:
    session, desired = session
    panel = session.panel()
    assert panel.state.full is None and "No diff yet" in panel._repr_html_()

    first = session.diff()
    assert_shows_last_run(panel, session, first)
    assert panel.state.full and panel.state.changes == () and panel.state.diffs == 1

    # A notebook edits a model in place, then diffs again: only that table is compared.
    desired.tables["pets"].append_column(sa.Column("born", sa.Date, nullable=True))
    desired.tables["vets"].append_column(sa.Column("clinic", sa.String(40), nullable=True))
    second = session.diff()
    assert_shows_last_run(panel, session, second)
    assert panel.state.diffs == 2 and not panel.state.full
    assert panel.state.compared == ("pets", "vets") and panel.state.reused == 1
    assert sorted(change.name for change in second) == ["born", "clinic"]

    static = panel._repr_html_()
    assert "2 changes" in static and "narrowed" in static and "diff 2" in static
    assert "pets, vets" in static and "1 table from the previous result" in static
    assert all(f"<td>{change.name}</td>" in static for change in second)
    assert "owners" not in static  # reused, and unchanged
    # Stored outputs carry no durations; the live view shows the run against the last full compare.
    assert not TIME.search(static)
    assert re.search(r"\d+\.\d{3} s against \d+\.\d{3} s for a full compare", panel.view.value)


def test_stored_output_is_the_static_panel_beside_the_widget_view(session) -> None:
    session, desired = session
    panel = session.panel()
    session.diff()
    bundle = panel._repr_mimebundle_()
    assert bundle["text/html"] == panel._repr_html_()
    assert bundle["text/plain"] == "DiffSession panel on " + panel.target + ": 0 changes (full compare)"
    assert set(bundle) <= {"text/html", "text/plain", WIDGET_VIEW}
    # The same inputs give the same stored HTML, run after run.
    again = DiffSession(session.engine, desired)
    other = again.panel()
    again.diff()
    assert other._repr_html_() == panel._repr_html_()


def test_re_diff_button_diffs_again_and_close_stops_listening(session) -> None:
    session, desired = session
    panel = session.panel()
    panel.button.click()
    assert panel.state.diffs == 1 and panel.state.full
    panel.button.click()
    assert panel.state.diffs == 2 and panel.state.compared == () and panel.state.reused == 3
    panel.close()
    session.diff()
    assert panel.state.diffs == 2 and session.on_diff == []


def test_a_panel_opened_after_a_diff_shows_the_run_until_it_sees_a_diff(session) -> None:
    session, _ = session
    session.diff()
    panel = session.panel()
    assert panel.state.full and panel.state.changes is None
    assert "not seen yet" in panel._repr_html_()
    assert "changes not seen yet" in repr(panel)
