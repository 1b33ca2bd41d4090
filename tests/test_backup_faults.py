"""Backups under faults: a bad backup is refused before anything is dropped, and a failure changes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from schema_tools.backup import Backup, backup, backup_path, manifest_path, restore
from schema_tools.cli import main
from schema_tools.dialects import backend_named
from schema_tools.errors import BackupError, SchemaToolsError
from tests.support_roles import login_role

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REVISION = "1a2b3c4d5e6f"
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB"}
FOREIGN = {"sqlite": "postgresql", "postgresql": "mysql", "mysql": "sqlite"}
PASSWORD = "Sekr3t:p@ss/w%rd"


# ---------------------------------------------------------------------------------------------------------------------
# Helpers: a small schema with a foreign key and a revision, and a snapshot of everything a restore must keep.


def seed(
    url: URL,
    *,
    rows: int = 40,
    filler: int = 0,
    names: tuple[str, str] = ("parent", "child"),
    revision: str = REVISION,
    marker: str = "old",
) -> None:
    """Two tables joined by a foreign key plus alembic_version; `filler` adds that many random bytes per child row."""
    metadata = sa.MetaData()
    parent = sa.Table(
        names[0],
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(40)),
    )
    child = sa.Table(
        names[1],
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey(parent.c.id), nullable=False),
        sa.Column("note", sa.Text),
    )
    version = sa.Table("alembic_version", metadata, sa.Column("version_num", sa.String(32), primary_key=True))
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(parent.insert(), [{"id": i, "name": f"{marker} ü {i}"} for i in range(rows)])
        connection.execute(
            child.insert(),
            [
                {"id": i, "parent_id": i % rows, "note": os.urandom(filler).hex() if filler else marker}
                for i in range(rows)
            ],
        )
        connection.execute(version.insert(), {"version_num": revision})
    engine.dispose()


def snapshot(url: URL) -> tuple[object, ...]:
    """Tables, row counts, alembic_version and a hash of every row: what a failed restore must leave as it was."""
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        names = sorted(sa.inspect(connection).get_table_names())
        counts, digest = [], hashlib.sha256()
        for name in names:
            table = sa.Table(name, sa.MetaData(), autoload_with=connection)
            rows = connection.execute(sa.select(table).order_by(*table.c)).all()
            counts.append((name, len(rows)))
            digest.update(repr(rows).encode())
        version = (
            tuple(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
            if "alembic_version" in names
            else ()
        )
    engine.dispose()
    return tuple(names), tuple(counts), version, digest.hexdigest()


def url_text(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("schema-tools: error: "), stderr
    return stderr


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def damage(made: Backup, kind: str, backend: str, destination: Path) -> Path:
    """A copy of a good backup, without its manifest, damaged in one way."""
    data = made.path.read_bytes()
    if kind == "truncated":
        damaged = data[: len(data) // 2]
    elif kind == "empty":
        damaged = b""
    elif kind == "garbage":
        damaged = b"this is a text file, not a backup\n" * 100
    elif backend == "sqlite":  # corrupt: header intact, every page after the first overwritten
        damaged = data[:4096] + random.Random(7).randbytes(len(data) - 4096)
    elif backend == "postgresql":  # corrupt: the data blocks at the end of the archive are scrambled
        cut = len(data) * 3 // 4
        damaged = data[:cut] + bytes(b ^ 0x5A for b in data[cut:])
    else:  # corrupt: a statement the server rejects, after some tables were already loaded
        text = data.decode()
        middle = text.index("INSERT INTO", len(text) // 3)
        damaged = (text[:middle] + "THIS IS NOT SQL;\n" + text[middle:]).encode()
    destination.write_bytes(damaged)
    return destination


def mysql_scratch_databases(url: URL) -> set[str]:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SHOW DATABASES").scalars()
        found = {name for name in rows if name.startswith("st_restore_")}
    engine.dispose()
    return found


@pytest.fixture
def seeded(db_url: URL) -> URL:
    seed(db_url)
    return db_url


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


# ---------------------------------------------------------------------------------------------------------------------
# Restore verifies before it destroys.


@pytest.mark.parametrize("kind", ["truncated", "corrupt", "empty", "garbage"])
def test_a_damaged_backup_is_refused_and_the_target_keeps_every_table_and_row(
    seeded: URL, backend: str, kind: str, out_dir: Path
) -> None:
    made = backup(seeded, out_dir / "good.backup")
    bad = damage(made, kind, backend, out_dir / f"{kind}.backup")
    before = snapshot(seeded)
    scratch_before = mysql_scratch_databases(seeded) if backend == "mysql" else set()
    with pytest.raises(BackupError):
        restore(bad, seeded)
    assert snapshot(seeded) == before
    if backend == "mysql":  # the scratch database a failed load used is dropped again
        leftovers = mysql_scratch_databases(seeded) - scratch_before
        if leftovers:  # another test run's restore may be in flight: it would be gone a moment later
            time.sleep(2)
            leftovers &= mysql_scratch_databases(seeded)
        assert not leftovers


def test_a_backup_changed_after_it_was_made_is_refused_by_its_manifest_checksum(
    seeded: URL, backend: str, out_dir: Path
) -> None:
    made = backup(seeded, out_dir / "good.backup")
    data = bytearray(made.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    made.path.write_bytes(bytes(data))
    before = snapshot(seeded)
    with pytest.raises(BackupError, match="checksum mismatch"):
        restore(made, seeded)
    made.path.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(BackupError, match="truncated"):
        restore(made, seeded)
    assert snapshot(seeded) == before


def test_a_backup_of_another_backend_is_refused_naming_both_backends(
    seeded: URL, backend: str, new_database: Callable[[str], URL], out_dir: Path
) -> None:
    other = new_database(FOREIGN[backend])
    seed(other, marker="foreign")
    foreign = backup(other, out_dir / "foreign.backup")
    before = snapshot(seeded)
    with pytest.raises(BackupError) as refused:
        restore(foreign, seeded)
    assert NAMES[FOREIGN[backend]] in str(refused.value) and NAMES[backend] in str(refused.value)
    assert snapshot(seeded) == before


def test_a_backup_records_its_checksum_size_revision_and_row_counts_in_a_manifest(
    seeded: URL, backend: str, out_dir: Path
) -> None:
    made = backup(seeded, out_dir / "db.backup")
    body = json.loads(manifest_path(made.path).read_text())
    assert body["sha256"] == made.sha256 == hashlib.sha256(made.path.read_bytes()).hexdigest()
    assert body["bytes"] == made.bytes == made.path.stat().st_size
    assert body["backend"] == made.backend == backend
    assert body["revision"] == [REVISION] and made.revision == (REVISION,)
    assert body["tables"] == {"alembic_version": 1, "child": 40, "parent": 40}
    assert files_in(out_dir) == ["db.backup", "db.backup.json"], "no temporary file is left behind"


# ---------------------------------------------------------------------------------------------------------------------
# A failed backup never costs the file already at the output path.


def failing_sources(backend: str, good: URL, tmp_path: Path) -> list[URL]:
    if backend == "sqlite":
        not_sqlite = tmp_path / "notes.txt"
        not_sqlite.write_text("not a database\n")
        return [sa.make_url(f"sqlite:///{tmp_path / 'missing.db'}"), sa.make_url(f"sqlite:///{not_sqlite}")]
    missing = good.set(database=f"st_missing_{uuid.uuid4().hex[:8]}")
    if backend == "postgresql":  # trust authentication here: an unknown role is the login that fails
        return [missing, good.set(username=f"st_nobody_{uuid.uuid4().hex[:8]}")]
    return [missing, good.set(password="wrong-password")]


def test_a_failed_backup_leaves_the_file_already_at_the_output_byte_identical(
    seeded: URL, backend: str, out_dir: Path, tmp_path: Path
) -> None:
    target = out_dir / "db.backup"
    previous = backup(seeded, target)
    kept = target.read_bytes(), manifest_path(target).read_bytes()
    for source in failing_sources(backend, seeded, tmp_path):
        with pytest.raises(SchemaToolsError):
            backup(source, target)
        assert (target.read_bytes(), manifest_path(target).read_bytes()) == kept
        assert files_in(out_dir) == ["db.backup", "db.backup.json"]
    restore(previous, seeded)  # and it is still a good backup


def limit_file_size() -> None:
    """In the child: writes past 256 KiB fail with EFBIG (instead of killing the process with SIGXFSZ)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


def test_a_full_disk_fails_the_backup_in_one_line_and_keeps_the_previous_file(
    db_url: URL, out_dir: Path, tmp_path: Path
) -> None:
    seed(db_url, rows=40, filler=30_000)  # about 2.4 MB of random text: bigger than the limit on every backend
    target = out_dir / "db.backup"
    target.write_bytes(b"the previous backup\n")
    result = subprocess.run(
        [sys.executable, "-m", "schema_tools.cli", "backup", "--url", url_text(db_url), "-o", str(target)],
        capture_output=True, text=True, preexec_fn=limit_file_size, cwd=PROJECT_ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    message = one_line_error(result.stderr)
    assert re.search(r"disk full|no room|too large", message, re.I), message
    assert target.read_bytes() == b"the previous backup\n"
    assert files_in(out_dir) == ["db.backup"], "no partial backup, temp file or manifest"


# ---------------------------------------------------------------------------------------------------------------------
# Atomic restores: a kill at any moment leaves the old database or the new one, never a mix.


def restorer(backup_file: Path, url: URL) -> subprocess.Popen[str]:
    code = (
        "import sys\nfrom schema_tools.backup import restore\n"
        "print('go', flush=True)\nrestore(sys.argv[1], sys.argv[2])\nprint('done', flush=True)\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(backup_file), url_text(url)],
        stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT, start_new_session=True,
    )  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_during_a_restore_leaves_the_old_or_the_new_database_whole(
    db_url: URL, backend: str, out_dir: Path
) -> None:
    rows, window = {"sqlite": (300, 0.2), "postgresql": (120, 0.6)}[backend]  # the window a restore takes here
    seed(db_url, rows=rows, filler=30_000, revision="0ld0ld0ld0ld", marker="old")
    old_backup = backup(db_url, out_dir / "old.backup")
    old = snapshot(db_url)
    restore(old_backup, db_url)
    engine = sa.create_engine(db_url, poolclass=NullPool)
    with engine.begin() as connection:  # the new state: other rows, fewer of them, another revision
        connection.execute(sa.text("DELETE FROM child WHERE id >= 60"))
        connection.execute(sa.text("UPDATE parent SET name = 'new'"))
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'n3wn3wn3wn3w'"))
    engine.dispose()
    new_backup = backup(db_url, out_dir / "new.backup")
    new = snapshot(db_url)
    assert old != new
    draw, kills = random.Random(1234), 6
    for slot in range(kills):  # one random moment in each sixth of the window, so every phase gets hit
        restore(old_backup, db_url)
        process = restorer(new_backup.path, db_url)
        assert process.stdout is not None and process.stdout.readline().strip() == "go"
        time.sleep((slot + draw.random()) * window / kills)
        os.killpg(process.pid, signal.SIGKILL)  # the tool and every client it started
        process.wait(timeout=30)
        after = snapshot(db_url)
        assert after in (old, new)
        if backend == "sqlite":
            check = sqlite3.connect(db_url.database or "")
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            check.close()


def test_a_restore_behind_another_sessions_open_transaction_fails_within_the_lock_timeout(
    seeded: URL, backend: str, out_dir: Path
) -> None:
    made = backup(seeded, out_dir / "good.backup")
    before = snapshot(seeded)
    engine = sa.create_engine(seeded, poolclass=NullPool)
    blocker = engine.connect()
    session = ""
    if backend == "sqlite":
        blocker.exec_driver_sql("BEGIN IMMEDIATE")  # holds the write lock a restore needs
    else:
        blocker.begin()
        blocker.execute(sa.text("SELECT count(*) FROM parent")).scalar_one()  # holds a lock on the table
        own_id = "pg_backend_pid()" if backend == "postgresql" else "CONNECTION_ID()"
        session = str(blocker.exec_driver_sql(f"SELECT {own_id}").scalar_one())
    try:
        result = subprocess.run(
            [sys.executable, "-m", "schema_tools.cli", "restore", str(made.path), "--url", url_text(seeded)],
            capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120,
            env={**os.environ, "SCHEMA_TOOLS_LOCK_TIMEOUT": "2"},
        )  # fmt: skip
    finally:
        blocker.rollback() if backend != "sqlite" else blocker.exec_driver_sql("ROLLBACK")
        blocker.close()
        engine.dispose()
    assert result.returncode == 2
    message = one_line_error(result.stderr)
    assert "waited 2s (SCHEMA_TOOLS_LOCK_TIMEOUT)" in message and "nothing was changed" in message
    assert re.search(rf"(pid|session) {session}\b", message) if session else "another connection" in message
    assert snapshot(seeded) == before


# ---------------------------------------------------------------------------------------------------------------------
# Names that break naive quoting, and foreign keys across the MySQL swap.


@pytest.mark.filterwarnings("ignore:Unknown schema content")  # SQLAlchemy's MySQL reflection of `` in FK names
def test_tables_named_with_percent_parens_backticks_quotes_and_unicode_restore_intact(
    db_url: URL, backend: str, out_dir: Path
) -> None:
    names = ("a%(x)s `p'", 'ünï"c%s')
    seed(db_url, names=names)
    made = backup(db_url, out_dir / "odd.backup")
    before = snapshot(db_url)
    engine = sa.create_engine(db_url, poolclass=NullPool)
    metadata = sa.MetaData()
    parent = sa.Table(names[0], metadata, autoload_with=engine)
    child = sa.Table(names[1], metadata, autoload_with=engine)
    with engine.begin() as connection:  # damage: rows gone, one table dropped
        connection.execute(child.delete())
        connection.execute(parent.delete().where(parent.c.id > 5))
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'other'"))
    child.drop(engine)
    restore(made, db_url)
    assert snapshot(db_url) == before
    with engine.begin() as connection:  # the foreign key came back and is enforced
        if backend == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(child.insert(), {"id": 1000, "parent_id": 99999, "note": "orphan"})
    engine.dispose()


def test_after_a_mysql_restore_foreign_keys_point_at_the_target_database_and_hold(
    mysql_url: URL, out_dir: Path
) -> None:
    seed(mysql_url)
    made = backup(mysql_url, out_dir / "db.sql")
    engine = sa.create_engine(mysql_url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE child")
    restore(made, mysql_url)
    with engine.connect() as connection:
        references = connection.execute(
            sa.text(
                "SELECT REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME FROM information_schema.KEY_COLUMN_USAGE "
                "WHERE TABLE_SCHEMA = :db AND TABLE_NAME = 'child' AND REFERENCED_TABLE_NAME IS NOT NULL"
            ),
            {"db": mysql_url.database},
        ).all()
        assert references == [(mysql_url.database, "parent")]
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.text("INSERT INTO child (id, parent_id, note) VALUES (999, 12345, 'x')"))
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.text("DELETE FROM parent WHERE id = 1"))
    engine.dispose()


def test_a_mysql_target_with_a_view_is_refused_before_anything_changes(mysql_url: URL, out_dir: Path) -> None:
    seed(mysql_url)
    made = backup(mysql_url, out_dir / "db.sql")
    engine = sa.create_engine(mysql_url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE VIEW parent_names AS SELECT name FROM parent")
    before = snapshot(mysql_url)
    with pytest.raises(BackupError, match="view parent_names"):
        restore(made, mysql_url)
    assert snapshot(mysql_url) == before
    engine.dispose()


def test_a_mysql_dump_of_several_databases_is_refused_because_it_would_write_elsewhere(
    mysql_url: URL, out_dir: Path
) -> None:
    seed(mysql_url)
    dump = out_dir / "all.sql"
    with open(dump, "wb") as out:
        subprocess.run(
            ["mysqldump", "--protocol=tcp", "-h", mysql_url.host or "", "-P", str(mysql_url.port or 3306),
             "-u", mysql_url.username or "", "--databases", mysql_url.database or ""],
            stdout=out, check=True, env={**os.environ, "MYSQL_PWD": mysql_url.password or ""},
        )  # fmt: skip
    before = snapshot(mysql_url)
    with pytest.raises(BackupError, match="switches database"):
        restore(dump, mysql_url)
    assert snapshot(mysql_url) == before


def test_a_postgres_restore_that_fails_midway_rolls_back_every_statement(
    postgres_url: URL, new_database: Callable[[str], URL], out_dir: Path
) -> None:
    source = new_database("postgresql")
    seed(source, revision="50urce50urce", marker="source")
    role = f"st_gone_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(source, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role}")
        connection.exec_driver_sql(f"GRANT SELECT ON parent TO {role}")
    made = backup(source, out_dir / "with-grant.dump")  # ends with GRANT ... TO a role we now drop
    with engine.connect() as connection:
        connection.exec_driver_sql(f"DROP OWNED BY {role}")
        connection.exec_driver_sql(f"DROP ROLE {role}")
    engine.dispose()
    seed(postgres_url)
    before = snapshot(postgres_url)
    with pytest.raises(BackupError, match=role):
        restore(made, postgres_url)
    assert snapshot(postgres_url) == before


# ---------------------------------------------------------------------------------------------------------------------
# Unique names, and never writing onto the database itself.


def test_two_backups_at_the_same_revision_get_different_names_and_neither_overwrites_the_other(
    seeded: URL, backend: str, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the same second for both: only the counter differs
    first = backup(seeded, directory=out_dir)
    first_bytes = first.path.read_bytes()
    second = backup(seeded, directory=out_dir)
    assert first.path != second.path
    assert first.path.read_bytes() == first_bytes and second.path.exists()
    assert manifest_path(first.path).exists() and manifest_path(second.path).exists()
    pattern = rf"[\w-]+\.{REVISION}\.20231114T221320Z\.[12]\.{backend_named(backend).backup_suffix}"
    assert re.fullmatch(pattern, first.path.name) and re.fullmatch(pattern, second.path.name)


def test_backup_path_hands_every_process_its_own_name(tmp_path: Path) -> None:
    with ProcessPoolExecutor(max_workers=4) as pool:
        paths = list(pool.map(backup_path, *zip(*[(tmp_path, "db", "abc", "db")] * 16, strict=True)))
    assert len(set(paths)) == 16 and all(path.exists() for path in paths)


def test_a_backup_onto_the_database_itself_is_refused_and_the_database_is_unchanged(
    sqlite_url: URL, tmp_path: Path
) -> None:
    seed(sqlite_url)
    database = Path(sqlite_url.database or "")
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.db"
    link.symlink_to(database)
    hard = tmp_path / "hard.db"
    os.link(database, hard)
    before = database.read_bytes()
    for target in (database, link, hard, tmp_path / "sub" / ".." / database.name, Path(f"{database}-wal")):
        with pytest.raises(BackupError, match="database being backed up"):
            backup(sqlite_url, target)
        assert database.read_bytes() == before
    named_json = tmp_path / "data.json"  # the manifest of -o data would be the database
    seed(sa.make_url(f"sqlite:///{named_json}"))
    with pytest.raises(BackupError, match="database being backed up"):
        backup(f"sqlite:///{named_json}", tmp_path / "data")


def test_restoring_a_sqlite_database_onto_itself_is_refused_instead_of_hanging(sqlite_url: URL, tmp_path: Path) -> None:
    seed(sqlite_url)
    database = Path(sqlite_url.database or "")
    before = snapshot(sqlite_url)
    link = tmp_path / "same.db"
    link.symlink_to(database)
    for given in (database, link):
        result = subprocess.run(
            [sys.executable, "-m", "schema_tools.cli", "restore", str(given), "--url", f"sqlite:///{database}"],
            capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60,
        )  # fmt: skip
        assert result.returncode == 2
        assert "onto itself" in one_line_error(result.stderr)
    assert snapshot(sqlite_url) == before


# ---------------------------------------------------------------------------------------------------------------------
# User mistakes: one line, no traceback, nothing written or lost.


def test_output_and_input_mistakes_are_one_line_errors_that_write_nothing(
    sqlite_url: URL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(sqlite_url)
    database = Path(sqlite_url.database or "")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n")
    good = backup(sqlite_url, tmp_path / "good.backup")
    cases = {
        "does not exist": ["backup", "--url", str(sqlite_url), "-o", str(tmp_path / "missing" / "x.db")],
        "is a directory": ["backup", "--url", str(sqlite_url), "-o", str(tmp_path)],
        "is not a SQLite database": ["backup", "--url", f"sqlite:///{text_file}", "-o", str(tmp_path / "t.db")],
        "not a backup": ["restore", str(text_file), "--url", str(sqlite_url)],
        "backup file not found": ["restore", str(tmp_path / "nope.db"), "--url", str(sqlite_url)],
        "refusing to overwrite it": ["restore", str(good.path), "--url", f"sqlite:///{text_file}"],
    }
    before, listing = snapshot(sqlite_url), files_in(tmp_path)
    for expected, argv in cases.items():
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert expected in one_line_error(captured.err)
        assert files_in(tmp_path) == listing and snapshot(sqlite_url) == before
    assert database.exists() and text_file.read_text() == "not a database\n"


# ---------------------------------------------------------------------------------------------------------------------
# Passwords stay secret, and every error line of the client tools is shown.


@pytest.fixture
def password_role(postgres_url: URL) -> Iterator[URL]:
    """A login role with a password, allowed to connect but not to read table `child`."""
    seed(postgres_url)
    grants = [f'CONNECT ON DATABASE "{postgres_url.database}"', "SELECT ON parent, alembic_version"]
    with login_role(postgres_url, PASSWORD, grants, prefix="st_pw") as url:
        yield url


def test_a_password_never_appears_in_errors_manifests_or_written_files(
    postgres_url: URL, password_role: URL, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spellings = {PASSWORD, "Sekr3t%3Ap%40ss%2Fw%25rd", "Sekr3t"}
    target = out_dir / "db.dump"
    target.write_bytes(b"previous")
    with pytest.raises(BackupError) as denied:  # pg_dump: an error line, then a 'detail' line that hid it
        backup(password_role, target)
    assert "permission denied for table child" in str(denied.value)
    assert main(["backup", "--url", url_text(password_role), "-o", str(target)]) == 2
    printed = capsys.readouterr()
    assert "permission denied" in one_line_error(printed.err)
    good = backup(postgres_url, out_dir / "good.dump")
    before = snapshot(postgres_url)
    with pytest.raises(BackupError) as refused:  # psql as a role that does not own schema public: rolled back
        restore(good, password_role)
    assert "must be owner" in str(refused.value) and snapshot(postgres_url) == before
    engine = sa.create_engine(postgres_url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"GRANT SELECT ON child TO {password_role.username}")
    engine.dispose()
    made = backup(password_role, out_dir / "ok.dump")
    assert ":***@" in json.loads(manifest_path(made.path).read_text())["source"]
    shown = [str(denied.value), str(refused.value), printed.out, printed.err, str(made)]
    written = [path.read_bytes() for path in out_dir.iterdir()]
    assert target.read_bytes() == b"previous"
    for secret in spellings:
        assert not any(secret in text for text in shown)
        assert not any(secret.encode() in data for data in written)
