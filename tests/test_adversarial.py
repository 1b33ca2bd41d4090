"""The adversarial suite: paths that break URIs, servers that never answer, secrets in every error, stamps and
histories that lie, concurrent processes. Each test is one case the tester found; README's table counts them."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schema_tools.cli import main
from tests.support_project import HEAD, Project, upgrade_database

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXECUTABLE = Path(sys.executable).parent / "schema-tools"


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The installed command in a subprocess; `timeout` only catches a hang (it is not a speed assertion)."""
    import os

    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(env or {})
    return subprocess.run(
        [str(EXECUTABLE), *args], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=timeout
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.startswith("schema-tools: error:")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def version(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]


# -- SQLite paths with URI-special characters, on every command ----------------------------------------------

# `?` cannot be written raw in a URL (it starts the query): users escape it as %3F, which SQLAlchemy decodes.
PATH_CASES = [("hash", "g#1.db", "g#1.db"), ("percent", "g%1.db", "g%1.db"), ("space", "my db.db", "my db.db"),
              ("unicode", "bäse ü.db", "bäse ü.db"), ("question", "g%3F1.db", "g?1.db")]  # fmt: skip


@pytest.mark.parametrize(("spelled", "on_disk"), [(s, d) for _, s, d in PATH_CASES], ids=[i for i, _, _ in PATH_CASES])
def test_a_sqlite_path_with_uri_characters_is_the_file_every_command_uses(
    spelled: str, on_disk: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "dir #?%"
    folder.mkdir()
    path = folder / on_disk
    upgrade_database(sa.make_url(f"sqlite:///{tmp_path / 'seed.db'}"))
    shutil.copy(tmp_path / "seed.db", path)  # a raw `?` cannot be spelled in the URL that makes it
    url = f"sqlite:///{str(folder).replace('?', '%3F')}/{spelled}"
    before = sorted(p.name for p in folder.iterdir())
    backups = tmp_path / "backups"
    commands = [
        (["status", "--url", url], 0),
        (["diff", "--url", url], 0),
        (["check", "--url", url], 0),
        (["verify", "--url", url], 0),
        (["history", "--url", url], 0),
        (["lint", "--url", url], 0),
        (["erd", "--url", url, "-o", str(tmp_path / "live.mmd")], 0),
        (["backup", "--url", url, "--backup-dir", str(backups)], 0),
        (["downgrade", "-1", "--url", url, "--allow-data-loss", "--backup-dir", str(backups)], 0),
        (["upgrade", "--url", url, "--backup-dir", str(backups)], 0),
    ]
    for argv, expected in commands:
        assert main(argv) == expected, (argv, capsys.readouterr())
        assert path.is_file() and version(path) in ([HEAD], ["2aefc3d92de3"]), argv
    capsys.readouterr()
    made = sorted(backups.glob(f"*.{HEAD}.*.db"))
    assert main(["restore", str(made[0]), "--url", url]) == 0, capsys.readouterr()
    assert version(path) == [HEAD]
    created = sorted(p.name for p in folder.iterdir())
    assert set(created) - set(before) <= {f"{on_disk}.migrate.lock"}, "no stray file (like the old 'g' for g#1.db)"


def test_a_missing_sqlite_file_with_a_hash_is_refused_not_created(tmp_path: Path) -> None:
    result = cli("status", "--url", f"sqlite:///{tmp_path}/g#1.db")
    assert_one_line_error(result, "not found")
    assert list(tmp_path.iterdir()) == [], "neither g#1.db nor g was created"


# -- servers that accept and never answer ------------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never sends a byte (a hung server, or the wrong service)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.mark.parametrize("driver", ["mysql+pymysql", "postgresql+psycopg"])
@pytest.mark.parametrize(
    "argv",
    [["status"], ["diff"], ["verify"], ["upgrade", "--no-backup"], ["downgrade", "-1", "--no-backup"],
     ["roundtrip"], ["backup", "-o", "{tmp}/b.sql"]],
    ids=["status", "diff", "verify", "upgrade", "downgrade", "roundtrip", "backup"],
)  # fmt: skip
def test_a_server_that_never_answers_fails_within_the_connect_timeout(
    driver: str, argv: list[str], silent_server: int, tmp_path: Path
) -> None:
    url = f"{driver}://u:pw@127.0.0.1:{silent_server}/db"
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    result = cli(*args, "--url", url, env={"SCHEMA_TOOLS_CONNECT_TIMEOUT": "2"}, timeout=60)
    assert_one_line_error(result)
    assert "pw" not in result.stderr.replace("pw@", "") or "***" in result.stderr


@pytest.mark.postgres
def test_a_mysql_url_pointed_at_postgresql_fails_fast_with_one_line(postgres_url: sa.URL) -> None:
    url = f"mysql+pymysql://root@{postgres_url.host or '127.0.0.1'}:{postgres_url.port or 5432}/test"
    result = cli("status", "--url", url, env={"SCHEMA_TOOLS_CONNECT_TIMEOUT": "2"}, timeout=60)
    assert_one_line_error(result)


# -- verify answers exactly --------------------------------------------------------------------------------


def test_verify_refuses_a_database_stamped_with_an_unknown_revision(sqlite_url: sa.URL) -> None:
    upgrade_database(sqlite_url)
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'feedfacecafe'")
    engine.dispose()
    assert_one_line_error(cli("verify", "--url", str(sqlite_url)), "feedfacecafe")


def test_verify_refuses_conflicting_version_rows(sqlite_url: sa.URL) -> None:
    upgrade_database(sqlite_url)
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('55221d9084c8')")
    engine.dispose()
    assert_one_line_error(cli("verify", "--url", str(sqlite_url)), "conflicting", "55221d9084c8")


def test_verify_reports_exactly_the_deleted_middle_revision(sqlite_url: sa.URL, tmp_path: Path) -> None:
    from schema_tools.checksums import MISSING, OK, verify

    project = Project(tmp_path)
    upgrade_database(sqlite_url)
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    from alembic import command

    command.downgrade(project.config(connection=engine), "base")
    command.upgrade(project.config(connection=engine), "head")
    engine.dispose()
    next(project.versions.glob("*_5d6c6191eec0_*.py")).unlink()
    statuses = {check.revision: check.status for check in verify(sqlite_url, config=project.config()).checks}
    assert statuses == {
        "440fdbe0fe66": OK, "55221d9084c8": OK, "5d6c6191eec0": MISSING, "2aefc3d92de3": OK, HEAD: OK,
    }  # fmt: skip


# -- exit codes and argument errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [["diff", "--format", "xml"], ["upgrade", "--bogus"], ["nosuchcommand"], ["downgrade"]],
    ids=["bad-choice", "unknown-option", "unknown-command", "missing-argument"],
)
def test_an_argument_error_is_one_line_with_exit_2(argv: list[str]) -> None:
    result = cli(*argv)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--help" in result.stderr


def test_debug_shows_the_traceback_of_an_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing.db"
    quiet = cli("status", "--url", url)
    loud = cli("status", "--url", url, "--debug")
    assert quiet.returncode == loud.returncode == 2
    assert "Traceback" not in quiet.stderr and "Traceback" in loud.stderr


# -- read-only folders and WAL files -----------------------------------------------------------------------


def _wal_database(path: Path) -> None:
    upgrade_database(sa.make_url(f"sqlite:///{path}"))
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    assert not path.with_name(path.name + "-wal").exists()


def test_reading_a_wal_database_leaves_no_wal_or_shm_file(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    _wal_database(path)
    before = sorted(p.name for p in tmp_path.iterdir())
    for argv in (["status"], ["diff"], ["verify"]):
        assert cli(*argv, "--url", f"sqlite:///{path}").returncode == 0, argv
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not {"wal.db-wal", "wal.db-shm"} & set(before)


def _in_read_only_folder(folder: Path, command: str) -> subprocess.CompletedProcess[str]:
    """Run `command` with `folder` bind-mounted read-only over itself (as root, permissions alone do not stop
    writes; a read-only mount does), in a private mount namespace."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is needed to mount a read-only folder")
    script = f"mount --bind -o ro '{folder}' '{folder}' && cd '{PROJECT_ROOT}' && {command}"
    return subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True, timeout=120)


def test_a_wal_database_in_a_read_only_folder_can_be_read(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    _wal_database(folder / "wal.db")
    probe = _in_read_only_folder(folder, f"touch '{folder}/x'")
    if probe.returncode != 0 and "Read-only" not in probe.stderr:
        pytest.skip(f"cannot mount read-only here: {probe.stderr.strip()}")
    for argv in ("status", "diff", "verify"):
        result = _in_read_only_folder(folder, f"'{EXECUTABLE}' {argv} --url 'sqlite:///{folder}/wal.db'")
        assert result.returncode == 0, (argv, result.stderr)


def test_a_downgrade_in_a_read_only_folder_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "db.db"
    upgrade_database(sa.make_url(f"sqlite:///{path}"))
    before = path.read_bytes()
    result = _in_read_only_folder(
        folder, f"'{EXECUTABLE}' downgrade -1 --allow-data-loss --no-backup --url 'sqlite:///{path}'"
    )
    if "mount" in result.stderr and "permission" in result.stderr.lower():
        pytest.skip(f"cannot mount read-only here: {result.stderr.strip()}")
    assert_one_line_error(result, "not writable")
    assert path.read_bytes() == before


# -- concurrent processes: a lock timeout restores nothing, rows committed by others stay --------------------

SLOW_FAILURE = """
op.create_table("slow", sa.Column("id", sa.Integer, primary_key=True))
import time
time.sleep(2)
raise RuntimeError("boom after a while")
"""

SLOW_SUCCESS = """
op.create_table("slow", sa.Column("id", sa.Integer, primary_key=True))
import time
time.sleep(2)
"""


def _guarded_upgrade(project: Project, url: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(EXECUTABLE), "upgrade", "--url", url, "--allow-data-loss", "--config", str(project.root / "alembic.ini"),
         "--backup-dir", str(project.root / "backups")],
        cwd=project.root, env={**project.env, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_a_lock_timeout_on_sqlite_restores_nothing_over_the_other_migration(tmp_path: Path) -> None:
    project = Project(tmp_path / "project")
    path = tmp_path / "shared.db"
    upgrade_database(sa.make_url(f"sqlite:///{path}"))
    project.add_revision("a1a1a1a1a1a1", HEAD, SLOW_SUCCESS)
    first = _guarded_upgrade(project, f"sqlite:///{path}")
    time.sleep(0.8)
    second = _guarded_upgrade(project, f"sqlite:///{path}", SCHEMA_TOOLS_LOCK_TIMEOUT="0.5")
    second_out = second.communicate(timeout=120)
    first_out = first.communicate(timeout=120)
    assert first.returncode == 0, first_out
    assert second.returncode == 2 and "migration lock" in second_out[1], second_out
    assert version(path) == ["a1a1a1a1a1a1"], "the first process's revision stays: nothing was restored over it"
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'slow'").fetchone() == (1,)


def test_rows_committed_by_another_process_during_a_failed_sqlite_upgrade_are_kept(tmp_path: Path) -> None:
    project = Project(tmp_path / "project")
    path = tmp_path / "busy.db"
    upgrade_database(sa.make_url(f"sqlite:///{path}"))
    project.add_revision("b2b2b2b2b2b2", HEAD, SLOW_FAILURE)
    migration = _guarded_upgrade(project, f"sqlite:///{path}")
    time.sleep(0.8)
    committed = 0
    deadline = time.monotonic() + 1.0
    with sqlite3.connect(path, timeout=10) as writer:
        while time.monotonic() < deadline:
            writer.execute("INSERT INTO audit_logs (username, action) VALUES ('other', 'write')")
            writer.commit()
            committed += 1
    out = migration.communicate(timeout=120)
    assert migration.returncode == 2 and "b2b2b2b2b2b2" in out[1], out
    assert f"at revision {HEAD}" in out[1], "the message names the revision the database is really at"
    with sqlite3.connect(path) as connection:
        kept = connection.execute("SELECT count(*) FROM audit_logs WHERE username = 'other'").fetchone()[0]
    assert kept == committed > 0, "no restore dropped rows that another process committed"
    assert version(path) == [HEAD]


# -- secrets: a password in the userinfo and in the query string, through every error path -------------------

PASSWORD = "Hunter2-pa55/w%rd"


def _scan(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text, text
        assert quote(PASSWORD, safe="") not in text, text


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["userinfo", "query"])
def test_no_error_path_shows_a_password(where: str, postgres_url: sa.URL, tmp_path: Path) -> None:
    secret = quote(PASSWORD, safe="")
    host = f"{postgres_url.host or '127.0.0.1'}:{postgres_url.port or 5432}"
    if where == "userinfo":
        urls = [
            f"postgresql+psycopg://no_such_role:{secret}@{host}/nodb",
            f"postgresql+psycopg://u:{secret}@127.0.0.1:1/x",
        ]
    else:
        urls = [f"postgresql+psycopg://no_such_role@{host}/nodb?password={secret}",
                f"postgresql+psycopg://u@127.0.0.1:1/x?password={secret}"]  # fmt: skip
    for url in urls:
        dump = str(tmp_path / "b.dump")
        commands = [["status"], ["diff"], ["check"], ["verify"], ["history"], ["lint"], ["draft", "-m", "x"],
                    ["upgrade", "--no-backup"], ["downgrade", "-1"], ["backup", "-o", dump], ["restore", dump],
                    ["roundtrip"], ["erd", "--url", url, "-o", "x.svg"]]  # fmt: skip
        for argv in commands:
            args = [*argv, "--url", url] if "--url" not in argv else argv
            result = cli(*args, env={"SCHEMA_TOOLS_CONNECT_TIMEOUT": "2"}, timeout=60)
            assert result.returncode == 2, (args, result.stdout, result.stderr)
            _scan(result.stdout, result.stderr)
    assert not list(tmp_path.iterdir()), "a failed backup writes nothing"


@pytest.mark.postgres
def test_reprs_results_and_exception_chains_never_hold_a_password(postgres_url: sa.URL, tmp_path: Path) -> None:
    from schema_tools import DiffSession, diff, draft, erd, status, verify
    from schema_tools.connect import mask_url
    from schema_tools.errors import SchemaToolsError

    upgrade_database(postgres_url)
    admin = sa.create_engine(postgres_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    role = "st_secret_role"
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD 'x'")
    try:
        for url in (postgres_url.set(username=role, password=PASSWORD),
                    postgres_url.set(username=role).update_query_dict({"password": PASSWORD})):  # fmt: skip
            text = url.render_as_string(hide_password=False)
            _scan(mask_url(text))
            results = [diff(None, text), status(text), verify(text), draft(None, text, "x"), erd(text)]
            session = DiffSession(text)
            results.append(session.diff())
            for result in [*results, session]:
                _scan(repr(result), str(result), getattr(result, "_repr_html_", lambda: "")() or "")
            session.close()
            _scan(repr(results[3].url), str(results[3].url), results[2].database, erd(text).summary)
            broken = url.set(database="no_such_database")
            with pytest.raises(SchemaToolsError) as failure:
                status(broken.render_as_string(hide_password=False))
            chain: list[str] = []
            error: BaseException | None = failure.value
            while error is not None:
                chain.append(f"{error!r} {error}")
                error = error.__cause__ or error.__context__
            _scan(*chain)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("guarded", [True, False], ids=["judging", "migrating"])
def test_a_wait_on_another_sessions_lock_says_what_it_waits_for(postgres_url: sa.URL, guarded: bool) -> None:
    upgrade_database(postgres_url, "2aefc3d92de3")
    url = postgres_url.render_as_string(hide_password=False)
    argv = [str(EXECUTABLE), "upgrade", "--url", url, "--no-backup", *([] if guarded else ["--allow-data-loss"])]
    holder = sa.create_engine(postgres_url, poolclass=NullPool)
    with holder.connect() as connection:
        connection.exec_driver_sql("LOCK TABLE audit_logs IN ACCESS EXCLUSIVE MODE")  # held until rollback
        process = subprocess.Popen(argv, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(8)
        connection.rollback()
    out, err = process.communicate(timeout=120)
    holder.dispose()
    assert process.returncode == 0, err
    if guarded:  # the guard copies the schema first: pg_dump waits for the table's lock
        assert "pg_dump is still copying the schema after 5s" in err, err
    else:
        waiting = [line for line in err.splitlines() if "still running after" in line]
        assert waiting and "audit_logs" in waiting[0] and "lock" in waiting[0], err
