"""MySQL/MariaDB backups: single-database mysqldump files, checked for their trailer and for database switches."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL

from ..backup_files import head
from ..backup_format import BackupFormat, Contents, Job
from ..errors import BackupError
from ..tools import Client, Timeouts, query_value
from .mysql_restore import restore_by_rename

CLIENT = Client(("mysqldump", "mysql"), "mariadb-client", "MYSQL_PWD", "mysql")
DUMP_HEADER = re.compile(rb"^-- (MySQL|MariaDB) dump ")
SANDBOX_LINE = re.compile(rb"^/\*M!999999\\- enable the sandbox mode \*/ ?$")
TRAILER = b"-- Dump completed"
# Statements that would make a dump write outside the database it is loaded into.
DATABASE_SWITCH = re.compile(rb"^\s*(USE\s|CREATE\s+DATABASE\b|CREATE\s+SCHEMA\b|DROP\s+DATABASE\b)", re.I)


class MySQLBackup(BackupFormat):
    """mysqldump SQL of one database; restore loads it into a scratch database and swaps the tables in."""

    description = "a mysqldump file"
    client = CLIENT

    def sniff(self, head: bytes) -> bool:
        lines = head.splitlines()
        if lines and SANDBOX_LINE.match(lines[0]):
            lines = lines[1:]
        return bool(lines and DUMP_HEADER.match(lines[0]))

    def verify(self, path: Path, timeouts: Timeouts) -> None:
        self.check_dump(path)

    def dump(self, job: Job, temp: Path, target: Path) -> Contents:
        """mysqldump of one database (no USE or CREATE DATABASE), checked for its completion trailer."""
        with job.connect() as connection:  # a wrong password or missing database fails here, in one line
            connection.exec_driver_sql("SELECT 1")
        argv = [
            job.tools["mysqldump"], *client_args(job.url), "--single-transaction", "--routines", "--triggers",
            "--hex-blob", "--no-tablespaces", "--default-character-set=utf8mb4", job.url.database or "",
        ]  # fmt: skip
        with open(temp, "wb") as out:
            CLIENT.run(argv, job.url, job.timeouts, f"dumping {job.label}", stdout=out, written=target)
        self.check_dump(temp, label=f"the new dump of {job.label}")
        with job.connect() as connection:
            return self.contents(connection, job.url)

    def restore(self, job: Job, path: Path) -> None:
        restore_by_rename(job, path, CLIENT, client_args(job.url))

    def clone(self, source: Job, target: Job) -> None:
        """mysqldump --no-data of the source, loaded by the mysql client."""
        dump = CLIENT.run(
            [source.tools["mysqldump"], *client_args(source.url), "--no-data", "--skip-triggers", "--no-tablespaces",
             "--skip-add-drop-table", "--default-character-set=utf8mb4", source.url.database or ""],
            source.url, source.timeouts, "copying the schema", stdout=subprocess.PIPE,
        )  # fmt: skip
        with tempfile.TemporaryFile() as stdin:
            stdin.write(dump or b"")
            stdin.seek(0)
            CLIENT.run(
                [target.tools["mysql"], *client_args(target.url), "--default-character-set=utf8mb4",
                 target.url.database or ""],
                target.url, target.timeouts, "loading the schema copy", stdin=stdin,
            )  # fmt: skip

    def check_dump(self, path: Path, label: str | None = None) -> None:
        """A mysqldump/MariaDB dump header, the `-- Dump completed` trailer, and no statement that switches database."""
        name = label or f"{path}"
        if not self.sniff(head(path, 512)):
            raise BackupError(f"{name} is not a mysqldump file (no MySQL/MariaDB dump header)")
        size = path.stat().st_size
        with open(path, "rb") as dump:
            dump.seek(max(0, size - 4096))
            tail = dump.read().rstrip().splitlines()
        if not tail or not tail[-1].startswith(TRAILER):
            raise BackupError(
                f"{name} is truncated: it does not end with mysqldump's '-- Dump completed' line; "
                "restore from another backup"
            )
        with open(path, "rb") as dump:
            for number, line in enumerate(dump, start=1):
                if DATABASE_SWITCH.match(line[:64]):
                    raise BackupError(
                        f"{name} switches database at line {number} ({line[:40].decode(errors='replace').strip()}): "
                        "it was made with --databases or --all-databases and would write outside the target; "
                        "make a single-database dump (schema-tools backup)"
                    )


def client_args(url: URL) -> list[str]:
    """How mysql and mysqldump reach the server: its socket, or host and port over TCP, and the user."""
    socket = query_value(url, "unix_socket")
    args = (
        [f"--socket={socket}"]
        if socket
        else ["--protocol=tcp", "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306)]
    )
    if url.username:
        args += ["-u", url.username]
    return args
