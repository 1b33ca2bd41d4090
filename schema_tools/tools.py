"""Client tools (pg_dump, mysqldump, psql...) run with wall-clock limits, and failures told in one line."""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy.engine import URL

from .errors import BackupError
from .secrets import mask_text

CONNECT_TIMEOUT_ENV = "SCHEMA_TOOLS_CONNECT_TIMEOUT"
LOCK_TIMEOUT_ENV = "SCHEMA_TOOLS_LOCK_TIMEOUT"
COMMAND_TIMEOUT_ENV = "SCHEMA_TOOLS_COMMAND_TIMEOUT"
DEFAULT_TIMEOUTS = {CONNECT_TIMEOUT_ENV: 5.0, LOCK_TIMEOUT_ENV: 300.0, COMMAND_TIMEOUT_ENV: 3600.0}
WAIT_NOTICE_SECONDS = 5.0

# stderr lines of the client tools that say what went wrong; the rest is progress and context.
IMPORTANT_STDERR = re.compile(r"error|permission denied|denied|fatal|could not|failed|too large|no space", re.I)
DISK_FULL_STDERR = re.compile(r"no space left|file too large|file size limit|disk full|errno:? ?(27|28)\b", re.I)


@dataclass(frozen=True)
class Timeouts:
    """How long to wait for a connection, for a lock held by another session, and for a whole client tool run."""

    connect: float
    lock: float
    command: float

    @classmethod
    def from_env(cls, connect: float | None = None, lock: float | None = None) -> Timeouts:
        """SCHEMA_TOOLS_CONNECT_TIMEOUT, _LOCK_TIMEOUT (else `connect` and `lock`, the project's settings: 5 s and
        300 s by default) and _COMMAND_TIMEOUT (3600 s)."""
        configured = {CONNECT_TIMEOUT_ENV: connect, LOCK_TIMEOUT_ENV: lock}
        values = []
        for name, fallback in DEFAULT_TIMEOUTS.items():
            default = configured.get(name) or fallback
            raw = os.environ.get(name, "").strip()
            try:
                value = float(raw) if raw else default
            except ValueError:
                raise BackupError(f"{name}={raw!r} is not a number of seconds: set it to e.g. {default:g}") from None
            if not math.isfinite(value) or value <= 0:
                raise BackupError(f"{name}={raw!r} must be a positive number of seconds, e.g. {default:g}")
            values.append(value)
        return cls(*values)

    @property
    def connect_seconds(self) -> int:
        return max(2, math.ceil(self.connect))  # libpq treats less than 2 s as 2 s

    @property
    def lock_seconds(self) -> int:
        return max(1, math.ceil(self.lock))


@dataclass(frozen=True)
class Client:
    """A backend's client tools, the package that installs them, and the variable that carries the password."""

    names: tuple[str, ...]
    package: str
    password_env: str
    label: str

    def require(self) -> dict[str, str]:
        """Each tool's path; a missing one is a one-line error naming the package to install."""
        found: dict[str, str] = {}
        for name in self.names:
            path = shutil.which(name)
            if path is None:
                raise BackupError(
                    f"{name} not found on PATH: install it ('apt-get install {self.package}') to back up or restore "
                    f"{self.label}"
                )
            found[name] = path
        return found

    def run(
        self,
        argv: list[str],
        url: URL | None,
        timeouts: Timeouts,
        doing: str,
        *,
        stdin: IO[bytes] | None = None,
        stdout: IO[bytes] | int = subprocess.DEVNULL,
        written: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> bytes | None:
        """run_tool with the password of `url` in this client's environment variable, never on a command line."""
        secret = {self.password_env: str(url.password)} if url is not None and url.password else {}
        return run_tool(
            argv, url, timeouts, doing, stdin=stdin, stdout=stdout, written=written, env={**secret, **(env or {})}
        )


def run_tool(
    argv: list[str],
    url: URL | None,
    timeouts: Timeouts,
    doing: str,
    *,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | int = subprocess.DEVNULL,
    written: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes | None:
    """Run a client tool with a wall-clock limit; a failure is one line with every stderr line that says why."""
    tool = Path(argv[0]).name
    try:
        result = run_saying_waits(
            argv,
            env={**os.environ, **(env or {})},
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=stdout,
            timeout=timeouts.command,
            waiting=f"{tool} is still {doing}",
        )
    except subprocess.TimeoutExpired:
        raise BackupError(
            f"{tool} did not finish within {timeouts.command:g}s ({COMMAND_TIMEOUT_ENV}) while {doing}: "
            "it was stopped; raise the limit for large databases"
        ) from None
    except OSError as error:
        raise BackupError(f"cannot run {tool}: {error.strerror}") from None
    if result.returncode != 0:
        raise _failure(tool, doing, result, url, written)
    return result.stdout if isinstance(result.stdout, bytes) else None


def _failure(
    tool: str, doing: str, result: subprocess.CompletedProcess[bytes], url: URL | None, written: Path | None
) -> BackupError:
    reason = stderr_reason(result.stderr, url)
    if result.returncode < 0:
        killed_by = signal.Signals(-result.returncode)
        reason = f"killed by {killed_by.name}{' (file size limit exceeded)' if killed_by == signal.SIGXFSZ else ''}"
    if DISK_FULL_STDERR.search(reason):
        where = f" {written}" if written is not None else ""
        return BackupError(
            f"{tool} ran out of room writing{where} (disk full or file size limit): {reason}; "
            "free space and retry; nothing was changed"
        )
    return BackupError(f"{tool} failed while {doing}: {reason}")


def run_saying_waits(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    stdin: IO[bytes] | int,
    stdout: IO[bytes] | int,
    timeout: float,
    waiting: str,
) -> subprocess.CompletedProcess[bytes]:
    """subprocess.run with a wall-clock limit that says, once, what a run longer than a few seconds waits for."""
    with subprocess.Popen(argv, env=env, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE) as process:
        deadline = time.monotonic() + timeout
        try:
            out, err = process.communicate(timeout=min(WAIT_NOTICE_SECONDS, timeout))
        except subprocess.TimeoutExpired:
            say(f"{waiting} after {WAIT_NOTICE_SECONDS:g}s (a lock another session holds? up to {timeout:g}s)")
            try:
                out, err = process.communicate(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                raise
        return subprocess.CompletedProcess(list(argv), process.returncode, out, err)


def say(message: str) -> None:
    """A progress line for the person waiting (stderr, so piped results stay clean), as runner.say writes it."""
    print(f"schema-tools: {message}", file=sys.stderr, flush=True)


def stderr_reason(stderr: bytes, url: URL | None) -> str:
    """Every stderr line that names an error or a refused permission (the last line alone often hides it)."""
    lines = [" ".join(line.split()) for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    chosen = list(dict.fromkeys(line for line in lines if IMPORTANT_STDERR.search(line))) or lines[-1:]
    if len(chosen) > 8:
        chosen = [*chosen[:8], f"(+{len(chosen) - 8} more)"]
    return mask_text("; ".join(chosen) or "no error output", *([url] if url is not None else []))


def query_value(url: URL, key: str) -> str | None:
    """One value of the URL's query string (the first, when repeated)."""
    value = url.query.get(key)
    if isinstance(value, tuple):
        value = value[0] if value else None
    return str(value) if value else None
