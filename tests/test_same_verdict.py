"""One rule engine: a change gets the same verdict in diff(), in the draft's lint, and in its revision file's lint."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.operations import ops
from sqlalchemy.pool import NullPool

from schema_tools.changes import DATA_LOSS
from schema_tools.connect import read_only_connection
from schema_tools.diff import diff
from schema_tools.draft import draft
from schema_tools.guard import losses_of_operations
from schema_tools.lint import Finding, LintContext, lint_ops
from schema_tools.script_ops import revision_ops
from tests.support_project import Project
from tests.support_scenarios import HOSTILE, MIXED, ORDER, RESERVED, SCENARIOS, UNICODE, Scenario, base_database, schema

Key = tuple[str, str | None, str | None]
Said = frozenset[tuple[str, str, str, int | None]]


def _seed(url: sa.URL) -> None:
    """Rows that make the live rules speak: a long value, repeated values, a NULL, rows to lose."""
    tables = schema().tables
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(
            tables[RESERVED].insert(),
            [
                {"id": 1, "select": "a", MIXED: "x" * 30, "score": 1, "email": "a@example.org"},
                {"id": 2, "select": "b", MIXED: "short", "score": 2, "email": "b@example.org"},
            ],
        )
        connection.execute(
            tables[ORDER].insert(),
            [
                {"id": 1, "user_id": 1, "total": None, UNICODE: "dup"},
                {"id": 2, "user_id": 2, "total": 5, UNICODE: "dup"},
            ],
        )
        connection.execute(tables["legacy"].insert(), [{"id": 1, "note": "kept"}])
    engine.dispose()


def _from_findings(findings: Iterable[Finding]) -> dict[Key, Said]:
    said: dict[Key, set[tuple[str, str, str, int | None]]] = defaultdict(set)
    for finding in findings:
        assert finding.change is not None, finding
        said[finding.change].add((finding.rule, finding.risk, finding.severity, finding.count))
    return {key: frozenset(found) for key, found in said.items()}


def _from_diff(url: sa.URL, desired: sa.MetaData, *, preflight: bool = True) -> dict[Key, Said]:
    return {
        change.key: frozenset((v.rule, v.risk, v.severity, v.count) for v in change.verdicts if v.noteworthy)
        for change in diff(desired, url, preflight=preflight)
    }


def _same(left: dict[Key, Said], right: dict[Key, Said], what: str) -> None:
    for key in left.keys() | right.keys():
        assert left.get(key, frozenset()) == right.get(key, frozenset()), f"{what}: {key}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_one_change_gets_one_verdict_everywhere(scenario: Scenario, backend: str, new_database, tmp_path) -> None:
    url = base_database(scenario, backend, new_database)
    _seed(url)
    desired = scenario.desired()

    from_diff = _from_diff(url, desired)
    drafted = draft(desired, url, scenario.name)
    from_draft = _from_findings(drafted.findings)
    _same(from_diff, from_draft, "diff() and draft().findings")

    project = Project(tmp_path)
    for path in project.versions.glob("*.py"):
        path.unlink()
    engine = sa.create_engine(url, poolclass=NullPool)
    written = command.revision(
        project.config(connection=engine, target_metadata=desired), message=scenario.name, autogenerate=True
    )
    engine.dispose()
    operations = revision_ops(written.revision, config=project.config(), dialect=backend).operations
    upgrade_ops = ops.UpgradeOps(ops=list(operations))
    with read_only_connection(url) as connection:
        from_file = _from_findings(lint_ops(upgrade_ops, LintContext(backend, connection)))
    _same(from_diff, from_file, "diff() and the revision file's lint")

    # Without live rows (the guard's view): diff(preflight=False), the file's offline lint and the guard agree.
    offline = _from_diff(url, desired, preflight=False)
    _same(offline, _from_findings(lint_ops(upgrade_ops, LintContext(backend))), "offline diff() and offline lint")
    data_loss = {key for key, said in offline.items() if any(risk == DATA_LOSS for _, risk, _, _ in said)}
    assert bool(data_loss) == bool(losses_of_operations(tuple(operations), backend)), scenario.name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("modify_type", ("narrowing-type", DATA_LOSS, "error", 1)),
        ("modify_nullable", ("not-null-over-nulls", "may-fail", "error", 1)),
        ("add_unique", ("unique-on-duplicates", "may-fail", "error", 1)),
        ("remove_table", ("drop-table", DATA_LOSS, "error", 1)),
    ],
)
def test_the_seeded_scenarios_exercise_live_verdicts(name: str, expected: tuple, backend: str, new_database) -> None:
    """The comparison above is only as strong as the verdicts it meets: live counts must show up in it."""
    scenario = next(s for s in SCENARIOS if s.name == name)
    url = base_database(scenario, backend, new_database)
    _seed(url)
    said = _from_diff(url, scenario.desired())
    assert any(expected in verdicts for verdicts in said.values()), said
    assert HOSTILE  # the scenarios' awkward names are part of every comparison


def test_a_new_foreign_key_over_orphans_is_the_same_error_in_diff_and_draft(backend: str, new_database) -> None:
    """The drift the rule engine ended: diff() called this may-fail while the draft's lint said nothing."""
    url = new_database(backend)
    engine = sa.create_engine(url, poolclass=NullPool)
    schema("remove_fk").create_all(engine)
    with engine.begin() as connection:
        connection.execute(schema().tables[ORDER].insert(), [{"id": 1, "user_id": 99, "total": 1, UNICODE: "o"}])
    engine.dispose()
    from_diff = _from_diff(url, schema())
    from_draft = _from_findings(draft(schema(), url, "fk").findings)
    key = ("add_fk", ORDER, "fk_order_user_id_user")
    assert ("fk-orphans", "may-fail", "error", 1) in from_diff[key], from_diff
    _same(from_diff, from_draft, "diff() and draft().findings")
