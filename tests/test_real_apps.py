"""Two real apps from PyPI through schema-tools: optuna 5.0.0 and mlflow-skinny 3.17.2, on SQLite, PostgreSQL, MariaDB.

Each project is what tests/apps/projects.py writes for a user adopting schema-tools (the app's installed
migrations, its own env.py, its models). What every test expects comes from tests/apps/FINDINGS.md, which ran
the same histories with plain Alembic: defects in the apps' migrations are findings schema-tools must report,
and a report that says otherwise fails the test.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

import schema_tools
from schema_tools.cli import main
from schema_tools.config import alembic_config, load_metadata
from schema_tools.diff import SchemaDiff
from schema_tools.errors import DataLossRefused, MigrationFailed
from schema_tools.guard import EFFECT, OPERATIONS, UNJUDGED, Verdict, judge
from schema_tools.lint import ERROR
from schema_tools.migrate import MigrationReport, downgrade, upgrade
from schema_tools.revisions import plan
from schema_tools.roundtrip import FAILED, NOOP_DOWNGRADE, NOT_REACHED, OK, RoundtripReport, roundtrip
from schema_tools.settings import compare_options
from tests.apps.projects import MLFLOW, OPTUNA, App, prepare_database
from tests.conftest import MYSQL_ENV, POSTGRES_ENV, ScratchServer

PINS = {"optuna": OPTUNA.version, "mlflow-skinny": MLFLOW.version}


def _missing_apps() -> list[str]:
    """The pinned apps that are not installed at their pinned versions (FINDINGS.md holds for those only)."""
    missing = []
    for distribution, pinned in PINS.items():
        try:
            found = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            missing.append(f"{distribution}=={pinned} is not installed")
            continue
        if found != pinned:
            missing.append(f"{distribution} is {found}, not {pinned}")
    return missing


_MISSING = _missing_apps()
if _MISSING:
    _WHY = f"{'; '.join(_MISSING)}: install the test extra (pip install -e '.[apps]')"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs the real apps, but {_WHY}", pytrace=False)
    pytest.skip(f"real-app tests skipped: {_WHY}", allow_module_level=True)

BOOKKEEPING = frozenset({"alembic_version", "schema_tools_applied"})
SERVER_ENV = {"postgresql": POSTGRES_ENV, "mysql": MYSQL_ENV}

# -- what FINDINGS.md found with raw compare_metadata after `upgrade head` ----------------------------------------

# optuna, SQLite and PostgreSQL: real drift between its models and its migrations.
OPTUNA_DRIFT = (
    ("add_table", "trial_heartbeats", "trial_heartbeats"),  # in the models, created by optuna's create_all only
    ("modify_nullable", "trial_values", "trial_id"),  # nullable=False in the model, nullable since v0.9.0.a
    ("remove_index", "trials", "trials_study_id_key"),  # v3.2.0.a names it op.f("trials_study_id_key") ...
    ("add_index", "trials", "ix_trials_study_id"),  # ... the model's index=True names it ix_trials_study_id
)
# mlflow, every backend.
MLFLOW_DRIFT = (
    ("modify_type", "assessments", "assessment_type"),
    ("modify_type", "runs", "status"),  # cfd24bdc0731 made it VARCHAR(9); the model says String(20)
    ("remove_index", "experiments", "idx_experiments_workspace"),
    ("remove_index", "experiments", "idx_experiments_workspace_creation_time"),
    ("remove_index", "model_version_tags", "idx_model_version_tags_workspace_name_version"),
    ("remove_index", "registered_model_tags", "idx_registered_model_tags_workspace_name"),
    ("remove_index", "registered_models", "idx_registered_models_workspace"),
    ("add_index", "issues", "index_issues_created_by"),
    ("add_fk", "input_tags", None),  # impossible on PostgreSQL: inputs.input_uuid is not unique
    ("remove_index", "trace_request_metadata", "index_trace_request_metadata_request_id"),
    ("add_index", "trace_request_metadata", "index_trace_request_metadata_request_id"),  # declared without columns
    ("remove_index", "trace_tags", "index_trace_tags_request_id"),
    ("add_index", "trace_tags", "index_trace_tags_request_id"),  # declared without columns
    # Server defaults the migrations set and the models lack.
    ("modify_default", "endpoint_model_mappings", "linkage_type"),
    ("modify_default", "endpoints", "usage_tracking"),
    ("modify_default", "metrics", "step"),
    ("modify_default", "metrics", "is_nan"),
    ("modify_default", "webhooks", "status"),
)
# SQLite and MariaDB: the DESC expression index reflects without DESC. (Alembic's Identity() noise, three
# `modify_default ... id` lines, is gone: comparators/generated.py compares identity where the backend has it.)
MLFLOW_NO_DESC = (
    ("remove_index", "mcp_server_versions", "idx_mcp_server_versions_latest"),
    ("add_index", "mcp_server_versions", "idx_mcp_server_versions_latest"),
)
# optuna on PostgreSQL: v1.2.0.a adds WAITING to the trialstate Enum through batch_alter_table(...).alter_column,
# which leaves the native enum type's labels as they were; plain Alembic never compares enum types.
OPTUNA_POSTGRESQL_ENUM = (("add_enum_label", None, "trialstate"),)
# MariaDB only: the MySQL-only types the migrations chose, and 5d2d30f0abce's rename that lost NOT NULL.
# FINDINGS' ninth server-default line (assessments.is_numeric_value DEFAULT 0 -> false) is not here: schema-tools'
# compare options, which the raw comparison below uses too, treat 0 and false as one default of a Boolean. Nor are
# its 26 DOUBLE columns against Float(precision=53): MariaDB stores Float(53) as DOUBLE (dialects/mysql_types.py).
MLFLOW_MARIADB_ONLY = (
    ("modify_type", "datasets", "dataset_schema"),
    ("modify_type", "datasets", "dataset_profile"),
    ("modify_type", "spans", "content"),
    ("modify_nullable", "jobs", "job_name"),
)
EXPECTED_DRIFT = {
    ("optuna", "sqlite"): OPTUNA_DRIFT,
    ("optuna", "postgresql"): (*OPTUNA_DRIFT, *OPTUNA_POSTGRESQL_ENUM),
    ("mlflow", "sqlite"): (*MLFLOW_DRIFT, *MLFLOW_NO_DESC),
    ("mlflow", "postgresql"): MLFLOW_DRIFT,
    ("mlflow", "mysql"): (*MLFLOW_DRIFT, *MLFLOW_NO_DESC, *MLFLOW_MARIADB_ONLY),
}

# -- what the revisions really do, from their source (FINDINGS.md, "Data loss") -----------------------------------

OPTUNA_V240A_UPGRADE_DROPS = {
    "drops column studies.direction",
    "drops column trial_values.step",
    "drops column trials.value",
}
MLFLOW_HEAD_DOWNGRADE_DROPS = {
    *(
        f"drops column jobs.{column}"
        for column in (
            "executor_backend", "lease_expires_at", "next_attempt_at", "progress", "progress_updated_at",
            "scoped_permissions", "status_message", "token_hash",
        )
    ),
    "drops table job_locks",
    "drops table scheduler_leases",
}  # fmt: skip
# Revisions whose downgrade() is `pass` (30 of 67): they report success and change nothing.
MLFLOW_PASS_DOWNGRADES = frozenset(
    {
        "451aebb31d03", "90e64c465722", "181f10493468", "df50e92ffc5e", "7ac759974ad8", "cfd24bdc0731",
        "0a8213491aaa", "728d730b5ebd", "27a6a02d2cf1", "84291f40a231", "a8c4a736bde6", "39d1c3be5f05",
        "c48cb773bb87", "bd07f7e963c5", "0c779009ac13", "cc1f77228345", "97727af70f4d", "3500859a5d39",
        "7f2a7d5fae7d", "2d6e25af4d3e", "acf3f17fdcc7", "867495a8f9d4", "5b0e9adcef9c", "4465047574b1",
        "f5a4f2784254", "0584bdc529eb", "400f98739977", "6953534de441", "bda7b8c39065", "17e22815139b",
    }
)  # fmt: skip
# Of those, the ones whose upgrade is not idempotent on SQLite: upgrading again after the no-op downgrade fails.
MLFLOW_SQLITE_REUPGRADE_FAILS = frozenset(
    {
        "451aebb31d03", "df50e92ffc5e", "728d730b5ebd", "27a6a02d2cf1", "84291f40a231", "bd07f7e963c5",
        "0c779009ac13", "97727af70f4d", "7f2a7d5fae7d", "acf3f17fdcc7", "867495a8f9d4", "400f98739977",
        "6953534de441",
    }
)  # fmt: skip
FLOAT_TYPE_ENUM = "AttributeError: type object 'IntermediateValueModel' has no attribute 'FloatTypeEnum'"


# -- fixtures and helpers -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_database(
    scratch_servers: dict[str, ScratchServer], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], URL]:
    """conftest's new_database for databases shared by this module's tests (upgraded once, only read after)."""

    def make(backend: str) -> URL:
        if backend == "sqlite":
            return make_url(f"sqlite:///{tmp_path_factory.mktemp('shared') / 'app.db'}")
        raw = os.environ.get(SERVER_ENV[backend])
        if not raw:
            pytest.skip(f"{backend} tests skipped: set {SERVER_ENV[backend]} (e.g. see README.md) to run them")
        if backend not in scratch_servers:
            scratch_servers[backend] = ScratchServer(backend, make_url(raw))
        return scratch_servers[backend].create()

    return make


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each app's user project (alembic.ini + pyproject.toml), written once; its own SQLite file is never migrated."""
    root = tmp_path_factory.mktemp("apps")
    return {app.name: app.make_project(root) for app in (OPTUNA, MLFLOW)}


def config_of(projects: dict[str, Path], app: App) -> Config:
    """A fresh Alembic config for the app's project, as the CLI builds it."""
    return alembic_config(projects[app.name] / "alembic.ini", quiet=True)


@contextmanager
def connected(url: str | URL) -> Iterator[sa.Connection]:
    """A plain SQLAlchemy connection of the test's own, independent of schema-tools."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def revision_of(url: str | URL) -> tuple[str, ...]:
    """The database's revision as its version table says, read directly (empty: base or no table)."""
    with connected(url) as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return ()
        return tuple(sorted(row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")))


def shape(url: str | URL) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Every table's column names and index names, read with SQLAlchemy's inspector."""
    with connected(url) as connection:
        inspector = sa.inspect(connection)
        return {
            table: (
                frozenset(column["name"] for column in inspector.get_columns(table)),
                frozenset(str(index["name"]) for index in inspector.get_indexes(table)),
            )
            for table in inspector.get_table_names()
            if table not in BOOKKEEPING
        }


def shape_changes(
    before: dict[str, tuple[frozenset[str], frozenset[str]]], after: dict[str, tuple[frozenset[str], frozenset[str]]]
) -> set[str]:
    """Tables, columns and indexes that appeared (+) or went (-), as '+ table t' and '- t: column c'."""
    found = {f"- table {table}" for table in before.keys() - after.keys()}
    found |= {f"+ table {table}" for table in after.keys() - before.keys()}
    for table in before.keys() & after.keys():
        for position, kind in enumerate(("column", "index")):
            old, new = before[table][position], after[table][position]
            found |= {f"- {table}: {kind} {name}" for name in old - new}
            found |= {f"+ {table}: {kind} {name}" for name in new - old}
    return found


_PERSISTED = re.compile(r"^([+-]) (?:table (\S+)$|(\S+): (column|unique index|index) (\S+))")


def persisted_shape(lines: Iterable[str]) -> set[str]:
    """A report's `persisted` lines in shape_changes' terms (constraint and CHECK lines are left out)."""
    found = set()
    for line in lines:
        match = _PERSISTED.match(line)
        if match is None:
            continue
        sign, table, owner, kind, name = match.groups()
        if table:
            found.add(f"{sign} table {table}")
        elif name != "PRIMARY":
            found.add(f"{sign} {owner}: {'column' if kind == 'column' else 'index'} {name}")
    changed = {entry[2:] for entry in found if entry.startswith("+ ")} & {
        entry[2:] for entry in found if entry[0] == "-"
    }
    return {entry for entry in found if entry[2:] not in changed}  # a retyped column shows as - and +: unchanged


def drops(losses: Iterable[str]) -> set[str]:
    """The 'drops table/column ...' entries of a verdict, without the seeded-row counts."""
    return {loss.split(" (")[0] for loss in losses if loss.startswith("drops ")}


def real_drops(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """What really went between two shapes, in the guard's words."""
    gone = {f"drops table {table}" for table in before.keys() - after.keys()}
    for table in before.keys() & after.keys():
        gone |= {f"drops column {table}.{column}" for column in before[table][0] - after[table][0]}
    return gone


def planned_verdicts(config: Config, url: str | URL, direction: str, target: str) -> dict[str, Verdict]:
    """The guard's verdict on each revision of a planned migration, exactly as upgrade()/downgrade() ask for it."""
    scripts = ScriptDirectory.from_config(config)
    current = revision_of(url)
    final, steps = plan(scripts, current, target, direction)
    return {verdict.revision: verdict for verdict in judge(config, url, current, steps, direction, final)}


def refusal_of(action: Callable[[], object]) -> BaseException | None:
    """The error `action` raised (None when it ran): asserted on by type, so a crash shows as what it is."""
    try:
        action()
    except Exception as error:
        return error
    return None


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, list[str]]:
    """Run `schema-tools ARGS`; (exit code, stdout, the stderr lines that are errors)."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, [line for line in err.splitlines() if line.startswith("schema-tools: error:")]


def rendered(url: URL) -> str:
    return url.render_as_string(hide_password=False)


# -- the raw comparison the diff must equal, change for change -----------------------------------------------------


def raw_compare(models: sa.MetaData, url: str | URL) -> tuple[list[tuple[Any, ...]], sa.Dialect]:
    """compare_metadata with schema-tools' own options (what env.py and `alembic check` would see), flattened."""
    with connected(url) as connection:
        options = compare_options(connection.dialect.name)
        context = MigrationContext.configure(connection, opts={**options, "target_metadata": models})
        return list(_flat(compare_metadata(context, models))), connection.dialect


def _flat(diffs: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
    for item in diffs:
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item


def _type_text(value: Any, dialect: sa.Dialect) -> str:
    value = sa.types.to_instance(value)
    try:
        return str(value.compile(dialect=dialect))
    except Exception:
        return repr(value)


def _default_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, sa.Computed | sa.Identity):
        return f"{type(value).__name__}({getattr(value, 'sqltext', '')})"
    argument = getattr(value, "arg", value)
    return str(getattr(argument, "text", argument))


def raw_key(item: tuple[Any, ...]) -> tuple[str, str | None, str | None]:
    """(kind, table, name) of one raw compare_metadata entry, read without schema-tools."""
    kind = item[0]
    if kind in ("add_table", "remove_table"):
        return kind, item[1].name, item[1].name
    if kind in ("add_column", "remove_column"):
        return kind, item[2], item[3].name
    if kind.startswith("modify_") or item[1] is None or isinstance(item[1], str):
        return kind, item[2], item[3]  # a column change, or an object addressed as (schema, table, name)
    return kind, item[1].table.name, item[1].name


def raw_content(item: tuple[Any, ...], dialect: sa.Dialect) -> tuple[Any, ...]:
    """One raw entry as comparable values: its key and what it says (types, nullability, defaults, columns)."""
    kind, obj = item[0], item[1]
    if not kind.startswith("modify_") and (obj is None or isinstance(obj, str)):  # an enum type, by name
        return (*raw_key(item), tuple(str(part) for part in item[4:]))
    if kind in ("add_table", "remove_table"):
        detail: tuple[Any, ...] = tuple(sorted(column.name for column in obj.columns))
    elif kind in ("add_column", "remove_column"):
        detail = (_type_text(item[3].type, dialect), item[3].nullable)
    elif kind == "modify_type":
        detail = (_type_text(item[5], dialect), _type_text(item[6], dialect))
    elif kind == "modify_default":
        detail = (_default_text(item[5]), _default_text(item[6]))
    elif kind.startswith("modify_"):
        detail = (item[5], item[6])
    elif kind.endswith("_index"):
        detail = (obj.unique, tuple(str(expression) for expression in obj.expressions))
    elif kind.endswith("_fk"):
        detail = (tuple(obj.column_keys), tuple(element.target_fullname for element in obj.elements))
    else:
        detail = tuple(column.name for column in obj.columns)
    return (*raw_key(item), detail)


def assert_diff_is_raw_compare_metadata(result: SchemaDiff, models: sa.MetaData, url: str | URL) -> None:
    """diff() reports exactly what compare_metadata reports: no change lost, added, merged or misread."""
    raw, dialect = raw_compare(models, url)
    assert Counter(change.key for change in result) == Counter(raw_key(item) for item in raw)
    assert Counter(raw_content(change.raw, dialect) for change in result) == Counter(
        raw_content(item, dialect) for item in raw
    )
    for change in result:  # what each change prints is what its raw entry says
        if change.kind == "modify_type":
            assert (change.before, change.after) == (
                _type_text(change.raw[5], dialect),
                _type_text(change.raw[6], dialect),
            ), change
        elif change.kind == "modify_nullable":
            spelled = {True: "NULL", False: "NOT NULL"}
            assert (change.before, change.after) == (spelled[change.raw[5]], spelled[change.raw[6]]), change


def history(config: Config) -> list[str]:
    """Every revision, base first."""
    return [script.revision for script in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


@dataclass(frozen=True)
class Upgraded:
    """A database the app's own migrations brought to head through schema-tools' guarded upgrade."""

    url: URL
    refusal: BaseException | None  # what the guard said first, without allow_data_loss
    report: MigrationReport


@pytest.fixture(scope="module")
def upgraded(
    module_database: Callable[[str], URL], projects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[App, str], Upgraded]:
    """The app's database on `backend` at head, made once per module (the tests using it only read it)."""
    made: dict[tuple[str, str], Upgraded] = {}

    def get(app: App, backend: str) -> Upgraded:
        if (app.name, backend) not in made:
            url = module_database(backend)
            prepare_database(app, url)
            config = config_of(projects, app)
            refusal = refusal_of(lambda: upgrade(url, "head", config=config))
            backups = tmp_path_factory.mktemp("backups")
            report = upgrade(url, "head", config=config, allow_data_loss=True, backup_dir=backups)
            made[(app.name, backend)] = Upgraded(url, refusal, report)
        return made[(app.name, backend)]

    return get


REACHES_HEAD = [
    (OPTUNA, "sqlite"),
    (OPTUNA, "postgresql"),
    (MLFLOW, "sqlite"),
    (MLFLOW, "postgresql"),
    (MLFLOW, "mysql"),
]


def _case_id(value: object) -> str:
    return value.name if isinstance(value, App) else str(value)


# -- 1. the models against a database their own migrations built -----------------------------------------------------


@pytest.mark.parametrize(("app", "backend"), REACHES_HEAD, ids=_case_id)
def test_the_models_diff_against_their_own_migrated_database_exactly_as_raw_compare_metadata_does(
    app: App, backend: str, upgraded: Callable[[App, str], Upgraded], projects: dict[str, Path]
) -> None:
    database, config = upgraded(app, backend), config_of(projects, app)
    assert isinstance(database.refusal, DataLossRefused), database.refusal  # the guard wanted allow_data_loss
    assert database.report.ok and [step.revision for step in database.report.steps] == history(config)
    assert revision_of(database.url) == (app.head,)
    assert schema_tools.status(database.url, config=config).up_to_date
    models = load_metadata(config=config)
    result = schema_tools.diff(models, database.url, config=config)
    assert Counter(change.key for change in result) == Counter(EXPECTED_DRIFT[(app.name, backend)]), str(result)
    assert_diff_is_raw_compare_metadata(result, models, database.url)
    if app is MLFLOW:
        # spans.duration_ns is a computed column: with a compare_server_default callable, Alembic 1.20.1 crashed
        # here ('Computed' object has no attribute 'arg'); schema-tools' autogenerate plugin leaves it to Alembic.
        with connected(database.url) as connection:
            columns = {column["name"]: column for column in sa.inspect(connection).get_columns("spans")}
        assert columns["duration_ns"].get("computed")
        assert not [change for change in result if change.table == "spans" and change.name == "duration_ns"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_guard_judges_optunas_upgrade_and_names_every_column_v2_4_0_a_drops(
    backend: str, new_database: Callable[[str], URL], projects: dict[str, Path]
) -> None:
    config = config_of(projects, OPTUNA)
    verdicts = planned_verdicts(config, new_database(backend), "upgrade", "head")
    assert list(verdicts) == history(config)
    by_effect = {revision for revision, verdict in verdicts.items() if verdict.judged_by == EFFECT}
    # v2.6.0.a only calls op.*, but its alter_column(type_=sa.TEXT) has no existing_type: reading cannot tell
    # what it changes from, so it is measured too; VARCHAR(2048) -> TEXT widens, and the measure says so.
    assert by_effect == OPTUNA.offline_unreadable | {"v2.6.0.a"}
    assert all(verdicts[revision].judged_by == OPERATIONS for revision in set(verdicts) - by_effect)
    widened = verdicts["v2.6.0.a"]
    assert "without existing_type" in widened.reason and widened.losses == ()
    # v2.4.0.a adds trial_values.objective and drops trial_values.step, both INTEGER: a drop, not a rename.
    assert drops(verdicts["v2.4.0.a"].losses) == OPTUNA_V240A_UPGRADE_DROPS, verdicts["v2.4.0.a"].losses


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_the_guard_judges_every_revision_of_mlflows_upgrade_from_its_initial_tables(
    backend: str, new_database: Callable[[str], URL], projects: dict[str, Path]
) -> None:
    url = new_database(backend)
    prepare_database(MLFLOW, url)  # the database as mlflow (and its user) has it before `upgrade`
    verdicts = planned_verdicts(config_of(projects, MLFLOW), url, "upgrade", "head")
    assert len(verdicts) == MLFLOW.revisions
    unjudged = {revision: verdict.reason for revision, verdict in verdicts.items() if verdict.judged_by == UNJUDGED}
    assert not unjudged, f"{len(unjudged)} of mlflow's revisions unjudged, e.g. {next(iter(unjudged.items()))}"
    assert MLFLOW.offline_unreadable <= {r for r, verdict in verdicts.items() if verdict.judged_by == EFFECT}
    assert "drops column spans.dimension_attributes" in drops(verdicts["75868b020152"].losses)
    narrowed = [loss for loss in verdicts["cfd24bdc0731"].losses if loss.startswith("runs.status VARCHAR(20) -> ")]
    assert narrowed, verdicts["cfd24bdc0731"].losses  # String(20) becomes Enum(native_enum=False): VARCHAR(9)


def test_optuna_on_mariadb_stops_in_v2_4_0_a_and_the_report_says_what_the_failed_revision_left(
    new_database: Callable[[str], URL], projects: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_of(projects, OPTUNA)
    url = new_database("mysql")
    foreseen = planned_verdicts(config, url, "upgrade", "head")["v2.4.0.a"]
    assert foreseen.judged_by == UNJUDGED and "(1072, \"Key column 'step' doesn't exist in table\")" in foreseen.reason

    failed = refusal_of(lambda: upgrade(url, "head", config=config, allow_data_loss=True, backup=False))
    assert isinstance(failed, MigrationFailed), failed
    message = str(failed)
    assert "\n" not in message
    assert message.startswith(
        "upgrade failed in revision v2.4.0.a: (1072, \"Key column 'step' doesn't exist in table\"); "
        "database at revision v1.3.0.a; the failed revision left changes behind ("
    ), message
    report = failed.report
    assert isinstance(report, MigrationReport) and not report.ok and report.failed_revision == "v2.4.0.a"
    assert revision_of(url) == report.at == ("v1.3.0.a",)  # the version table, read directly
    assert [step.revision for step in report.steps] == ["v0.9.0.a", "v1.2.0.a", "v1.3.0.a"]
    status = schema_tools.status(url, config=config)
    assert status.current == ("v1.3.0.a",) and status.pending[0].revision == "v2.4.0.a"

    # MariaDB's DDL is not transactional: what v2.4.0.a did before the failing statement stays. The report's
    # `persisted` must be exactly what differs from a database that stopped cleanly at v1.3.0.a.
    clean = new_database("mysql")
    upgrade(clean, "v1.3.0.a", config=config, allow_data_loss=True, backup=False)
    left = persisted_shape(report.persisted)
    assert left == shape_changes(shape(clean), shape(url)), report.persisted
    assert {
        "- studies: column direction",
        "+ table study_directions",
        "+ table trial_intermediate_values",
        "+ trial_values: column objective",
    } <= left

    models = load_metadata(config=config)  # the half-migrated database diffs as compare_metadata says
    assert_diff_is_raw_compare_metadata(schema_tools.diff(models, url, config=config), models, url)

    # Running it again fails on what the first run left (studies.direction is gone), still in one line.
    ini = str(projects["optuna"] / "alembic.ini")
    code, _, errors = cli(
        capsys, "upgrade", "--url", rendered(url), "--config", ini, "--allow-data-loss", "--no-backup"
    )
    assert code == 2 and len(errors) == 1, errors
    assert errors[0].startswith(
        "schema-tools: error: upgrade failed in revision v2.4.0.a: "
        "(1054, \"Unknown column 'studies.direction' in 'SELECT'\"); database at revision v1.3.0.a;"
    ), errors
    assert revision_of(url) == ("v1.3.0.a",)


def test_the_guard_blames_the_revision_that_failed_on_the_scratch_database_not_the_ones_after_it(
    new_database: Callable[[str], URL], projects: dict[str, Path]
) -> None:
    verdicts = planned_verdicts(config_of(projects, OPTUNA), new_database("mysql"), "upgrade", "head")
    for revision in ("v3.0.0.a", "v3.0.0.b", "v3.0.0.c", "v3.0.0.d"):  # never ran: v2.4.0.a stopped the run
        assert verdicts[revision].judged_by == UNJUDGED
        assert "v2.4.0.a" in verdicts[revision].reason, f"{revision}: {verdicts[revision].reason}"


def test_optuna_on_postgresql_cannot_cross_v2_4_0_a_in_a_second_run_and_schema_tools_says_so_before_and_after(
    new_database: Callable[[str], URL], projects: dict[str, Path]
) -> None:
    config = config_of(projects, OPTUNA)
    url = new_database("postgresql")
    upgrade(url, "v1.3.0.a", config=config, allow_data_loss=True, backup=False)
    duplicate = 'type "studydirection" already exists'  # the enum's CREATE TYPE memo is per Alembic run
    foreseen = planned_verdicts(config, url, "upgrade", "head")["v2.4.0.a"]
    assert foreseen.judged_by == UNJUDGED and duplicate in foreseen.reason, foreseen
    failed = refusal_of(lambda: upgrade(url, "head", config=config, allow_data_loss=True, backup=False))
    assert isinstance(failed, MigrationFailed), failed
    assert str(failed) == (
        f"upgrade failed in revision v2.4.0.a: {duplicate}; database at revision v1.3.0.a; "
        "the failed revision left no change to the schema"
    )
    assert revision_of(url) == ("v1.3.0.a",) and failed.report.persisted == ()  # PostgreSQL rolled it all back


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_mlflow_on_an_empty_database_fails_in_its_first_revision_and_is_still_at_base(
    backend: str, new_database: Callable[[str], URL], projects: dict[str, Path]
) -> None:
    url = new_database(backend)  # without mlflow's initial tables (its own code creates them first)
    failed = refusal_of(
        lambda: upgrade(url, "head", config=config_of(projects, MLFLOW), allow_data_loss=True, backup=False)
    )
    assert isinstance(failed, MigrationFailed), failed
    reason = {
        "sqlite": "no such table: metrics",
        "postgresql": 'relation "metrics" does not exist',
        "mysql": f"(1146, \"Table '{url.database}.metrics' doesn't exist\")",
    }[backend]
    assert str(failed) == (
        f"upgrade failed in revision 451aebb31d03: {reason}; database at revision base; "
        "the failed revision left no change to the schema"
    )
    assert revision_of(url) == failed.report.at == () and failed.report.persisted == ()
    assert set(shape(url)) == set()


# -- 2. roundtrip over their history --------------------------------------------------------------------------------


def assert_every_revision_reported(report: RoundtripReport, config: Config) -> None:
    assert [step.revision for step in report.steps] == history(config)
    unreached = [step for step in report.steps if step.status == NOT_REACHED]
    assert not unreached, f"{len(unreached)} revisions not reached, e.g. {unreached[0].revision}: {unreached[0].detail}"


def assert_optunas_known_defects(report: RoundtripReport) -> None:
    """What every backend shows: v3.0.0.b's downgrade keeps a NOT NULL, v3.0.0.c's downgrade is broken."""
    # v3.0.0.b makes trial_values.value NOT NULL; its downgrade passes existing_nullable=False and keeps it so.
    kept = report.step("v3.0.0.b")
    assert kept.status == FAILED and kept.schema_restored is False, kept
    assert "schema not restored: trial_values.value: nullable before YES, after NO" in kept.detail, kept
    broken = report.step("v3.0.0.c")
    assert broken.status == FAILED and broken.up_ok is True and broken.down_ok is False, broken
    assert broken.detail == f"downgrade failed: {FLOAT_TYPE_ENUM}", broken


def assert_v2_4_0_a_is_a_no_op_downgrade(report: RoundtripReport) -> None:
    noop = report.step("v2.4.0.a")  # `# TODO(imamura): Implement downgrade` / `pass`
    assert noop.status == NOOP_DOWNGRADE and noop.down_ok is True and noop.schema_restored is False, noop
    assert "studies.direction missing" in noop.detail and "trial_values.step missing" in noop.detail, noop
    # Upgrading again reads the column its first run dropped.
    assert noop.up_ok is False, noop
    assert "upgrade after the downgrade failed: OperationalError: no such column: studies.direction" in noop.detail


def test_optunas_roundtrip_on_empty_sqlite_tables_reports_what_findings_predicts(projects: dict[str, Path]) -> None:
    config = config_of(projects, OPTUNA)
    report = roundtrip(config=config, seed_rows=False)
    assert_every_revision_reported(report, config)
    assert_optunas_known_defects(report)
    assert_v2_4_0_a_is_a_no_op_downgrade(report)
    others = set(history(config)) - {"v2.4.0.a", "v3.0.0.b", "v3.0.0.c"}
    assert {step.revision: step.status for step in report.steps if step.revision in others} == dict.fromkeys(
        sorted(others), OK
    )
    assert not (projects["optuna"] / OPTUNA.db_file).exists(), "the project's own database is never created"


def test_optunas_roundtrip_with_seeded_sqlite_rows_also_reports_the_rows_its_revisions_change(
    projects: dict[str, Path],
) -> None:
    config = config_of(projects, OPTUNA)
    report = roundtrip(config=config)
    assert_every_revision_reported(report, config)
    assert_optunas_known_defects(report)
    assert_v2_4_0_a_is_a_no_op_downgrade(report)
    # v1.3.0.a's downgrade writes a '_number' system attribute for every trial, which the seeded rows lacked.
    grown = report.step("v1.3.0.a")
    assert grown.status == FAILED and grown.rows_kept is False and grown.schema_restored is True, grown
    assert grown.detail.startswith("rows not kept: trial_system_attributes:"), grown
    # v3.0.0.a json.loads() every distribution_json; the seeded text is not JSON (optuna only ever writes JSON).
    parsed = report.step("v3.0.0.a")
    assert parsed.status == FAILED and parsed.up_ok is False, parsed
    assert "upgrade failed on the seeded rows: JSONDecodeError" in parsed.detail, parsed
    assert "on empty tables it round-trips" in parsed.detail, parsed


def test_optunas_roundtrip_on_postgresql_reports_the_leaked_enum_types_too(
    postgres_url: URL, projects: dict[str, Path]
):
    config = config_of(projects, OPTUNA)
    report = roundtrip(postgres_url, config=config, seed_rows=False)
    assert report.backend == "postgresql"
    assert_every_revision_reported(report, config)
    assert_optunas_known_defects(report)
    # v0.9.0.a's downgrade drops its tables but not the enum types, so upgrading again fails.
    leaked = report.step("v0.9.0.a")
    assert leaked.status == FAILED and leaked.up_ok is False and leaked.schema_restored is False, leaked
    assert "enum studydirection left behind" in leaked.detail and "enum trialstate left behind" in leaked.detail
    assert 'DuplicateObject: type "studydirection" already exists' in leaked.detail
    # Stepwise, v2.4.0.a's CREATE TYPE studydirection repeats v0.9.0.a's (Alembic's memo is per run).
    stepwise = report.step("v2.4.0.a")
    assert stepwise.up_ok is False and 'upgrade failed: DuplicateObject: type "studydirection"' in stepwise.detail
    others = set(history(config)) - {"v0.9.0.a", "v2.4.0.a", "v3.0.0.b", "v3.0.0.c"}
    assert {step.revision: step.status for step in report.steps if step.revision in others} == dict.fromkeys(
        sorted(others), OK
    )
    assert postgres_url.database and revision_of(postgres_url) == ()  # the source is never migrated


def test_mlflows_roundtrip_on_sqlite_reports_its_pass_downgrades_and_the_upgrades_that_cannot_run_again(
    projects: dict[str, Path], new_database: Callable[[str], URL]
) -> None:
    config = config_of(projects, MLFLOW)
    source = new_database("sqlite")
    prepare_database(MLFLOW, source)  # mlflow's database before its first revision: what every scratch must start as
    report = roundtrip(source, config=config, seed_rows=False)
    assert_every_revision_reported(report, config)
    noop = {step.revision for step in report.steps if step.status == NOOP_DOWNGRADE}
    assert noop == MLFLOW_PASS_DOWNGRADES
    again = {step.revision for step in report.steps if step.status == NOOP_DOWNGRADE and step.up_ok is False}
    assert again == MLFLOW_SQLITE_REUPGRADE_FAILS
    for revision in again:
        assert "(a duplicate: the empty downgrade left what the upgrade creates)" in report.step(revision).detail
    generated = report.step("c8d9e0f1a2b3")  # the batch copy of spans includes its computed column
    assert generated.status == FAILED and generated.down_ok is False, generated
    assert 'cannot INSERT into generated column "duration_ns"' in generated.detail
    assert revision_of(source) == ()


# -- 3. upgrade and downgrade through their own env.py ---------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_optunas_env_py_migrates_the_url_it_is_given_and_never_the_database_its_ini_names(
    backend: str, new_database: Callable[[str], URL], projects: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # optuna's env.py ignores config.attributes["connection"] and builds its engine from sqlalchemy.url, which
    # the project's alembic.ini points at optuna.db in the project: only the URL handed over may move.
    ini, own = str(projects["optuna"] / "alembic.ini"), projects["optuna"] / OPTUNA.db_file
    url = new_database(backend)
    code, out, errors = cli(capsys, "upgrade", "--url", rendered(url), "--config", ini, "--allow-data-loss")
    assert (code, errors) == (0, []) and f"{OPTUNA.revisions} revision(s) applied" in out
    assert revision_of(url) == (OPTUNA.head,)
    code, out, errors = cli(capsys, "downgrade", "-1", "--url", rendered(url), "--config", ini)
    assert (code, errors) == (0, []) and "1 revision(s) reverted" in out  # v3.2.0.a's downgrade drops nothing
    assert revision_of(url) == ("v3.0.0.d",)
    assert not own.exists(), "optuna's env.py migrated the ini's database instead of the URL"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_downgrading_optuna_v3_0_0_d_is_refused_for_exactly_the_column_it_drops(
    backend: str, new_database: Callable[[str], URL], projects: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, ini = config_of(projects, OPTUNA), str(projects["optuna"] / "alembic.ini")
    url = new_database(backend)
    upgrade(url, "v3.0.0.d", config=config, allow_data_loss=True, backup=False)
    before = shape(url)
    verdict = planned_verdicts(config, url, "downgrade", "-1")["v3.0.0.d"]  # an ORM session: judged by effect
    assert verdict.judged_by == EFFECT and drops(verdict.losses) == {"drops column trial_values.value_type"}, verdict

    code, _, errors = cli(capsys, "downgrade", "-1", "--url", rendered(url), "--config", ini, "--no-backup")
    assert code == 2 and len(errors) == 1 and "v3.0.0.d: drops column trial_values.value_type" in errors[0], errors
    assert revision_of(url) == ("v3.0.0.d",) and shape(url) == before  # refused before anything ran

    code, out, errors = cli(
        capsys, "downgrade", "-1", "--url", rendered(url), "--config", ini, "--no-backup", "--allow-data-loss"
    )
    assert (code, errors) == (0, []) and "1 revision(s) reverted" in out
    assert revision_of(url) == ("v3.0.0.c",)
    assert real_drops(before, shape(url)) == drops(verdict.losses)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_mlflows_env_py_migrates_the_url_it_is_given_and_its_head_downgrade_is_refused_for_what_it_drops(
    backend: str, new_database: Callable[[str], URL], projects: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # mlflow's env.py takes config.attributes["connection"].engine and opens a connection of its own on it.
    config, ini = config_of(projects, MLFLOW), str(projects["mlflow"] / "alembic.ini")
    own = f"sqlite:///{projects['mlflow'] / MLFLOW.db_file}"
    untouched = shape(own)
    url = new_database(backend)
    prepare_database(MLFLOW, url)
    code, out, errors = cli(capsys, "upgrade", "--url", rendered(url), "--config", ini, "--allow-data-loss")
    assert (code, errors) == (0, []) and f"{MLFLOW.revisions} revision(s) applied" in out
    assert revision_of(url) == (MLFLOW.head,)
    before = shape(url)

    verdict = planned_verdicts(config, url, "downgrade", "-1")[MLFLOW.head]  # plain op.* calls: read offline
    assert verdict.judged_by == OPERATIONS and set(verdict.losses) == MLFLOW_HEAD_DOWNGRADE_DROPS, verdict
    code, _, errors = cli(capsys, "downgrade", "-1", "--url", rendered(url), "--config", ini, "--no-backup")
    assert code == 2 and len(errors) == 1 and f"{MLFLOW.head}: drops column jobs." in errors[0], errors
    assert revision_of(url) == (MLFLOW.head,) and shape(url) == before

    code, out, errors = cli(
        capsys, "downgrade", "-1", "--url", rendered(url), "--config", ini, "--no-backup", "--allow-data-loss"
    )
    assert (code, errors) == (0, []) and "1 revision(s) reverted" in out
    assert revision_of(url) == ("75868b020152",)
    assert real_drops(before, shape(url)) == MLFLOW_HEAD_DOWNGRADE_DROPS
    assert revision_of(own) == () and shape(own) == untouched, "mlflow's env.py migrated the ini's database"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_downgrading_mlflows_75868b020152_is_judged_by_its_effect_and_refused_for_what_it_drops(
    backend: str, new_database: Callable[[str], URL], projects: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, ini = config_of(projects, MLFLOW), str(projects["mlflow"] / "alembic.ini")
    url = new_database(backend)
    prepare_database(MLFLOW, url)
    upgrade(url, "75868b020152", config=config, allow_data_loss=True, backup=False)
    before = shape(url)
    code, _, errors = cli(capsys, "downgrade", "-1", "--url", rendered(url), "--config", ini, "--no-backup")
    assert code == 2 and len(errors) == 1, errors
    assert errors[0].startswith("schema-tools: error: downgrade to -1 would destroy data"), errors
    assert "75868b020152: drops " in errors[0], errors
    assert revision_of(url) == ("75868b020152",) and shape(url) == before

    refusal = refusal_of(lambda: downgrade(url, "-1", config=config, backup=False))
    assert isinstance(refusal, DataLossRefused), f"{type(refusal).__name__}: {refusal}"
    verdict = planned_verdicts(config, url, "downgrade", "-1")["75868b020152"]
    assert verdict.judged_by == EFFECT, verdict
    downgrade(url, "-1", config=config, backup=False, allow_data_loss=True)
    assert revision_of(url) == ("b7e2c1a4d9f3",)
    assert drops(verdict.losses) == real_drops(before, shape(url))


def test_downgrading_mlflows_head_on_mariadb_fails_midway_and_the_report_lists_what_was_already_dropped(
    new_database: Callable[[str], URL], projects: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, ini = config_of(projects, MLFLOW), str(projects["mlflow"] / "alembic.ini")
    url = new_database("mysql")
    prepare_database(MLFLOW, url)
    upgrade(url, "head", config=config, allow_data_loss=True, backup=False)
    before = shape(url)
    verdict = planned_verdicts(config, url, "downgrade", "-1")[MLFLOW.head]
    assert verdict.judged_by == OPERATIONS and set(verdict.losses) == MLFLOW_HEAD_DOWNGRADE_DROPS, verdict

    failed = refusal_of(lambda: downgrade(url, "-1", config=config, backup=False, allow_data_loss=True))
    assert isinstance(failed, MigrationFailed), failed
    assert str(failed).startswith(
        f"downgrade failed in revision {MLFLOW.head}: (1553, \"Cannot drop index 'index_job_locks_job_id': "
        f'needed in a foreign key constraint"); database at revision {MLFLOW.head}; '
        "the failed revision left changes behind ("
    ), failed
    assert revision_of(url) == failed.report.at == (MLFLOW.head,)
    left = persisted_shape(failed.report.persisted)
    assert left == shape_changes(before, shape(url)), failed.report.persisted
    assert {
        f"- jobs: column {loss.rsplit('.', 1)[1]}" for loss in MLFLOW_HEAD_DOWNGRADE_DROPS if "jobs." in loss
    } <= left

    code, _, errors = cli(
        capsys, "downgrade", "-1", "--url", rendered(url), "--config", ini, "--no-backup", "--allow-data-loss"
    )
    assert code == 2 and len(errors) == 1, errors
    assert errors[0].startswith(
        f"schema-tools: error: downgrade failed in revision {MLFLOW.head}: (1091, \"Can't DROP INDEX "
        f'`index_jobs_status_lease_expires_at`; check that it exists"); database at revision {MLFLOW.head};'
    ), errors


# -- 4. lint --all ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["upgrade", "downgrade"])
@pytest.mark.parametrize("app", [OPTUNA, MLFLOW], ids=_case_id)
def test_lint_all_says_how_every_revision_was_judged_and_reads_none_it_cannot_read_offline(
    app: App, direction: str, projects: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["lint", "--all", "--config", str(projects[app.name] / "alembic.ini")]
    if app is MLFLOW:  # its history starts on tables its first revision does not create; the user's database has them
        args += ["--url", f"sqlite:///{projects['mlflow'] / MLFLOW.db_file}"]
    if direction == "downgrade":
        args.append("--downgrade")
    code, out, errors = cli(capsys, *args, "--format", "json")
    assert (code, errors) == (1, []), errors  # 1: error findings (data loss), not a crash
    reports = {report["revision"]: report for report in json.loads(out)}
    assert list(reports) == history(config_of(projects, app))
    for revision, report in reports.items():
        assert report["direction"] == direction and report["how"], revision
        assert report["judged_by"] in (OPERATIONS, EFFECT, UNJUDGED), revision
        assert report["judged_by"] != UNJUDGED or report["findings"], revision  # never 0 findings and no judgement
    code, text, errors = cli(capsys, *args)  # the text form: one block per revision, each saying how
    blocks = text.strip().split("\n\n")
    assert len(blocks) == len(reports) and not errors
    for block in blocks:
        lines = block.splitlines()
        assert lines[1].startswith((f"{direction}(): judged by", f"{direction}(): not judged")), block
        assert lines[-1] != "0 findings" or "(): judged by" in lines[1], block
    unreadable = app.offline_unreadable if direction == "upgrade" else app.offline_unreadable_downgrade
    # optuna's v3.0.0.c downgrade raises AttributeError wherever it runs: it cannot be judged by its effect.
    broken = {"v3.0.0.c"} if (app, direction) == (OPTUNA, "downgrade") else set()
    effect = {revision for revision, report in reports.items() if report["judged_by"] == EFFECT}
    assert unreadable - broken <= effect, {revision: reports[revision]["how"] for revision in unreadable - effect}
    for revision in broken:
        assert reports[revision]["judged_by"] == UNJUDGED and "FloatTypeEnum" in reports[revision]["how"]
    if (app, direction) == (OPTUNA, "upgrade"):
        found = {f["message"] for f in reports["v2.4.0.a"]["findings"] if f["rule"] == "data-loss-by-effect"}
        assert drops(found) == OPTUNA_V240A_UPGRADE_DROPS, found


@pytest.mark.parametrize("app", [OPTUNA, MLFLOW], ids=_case_id)
def test_lint_all_flags_as_an_error_every_revision_the_guard_refuses(
    app: App, new_database: Callable[[str], URL], projects: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url = new_database("sqlite")
    prepare_database(app, url)
    guard = planned_verdicts(config_of(projects, app), url, "upgrade", "head")
    refused = {revision for revision, verdict in guard.items() if verdict.refused}
    # optuna's v2.4.0.a drops columns. Type changes without existing_type (optuna's v2.6.0.a, mlflow's
    # 181f10493468 and 39d1c3be5f05) are measured, not presumed: widening to TEXT destroys nothing.
    assert {"optuna": {"v2.4.0.a"}, "mlflow": set()}[app.name] <= refused
    assert not {"v2.6.0.a", "181f10493468", "39d1c3be5f05"} & refused, {r: guard[r].summary() for r in refused}
    ini = str(projects[app.name] / "alembic.ini")
    code, out, errors = cli(capsys, "lint", "--all", "--config", ini, "--url", rendered(url), "--format", "json")
    assert (code, errors) == (1, [])
    flagged = {
        report["revision"] for report in json.loads(out) if any(f["severity"] == ERROR for f in report["findings"])
    }
    missed = {revision: guard[revision].summary() for revision in sorted(refused - flagged)}
    assert not missed, f"lint reports no error where `upgrade` refuses: {missed}"
