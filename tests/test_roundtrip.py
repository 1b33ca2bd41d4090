"""The roundtrip lab and the history graph: real revisions, a broken one, an irreversible one."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schema_tools.cli import main
from schema_tools.history import heads, history, merge
from schema_tools.roundtrip import FAILED, IRREVERSIBLE, OK, roundtrip
from schema_tools.scratch import upgraded_database
from tests.support_project import ALL_REVISIONS, HEAD, Project


def test_the_repository_history_round_trips_on_every_backend(backend: str, new_database) -> None:
    url = new_database(backend)
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        tables_before = set(sa.inspect(connection).get_table_names())
    report = roundtrip(url)
    with engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) == tables_before, "the source itself is never touched"
    engine.dispose()
    assert report.ok, str(report)
    assert [s.revision for s in report.steps] == list(ALL_REVISIONS)
    assert all(s.schema_restored and s.rows_kept for s in report.steps)


def test_a_downgrade_that_leaves_a_column_behind_is_caught(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.add_revision(
        "a9a9a9a9a9a9", HEAD, 'op.add_column("bots", sa.Column("forgotten", sa.String(10)))', downgrade="pass"
    )
    report = roundtrip(config=project.config())
    last = report.steps[-1]
    assert last.revision == "a9a9a9a9a9a9" and last.status == FAILED
    assert last.schema_restored is False and "bots.forgotten left behind" in last.detail
    assert all(s.status == OK for s in report.steps[:-1])
    assert not report.ok


def test_an_irreversible_downgrade_is_reported_not_raised(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.add_revision(
        "b8b8b8b8b8b8", HEAD, "op.execute(\"UPDATE users SET full_name = 'x'\")",
        downgrade='raise NotImplementedError("the old names are gone")',
    )  # fmt: skip
    report = roundtrip(config=project.config())
    assert report.steps[-1].status == IRREVERSIBLE
    assert "irreversible" in str(report)


def test_a_sqlite_source_is_never_written(tmp_path: Path) -> None:
    url = upgraded_database()
    path = Path(sa.make_url(url).database)
    before = path.read_bytes()
    assert roundtrip(url).ok
    assert path.read_bytes() == before


def test_cli_roundtrip_exit_codes(tmp_path: Path, capsys) -> None:
    assert main(["roundtrip"]) == 0
    assert "all revisions round-trip" in capsys.readouterr().out
    project = Project(tmp_path)
    project.add_revision("a9a9a9a9a9a9", HEAD, 'op.add_column("bots", sa.Column("forgotten", sa.String(10)))')
    assert main(["roundtrip", "--config", str(project.root / "alembic.ini")]) == 1


def test_history_marks_heads_current_branch_points_and_merges(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.add_revision("c1c1c1c1c1c1", "2aefc3d92de3", "pass")  # a second head branching off 2aefc3d92de3
    url = upgraded_database("55221d9084c8")
    graph = history(url, config=project.config())
    by_id = {node.revision: node for node in graph.nodes}
    assert set(graph.heads) == {HEAD, "c1c1c1c1c1c1"} == set(heads(config=project.config()))
    assert by_id["2aefc3d92de3"].is_branch_point and by_id["55221d9084c8"].is_current
    assert "Rev: 2aefc3d92de3 (branchpoint)" in str(graph)

    path = merge("merge heads", config=project.config())
    assert path.exists()
    merged = history(config=project.config())
    (merge_node,) = [n for n in merged.nodes if n.is_merge]
    assert set(merge_node.down_revisions) == {HEAD, "c1c1c1c1c1c1"}
    assert len(merged.heads) == 1
    with pytest.raises(Exception, match="nothing to merge"):
        merge(config=project.config())


def test_history_svg_has_a_node_per_revision_and_is_deterministic() -> None:
    svg = history().svg()
    assert svg == history().svg()
    root = ET.fromstring(svg)
    titles = {t.text for t in root.iter("{http://www.w3.org/2000/svg}title")}
    assert set(ALL_REVISIONS) <= titles
    assert history()._repr_mimebundle_()["text/plain"].startswith("History: 5 revisions, 1 head")
